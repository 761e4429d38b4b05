"""Reading an existing PDF text layer (born-digital pages) with poppler's pdftotext.

A page counts as having real text when its words, minus e-signature stamp text, are enough to be a
document page; a signed scan whose only text is the signature stamp is OCR'd instead.
"""
from __future__ import annotations

import re
import subprocess
import unicodedata
import xml.etree.ElementTree as ET
from pathlib import Path

from ocr.errors import InputError
from ocr.types import Box, Word

# Words typical of the e-signature stamp that Vietnamese signing software draws on a page.
_STAMP_LINE = re.compile(
    r"(ký bởi|cơ quan:|thời gian ký|ngày ký|email:|@|\+07:00|\d\d[.:]\d\d[.:]\d\d|"
    r"trung tâm công|báo và tin học|chứng thư)", re.IGNORECASE)
MIN_REAL_WORDS = 40


def text_layer_words(pdf: Path, page_no: int, width_px: int, height_px: int,
                     timeout_s: float = 60) -> list[Word]:
    """Words of page `page_no` (1-based) of `pdf`, boxes scaled to a `width_px` x `height_px`
    raster of the page. Lines are numbered in pdftotext's reading order."""
    try:
        out = subprocess.run(["pdftotext", "-q", "-f", str(page_no), "-l", str(page_no),
                              "-bbox-layout", str(pdf), "-"],
                             capture_output=True, timeout=timeout_s, check=True).stdout
    except subprocess.TimeoutExpired as e:
        raise InputError(f"{pdf}: reading the text layer timed out") from e
    except subprocess.CalledProcessError as e:
        raise InputError(f"{pdf}: pdftotext failed: {e.stderr.decode(errors='replace').strip()}")
    root = ET.fromstring(_strip_ns(out.decode("utf-8", errors="replace")))
    page = root.find(".//page")
    if page is None:
        return []
    sx = width_px / float(page.get("width", 1))
    sy = height_px / float(page.get("height", 1))
    words: list[Word] = []
    line_no = 0
    for b_no, block in enumerate(page.iter("block")):
        for line in block.iter("line"):
            for w in line.iter("word"):
                text = unicodedata.normalize("NFC", (w.text or "").strip())
                if not text:
                    continue
                box = Box(int(float(w.get("xMin")) * sx), int(float(w.get("yMin")) * sy),
                          int(round(float(w.get("xMax")) * sx)), int(round(float(w.get("yMax")) * sy)))
                words.append(Word(text, box, 100.0, line_no, b_no))
            line_no += 1
    return words


def has_real_text(words: list[Word]) -> bool:
    """True when the page carries a real text layer, not just a signature stamp or a few words."""
    lines: dict[int, list[str]] = {}
    for w in words:
        lines.setdefault(w.line, []).append(w.text)
    real = sum(len(ws) for ws in lines.values() if not _STAMP_LINE.search(" ".join(ws)))
    return real >= MIN_REAL_WORDS


def _strip_ns(xml: str) -> str:
    return re.sub(r'\sxmlns="[^"]+"', "", xml, count=1)
