"""Judging free-text fields (subject, names): which words are doubtful, and what the document
itself says a mis-marked word should be.

OCR of Vietnamese mostly fails on marks, and a wrong mark usually still gives a real syllable read
with high confidence ("bô nhiệm" for "bổ nhiệm"). Two checks that need no dictionary:

* a word that is no Vietnamese syllable (`vietnamese.token_ok`) or was read with low confidence
  makes the field doubtful;
* the same word in the same company elsewhere in the document (the subject's "bô nhiệm" against
  the body's "bổ nhiệm" x3) is the document's own spelling: `consensus` adopts it when the OCR's
  spelling never occurs there in that company, and flags the field whenever the document spells
  the word in more than one way. Words that form a known compound as read (`lexicon`) are
  left alone, and only a spelling the OCR could have misread as ours is adopted.
"""
from __future__ import annotations

from collections import Counter

from digitize.fields.lexicon import EDGE_PUNCT, attested, misread_as, recase
from digitize.fields.text import Segment, fold
from digitize.fields.vietnamese import is_syllable, token_ok
from ocr.types import Word

LOW_WORD_CONF = 60.0  # a word of a printed field read below this is shown to a person
# A word read this sure (Tesseract's 0..100) is never replaced by a different word by any
# fix-up (mending, vocabularies, the place list): only unsure words are.
CONFIDENT_WORD = 80.0


def _core(tok: str) -> str:
    return tok.strip(EDGE_PUNCT)


def context_table(segs: list[Segment], exclude: list[Segment]) -> dict[tuple, Counter]:
    """(left folded word, folded word) and (folded word, right folded word) -> spellings seen,
    as the segments read (the pipeline has mended known compounds in them already:
    `digitize.fields.mend`)."""
    skip = {id(s) for s in exclude}
    stream: list[str] = []
    for s in segs:
        if id(s) in skip:
            stream.append("")  # a break: no context across the excluded lines
            continue
        stream += [_core(t) for t in s.text.split()]
    folded = [fold(w) for w in stream]  # fold lower-cases too
    table: dict[tuple, Counter] = {}
    for i, w in enumerate(stream):
        if not w or not w.isalpha():
            continue
        low, f = w.lower(), folded[i]
        if i > 0 and stream[i - 1]:
            table.setdefault(("L", folded[i - 1], f), Counter())[low] += 1
        if i + 1 < len(stream) and stream[i + 1]:
            table.setdefault(("R", f, folded[i + 1]), Counter())[low] += 1
    return table


def anchored(table: dict[tuple, Counter], min_count: int = 3, common: int = 8):
    """A `lexicon.mend_compounds` veto: refuse to re-mark the first (last) word of a run where the
    document writes it, as read, at least `min_count` times after (before) the same neighbour,
    and any word the document writes as read `common` times or more ("tỉnh" x30 stays "tỉnh"
    in "Quảng Nam tỉnh", never "Nam tính"). `table` is a `context_table`."""
    seen: Counter = Counter()
    for key, spellings in table.items():
        if key[0] == "L":
            seen.update(spellings)

    def veto(toks: list[str], start: int, end: int, changed: list[int]) -> bool:
        if any(seen[_core(toks[i]).lower()] >= common for i in changed):
            return True
        first, last = _core(toks[start]).lower(), _core(toks[end - 1]).lower()
        before = _core(toks[start - 1]) if start > 0 else ""
        after = _core(toks[end]) if end < len(toks) else ""
        if start in changed and before:
            key = ("L", fold(before.lower()), fold(first))
            if table.get(key, Counter())[first] >= min_count:
                return True
        if end - 1 in changed and after:
            key = ("R", fold(last), fold(after.lower()))
            if table.get(key, Counter())[last] >= min_count:
                return True
        return False
    return veto


def consensus(text: str, table: dict[tuple, Counter], sure: set[str] | None = None
              ) -> tuple[str, list[str], bool]:
    """Compare the marks of each word of `text` with the same word in the same company elsewhere
    in the document. Where the document never spells it as OCR read it here, its most frequent
    spelling is adopted, unless OCR read the word with good confidence (`sure`: such words are
    kept and the field is doubtful). Returns (text, notes, doubtful): doubtful whenever a word
    was changed,
    or the document writes it in a way OCR could have misread as ours at least as often as ours
    (OCR repeats its own mistakes across a page, so a fix is never certain)."""
    toks = text.split()
    cores = [_core(t) for t in toks]
    known = attested(toks)
    notes, doubtful = [], False
    for i, (tok, core) in enumerate(zip(toks, cores)):
        if not core.isalpha() or i in known:
            continue
        low = core.lower()
        f = fold(low)
        seen: Counter = Counter()
        if i > 0 and cores[i - 1]:
            seen += table.get(("L", fold(cores[i - 1].lower()), f), Counter())
        if i + 1 < len(cores) and cores[i + 1]:
            seen += table.get(("R", f, fold(cores[i + 1].lower())), Counter())
        # Only spellings the OCR could have misread as ours count against it: it drops marks and
        # confuses the tones above, but does not invent a tone or a dot below ("xếp" is no
        # misreading of the body's "xêp").
        others = [w for w in seen if w != low and misread_as(low, w)]
        if not others:
            continue
        best, n = max(((w, seen[w]) for w in others), key=lambda x: x[1])
        if low in seen:
            if n >= seen[low]:
                doubtful = True
                notes.append(f"{core}: the document also writes {'/'.join(others)}")
            continue
        doubtful = True
        if not is_syllable(best) or (sure is not None and core in sure):
            notes.append(f"{core}: the document also writes {'/'.join(others)}")
            continue
        fixed = recase(core, best)
        toks[i] = tok.replace(core, fixed)
        notes.append(f"{core}->{fixed} (x{n} in the document)")
    return " ".join(toks), notes, doubtful


def doubtful_words(words: list[Word], min_conf: float = LOW_WORD_CONF) -> list[str]:
    """Words that are no Vietnamese syllable, acronym or number, or were read with low
    confidence."""
    return [w.text for w in words if w.text.strip(EDGE_PUNCT + "-_")
            and (not token_ok(w.text) or w.conf < min_conf)]


def irregular(segs: list[Segment]) -> bool:
    """A line much taller than its words: a seal or stamp overlaps it, words may be lost."""
    return any(s.y1 - s.y0 > 1.7 * s.height for s in segs)
