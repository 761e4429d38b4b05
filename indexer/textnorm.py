"""Vietnamese text normalisation shared by every search backend (and by the rest of the project).

Three forms of a text exist:

* **exact**  - NFC, tone marks re-placed to one convention (`canonical_tones`), lower-cased.
  "Hoà", "hòa" and "HÒA" all give "hòa"; "hóa" stays different.
* **folded** - `fold`: lower-cased, tone *and* vowel marks removed, đ -> d. "Hòa", "hóa" -> "hoa".
* **number-like tokens** (document numbers, personal IDs) are additionally emitted compacted
  ("04/QĐ-UBND" -> "04qđubnd" / "04qdubnd") with O read as 0 in digit runs ("O38..." -> "038..."),
  and adjacent digit groups are also emitted joined ("0380 8500 1234" -> "038085001234").

Canonical tone placement is the "old" style used by most administrative documents:
hòa, khỏe, thủy, ủy (tone on the first vowel of an open two-vowel nucleus oa/oe/uy).
Changing anything here changes index tokens: bump `NORM_VERSION` so indexes get rebuilt.
"""
from __future__ import annotations

import bisect
import re
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from functools import lru_cache

NORM_VERSION = 3  # 2: digit groups with O for 0 joined; spaced document numbers compacted
# 3: norm_id reads l/I as 1 and keeps passport numbers

TONE_MARKS = "\u0300\u0301\u0303\u0309\u0323"  # grave, acute, tilde, hook above, dot below
_VOWEL_MODS = "\u0302\u0306\u031b"  # circumflex, breve, horn
_VOWELS = set("aeiouy")
_FINALS = {"", "c", "ch", "m", "n", "ng", "nh", "p", "t"}
_ONSETS = {
    "", "b", "c", "ch", "d", "đ", "g", "gh", "gi", "h", "k", "kh", "l", "m", "n", "ng", "ngh",
    "nh", "p", "ph", "qu", "r", "s", "t", "th", "tr", "v", "x",
}
_WORD_RE = re.compile(r"[^\W\d_]+")
_ALNUM_RE = re.compile(r"[^\W_]+")
# A chunk of non-space text that contains a digit: "04/QĐ-UBND", "038085001234", "2O24".
_CHUNK_RE = re.compile(r"\S*\d\S*")
# A document number OCR spaced out: "04 / QĐ - UBND", "212 - KH/TU".
_SPACED_NUMBER_RE = re.compile(r"(?<!\w)\w+(?:[ \t]*[/-][ \t]*\w+)+")
# Space-separated groups of digits, where OCR may have read a 0 as an O: "O38O 85OO 1234".
_DIGIT_GROUPS_RE = re.compile(r"(?<!\w)[\doO]{1,6}(?:[ \t]+[\doO]{1,6})+(?!\w)")


def _joined_ids(text: str) -> list[tuple[str, str]]:
    """(joined digits, the span of text they came from) for each run of two or more
    space-separated digit groups holding 9 to 12 digits in all: "0380 8500 1234" ->
    "038085001234". O is read as 0 in groups that hold a digit; groups without one end a run."""
    out = []
    for m in _DIGIT_GROUPS_RE.finditer(text):
        run: list[str] = []
        for g in [*m.group().split(), ""]:
            if g and any(c.isdigit() for c in g):
                run.append(g)
                continue
            joined = "".join(_digits_o(x) for x in run)
            if len(run) > 1 and 9 <= len(joined) <= 12:
                out.append((joined, " ".join(run)))
            run = []
    return out


def nfc(s: str) -> str:
    """Unicode NFC (the form used everywhere in the project)."""
    return unicodedata.normalize("NFC", s)


def _split_letters(word: str) -> list[tuple[str, str]]:
    """NFD word -> [(base letter, combining marks)]."""
    out: list[tuple[str, str]] = []
    for ch in word:
        if unicodedata.combining(ch) and out:
            base, marks = out[-1]
            out[-1] = (base, marks + ch)
        else:
            out.append((ch, ""))
    return out


@lru_cache(maxsize=100_000)
def _canon_word(word: str) -> str:
    """Re-place the tone mark of one NFC syllable; words that don't parse come back as NFC."""
    d = unicodedata.normalize("NFD", word)
    if not any(t in d for t in TONE_MARKS):
        return word
    letters = _split_letters(d)
    tone = ""
    plain: list[tuple[str, str]] = []
    for base, marks in letters:
        for t in TONE_MARKS:
            if t in marks:
                tone = tone or t
                marks = marks.replace(t, "")
        plain.append((base, marks))
    low = [b.lower() for b, _ in plain]
    n = len(low)
    # onset: leading non-vowels, then qu / gi glides
    i = 0
    while i < n and low[i] not in _VOWELS:
        i += 1
    onset = "".join(low[:i])
    if onset == "q" and i < n and low[i] == "u":
        i += 1
        onset = "qu"
    elif onset == "g" and i < n and low[i] == "i" and not plain[i][1]:
        j = i + 1
        if j < n and low[j] in _VOWELS:  # "gia", "giữ": the i belongs to the onset
            i += 1
            onset = "gi"
    if onset not in _ONSETS and onset != "đ":
        return word
    j = i
    while j < n and low[j] in _VOWELS:
        j += 1
    nucleus = list(range(i, j))
    final = "".join(low[j:])
    if not nucleus or final not in _FINALS or len(nucleus) > 3:
        return word
    modded = [k for k in nucleus if plain[k][1]]
    if modded:
        target = modded[-1]  # ươ -> ơ, iê -> ê, ưa -> ư
    elif final or len(nucleus) == 1:
        target = nucleus[-1]
    elif len(nucleus) == 2:
        target = nucleus[0]  # hòa, khỏe, thủy, mái
    else:
        target = nucleus[1]  # ngoài, khuỷu
    rebuilt = "".join(b + m + (tone if k == target else "") for k, (b, m) in enumerate(plain))
    return unicodedata.normalize("NFC", rebuilt)


def canonical_tones(s: str) -> str:
    """NFC text with every syllable's tone mark on the canonical vowel; case is preserved.

    "hoà" -> "hòa", "thuỷ" -> "thủy", "UỶ BAN" -> "ỦY BAN", "khoẻ" -> "khỏe", "qúy" -> "quý".
    """
    return _WORD_RE.sub(lambda m: _canon_word(m.group()), nfc(s))


def _build_fold_table() -> dict[int, str]:
    table: dict[int, str] = {}
    for cp in range(0x00C0, 0x1F00):
        ch = chr(cp)
        base = "".join(c for c in unicodedata.normalize("NFD", ch) if not unicodedata.combining(c))
        if base != ch and base.isascii():
            table[cp] = base.lower()
    table[ord("đ")] = "d"
    table[ord("Đ")] = "d"
    return table


_FOLD_TABLE = _build_fold_table()


def fold(s: str) -> str:
    """Lower-case and strip all Vietnamese marks: "Đăng Ký Hòa" -> "dang ky hoa"."""
    s = nfc(s)
    if not s.isascii():
        s = s.translate(_FOLD_TABLE)
        if not s.isascii():  # stray combining marks from odd input
            s = "".join(c for c in unicodedata.normalize("NFD", s) if not unicodedata.combining(c))
    return s.lower()


def exact(s: str) -> str:
    """The exact comparison form: NFC, canonical tones, lower-case."""
    return canonical_tones(s).lower()


def has_marks(s: str) -> bool:
    """True if the text carries any Vietnamese mark (tone, vowel mark or đ)."""
    return fold(s) != nfc(s).lower()


def tokens(s: str) -> list[str]:
    """Alphanumeric runs of the NFC text as written (case and marks kept)."""
    return _ALNUM_RE.findall(nfc(s))


def _digits_o(tok: str) -> str:
    """Read O/o as 0 in a token that is otherwise digits ("O38085001234" -> "038085001234")."""
    if tok.isdigit() or not any(c.isdigit() for c in tok):
        return tok
    if all(c.isdigit() or c in "oO" for c in tok):
        return tok.replace("o", "0").replace("O", "0")
    return tok


def _extras(text: str) -> list[str]:
    """Compacted forms of number-like chunks and of space-separated digit groups (exact form)."""
    out: list[str] = []
    for m in _CHUNK_RE.finditer(text):
        parts = _ALNUM_RE.findall(m.group())
        if len(parts) > 1:
            out.append("".join(_digits_o(p) for p in parts))
    for m in _SPACED_NUMBER_RE.finditer(text):
        g = m.group()
        if any(c.isspace() for c in g) and any(c.isdigit() for c in g):
            out.append("".join(_digits_o(p) for p in _ALNUM_RE.findall(g)))
    out.extend(j for j, _ in _joined_ids(text))
    return out


def exact_tokens(s: str, extras: bool = True) -> list[str]:
    """Index/query tokens in exact form; number-like chunks also compacted (see module doc)."""
    text = nfc(s).lower()
    toks = [_canon_word(t) if t.isalpha() else _digits_o(t) for t in _ALNUM_RE.findall(text)]
    if extras and any(c.isdigit() for c in text):
        toks.extend(_extras(text))
    return toks


def folded_tokens(s: str, extras: bool = True) -> list[str]:
    """Index/query tokens in folded form (same positions as `exact_tokens`)."""
    return [_fold_token(t) for t in exact_tokens(s, extras)]


@lru_cache(maxsize=200_000)
def _fold_token(t: str) -> str:
    return fold(t)


def fold_tokens(toks: list[str]) -> list[str]:
    """`fold` applied to each token (cached; use on the output of `exact_tokens`)."""
    return [_fold_token(t) for t in toks]


def norm_number(s: str) -> str:
    """Compare form of a document number or ID: folded, separators dropped, O read as 0.

    "Số: 04/QĐ-UBND" and "04/qd-ubnd" -> "04qdubnd"; "0380 8500 1234" -> "038085001234".
    """
    s = fold(s)
    s = re.sub(r"^\s*so\s*[:.]?\s*", "", s)
    return "".join(_digits_o(p) for p in _ALNUM_RE.findall(s))


_PASSPORT_RE = re.compile(r"[A-Z]\d{7,8}")
_ID_DIGITS = str.maketrans({"O": "0", "o": "0", "I": "1", "l": "1", "L": "1", "|": "1"})


def norm_id(s: str) -> str:
    """Personal ID compare form, as typed or as printed: separators dropped, O/o read as 0 and
    l/I as 1, only digits kept ("O34.O85 OOl-234" -> "034085001234"); a passport number
    (one letter, 7-8 digits) stays itself, upper-case ("c 1234567" -> "C1234567")."""
    t = re.sub(r"[\s.\-/]", "", nfc(s)).upper()
    if _PASSPORT_RE.fullmatch(t):
        return t
    return "".join(c for c in t.translate(_ID_DIGITS) if c.isdigit())


# A printed group of an ID, a whole word (or a whole part between dots/dashes): digits, with
# O/o for 0 and l/I/| for 1 as OCR reads them.
_ID_GROUP_RE = re.compile(r"(?<![^\W_])[0-9OoIl|]+(?![^\W_])")
# What may stand between two groups of one printed ID: a space or two, a dot or a dash.
_ID_GAP_RE = re.compile(r"[ \t]{1,2}|[ \t]?[.\-][ \t]?")
_ID_LENGTHS = (9, 12)  # CMND, CCCD / số định danh cá nhân
_ID_MIN_DIGITS = 5  # real digits an ID must show (the rest may be O/l/I read for 0/1)
# Where to look: stretches of digits and what may be read for them or stand between them (one
# cheap expression over the page; the group rules above run on these stretches only).
_ID_REGION_RE = re.compile(r"\d[\dOoIl|. \t\-]*")
_ID_LEFT = frozenset("OoIl|. \t-")  # a stretch also takes these on its left ("O34O 85OO")
_PASSPORT_TEXT_RE = re.compile(r"[A-Z][ \t]?\d{7}(?![^\W_])")


@dataclass(frozen=True)
class IdMention:
    """A personal ID printed in a page's text: its `norm_id` form and where it stands."""

    value: str
    line: int  # 1-based line of the page
    start: int  # span in that line
    end: int


def _id_chains(text: str) -> list[list[tuple[str, int, int, int]]]:
    """Runs of digit groups on one line that may be one printed ID:
    [(digits, real digits, start, end)] per run, offsets in `text`."""
    chains: list[list[tuple[str, int, int, int]]] = []
    for r in _ID_REGION_RE.finditer(text):
        start = r.start()
        while start and r.start() - start < 16 and text[start - 1] in _ID_LEFT:
            start -= 1
        if r.end() - start < _ID_LENGTHS[0] or \
                sum(c.isdigit() for c in r.group()) < _ID_MIN_DIGITS:
            continue
        lo = max(0, start - 1)  # one character each side: is a group part of a word?
        region = text[lo:r.end() + 1]
        prev_end = -1
        new = True
        for m in _ID_GROUP_RE.finditer(region):
            s, e = m.span()
            g = m.group()
            item = (g.translate(_ID_DIGITS), sum(c.isdigit() for c in g), lo + s, lo + e)
            if new or not _ID_GAP_RE.fullmatch(region, prev_end, s):
                chains.append([])
            chains[-1].append(item)
            prev_end, new = e, False
    return [c for c in chains if sum(g[1] for g in c) >= _ID_MIN_DIGITS]


def _line_span(text: str, start: int, end: int) -> tuple[int, int, int]:
    """(1-based line, start, end in that line) of a span of `text` (cut at the line's end)."""
    ls = text.rfind("\n", 0, start) + 1
    le = text.find("\n", start)
    le = len(text) if le < 0 else le
    return text.count("\n", 0, start) + 1, start - ls, min(end, le) - ls


def id_mentions(text: str) -> list[IdMention]:
    """Personal IDs printed in a text however OCR spaced or misread them: "0340 8500 1234",
    "034.085.001.234", "034-085-00l-234", "O34O85OO1234" all give "034085001234".

    A run of digit groups counts whole when it holds 9 or 12 digits; otherwise its leading and
    trailing groups that do (an ID followed by a year, a number before an ID). Longer digit
    strings ("9034085001234") are not cut into IDs. Passport numbers (a capital letter and 7
    digits) are found too."""
    out: list[IdMention] = []
    for chain in _id_chains(text):
        n = len(chain)
        spans = [(0, n)] + [(0, k) for k in range(1, n)] + [(k, n) for k in range(1, n)]
        seen: set[str] = set()
        for a, b in spans:
            digits = "".join(g[0] for g in chain[a:b])
            if len(digits) not in _ID_LENGTHS:
                continue
            if sum(g[1] for g in chain[a:b]) >= _ID_MIN_DIGITS and digits not in seen:
                seen.add(digits)
                out.append(IdMention(digits, *_line_span(text, chain[a][2], chain[b - 1][3])))
            if (a, b) == (0, n):
                break  # the whole run is the ID: its parts are not
    for m in _PASSPORT_TEXT_RE.finditer(text):
        if m.start() and text[m.start() - 1].isalnum():
            continue
        out.append(IdMention(norm_id(m.group()), *_line_span(text, m.start(), m.end())))
    out.sort(key=lambda m: (m.line, m.start))
    return out


def _line_tokens(text: str) -> list[tuple[str, str, int, int, int]]:
    """(exact, folded, line, start, end) of each alphanumeric token of a text, in order."""
    out = []
    for ln, line in enumerate(nfc(text).split("\n"), start=1):
        for m in _ALNUM_RE.finditer(line):
            t = m.group().lower()
            e = _canon_word(t) if t.isalpha() else _digits_o(t)
            out.append((e, _fold_token(e), ln, m.start(), m.end()))
    return out


def _build_letter_classes() -> dict[str, str]:
    """For each ASCII letter, a regex class of every letter that folds to it ("d": dđĐD...)."""
    groups: dict[str, set[str]] = {c: {c, c.upper()} for c in "abcdefghijklmnopqrstuvwxyz"}
    for cp, base in _FOLD_TABLE.items():
        if base in groups:
            groups[base].add(chr(cp))
    return {k: "[" + "".join(sorted(v)) + "]" for k, v in groups.items()}


_LETTER_CLASSES = _build_letter_classes()


@lru_cache(maxsize=4096)
def _phrase_re(folded: tuple[str, ...]) -> re.Pattern:
    """A folded phrase as a regex over NFC text, diacritics and case ignored."""
    words = ["".join(_LETTER_CLASSES.get(c, re.escape(c)) for c in w) for w in folded]
    return re.compile(r"[\W_]+".join(words))


def find_phrase(text: str, phrase: str, exact_marks: bool) -> tuple[int, int, int] | None:
    """(line, start, end) of the first place where `phrase` stands in `text` as a sequence of
    words: with the phrase's own marks (tone placement aside) when `exact_marks`, else
    diacritics ignored. A phrase running onto the next line is reported on its first line.

    Looked for with one regular expression that ignores marks, and only the places found are
    read with their marks (pages are long, names short)."""
    ex = exact_tokens(phrase, extras=False)
    if not ex:
        return None
    text = nfc(text)
    if any(c.isdigit() for c in phrase):  # digit tokens read O as 0: go token by token
        return _find_phrase_tokens(text, ex, exact_marks)
    pat = _phrase_re(tuple(fold_tokens(ex)))
    m = pat.search(text)
    while m:
        s, e = m.span()
        whole = not (s and text[s - 1].isalnum()) and not (e < len(text) and text[e].isalnum())
        if whole and (not exact_marks or exact_tokens(text[s:e], extras=False) == ex):
            return _line_span(text, s, e)
        m = pat.search(text, s + 1)
    return None


def _find_phrase_tokens(text: str, ex: list[str], exact_marks: bool
                        ) -> tuple[int, int, int] | None:
    """`find_phrase` token by token (for text whose folded form changes length)."""
    want = ex if exact_marks else fold_tokens(ex)
    col = 0 if exact_marks else 1
    toks = _line_tokens(text)
    n = len(want)
    for i in range(len(toks) - n + 1):
        if all(toks[i + k][col] == want[k] for k in range(n)):
            first, last = toks[i], toks[i + n - 1]
            end = last[4] if last[2] == first[2] else len(text.split("\n")[first[2] - 1])
            return first[2], first[3], end
    return None


def name_matches(name: str, candidate: str, exact_marks: bool) -> bool:
    """True if the words of `name` stand in a row in `candidate` (a holder's name), with the
    marks as typed (tone placement aside) when `exact_marks`, else diacritics ignored."""
    a = exact_tokens(name, extras=False)
    b = exact_tokens(candidate, extras=False)
    if not exact_marks:
        a, b = fold_tokens(a), fold_tokens(b)
    n = len(a)
    return bool(a) and any(b[i:i + n] == a for i in range(len(b) - n + 1))


def mark_span(line: str, start: int, end: int) -> str:
    """A line with one span marked [like this], whitespace collapsed (a hit's snippet)."""
    return " ".join((line[:start] + "[" + line[start:end] + "]" + line[end:]).split())


@dataclass
class QueryUnit:
    """One AND-ed part of a query. `exact`/`folded` are token sequences (a phrase when longer
    than one); `alts` are further folded sequences that also satisfy the unit (number forms);
    `fuzzy` says the unit is one alphabetic word that may be widened to near spellings;
    `relaxed` are folded phrases worth trying only when nothing matched otherwise (a document
    number's parts in sequence: its compact form is indexed even where OCR spaced it out)."""

    exact: list[str]
    folded: list[str]
    alts: list[list[str]] = field(default_factory=list)
    fuzzy: bool = False
    number: bool = False
    relaxed: list[list[str]] = field(default_factory=list)


_QUOTED_RE = re.compile(r"[\"“”]([^\"“”]+)[\"“”]")


def query_units(text: str) -> tuple[list[QueryUnit], bool]:
    """Split a user query into units, and say whether it carries Vietnamese marks.

    Double-quoted parts become phrases; "0380 8500 1234" becomes one ID; "04/QĐ-UBND" becomes a
    number unit matching its compact form or its parts in sequence; other words are single units.
    A query typed without any mark is matched on the folded form only.
    """
    text = nfc(text)
    units: list[QueryUnit] = []
    for m in _QUOTED_RE.finditer(text):
        ex = exact_tokens(m.group(1), extras=False)
        if ex:
            units.append(QueryUnit(ex, fold_tokens(ex)))
    rest = _QUOTED_RE.sub(" ", text)
    for joined, span in _joined_ids(rest):
        parts = [_digits_o(x) for x in span.split()]
        units.append(QueryUnit([joined], [joined], [parts], number=True))
        rest = rest.replace(span, " ", 1)
    for chunk in rest.split():
        ex = exact_tokens(chunk, extras=False)
        if not ex:
            continue
        if any(c.isdigit() for c in chunk):
            fo = fold_tokens(ex)
            if len(ex) > 1:
                units.append(QueryUnit(["".join(ex)], ["".join(fo)], number=True, relaxed=[fo]))
            else:
                units.append(QueryUnit(ex, fo, number=True))
        else:
            for t in ex:
                units.append(QueryUnit([t], [_fold_token(t)], fuzzy=len(t) >= 3))
    return units, has_marks(text)


@lru_cache(maxsize=100_000)
def _word_forms(word: str) -> tuple[frozenset[str], frozenset[str]]:
    """Exact and folded tokens of one whitespace-separated word (cached, for snippets)."""
    toks = exact_tokens(word, extras=True)
    if len(toks) > 1:
        toks.append("".join(toks))
    return frozenset(toks), frozenset(fold_tokens(toks))


def snippet(text: str, ex: set[str], fo: set[str], width: int = 24) -> str:
    """A window of `width` words around the densest matches, matches marked [like this]."""
    return snippet_line(text, ex, fo, width)[0]


def snippet_line(text: str, ex: set[str], fo: set[str], width: int = 24
                 ) -> tuple[str, tuple[int, str] | None]:
    """`snippet`, and (1-based line, its text, whitespace collapsed) of the line holding the
    most words that match the query's exact (`ex`) or folded (`fo`) terms (None: no word does)."""
    words = list(re.finditer(r"\S+", text))
    marks = [not ex.isdisjoint(e) or not fo.isdisjoint(f)
             for e, f in map(_word_forms, (w.group() for w in words))]
    if not words:
        return "", None
    per_line: Counter[int] = Counter()
    starts = [m.start() for m in re.finditer("\n", text)]
    for w, m in zip(words, marks):
        if m:
            per_line[bisect.bisect(starts, w.start())] += 1
    line = None
    if per_line:
        top_line = min(per_line, key=lambda k: (-per_line[k], k))
        line = (top_line + 1, " ".join(text.split("\n")[top_line].split()))
    best, run, top = 0, 0, 0
    for i, m in enumerate(marks):  # window [i - width + 1, i] with the most marks
        run += m - (marks[i - width] if i >= width else 0)
        if run > top:
            top, best = run, max(0, i - width + 1)
    if top:  # start the window a few words before its first mark
        best = max(0, marks.index(True, best) - 4)
    out = [("[" + w.group() + "]") if marks[i] else w.group()
           for i, w in enumerate(words[best:best + width], start=best)]
    snip = ("… " if best else "") + " ".join(out) + (" …" if best + width < len(words) else "")
    return snip, line


def word_runs(units: list[QueryUnit], as_units: bool = False) -> list[list]:
    """Runs of two or more neighbouring one-word query units (the words a name or a phrase
    typed without quotes is made of): their folded words, or the units themselves."""
    runs: list[list] = []
    cur: list[QueryUnit] = []
    for u in [*units, None]:
        if u is not None and not u.number and len(u.folded) == 1 and not u.alts:
            cur.append(u)
            continue
        if len(cur) > 1:
            runs.append(cur if as_units else [x.folded[0] for x in cur])
        cur = []
    return runs

