"""Page pictures for the web page: a record's PDF/A page as a JPEG (whole, thumbnail, or the crop
of a field's box), rendered on demand and kept in a small memory cache.

Paths never come from a request: the caller passes the record's own PDF (from the catalogue) and
a page number checked against the record's page count.
"""
from __future__ import annotations

import io
import threading
from collections import OrderedDict
from pathlib import Path

from PIL import Image

from ocr.images import load_page

_CACHE: OrderedDict[tuple, bytes] = OrderedDict()
_LOCK = threading.Lock()
_CACHE_ITEMS = 64


def _cached(key: tuple, make) -> bytes:
    with _LOCK:
        if key in _CACHE:
            _CACHE.move_to_end(key)
            return _CACHE[key]
    data = make()
    with _LOCK:
        _CACHE[key] = data
        while len(_CACHE) > _CACHE_ITEMS:
            _CACHE.popitem(last=False)
    return data


def _page(pdf: Path, page: int) -> Image.Image:
    img = load_page(pdf, "pdf", page - 1, timeout_s=60).image
    if img.ndim == 3:
        return Image.fromarray(img[:, :, ::-1])  # BGR -> RGB
    return Image.fromarray(img)


def _jpeg(im: Image.Image, quality: int = 80) -> bytes:
    buf = io.BytesIO()
    im.convert("RGB" if im.mode not in ("L", "RGB") else im.mode).save(
        buf, "JPEG", quality=quality, optimize=True)
    return buf.getvalue()


def page_jpeg(pdf: Path, page: int, width: int) -> bytes:
    """Page `page` (1-based) of `pdf`, `width` pixels wide, as JPEG."""
    def make() -> bytes:
        im = _page(pdf, page)
        if im.width > width:
            im = im.resize((width, round(im.height * width / im.width)), Image.Resampling.LANCZOS)
        return _jpeg(im)
    stat = pdf.stat()
    return _cached((str(pdf), stat.st_mtime_ns, page, width), make)


def crop_jpeg(pdf: Path, page: int, box: list[int], page_size: tuple[int, int],
              margin: float = 0.02) -> bytes:
    """The part of page `page` that `box` covers ([x0, y0, x1, y1] in a page of `page_size`
    pixels, the OCR page's), with a little margin, as JPEG."""
    def make() -> bytes:
        im = _page(pdf, page)
        sx, sy = im.width / page_size[0], im.height / page_size[1]
        mx, my = margin * im.width, margin * im.height
        x0, y0, x1, y1 = box
        area = (max(0, int(x0 * sx - mx)), max(0, int(y0 * sy - my)),
                min(im.width, int(x1 * sx + mx)), min(im.height, int(y1 * sy + my)))
        if area[2] <= area[0] or area[3] <= area[1]:
            area = (0, 0, im.width, im.height)
        crop = im.crop(area)
        if crop.width > 900:
            crop = crop.resize((900, round(crop.height * 900 / crop.width)), Image.Resampling.LANCZOS)
        return _jpeg(crop, 85)
    return _cached((str(pdf), pdf.stat().st_mtime_ns, page, tuple(box), page_size), make)
