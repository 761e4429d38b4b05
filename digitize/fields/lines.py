"""Centred lines that lost words: read them again on their own.

The subject under a document's title is centred. A line whose middle sits well off the title's
middle lost words at one end, typically where a stamp's frame was drawn through them and page
layout took the joined letters for a graphic ("Chỉ thị" 2770: "thực hiện dự" gone, "án" read
"rán"). Such a line is read again across its mirrored extent (`reread_text`, which erases long
rules first), and the second reading is taken where it agrees with the first on most words and
adds words at the ends. The field then goes to a person (`needs_review`), with the change noted.
"""
from __future__ import annotations

from difflib import SequenceMatcher
from typing import Callable

from digitize.fields.lexicon import coverage
from digitize.fields.text import Segment
from digitize.fields.vietnamese import token_ok
from indexer.textnorm import fold
from ocr.types import Box

# (page_no, box, sparse=False) -> (text, confidence 0..100) | None: one line, or with sparse
# the pieces of text in an area, lines joined by newlines
RereadText = Callable[..., "tuple[str, float] | None"]

OFF_CENTRE = 0.03   # of the page width: centred lines sit within a few pixels of each other
MIN_AGREE = 0.75    # share of the first reading's words the second must read alike
PADS = (0.1, 0.2)   # margins above and below the line, in line heights, for the second reading


def completed(lines: list[Segment], centre_x: float, reread_text: RereadText | None
              ) -> tuple[list[str], list[str]]:
    """The text of each centred line, completed by a second reading where it is off centre;
    and a note per completed line."""
    texts, notes = [], []
    for s in lines:
        text = s.text
        if reread_text is not None and abs(s.cx - centre_x) > OFF_CENTRE * s.page_width:
            merged = _read_again(s, centre_x, reread_text)
            if merged and merged != text:
                notes.append(f"line read again: '{text}' -> '{merged}'")
                text = merged
        texts.append(text)
    return texts, notes


def _read_again(s: Segment, centre_x: float, reread_text: RereadText) -> str | None:
    """The best second reading of line `s` that extends it. The line is cut out across its
    mirrored extent with a margin of a tenth, then a fifth of its height (a wider margin takes
    in the lines around it; none clips the marks). The reading that known compounds explain
    best wins ("thực hiện dự án" over "thực hiện đự án"), then the more confident."""
    half = max(s.x1 - centre_x, centre_x - s.x0) + 2 * s.height
    x0, x1 = int(max(0, centre_x - half)), int(min(s.page_width, centre_x + half))
    best: tuple[tuple[int, float], str] | None = None
    for share in PADS:
        pad = max(1, round(share * s.height))
        box = Box(x0, max(0, s.y0 - pad), x1, min(s.page_height, s.y1 + pad))
        try:
            again = reread_text(s.page, box)
        except Exception:  # a failed re-read must not lose the field
            again = None
        merged = merge_readings(s.text, again[0]) if again else None
        if merged and again:
            rank = (coverage(merged.split())[0], again[1])
            if best is None or rank > best[0]:
                best = (rank, merged)
    return best[1] if best else None


def merge_readings(first: str, second: str) -> str | None:
    """`second` (a re-read of the line `first` came from) where it extends `first`: junk at its
    ends dropped, most of `first`'s words read alike (marks aside), no word of `first` lost, and
    every added word Vietnamese. Words both read alike keep the first reading's spelling."""
    a = first.split()
    b = second.split()
    while b and not any(c.isalnum() for c in b[0]):
        b.pop(0)
    while b and not any(c.isalnum() for c in b[-1]):
        b.pop()
    if len(b) <= len(a):
        return None
    ops = SequenceMatcher(None, [fold(t) for t in a], [fold(t) for t in b],
                          autojunk=False).get_opcodes()
    same = sum(i2 - i1 for tag, i1, i2, _, _ in ops if tag == "equal")
    if same < MIN_AGREE * len(a) or any(tag == "delete" for tag, *_ in ops):
        return None
    out: list[str] = []
    for tag, i1, i2, j1, j2 in ops:
        if tag == "equal":
            out += a[i1:i2]
        else:
            if not all(token_ok(t) for t in b[j1:j2]):
                return None
            out += b[j1:j2]
    return " ".join(out)
