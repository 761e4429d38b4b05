"""Known Vietnamese compound words, to put back marks the OCR got wrong inside one.

OCR of Vietnamese mostly fails on tone marks and hats, and a wrong mark usually still gives a real
syllable ("bồ nhiệm", "thị trần", "Mâm non"). A single syllable cannot tell which mark is right, but
a compound can: "bo nhiem" without marks is only ever "bổ nhiệm". `mend_compounds` looks each run
of 2-4 words up by its unmarked form in a list of 25,000 compound words (data/vi_words.txt, from
pyvi, MIT licence) and, where the reading is no known compound but exactly one compound has those
letters, adopts that compound's marks.

Only changes an OCR engine plausibly makes are undone (`misread_as`): a mark the engine saw is not
erased, a dot below is not traded for a mark above, and a mark is added only over a vowel that
has, or gains, a hat ("trân"->"trấn", "tông"->"tổng"; never "thi"->"thị" or "hai"->"hải"). A change
must let known compounds explain more of the words than the reading as is ("về tình hình" stays:
"tình hình" is a compound already).
It never touches proper names (a capitalised word after the first of the run: "bà Lê" stays
"bà Lê", not the dance "ba lê"), numbers, codes, or words split by punctuation.

    mend_compounds("Về việc bồ nhiệm ông A") -> ("Về việc bổ nhiệm ông A", ["bồ nhiệm->bổ nhiệm"])
"""
from __future__ import annotations

import unicodedata
from functools import lru_cache
from pathlib import Path
from typing import Callable, Iterator, NamedTuple

from indexer.textnorm import canonical_tones, fold, nfc

_DATA = Path(__file__).with_name("data") / "vi_words.txt"
EDGE_PUNCT = ",.;:()\"'“”!?"  # punctuation that may cling to either end of a word
MAX_WORDS = 4


@lru_cache(maxsize=1)
def compounds() -> dict[str, tuple[str, ...]]:
    """Unmarked compound -> its spellings (lower case, NFC, canonical tone placement)."""
    table: dict[str, set[str]] = {}

    def add(w: str) -> None:
        table.setdefault(fold(w), set()).add(w)

    for line in _DATA.read_text(encoding="utf-8").splitlines():
        w = canonical_tones(nfc(line.strip().lower()))
        syl = w.split()
        if 2 <= len(syl) <= MAX_WORDS:
            add(w)
        if len(syl) >= 3:
            # a longer compound's first and last pairs are attested Vietnamese too ("tầm nhìn"
            # from "tầm nhìn xa"): 2,400 pairs more; no change on the born-digital pages or on
            # clean text (7 false changes in 9,677 words before and after), one real-scan
            # subject more exact
            add(" ".join(syl[:2]))
            add(" ".join(syl[-2:]))
    return {k: tuple(sorted(v)) for k, v in table.items()}


_UPPER_TONES = "\u0300\u0301\u0303\u0309"   # grave, acute, tilde, hook above
_DOT_BELOW = "\u0323"
_MODS = "\u0302\u0306\u031b"                # circumflex, breve, horn


def _marks(syllable: str) -> tuple[str, str, str]:
    """(letters without marks, tone mark or "", vowel modifiers in order)."""
    base, tone, mods = [], "", []
    for ch in unicodedata.normalize("NFD", syllable.lower()):
        if ch in _UPPER_TONES or ch == _DOT_BELOW:
            tone = ch
        elif ch in _MODS:
            mods.append(ch)
        else:
            base.append(ch)
    return "".join(base), tone, "".join(mods)


def misread_as(read: str, true: str) -> bool:
    """Could an OCR engine read syllable `true` as `read`? Same letters (đ stays đ); hats, breves
    and horns seen are kept (save a hat that was a hook above: "đầm" for "đảm"); a tone above may be
    any other tone above, or missing over a vowel that has or gains a hat; a dot below stays a dot
    below."""
    if read == true:
        return True
    b1, t1, m1 = _marks(read)
    b2, t2, m2 = _marks(true)
    if b1 != b2:
        return False
    if m1 and m1 != m2:
        # a hook above is read as a hat plus a grave ("đảm" as "đầm"), never the other way round
        return m1 == "\u0302" and not m2 and t1 in _UPPER_TONES and t2 == "\u0309"
    if t1 == _DOT_BELOW or t2 == _DOT_BELOW:
        return t1 == t2
    if t1:
        return bool(t2)
    return not t2 or bool(m2)


class _Word(NamedTuple):
    """What the run tests need of one token, worked out once per distinct token."""

    low: str      # core, lower case, canonical tone placement
    key: str      # core folded (no marks)
    alpha: bool   # the core is letters only
    cap: bool     # the core starts with a capital
    upper: bool   # the core is all capitals
    lead: bool    # punctuation before the core
    trail: bool   # punctuation after the core


@lru_cache(maxsize=1 << 16)
def _word(tok: str) -> _Word:
    core = tok.strip(EDGE_PUNCT)
    low = canonical_tones(core.lower())
    return _Word(low, fold(low), core.isalpha(), core[:1].isupper(), core.isupper(),
                 tok.lstrip(EDGE_PUNCT) != tok, tok.rstrip(EDGE_PUNCT) != tok)


def _runs_from(words: list[_Word], i: int) -> Iterator[tuple[int, str, str]]:
    """(k, as read, unmarked) for each run words[i:i + k] (k = 2..MAX_WORDS) that may be one
    compound: letters only, no punctuation between the words, no proper name inside (a capital
    after the first word, unless all are capitals). Built one word at a time: a run that fails
    cannot be mended by a longer one."""
    first = words[i]
    if not first.alpha:
        return
    low, key, all_upper, cap_after = first.low, first.key, first.upper, False
    for k in range(1, min(MAX_WORDS, len(words) - i)):
        w = words[i + k]
        if not w.alpha or words[i + k - 1].trail or w.lead:
            return
        all_upper, cap_after = all_upper and w.upper, cap_after or w.cap
        if cap_after and not all_upper:
            return
        low, key = f"{low} {w.low}", f"{key} {w.key}"
        yield k + 1, low, key


def coverage(toks: list[str]) -> tuple[int, set[int]]:
    """How many words of `toks`, as read, the best split into known compounds covers, and which."""
    table = compounds()
    words = [_word(t) for t in toks]
    n = len(words)
    best: list[tuple[int, tuple[int, ...]]] = [(0, ())] * (n + 1)
    for i in range(n - 1, -1, -1):
        best[i] = best[i + 1]
        for k, low, key in _runs_from(words, i):
            if low in table.get(key, ()):
                got = k + best[i + k][0]
                if got > best[i][0]:
                    best[i] = (got, tuple(range(i, i + k)) + best[i + k][1])
    return best[0][0], set(best[0][1])


def attested(toks: list[str]) -> set[int]:
    """Indexes of the words of `toks` that belong to a known compound exactly as read."""
    return coverage(toks)[1]


def recase(like: str, low: str) -> str:
    """`low` (a lower-case spelling) written in the case of `like`: "ỦY", "Ủy" or "ủy"."""
    if like.isupper() and len(like) > 1:
        return low.upper()
    return low[:1].upper() + low[1:] if like[:1].isupper() else low


Veto = Callable[[list[str], int, int, list[int]], bool]


def _candidates(toks: list[str]) -> list[tuple[int, int, list[str]]]:
    """(start, end, new lower-case words) for each run that one known compound explains as a
    plausible misreading."""
    table, out = compounds(), []
    words = [_word(t) for t in toks]
    for i in range(len(words)):
        for n, low, key in _runs_from(words, i):
            spellings = table.get(key, ())
            if not spellings or low in spellings:
                continue
            said = low.split()
            fits = [c.split() for c in spellings
                    if all(misread_as(a, b) for a, b in zip(said, c.split()))]
            if len(fits) == 1:
                out.append((i, i + n, fits[0]))
    return out


def mend_compounds(text: str, veto: Veto | None = None) -> tuple[str, list[str]]:
    """`text` with the marks of misread compound words restored, and a note per change.

    A change is made only where it lets known compounds explain more of the words than the
    reading as is ("đầm bảo an toàn" -> "đảm bảo an toàn": 4 words instead of 2; "tỉnh nhân dịp"
    stays, "tình nhân dịp" explains no more). `veto(words, start, end, changed)` may refuse the
    change of words[start:end] (`changed`: indexes of the words that would change), e.g. where
    the document itself often writes a changed word as read next to the same neighbour ("HĐND
    tỉnh" x5 keeps "HĐND tỉnh tại" from becoming "tĩnh tại")."""
    toks = text.split()
    notes: list[str] = []
    for a, b in _chunks(toks):
        while True:
            part = toks[a:b]
            found = _candidates(part)
            if not found:  # most runs: no coverage to measure
                break
            base = coverage(part)[0]
            best, pick = 0, None
            for i, j, new in found:
                cores = [t.strip(EDGE_PUNCT) for t in part[i:j]]
                trial = part[:i] + [t.replace(c, recase(c, w))
                                    for t, c, w in zip(part[i:j], cores, new)] + part[j:]
                changed = [a + i + k for k in range(j - i) if part[i + k] != trial[i + k]]
                gain = coverage(trial)[0] - base
                if gain > best and not (veto and veto(toks, a + i, a + j, changed)):
                    best, pick = gain, (i, j, trial)
            if pick is None:
                break
            i, j, trial = pick
            notes.append(f"{' '.join(t.strip(EDGE_PUNCT) for t in part[i:j])}->"
                         f"{' '.join(t.strip(EDGE_PUNCT) for t in trial[i:j])}")
            toks[a:b] = trial
    return " ".join(toks), notes


def _chunks(toks: list[str]) -> list[tuple[int, int]]:
    """[start, end) runs of plain words, cut at punctuation, numbers and codes: no compound
    crosses them, so each run is mended on its own (and short runs cost little)."""
    out, start = [], None
    for k, t in enumerate(toks):
        core = t.strip(EDGE_PUNCT)
        if not core.isalpha():
            if start is not None:
                out.append((start, k))
            start = None
            continue
        if start is not None and t.lstrip(EDGE_PUNCT) != t:
            out.append((start, k))
            start = None
        if start is None:
            start = k
        if t.rstrip(EDGE_PUNCT) != t:
            out.append((start, k + 1))
            start = None
    if start is not None:
        out.append((start, len(toks)))
    return [(a, b) for a, b in out if b - a >= 2]


def same_word(a: str, b: str) -> bool:
    """Are `a` and `b` the same word? Case and tone *placement* aside ("hoà" = "hòa", "UỶ" =
    "ỦY"); a different tone mark is a different word ("Hóa" is not "Hòa")."""
    return canonical_tones(nfc(a)).lower() == canonical_tones(nfc(b)).lower()


def spelling_table(words) -> dict[str, tuple[str, ...]]:
    """Folded form -> the spellings of `words` that fold to it: a closed vocabulary where one
    folded form may stand for several words ("hoa": HÓA, HÒA), so none of them may be guessed
    from the letters alone."""
    table: dict[str, set[str]] = {}
    for w in words:
        table.setdefault(fold(w), set()).add(canonical_tones(nfc(w)))
    return {k: tuple(sorted(v)) for k, v in table.items()}


def respell(word: str, table: dict[str, tuple[str, ...]], confident: bool
            ) -> tuple[str, bool, str | None]:
    """A word of a closed vocabulary (heading words, surnames, positions) as OCR read it, judged
    against the vocabulary: (spelling to use, known, note).

    * spelled as a vocabulary word (tone placement aside): kept as read, known;
    * read with good confidence (`confident`) but no vocabulary word: kept as read, unknown. A
      confident reading is never replaced by a different word, with marks or without ("Trịnh"
      is not turned into "Trình", nor "HÓA" into "HÒA", nor "CHU" into "CHỦ"): the field is
      shown to a person, the vocabulary's spelling beside it (`respell_candidates`);
    * read unsurely, and exactly one vocabulary word has its letters: that word, with a note
      (the field then goes to a person with the reading kept);
    * otherwise kept as read, unknown.
    """
    core = word.strip(EDGE_PUNCT)
    spellings = table.get(fold(core), ())
    if not core or not spellings:
        return word, False, None
    if any(same_word(core, s) for s in spellings):
        return word, True, None
    if confident or len(spellings) != 1:
        return word, False, None
    new = recase(core, spellings[0].lower())
    return word.replace(core, new), True, f"{core}->{new}"


def respell_candidates(word: str, table: dict[str, tuple[str, ...]]) -> list[str]:
    """The vocabulary words with the letters of `word` (other than itself), in its case."""
    core = word.strip(EDGE_PUNCT)
    return [recase(core, s.lower()) for s in table.get(fold(core), ()) if not same_word(core, s)]
