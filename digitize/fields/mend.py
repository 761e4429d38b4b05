"""Mend the marks of a document's OCR words before anything reads them (fields, index, PDF/A).

OCR of Vietnamese drops and confuses tone marks inside compound words ("thẩm quyên", "tô chức", "Kê
hoạch"). `mend_document` runs `lexicon.mend_compounds` (and `lunar.mend_year_names`) over each OCR'd
page in reading order, the lines of a block joined so that a compound broken over two lines is still
seen, with the document's own usage as a veto (a word the document writes as read next to the same
neighbour three or more times is kept: "UBND tỉnh giao" does not become "tính giao"). Measured on
the born-digital pages (eval: scripts/eval_fields.py's OCR cache against gt_text): word F1 0.960 ->
0.972, CER 7.96% -> 7.73%. Text-layer pages are exact already and left alone; numbers and codes are
never touched.

A word OCR read with good confidence (`CONFIDENT_WORD`) is never changed: Tesseract is often
sure of a wrong mark, but a sure reading replaced by another word is how a correct "Trịnh" or
"Hóa" got rewritten, so only unsure words are mended. A mended word is a `MendedWord` that keeps
what OCR read (`original`): a field made of it goes to review with that reading beside it.
"""
from __future__ import annotations

from dataclasses import dataclass, replace

from digitize.fields.lexicon import mend_compounds
from digitize.fields.lunar import mend_year_names
from digitize.fields.review import CONFIDENT_WORD, anchored, context_table
from digitize.fields.text import segments_of
from ocr.types import PageText, Word

_BARRIER = "¶"


@dataclass(frozen=True)
class MendedWord(Word):
    """A word whose marks were mended; `original` is the text OCR read."""

    original: str = ""


def _known_place(toks: list[str]) -> bool:
    """Is this run, as read, the name of an administrative unit ("ĐỒNG TIẾN" is a ward, not to be
    made "ĐỒNG TIỀN", money)? Only runs in capitals or capitalised are names."""
    from digitize.fields import places
    words = [t.strip(",.;:()") for t in toks]
    if not all(w[:1].isupper() for w in words):
        return False
    return places.is_known(" ".join(words))


def mended_from(words: list[Word]) -> list[tuple[str, str]]:
    """(as read, as mended) for each mended word of `words`."""
    return [(w.original, w.text) for w in words if isinstance(w, MendedWord)]


def mend_document(pages: list[PageText]) -> tuple[list[PageText], list[str]]:
    """The pages with mended words (same boxes and confidences), and a note per change."""
    ocr = [p for p in pages if p.method == "ocr" and p.words]
    if not ocr:
        return pages, []
    segs = [s for p in ocr for s in segments_of(p)]
    veto = anchored(context_table(segs, []))
    out, notes = [], []
    for p in pages:
        if p.method != "ocr" or not p.words:
            out.append(p)
            continue
        texts = [w.text for w in p.words]
        if any(not t or any(c.isspace() for c in t) for t in texts):
            out.append(p)  # cannot align words with tokens; leave the page as read
            continue
        # A compound may run over a line break, but not from one block (column) into another.
        stream: list[str] = []
        sure: list[bool] = []
        for i, w in enumerate(p.words):
            if i and w.block != p.words[i - 1].block:
                stream.append(_BARRIER)
                sure.append(True)
            stream.append(w.text)
            sure.append(w.conf >= CONFIDENT_WORD)

        def keep(toks: list[str], start: int, end: int, changed: list[int],
                 sure: list[bool] = sure) -> bool:  # this page's `sure`
            return (any(sure[i] for i in changed) or veto(toks, start, end, changed)
                    or _known_place(toks[start:end]))

        mended, changes = mend_compounds(" ".join(stream), keep)
        toks = mended.split()
        changes += mend_year_names(toks, sure)
        toks = [t for t in toks if t != _BARRIER]
        if not changes or len(toks) != len(texts):
            out.append(p)
            continue
        words = [w if w.text == t else MendedWord(t, w.box, w.conf, w.line, w.block,
                                                  getattr(w, "original", w.text))
                 for w, t in zip(p.words, toks)]
        out.append(replace(p, words=words))
        notes += [f"p{p.page_no}: {c}" for c in changes]
    return out, notes
