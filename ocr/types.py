"""Plain data that flows through the OCR stages.

Coordinates are image pixels of the page as OCR saw it (after straightening), origin top-left.
All text is NFC.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import numpy as np


@dataclass(frozen=True)
class Box:
    """An axis-aligned box in page pixels: left, top, right, bottom."""

    x0: int
    y0: int
    x1: int
    y1: int

    @property
    def width(self) -> int:
        return self.x1 - self.x0

    @property
    def height(self) -> int:
        return self.y1 - self.y0

    def union(self, other: "Box") -> "Box":
        return Box(min(self.x0, other.x0), min(self.y0, other.y0),
                   max(self.x1, other.x1), max(self.y1, other.y1))

    def as_list(self) -> list[int]:
        return [self.x0, self.y0, self.x1, self.y1]


@dataclass(frozen=True)
class Word:
    """One recognised word. `conf` is 0..100 (Tesseract's scale); `line` numbers lines on the page
    in reading order, `block` numbers Tesseract's text blocks."""

    text: str
    box: Box
    conf: float
    line: int
    block: int = 0


@dataclass(frozen=True)
class EncodedImage:
    """A scan's own compressed pixels, in a form a PDF image stream holds unchanged: a JPEG
    (`DCTDecode`) or a zlib stream of raw 8-bit pixels (`FlateDecode`, RGB or grey)."""

    data: bytes
    filter: str
    colour: bool


@dataclass
class PageImage:
    """A page as it enters the pipeline. `image` is uint8, grey (H, W) or BGR (H, W, 3);
    `encoded`, when known, is the same pixels as the source file stores them. `image_only`: a PDF
    page whose content is nothing but this image (so it has no text layer to read)."""

    source: str
    index: int
    image: np.ndarray
    dpi: float
    dpi_assumed: bool = False
    encoded: EncodedImage | None = None
    image_only: bool = False


@dataclass
class PreparedPage:
    """What image preparation hands to OCR and to the PDF writer.

    `display` is the straightened, cleaned page people see (colour or grey as scanned);
    `ocr_image` is what the OCR reads (may be binarised, red ink removed, upsampled by `ocr_scale`).
    `colour` says whether the page has real colour (else `display` is grey); `edited` whether
    `display` differs from the scan's pixels beyond that grey conversion (painted, turned,
    deskewed or flattened): an unedited page can keep the scan's own encoding.
    """

    display: np.ndarray
    ocr_image: np.ndarray
    dpi: float
    ocr_scale: float = 1.0
    rotation: int = 0
    skew_degrees: float = 0.0
    blank: bool = False
    notes: list[str] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)  # seconds per preparation step
    colour: bool = False
    edited: bool = True


TextMethod = Literal["ocr", "text-layer"]


@dataclass
class PageText:
    """The text of one page and where it came from. Boxes are in `width` x `height` pixels."""

    page_no: int
    width: int
    height: int
    dpi: float
    words: list[Word]
    method: TextMethod = "ocr"
    mean_conf: float = 0.0
    blank: bool = False
    flags: list[str] = field(default_factory=list)

    @property
    def text(self) -> str:
        """Words joined into lines (one line per `Word.line`), lines joined by newlines."""
        return words_to_text(self.words)


def words_to_text(words: list[Word]) -> str:
    lines: list[list[str]] = []
    current = None
    for w in words:
        if current is None or w.line != current:
            lines.append([])
            current = w.line
        lines[-1].append(w.text)
    return "\n".join(" ".join(line) for line in lines)
