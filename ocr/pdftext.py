"""Reading an existing PDF text layer (born-digital pages) with poppler's pdftotext.

A page counts as having real text when its words, minus e-signature stamp text, are enough to be a
document page; a signed scan whose only text is the signature stamp is OCR'd instead. Text whose
glyphs have no Unicode mapping (a Type3 or subset font without ToUnicode) comes out of pdftotext
as control characters, private-use code points or U+FFFD: such a layer is not text, and the page
is OCR'd like a scan (control characters also made pdftotext's XML unparseable).
"""
from __future__ import annotations

import re
import unicodedata
import xml.etree.ElementTree as ET
from pathlib import Path

from ocr.errors import InputError
from ocr.programs import ProgramError, ProgramTimeout, run_program
from ocr.types import Box, Word

# Words typical of the e-signature stamp that Vietnamese signing software draws on a page.
_STAMP_LINE = re.compile(
    r"(ký bởi|cơ quan:|thời gian ký|ngày ký|email:|@|\+07:00|\d\d[.:]\d\d[.:]\d\d|"
    r"trung tâm công|báo và tin học|chứng thư)", re.IGNORECASE)
MIN_REAL_WORDS = 40
MAX_UNMAPPED = 0.05  # a few odd glyphs (a bullet from a symbol font) are not a broken layer
_UNMAPPED = {"Cc", "Cf", "Co", "Cn", "Cs"}
# characters XML 1.0 forbids (pdftotext writes them as they are)
_XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def text_layer_words(pdf: Path, page_no: int, width_px: int, height_px: int,
                     timeout_s: float = 60) -> list[Word]:
    """Words of page `page_no` (1-based) of `pdf`, boxes scaled to a `width_px` x `height_px`
    raster of the page. Lines are numbered in pdftotext's reading order."""
    try:
        out = run_program(["pdftotext", "-q", "-f", str(page_no), "-l", str(page_no),
                           "-bbox-layout", str(pdf), "-"], timeout_s)
    except ProgramTimeout as e:
        raise InputError(f"{pdf}: reading the text layer timed out") from e
    except ProgramError as e:
        raise InputError(f"{pdf}: cannot read the text layer ({e})") from e
    xml = _XML_INVALID.sub("\ufffd", _strip_ns(out.decode("utf-8", errors="replace")))
    try:
        root = ET.fromstring(xml)
    except ET.ParseError:
        return []  # an unreadable text layer is no text layer: the page is OCR'd
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
                x0, y0, x1, y1 = (float(w.get(k) or 0) for k in ("xMin", "yMin", "xMax", "yMax"))
                box = Box(int(x0 * sx), int(y0 * sy), int(round(x1 * sx)), int(round(y1 * sy)))
                words.append(Word(text, box, 100.0, line_no, b_no))
            line_no += 1
    return words


def has_real_text(words: list[Word]) -> bool:
    """True when the page carries a real text layer: not just a signature stamp or a few words,
    and not glyphs without a Unicode mapping."""
    if unmapped_share(words) > MAX_UNMAPPED:
        return False
    lines: dict[int, list[str]] = {}
    for w in words:
        lines.setdefault(w.line, []).append(w.text)
    real = sum(len(ws) for ws in lines.values() if not _STAMP_LINE.search(" ".join(ws)))
    return real >= MIN_REAL_WORDS


def unmapped_share(words: list[Word]) -> float:
    """Share of the characters of `words` that stand for no character: control and format
    characters, private-use and unassigned code points, U+FFFD."""
    chars = [c for w in words for c in w.text]
    if not chars:
        return 0.0
    bad = sum(c == "\ufffd" or unicodedata.category(c) in _UNMAPPED for c in chars)
    return bad / len(chars)


def _strip_ns(xml: str) -> str:
    return re.sub(r'\sxmlns="[^"]+"', "", xml, count=1)


def document_words(pdf: Path, timeout_s: float = 120) -> list[str]:
    """Every word of `pdf`'s text (all pages, NFC), as pdftotext reads it. Raises InputError."""
    try:
        out = run_program(["pdftotext", "-q", "-enc", "UTF-8", str(pdf), "-"], timeout_s)
    except ProgramTimeout as e:
        raise InputError(f"{pdf}: reading the text timed out") from e
    except ProgramError as e:
        raise InputError(f"{pdf}: cannot read the text ({e})") from e
    return unicodedata.normalize("NFC", out.decode("utf-8", errors="replace")).split()
