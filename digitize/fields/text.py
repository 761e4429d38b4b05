"""Words regrouped into visual line segments, and text matching that tolerates OCR's marks.

Tesseract (psm 3) can put the left and right header columns on one "line"; a `Segment` is a run of
words on one line without a wide horizontal gap, so each column's text stays apart. A `Segment`
also maps character offsets of its (folded) text back to its words, for boxes and confidences.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from indexer.textnorm import canonical_tones, fold, nfc
from ocr.types import Box, PageText, Word

__all__ = ["Segment", "segments_of", "fold", "nfc", "canonical_tones", "is_upper_line",
           "union_box", "mean_conf", "clean_spaces", "blank_box", "trim_edges"]

# OCR often returns Latin Ð (U+00D0) or Icelandic ð for Vietnamese Đ/đ: the same glyph.
_GLYPH_FIXES = str.maketrans({"Ð": "Đ", "ð": "đ", "’": "'", "‘": "'", "⁄": "/", "∕": "/"})


def clean_spaces(s: str) -> str:
    return re.sub(r"\s+", " ", s).strip()


# Marks that are no part of a word: underlines of a header ("_____"), rules and specks OCR reads
# at the ends of a line.
_EDGE_JUNK = "_-–—~|.,;:·•*'\"`^"


def trim_edges(s: str) -> str:
    """`s` without the junk OCR reads at a line's ends: tokens with no letter or digit ("_",
    "—", "..."), and underscores or tildes glued to the first or last word ("NGÃI_"). A
    closing full stop after a letter stays ("Q.")."""
    toks = s.split()
    while toks and not any(c.isalnum() for c in toks[0]):
        toks.pop(0)
    while toks and not any(c.isalnum() for c in toks[-1]):
        toks.pop()
    if toks:
        toks[0] = toks[0].lstrip("_~|")
        toks[-1] = toks[-1].rstrip("_~|")
    return " ".join(toks)


def fix_glyphs(s: str) -> str:
    """Replace look-alike glyphs that are certainly the Vietnamese letter (Ð -> Đ)."""
    return nfc(s).translate(_GLYPH_FIXES)


def union_box(words: list[Word]) -> Box | None:
    if not words:
        return None
    b = words[0].box
    for w in words[1:]:
        b = b.union(w.box)
    return b


def mean_conf(words: list[Word]) -> float:
    """Mean word confidence on a 0..1 scale (0 for no words)."""
    return sum(w.conf for w in words) / (100.0 * len(words)) if words else 0.0


@dataclass
class Segment:
    """A run of words on one visual line of one page."""

    page: int
    words: list[Word]
    page_width: int
    page_height: int
    text: str = ""
    folded: str = ""
    _starts: list[int] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.words = sorted(self.words, key=lambda w: w.box.x0)
        parts, fparts, starts, pos = [], [], [], 0
        for w in self.words:
            t = fix_glyphs(w.text)
            f = fold(t)
            starts.append(pos)
            parts.append(t)
            fparts.append(f)
            pos += len(f) + 1
        self.text = " ".join(parts)
        self.folded = " ".join(fparts)
        self._starts = starts
        self._box = union_box(self.words)

    @property
    def box(self) -> Box:
        return self._box  # type: ignore[return-value]

    @property
    def x0(self) -> int:
        return self.box.x0

    @property
    def x1(self) -> int:
        return self.box.x1

    @property
    def y0(self) -> int:
        return self.box.y0

    @property
    def y1(self) -> int:
        return self.box.y1

    @property
    def starts(self) -> list[int]:
        """Folded-text offset where each word starts."""
        return self._starts

    @property
    def cx(self) -> float:
        return (self.box.x0 + self.box.x1) / 2

    @property
    def width_px(self) -> int:
        return self.box.x1 - self.box.x0

    @property
    def height(self) -> int:
        hs = sorted(w.box.height for w in self.words)
        return hs[len(hs) // 2]

    @property
    def conf(self) -> float:
        return mean_conf(self.words)

    def word_at(self, offset: int) -> int:
        """Index of the word holding folded-text character `offset`."""
        i = 0
        for k, s in enumerate(self._starts):
            if s <= offset:
                i = k
        return i

    def words_in(self, start: int, end: int) -> list[Word]:
        """Words overlapping folded-text characters [start, end)."""
        if end <= start:
            return []
        a, b = self.word_at(start), self.word_at(max(start, end - 1))
        return self.words[a:b + 1]

    def text_from_word(self, i: int) -> str:
        return " ".join(fix_glyphs(w.text) for w in self.words[i:])


def segments_of(page: PageText, gap_factor: float = 2.2) -> list[Segment]:
    """The page's words as line segments in reading order (top to bottom, then left to right).

    A line is split where the horizontal gap between neighbouring words is wider than
    `gap_factor` times the line's text height: that is a column boundary, not a space."""
    by_line: dict[int, list[Word]] = {}
    for w in page.words:
        if w.text.strip():
            by_line.setdefault(w.line, []).append(w)
    segs: list[Segment] = []
    for words in by_line.values():
        words.sort(key=lambda w: w.box.x0)
        hs = sorted(w.box.height for w in words)
        h = max(hs[len(hs) // 2], 8)
        run = [words[0]]
        for prev, w in zip(words, words[1:]):
            if w.box.x0 - prev.box.x1 > gap_factor * h:
                segs.append(Segment(page.page_no, run, page.width, page.height))
                run = []
            run.append(w)
        segs.append(Segment(page.page_no, run, page.width, page.height))
    segs = [part for s in segs for part in _split_motto(s)]
    segs.sort(key=lambda s: (round(s.y0 / 12), s.x0))
    return segs


_LETTER = re.compile(r"[^\W\d_]")


def is_upper_line(text: str, min_ratio: float = 0.85) -> bool:
    """True when (nearly) all letters are capitals: headings, titles, signer positions."""
    letters = _LETTER.findall(text)
    if len(letters) < 2:
        return False
    return sum(c.isupper() for c in letters) / len(letters) >= min_ratio


_MOTTO = re.compile(r"cong h.a xa|doc lap\b")


def _split_motto(seg: Segment) -> list[Segment]:
    """Split "ỦY BAN NHÂN DÂN CỘNG HÒA XÃ HỘI ..." (two header columns on one OCR line)."""
    folded = seg.folded.split(" ")  # the words' folded forms, made once by the segment
    if len(folded) != len(seg.words):  # a word with a space inside (a text layer's)
        folded = [fold(w.text) for w in seg.words]
    for i in range(1, len(seg.words) - 2):
        head = " ".join(folded[i:i + 3])
        if _MOTTO.match(head):
            return [Segment(seg.page, seg.words[:i], seg.page_width, seg.page_height),
                    Segment(seg.page, seg.words[i:], seg.page_width, seg.page_height)]
    return [seg]


PRINTED_CONF = 75.0  # a word OCR reads at least this well is print, not handwriting


def _char_width(seg: Segment) -> float:
    """Median width of a printed character on this line (from confidently read words)."""
    ws = sorted((w.box.x1 - w.box.x0) / len(w.text) for w in seg.words
                if w.conf >= 80 and len(w.text) >= 3 and w.text.isalpha())
    return ws[len(ws) // 2] if ws else 0.55 * seg.height


def _printed_width(text: str, cw: float) -> float:
    """Width of printed `text` in a serif face whose lower-case letters average `cw`."""
    return sum(_units(c) * cw for c in text)


def _units(c: str) -> float:
    return 1.3 if c.isupper() else 0.55 if c in "/-.:;,'()" else 0.8


def _printed_x(w: Word, k: int) -> float:
    """Where character `k` of word `w` starts, when the whole word is print: its box shared out
    by character widths ("42/TB-UBND": the slash 2/10.9 of the way)."""
    units = [_units(c) for c in w.text]
    return w.box.x0 + (w.box.x1 - w.box.x0) * sum(units[:k]) / max(sum(units), 1e-6)


def blank_box(seg: Segment, left: tuple[Word, int], right: tuple[Word, int] | None) -> Box:
    """The blank a number was handwritten into, between printed text and printed text.

    `left` is (word, n): the printed text ends n characters into `word` ("ngày" in "ngày20": 4);
    `right` is (word, n): the printed text resumes n characters into `word` ("/" in "4/CT": 1),
    or None for "about three characters' room". Where OCR glued the handwriting to a printed word,
    printed characters are measured with the line's own character width, since handwriting is
    wider. The box reaches well above and below the line: handwriting is taller than print."""
    cw, h = _char_width(seg), seg.height
    lw, n = left
    # OCR's box of a keyword may already swallow the handwriting after it ("ngày" up to the 16);
    # its printed letters are measured narrow (a generous blank) ...
    x0 = min(lw.box.x1, lw.box.x0 + 0.8 * n * cw)
    if right is None:
        x1 = x0 + 3 * h
    else:
        rw, k = right
        # ... and so are those glued before "tháng", but capitals wide ("574/UBND-KTTH")
        x1 = rw.box.x0 if k <= 0 else max(rw.box.x0,
                                          rw.box.x1 - _printed_width(rw.text[k:], cw))
        if 0 < k and rw.conf >= PRINTED_CONF:  # a word read this well is all print, digits too
            x1 = min(x1, _printed_x(rw, k))
        if x1 - x0 < 0.8 * h:
            x1 = x0 + 3 * h
    return Box(int(max(0, x0)), int(max(0, seg.y0 - 0.7 * h)), int(x1), int(seg.y1 + 0.5 * h))
