"""Image preparation: turn a scanned page into a straight, clean display image and an OCR copy.

The only module of the project (with `ocr.deskew` and the decoder in `ocr.images`) that uses
OpenCV. Every step is cheap and conservative, chosen from side-by-side measurements on Decree-30
pages (see /work/shared/notes/measured-facts.md and scripts/eval_ocr.py):

* orientation by Tesseract OSD on a 150 DPI grey copy (the detector is injected: prepare never
  talks to Tesseract), trusted only above a confidence;
* deskew by projection profile (ocr.deskew), display rotated on an enlarged canvas;
* dark scanner borders and punch holes painted with the paper colour (not cropped: aggressive
  border removal hurt OCR when measured, and keeping the size keeps coordinates simple);
* flat-field correction only where the background is measurably uneven;
* red seals/signatures painted out of the OCR copy only, speckle removed from the OCR copy only;
* blank pages (and bleed-through backs) flagged, never dropped;
* low-DPI pages optionally upsampled for OCR (`ocr_scale`).
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Callable

import cv2
import numpy as np

from ocr.deskew import measure_skew, reduce, rotate_expand, turn
from ocr.errors import OcrError
from ocr.types import PageImage, PreparedPage

Orienter = Callable[[np.ndarray, float], "tuple[int, float]"]


@dataclass(frozen=True)
class PrepareOptions:
    """Which preparation steps run, and their thresholds."""

    orientation: bool = True
    osd_dpi: float = 150.0
    osd_min_conf: float = 2.0        # OSD confidences: ~14-17 on clean pages, <1 when guessing
    deskew: bool = True
    min_skew: float = 0.05           # below this the page is left as is (no resampling)
    max_skew: float = 15.0
    borders: bool = True
    punch_holes: bool = True
    flat_field: bool = True
    flat_field_min_range: float = 30.0   # grey levels of background variation before correcting
    red_dropout: bool = True
    red_min_excess: int = 50         # R - max(G, B) above which a pixel counts as red ink
    despeckle: bool = True
    noise_sigma: float = 25.0        # noise std dev (grey levels) that triggers a 3x3 median;
    #                                  at ~12 the median cost word F1 (0.954 -> 0.948, heavy level)
    detect_blank: bool = True
    blank_max_components: int = 8
    ocr_min_dpi: float = 0.0         # upsample the OCR copy of pages below this DPI (0 = never)
    ocr_max_dpi: float = 150.0       # downsample the OCR copy above this DPI (0 = never): at 150
    #                                  word F1 was higher than at 200 or 300 on clean, light and
    #                                  heavy pages (scripts/eval_ocr.py), and recognition faster
    binarize: bool = False           # Otsu copy for OCR; off: Tesseract binarises better itself


# ---- small helpers for the PDF writer (OpenCV lives here only) ----

def to_grey(img: np.ndarray) -> np.ndarray:
    """8-bit grey copy of a grey, BGR or BGRA image."""
    if img.ndim == 2:
        return img
    code = cv2.COLOR_BGRA2GRAY if img.shape[2] == 4 else cv2.COLOR_BGR2GRAY
    return cv2.cvtColor(img, code)


def encode_jpeg(img: np.ndarray, quality: int = 85) -> bytes:
    """JPEG bytes of a grey or BGR image."""
    ok, buf = cv2.imencode(".jpg", img, [cv2.IMWRITE_JPEG_QUALITY, int(quality)])
    if not ok:
        raise OcrError("JPEG encoding failed")
    return buf.tobytes()


def encode_png(img: np.ndarray) -> bytes:
    """PNG bytes of a grey, BGR or bi-level (0/255) image."""
    ok, buf = cv2.imencode(".png", img, [cv2.IMWRITE_PNG_COMPRESSION, 6])
    if not ok:
        raise OcrError("PNG encoding failed")
    return buf.tobytes()


def is_colour(img: np.ndarray, min_chroma: int = 60, min_fraction: float = 2e-4) -> bool:
    """True only when the page has real colour (a red seal, a blue signature), not the faint
    chroma of a grey page scanned in colour or of JPEG artefacts."""
    if img.ndim == 2 or img.shape[2] == 1:
        return False
    small = img if img.shape[0] * img.shape[1] <= 1_000_000 else cv2.resize(
        img, None, fx=0.25, fy=0.25, interpolation=cv2.INTER_AREA)
    s = small[:, :, :3].astype(np.int16)
    chroma = s.max(axis=2) - s.min(axis=2)
    return bool(np.count_nonzero(chroma > min_chroma) > min_fraction * chroma.size)


def scale_to_dpi(img: np.ndarray, dpi: float, target_dpi: float) -> np.ndarray:
    """`img` resampled from `dpi` to `target_dpi` (area filter down, cubic up)."""
    f = target_dpi / dpi
    if abs(f - 1.0) < 1e-3:
        return img
    interp = cv2.INTER_AREA if f < 1 else cv2.INTER_CUBIC
    return cv2.resize(img, None, fx=f, fy=f, interpolation=interp)


# ---- the steps ----

def paper_level(gray_small: np.ndarray) -> int:
    """Grey level of the paper: the 90th percentile of the page (text covers far less than 10%)."""
    return int(np.percentile(gray_small, 90))


def border_and_hole_mask(small: np.ndarray, dpi_small: float, paper: int, borders: bool = True,
                         holes: bool = True) -> np.ndarray:
    """Mask (255 = remove) of dark scanner borders and punch holes on a reduced grey page.

    Conservative: a border is a dark region touching the image edge that runs along at least a
    fifth of it, or covers 1% of the page; a hole is a round dark blob 4-10 mm wide within 30 mm
    of an edge. Text never matches either."""
    h, w = small.shape
    dark = (small < paper * 0.5).astype(np.uint8)
    n, labels, stats, cent = cv2.connectedComponentsWithStats(dark, connectivity=8)
    mm = dpi_small / 25.4
    keep = []
    for i in range(1, n):
        x, y, bw, bh, area = stats[i]
        touches = x == 0 or y == 0 or x + bw >= w or y + bh >= h
        if borders and touches and (bw >= 0.2 * w or bh >= 0.2 * h or area >= 0.01 * h * w):
            keep.append(i)
            continue
        if holes and 4 * mm <= bw <= 10 * mm and 0.8 <= bw / max(bh, 1) <= 1.25:
            fill = area / (bw * bh)
            cx, cy = cent[i]
            near = min(cx, cy, w - cx, h - cy) <= 30 * mm
            if near and 0.65 <= fill <= 0.9:
                keep.append(i)
    mask = np.zeros_like(small)
    if keep:
        mask[np.isin(labels, keep)] = 255
        mask = cv2.dilate(mask, np.ones((3, 3), np.uint8))
    return mask


def paint(img: np.ndarray, mask: np.ndarray, value: int | tuple) -> None:
    """Set the pixels of `img` under the (full-size) mask to `value`, in place."""
    img[mask > 0] = value


def background_map(gray: np.ndarray, dpi: float) -> np.ndarray:
    """The paper's brightness at 75 DPI: text closed away, then smoothed."""
    small = reduce(gray, dpi, 75.0)
    bg = cv2.morphologyEx(small, cv2.MORPH_CLOSE, cv2.getStructuringElement(cv2.MORPH_RECT, (15, 15)))
    return cv2.medianBlur(bg, 21)


def flat_field(img: np.ndarray, bg_small: np.ndarray) -> np.ndarray:
    """`img` divided by the background map so the paper comes out evenly bright."""
    h, w = img.shape[:2]
    bg = cv2.resize(bg_small, (w, h), interpolation=cv2.INTER_LINEAR)
    bg = np.maximum(bg, 1)
    target = float(np.percentile(bg_small, 95))
    if img.ndim == 3:
        bg = cv2.merge([bg] * img.shape[2])
    return cv2.divide(img, bg, scale=target)


def red_ink_mask(bgr: np.ndarray, min_excess: int) -> np.ndarray:
    """Mask (255) of red ink: red well above both green and blue, edges widened by one pixel."""
    b, g, r = cv2.split(bgr[:, :, :3])
    excess = cv2.subtract(r, cv2.max(g, b))
    _, mask = cv2.threshold(excess, min_excess, 255, cv2.THRESH_BINARY)
    return cv2.dilate(mask, np.ones((3, 3), np.uint8))


def noise_sigma(gray: np.ndarray, median: np.ndarray) -> float:
    """Noise estimate in grey levels: the mean residual to the 3x3 median over paper pixels,
    scaled to a Gaussian std dev (calibrated on rendered pages with known noise)."""
    step = max(1, int(np.sqrt(gray.size / 400_000)))
    g, m = gray[::step, ::step], median[::step, ::step]
    paper = m > np.percentile(m, 50) - 20
    if not paper.any():
        return 0.0
    d = cv2.absdiff(g, m)[paper]
    return float(d.mean()) * 2.6


def count_ink_blobs(gray: np.ndarray, dpi: float, paper: int) -> int:
    """Number of text-sized dark blobs at 150 DPI (bleed-through is lighter than half the paper)."""
    small = reduce(gray, dpi, 150.0)
    ink = (small < paper * 0.5).astype(np.uint8)
    n, _, stats, _ = cv2.connectedComponentsWithStats(ink, connectivity=8)
    return int(np.count_nonzero(stats[1:, cv2.CC_STAT_AREA] >= 4))


def prepare_page(page: PageImage, opts: PrepareOptions = PrepareOptions(),
                 orient: Orienter | None = None) -> PreparedPage:
    """Straighten and clean one page; see the module docstring for the steps.

    `orient(grey, dpi) -> (deg, conf)` is the OSD detector (`TesseractEngine.detect_orientation`):
    `deg` is how far the page is turned clockwise, so it is turned back by `deg` counter-clockwise.
    Returns display (colour or grey, never binarised) and OCR copies of the same geometry (the OCR
    copy scaled by `ocr_scale`)."""
    if page.image is None or page.image.size == 0:
        raise OcrError(f"{page.source} page {page.index}: empty image")
    timings: dict[str, float] = {}
    notes: list[str] = []
    clock = time.perf_counter()

    def lap(name: str) -> None:
        nonlocal clock
        now = time.perf_counter()
        timings[name] = timings.get(name, 0.0) + (now - clock)
        clock = now

    dpi = float(page.dpi)
    display = page.image
    if display.ndim == 3 and display.shape[2] == 4:
        display = cv2.cvtColor(display, cv2.COLOR_BGRA2BGR)
    colour = display.ndim == 3 and is_colour(display)
    if display.ndim == 3 and not colour:
        display = to_grey(display)
        notes.append("grey page stored as grey")
    display = display.copy()
    gray = to_grey(display) if colour else display
    small = reduce(gray, dpi, 75.0)
    paper = paper_level(small)
    fill = paper if display.ndim == 2 else tuple(int(v) for v in np.percentile(
        reduce(display, dpi, 75.0).reshape(-1, 3), 90, axis=0))
    lap("grey")

    if opts.borders or opts.punch_holes:
        m = border_and_hole_mask(small, dpi * small.shape[0] / gray.shape[0], paper,
                                 opts.borders, opts.punch_holes)
        if m.any():
            full = cv2.resize(m, gray.shape[::-1], interpolation=cv2.INTER_NEAREST)
            paint(display, full, fill)
            if colour:
                paint(gray, full, paper)
            notes.append(f"borders/holes painted ({np.count_nonzero(m) / m.size:.1%} of page)")
        lap("borders")

    rotation = 0
    if opts.orientation and orient is not None:
        deg, conf = orient(np.ascontiguousarray(reduce(gray, dpi, opts.osd_dpi)),
                           min(dpi, opts.osd_dpi))
        if deg % 360 and conf >= opts.osd_min_conf:
            rotation = (360 - deg) % 360
            display = turn(display, rotation)
            gray = to_grey(display) if colour else display
            notes.append(f"turned {rotation} deg clockwise (OSD conf {conf:.1f})")
        elif deg % 360:
            notes.append(f"OSD said {deg} deg at conf {conf:.1f}: not trusted")
        lap("orientation")

    skew = 0.0
    if opts.deskew:
        skew = measure_skew(gray, dpi, max_skew=opts.max_skew)
        lap("skew_measure")
        if abs(skew) >= opts.min_skew:
            display = rotate_expand(display, -skew, fill)
            gray = to_grey(display) if colour else display
            notes.append(f"deskewed {skew:+.2f} deg")
        lap("deskew_rotate")

    if opts.flat_field:
        bg = background_map(gray, dpi)
        spread = float(np.percentile(bg, 98) - np.percentile(bg, 2))
        if spread >= opts.flat_field_min_range:
            display = flat_field(display, bg)
            gray = to_grey(display) if colour else display
            paper = paper_level(reduce(gray, dpi, 75.0))
            notes.append(f"flat-field (background spread {spread:.0f})")
        lap("flat_field")

    ocr = gray  # a separate array when colour; only painted in place in that case
    if colour and opts.red_dropout:
        red = red_ink_mask(display, opts.red_min_excess)
        share = np.count_nonzero(red) / red.size
        if share > 1e-4:
            paint(ocr, red, paper)
            notes.append(f"red ink removed from OCR copy ({share:.2%} of page)")
        lap("red_dropout")

    if opts.despeckle:
        med = cv2.medianBlur(ocr, 3)
        sigma = noise_sigma(ocr, med)
        if sigma >= opts.noise_sigma:
            ocr = med
            notes.append(f"despeckled (noise sigma ~{sigma:.0f})")
        lap("despeckle")

    blank = False
    if opts.detect_blank:
        blobs = count_ink_blobs(ocr, dpi, paper)
        blank = blobs <= opts.blank_max_components
        if blank:
            notes.append(f"blank page ({blobs} ink blobs)")
        lap("blank")

    scale = 1.0
    if opts.ocr_min_dpi and dpi < opts.ocr_min_dpi:
        scale = opts.ocr_min_dpi / dpi
        ocr = scale_to_dpi(ocr, dpi, opts.ocr_min_dpi)
        notes.append(f"OCR copy upsampled x{scale:.2f}" + (" (DPI assumed)" if page.dpi_assumed
                                                          else ""))
    elif opts.ocr_max_dpi and dpi > opts.ocr_max_dpi * 1.05:
        scale = opts.ocr_max_dpi / dpi
        ocr = scale_to_dpi(ocr, dpi, opts.ocr_max_dpi)
        notes.append(f"OCR copy read at {opts.ocr_max_dpi:g} DPI")
    if opts.binarize:
        _, ocr = cv2.threshold(ocr, 0, 255, cv2.THRESH_BINARY | cv2.THRESH_OTSU)
    lap("ocr_copy")

    return PreparedPage(display=display, ocr_image=np.ascontiguousarray(ocr), dpi=dpi,
                        ocr_scale=scale, rotation=rotation, skew_degrees=skew, blank=blank,
                        notes=notes, timings=timings)
