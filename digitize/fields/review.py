"""Judging free-text fields (subject, names): which words are doubtful, and what the document
itself says a mis-marked word should be.

OCR of Vietnamese mostly fails on marks, and a wrong mark usually still gives a real syllable read
with high confidence ("bô nhiệm" for "bổ nhiệm"). Two checks that need no dictionary:

* a word that is no Vietnamese syllable (`vietnamese.token_ok`) or was read with low confidence
  makes the field doubtful;
* the same word in the same company elsewhere in the document (the subject's "bô nhiệm" against
  the body's "bổ nhiệm" x3) is the document's own spelling: `consensus` adopts it when the OCR's
  spelling never occurs there in that company, and flags the field whenever the document spells
  the word in more than one way.
"""
from __future__ import annotations

from collections import Counter

from digitize.fields.text import Segment, fold
from digitize.fields.vietnamese import is_syllable, token_ok
from ocr.types import Word

LOW_WORD_CONF = 60.0  # a word of a printed field read below this is shown to a person
_PUNCT = ",.;:()\"'“”!?"


def _core(tok: str) -> str:
    return tok.strip(_PUNCT)


def context_table(segs: list[Segment], exclude: list[Segment]) -> dict[tuple, Counter]:
    """(left folded word, folded word) and (folded word, right folded word) -> spellings seen."""
    skip = {id(s) for s in exclude}
    stream: list[str] = []
    for s in segs:
        if id(s) in skip:
            stream.append("")  # a break: no context across the excluded lines
            continue
        stream += [_core(t) for t in s.text.split()]
    table: dict[tuple, Counter] = {}
    for i, w in enumerate(stream):
        if not w or not w.isalpha():
            continue
        low = w.lower()
        f = fold(low)
        if i > 0 and stream[i - 1]:
            table.setdefault(("L", fold(stream[i - 1].lower()), f), Counter())[low] += 1
        if i + 1 < len(stream) and stream[i + 1]:
            table.setdefault(("R", f, fold(stream[i + 1].lower())), Counter())[low] += 1
    return table


def _recase(like: str, low: str) -> str:
    if like.isupper() and len(like) > 1:
        return low.upper()
    return low[:1].upper() + low[1:] if like[:1].isupper() else low


def consensus(text: str, table: dict[tuple, Counter]) -> tuple[str, list[str], bool]:
    """Compare the marks of each word of `text` with the same word in the same company elsewhere
    in the document. Where the document never spells it as OCR read it here, its most frequent
    spelling is adopted. Returns (text, notes, doubtful): doubtful whenever the document spells a
    word in two ways (OCR repeats its own mistakes across a page, so a fix is never certain)."""
    toks = text.split()
    cores = [_core(t) for t in toks]
    notes, doubtful = [], False
    for i, (tok, core) in enumerate(zip(toks, cores)):
        if not core.isalpha():
            continue
        low = core.lower()
        f = fold(low)
        seen: Counter = Counter()
        if i > 0 and cores[i - 1]:
            seen += table.get(("L", fold(cores[i - 1].lower()), f), Counter())
        if i + 1 < len(cores) and cores[i + 1]:
            seen += table.get(("R", f, fold(cores[i + 1].lower())), Counter())
        others = [w for w in seen if w != low]
        if not others:
            continue
        doubtful = True
        best, n = seen.most_common(1)[0]
        if low in seen or not is_syllable(best):
            notes.append(f"{core}: the document also writes {'/'.join(others)}")
            continue
        fixed = _recase(core, best)
        toks[i] = tok.replace(core, fixed)
        notes.append(f"{core}->{fixed} (x{n} in the document)")
    return " ".join(toks), notes, doubtful


def doubtful_words(words: list[Word], min_conf: float = LOW_WORD_CONF) -> list[str]:
    """Words that are no Vietnamese syllable, acronym or number, or were read with low
    confidence."""
    return [w.text for w in words if w.text.strip(_PUNCT + "-_")
            and (not token_ok(w.text) or w.conf < min_conf)]


def irregular(segs: list[Segment]) -> bool:
    """A line much taller than its words: a seal or stamp overlaps it, words may be lost."""
    return any(s.y1 - s.y0 > 1.7 * s.height for s in segs)
