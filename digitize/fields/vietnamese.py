"""Is an OCR word a possible Vietnamese syllable? Used to flag doubtful readings, never to guess.

A Vietnamese syllable is (onset)(rhyme) with at most one tone mark, written on a vowel, and the
rhyme comes from a closed list. OCR misreadings of marks often break one of these rules: two tone
marks ("NGAÀI"), a letter outside the alphabet ("Nøãi"), a rhyme that does not exist ("uâă"), a
checked rhyme (-c, -ch, -p, -t) with a tone it never takes ("bàt"), or a spelling rule ("ke" is
written "ke" but "ce" never is). A word that passes can still be the wrong word ("bố" for "bổ");
the per-word confidence and the document's own spelling elsewhere (see `majority_spelling`) catch
some of those.

    is_syllable("nghiệm") -> True        is_syllable("Nøãi") -> False
    doubtful_words("Về việc bồ nhiệm", ...) -> words to check
"""
from __future__ import annotations

import re
import unicodedata

TONES = {"\u0301": "sac", "\u0300": "huyen", "\u0309": "hoi", "\u0303": "nga", "\u0323": "nang"}
_VOWELS = set("aăâeêioôơuưy")
_ALPHABET = set("abcdđeêghiklmnoôơpqrstuưvxyăâ")
_ONSETS = ("ngh", "ng", "gh", "gi", "kh", "nh", "ph", "th", "tr", "ch", "qu", "b", "c", "d", "đ",
           "g", "h", "k", "l", "m", "n", "p", "r", "s", "t", "v", "x", "")
RHYMES = frozenset("""
a ac ach ai am an ang anh ao ap at au ay ăc ăm ăn ăng ăp ăt âc âm ân âng âp ât âu ây
e ec em en eng eo ep et ê êch êm ên ênh êp êt êu
i ia ich iêc iêm iên iêng iêp iêt iêu im in inh ip it iu
o oc oi om on ong op ot ooc oong ô ôc ôi ôm ôn ông ôp ôt ơ ơi ơm ơn ơp ơt
u ua uc ui um un ung up ut uôc uôi uôm uôn uông uôt uy uya uych uyên uyêt uynh uyt uyu
uân uâng uât uây uê uêch uênh uơ
ư ưa ưc ưi ưm ưn ưng ưt ưu ươc ươi ươm ươn ương ươp ươt ươu
y yêm yên yêng yêt yêu
oa oac oach oai oam oan oang oanh oao oap oat oay oăc oăm oăn oăng oăt oe oen oeo oet oem
""".split())
_CHECKED = ("c", "ch", "p", "t")
# Place names from minority languages that break the Kinh spelling rules.
EXCEPTIONS = frozenset({"đắk", "lắk", "kạn", "kon", "krông", "búk", "pơ", "pleiku", "mang"})
_FRONT = ("i", "e", "ê", "y")


def _split_tone(word: str) -> tuple[str, list[str], bool]:
    """(base letters without tone, tone names, every mark sits on a vowel)."""
    base, tones, on_vowel, prev = [], [], True, ""
    for ch in unicodedata.normalize("NFD", word):
        if ch in TONES:
            tones.append(TONES[ch])
            on_vowel = on_vowel and prev in "aeiouy"
            continue
        base.append(ch)
        if not unicodedata.combining(ch):
            prev = ch
    return unicodedata.normalize("NFC", "".join(base)), tones, on_vowel


def _rhyme_ok(onset: str, rhyme: str) -> bool:
    if rhyme in RHYMES:
        return True
    if onset == "qu":
        return ("u" + rhyme) in RHYMES or ("o" + rhyme) in RHYMES
    if onset == "gi":
        return ("i" + rhyme) in RHYMES
    return False


def is_syllable(word: str) -> bool:
    """True when `word` (letters only, any case) can be one Vietnamese syllable."""
    w = unicodedata.normalize("NFC", word).lower().replace("ð", "đ")
    if not w or not w.isalpha():
        return False
    if w in EXCEPTIONS:
        return True
    base, tones, on_vowel = _split_tone(w)
    if len(tones) > 1 or not on_vowel or not set(base) <= _ALPHABET:
        return False
    if not any(c in _VOWELS for c in base):
        return False
    for onset in _ONSETS:
        if not base.startswith(onset):
            continue
        rhyme = base[len(onset):]
        if onset == "gi" and not rhyme:
            onset, rhyme = "g", "i"
        if not rhyme or not _rhyme_ok(onset, rhyme):
            continue
        first = rhyme[0]
        if onset in ("k",) and first not in _FRONT:
            continue
        if onset in ("c", "g", "ng") and first in ("e", "ê"):
            continue
        if onset == "c" and first in ("i", "y"):
            continue
        if onset in ("gh", "ngh") and first not in ("i", "e", "ê"):
            continue
        if rhyme.endswith(_CHECKED) and (not tones or tones[0] not in ("sac", "nang")):
            continue
        return True
    return False


_ACRONYM = re.compile(r"^[A-ZĐ]{2,}[a-z]{0,2}$|^[A-ZĐ][a-z]?[A-ZĐ]+$")


def token_ok(token: str) -> bool:
    """A token of running text is fine when each of its letter parts is a syllable, an acronym
    (UBND, HĐND, TTg) or a roman numeral; digits and punctuation are ignored."""
    if token.strip(",.;:()") in ("V/v", "v/v", "V/V"):  # "về việc", the công văn's subject label
        return True
    for part in re.split(r"[^\w]+|_|\d+", unicodedata.normalize("NFC", token)):
        if not part:
            continue
        if _ACRONYM.match(part) and not any(c in TONES for c in unicodedata.normalize("NFD", part)):
            continue
        if re.fullmatch(r"[IVXLC]+", part):
            continue
        if not is_syllable(part):
            return False
    return True
