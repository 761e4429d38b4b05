"""Image preparation: turn a scanned page into a straight, clean display image and an OCR copy.

OpenCV stays inside `ocr/`: here, in `ocr.deskew`, the decoder in `ocr.images` and the digit
reader in `ocr.handwriting`. Every step is cheap and conservative, chosen from side-by-side
measurements on Decree-30 pages (see /work/shared/notes/measured-facts.md and scripts/eval_ocr.py):

* orientation by Tesseract OSD on a 150 DPI grey copy (the detector is injected: prepare never
  talks to Tesseract), trusted only above a confidence;
* deskew by projection profile (ocr.deskew), display rotated within its own page size, and
  only a page with text lines to measure by (a blank back is never turned);
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
from typing import Any, Callable

import cv2
import numpy as np

from ocr.deskew import FINE_DPI, reduce, rotate_within, skew_of, turn
from ocr.errors import OcrError
from ocr.types import PageImage, PreparedPage

Orienter = Callable[[np.ndarray, float], "tuple[int, float]"]

SMALL_DPI = 75.0  # paper level, borders, coarse skew search, colour check


def single_threaded() -> None:
    """Make OpenCV run each call on the calling thread. For pool workers: the pool already keeps
    every core busy, and OpenCV's helper threads only add scheduling. Measured on 24 heavy 200 DPI
    pages, 2 workers, 4 interleaved pairs: 3-9% less CPU and wall time in every pair; on 40 pages
    of 300 DPI colour scans no difference."""
    cv2.setNumThreads(1)


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
    b, g, r = cv2.split(np.ascontiguousarray(small[:, :, :3]))
    chroma = cv2.subtract(cv2.max(cv2.max(b, g), r), cv2.min(cv2.min(b, g), r))
    return bool(np.count_nonzero(chroma > min_chroma) > min_fraction * chroma.size)


def scale_to_dpi(img: np.ndarray, dpi: float, target_dpi: float) -> np.ndarray:
    """`img` resampled from `dpi` to `target_dpi` (area filter down, cubic up)."""
    f = target_dpi / dpi
    if abs(f - 1.0) < 1e-3:
        return img
    interp = cv2.INTER_AREA if f < 1 else cv2.INTER_CUBIC
    return cv2.resize(img, None, fx=f, fy=f, interpolation=interp)


def erase_rules(grey: np.ndarray, dpi: float, min_len_in: float = 0.5) -> np.ndarray:
    """A copy of `grey` with long thin horizontal rules painted white: the frame of a stamp
    drawn through a text line joins its letters into one shape that page layout drops, while
    the letters themselves survive the erasure (a rule is 1-3 pixels of their height)."""
    ink = cv2.threshold(grey, 0, 255, cv2.THRESH_BINARY_INV | cv2.THRESH_OTSU)[1]
    kernel = cv2.getStructuringElement(cv2.MORPH_RECT, (max(3, int(dpi * min_len_in)), 1))
    rules = cv2.morphologyEx(ink, cv2.MORPH_OPEN, kernel)
    out = grey.copy()
    out[rules > 0] = 255
    return out


# ---- the steps ----

def percentile_u8(img: np.ndarray, q: float) -> int:
    """The `q`th percentile of an 8-bit image, from its histogram (np.percentile sorts)."""
    hist = cv2.calcHist([np.ascontiguousarray(img)], [0], None, [256], [0, 256]).ravel()
    cum = np.cumsum(hist)
    return int(np.searchsorted(cum, q / 100.0 * (cum[-1] - 1) + 1))


def paper_level(gray_small: np.ndarray) -> int:
    """Grey level of the paper: the 90th percentile of the page (text covers far less than 10%)."""
    return percentile_u8(gray_small, 90)


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
    # one test per component, over all components at once (a page has thousands)
    x, y, bw, bh, area = (stats[1:, k].astype(np.float64) for k in range(5))
    cx, cy = cent[1:, 0], cent[1:, 1]
    touches = (x == 0) | (y == 0) | (x + bw >= w) | (y + bh >= h)
    border = touches & ((bw >= 0.2 * w) | (bh >= 0.2 * h) | (area >= 0.01 * h * w))
    fill = area / np.maximum(bw * bh, 1)
    aspect = bw / np.maximum(bh, 1)
    near = np.minimum(np.minimum(cx, cy), np.minimum(w - cx, h - cy)) <= 30 * mm
    hole = ((4 * mm <= bw) & (bw <= 10 * mm) & (0.8 <= aspect) & (aspect <= 1.25) & near
            & (0.65 <= fill) & (fill <= 0.9))
    keep = np.flatnonzero((border & borders) | (hole & holes)) + 1
    mask = np.zeros_like(small)
    if keep.size:
        mask[np.isin(labels, keep)] = 255
        mask = cv2.dilate(mask, np.ones((3, 3), np.uint8))
    return mask


def paint(img: np.ndarray, mask: np.ndarray, value: int | tuple) -> None:
    """Set the pixels of `img` under the (same-size) mask to `value`, in place."""
    h, w = img.shape[:2]
    c = img.shape[2] if img.ndim == 3 else 1
    row = np.tile(np.broadcast_to(np.asarray(value, np.uint8), (c,)), w)
    solid = np.empty((h, w * c), np.uint8)
    solid[:] = row  # one row broadcast down: much faster than broadcasting a pixel
    cv2.copyTo(solid.reshape(img.shape), mask, img)


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
    target = float(percentile_u8(bg_small, 95))
    if img.ndim == 3:
        bg = cv2.merge([bg] * img.shape[2])
    return cv2.divide(img, bg, scale=target)


def red_ink_mask(bgr: np.ndarray, min_excess: int, dark_below: int = 0) -> np.ndarray:
    """Mask (255) of red ink: red well above both green and blue, edges widened by one pixel
    (the pale fringe a scan and JPEG leave around red strokes), but never into a pixel darker
    than `dark_below` that is not red itself: where the seal crosses black print, the print
    stays whole (widened into it, the mask ate the strokes of "KT. CHỦ TỊCH" and "Bình")."""
    b, g, r = cv2.split(bgr[:, :, :3])
    excess = cv2.subtract(r, cv2.max(g, b))
    _, mask = cv2.threshold(excess, min_excess, 255, cv2.THRESH_BINARY)
    wide = cv2.dilate(mask, np.ones((3, 3), np.uint8))
    if dark_below:
        grey = cv2.cvtColor(np.ascontiguousarray(bgr[:, :, :3]), cv2.COLOR_BGR2GRAY)
        _, light = cv2.threshold(grey, dark_below - 1, 255, cv2.THRESH_BINARY)
        wide = cv2.bitwise_and(wide, cv2.bitwise_or(light, mask))
    return wide


def noise_sigma(gray: np.ndarray, median: np.ndarray) -> float:
    """Noise estimate in grey levels: the mean residual to the 3x3 median over paper pixels,
    scaled to a Gaussian std dev (calibrated on rendered pages with known noise)."""
    step = max(1, int(np.sqrt(gray.size / 400_000)))
    g, m = gray[::step, ::step], median[::step, ::step]
    paper = m > percentile_u8(m, 50) - 20
    if not paper.any():
        return 0.0
    d = cv2.absdiff(g, m)[paper]
    return float(d.mean()) * 2.6


def noise_sigma_of(img: np.ndarray) -> float:
    """`noise_sigma` of a page, measured on its central quarter at the scan's resolution (the
    calibrated scale) so that the 3x3 median is only computed on the whole page when needed."""
    h, w = img.shape[:2]
    crop = img[h // 4: h - h // 4, w // 4: w - w // 4]
    gray = to_grey(np.ascontiguousarray(crop))
    return noise_sigma(gray, cv2.medianBlur(gray, 3))


def count_ink_blobs(gray: np.ndarray, dpi: float, paper: int) -> int:
    """Number of text-sized dark blobs at 150 DPI (bleed-through is lighter than half the paper)."""
    small = reduce(gray, dpi, 150.0)
    ink = (small < paper * 0.5).astype(np.uint8)
    n, _, stats, _ = cv2.connectedComponentsWithStats(ink, connectivity=8)
    return int(np.count_nonzero(stats[1:, cv2.CC_STAT_AREA] >= 4))


def has_many_blobs(gray: np.ndarray, dpi: float, paper: int, many: int = 40) -> bool:
    """A quick look at SMALL_DPI: at least `many` dark blobs, so certainly not a blank page (a
    printed page has hundreds); saves the full count at 150 DPI for almost every page."""
    small = reduce(gray, dpi, SMALL_DPI)
    n = cv2.connectedComponents((small < paper * 0.5).astype(np.uint8), connectivity=8)[0]
    return n - 1 >= many


class Pyramid:
    """One page in the three sizes preparation works on: `display` (the scan's resolution),
    `mid` (the OCR resolution; the same array as `display` when that is the scan's), and
    `small` (SMALL_DPI, used before any geometry change only), each with its grey version.
    Geometry and cleaning steps are applied to every size so that the copies stay aligned.
    The scan passed in is never modified: the display is copied before it is painted."""

    def __init__(self, display: np.ndarray, dpi: float, mid_dpi: float):
        self.display, self.dpi, self.mid_dpi = display, dpi, mid_dpi
        self._owned = False
        self.mid = reduce(display, dpi, mid_dpi) if mid_dpi < dpi else display
        self.small: Any = reduce(self.mid, mid_dpi, SMALL_DPI)  # None once geometry is settled
        self.small_dpi = mid_dpi * self.small.shape[0] / self.mid.shape[0]
        self._regrey()

    def _regrey(self) -> None:
        self.grey_mid = to_grey(self.mid)
        self.grey_small: Any = to_grey(self.small) if self.small is not None else None

    def _shared(self) -> bool:
        return self.mid is self.display

    def to_grey(self) -> None:
        shared = self._shared()
        self.display = to_grey(self.display)
        self.mid = self.display if shared else to_grey(self.mid)
        self.small = to_grey(self.small)
        self._owned = True
        self._regrey()

    def paint(self, mask_small: np.ndarray, fill: int | tuple, paper: int) -> None:
        """Paint the mask (at small size) with `fill` in colour copies, `paper` in grey ones."""
        if not self._owned:
            shared = self._shared()
            self.display = self.display.copy()
            self.mid = self.display if shared else self.mid
            self._owned = True

        def fit(img: np.ndarray) -> np.ndarray:
            return cv2.resize(mask_small, img.shape[1::-1], interpolation=cv2.INTER_NEAREST)
        targets = [self.display] + ([] if self._shared() else [self.mid])
        for img in targets:
            paint(img, fit(img), fill)
        if self.mid.ndim == 3:
            paint(self.grey_mid, fit(self.grey_mid), paper)
        paint(self.small, mask_small, fill)
        if self.small.ndim == 3:
            paint(self.grey_small, mask_small, paper)

    def turn(self, clockwise_deg: int) -> None:
        shared = self._shared()
        self.display = turn(self.display, clockwise_deg)
        self.mid = self.display if shared else turn(self.mid, clockwise_deg)
        self.small = turn(self.small, clockwise_deg)
        self._owned = True
        self._regrey()

    def rotate(self, angle: float, fill: int | tuple) -> None:
        """Deskew the display (bicubic) and reduce the OCR copy from it again. Rotating the
        reduced copy instead is cheaper but cost word F1 on heavy pages (0.9615 -> 0.9582)."""
        self.display = rotate_within(self.display, angle, fill)
        self.mid = reduce(self.display, self.dpi, self.mid_dpi)
        self.small = None  # not needed after the geometry is settled
        self._owned = True
        self._regrey()

    def flatten(self, bg_small: np.ndarray) -> None:
        shared = self._shared()
        self.display = flat_field(self.display, bg_small)
        self.mid = self.display if shared else flat_field(self.mid, bg_small)
        self.small = None
        self._owned = True
        self._regrey()


def prepare_page(page: PageImage, opts: PrepareOptions = PrepareOptions(),
                 orient: Orienter | None = None) -> PreparedPage:
    """Straighten and clean one page; see the module docstring for the steps.

    `orient(grey, dpi) -> (deg, conf)` is the OSD detector (`TesseractEngine.detect_orientation`):
    `deg` is how far the page is turned clockwise, so it is turned back by `deg` counter-clockwise.
    Returns display (colour or grey, never binarised) and OCR copies of the same geometry (the OCR
    copy scaled by `ocr_scale`).

    The display is touched at full resolution only where people see the result (borders, turn,
    deskew, flat field); everything else (measuring, red ink, noise, blank test) runs on the
    copy reduced to the OCR resolution, which is reduced again only after a deskew."""
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
    # the OCR copy's resolution: the scan's, or reduced to ocr_max_dpi
    ocr_dpi = opts.ocr_max_dpi if opts.ocr_max_dpi and dpi > opts.ocr_max_dpi * 1.05 else dpi
    work = Pyramid(display, dpi, ocr_dpi)
    colour = display.ndim == 3 and is_colour(work.small)
    if display.ndim == 3 and not colour:
        work.to_grey()
        notes.append("grey page stored as grey")
    paper = paper_level(work.grey_small)
    fill = paper if not colour else tuple(percentile_u8(work.small[:, :, c], 90) for c in range(3))
    edited = False
    lap("grey")

    if opts.borders or opts.punch_holes:
        m = border_and_hole_mask(work.grey_small, work.small_dpi, paper,
                                 opts.borders, opts.punch_holes)
        if m.any():
            work.paint(m, fill, paper)
            edited = True
            notes.append(f"borders/holes painted ({np.count_nonzero(m) / m.size:.1%} of page)")
        lap("borders")

    rotation = 0
    if opts.orientation and orient is not None:
        osd = reduce(work.grey_mid, ocr_dpi, opts.osd_dpi)
        deg, conf = orient(np.ascontiguousarray(osd), min(ocr_dpi, opts.osd_dpi))
        if deg % 360 and conf >= opts.osd_min_conf:
            rotation = (360 - deg) % 360
            work.turn(rotation)
            edited = True
            notes.append(f"turned {rotation} deg clockwise (OSD conf {conf:.1f})")
        elif deg % 360:
            notes.append(f"OSD said {deg} deg at conf {conf:.1f}: not trusted")
        lap("orientation")

    skew = 0.0
    if opts.deskew:
        skew = skew_of(work.grey_small, reduce(work.grey_mid, ocr_dpi, FINE_DPI),
                       max_skew=opts.max_skew)
        lap("skew_measure")
        if abs(skew) >= opts.min_skew and not has_many_blobs(
                work.grey_mid, ocr_dpi, paper, 5 * opts.blank_max_components):
            # too few printed marks to be text lines (a blank page, a bleed-through back):
            # what was measured is paper texture or a stray mark, nothing to turn by
            notes.append(f"no text lines to straighten by: skew {skew:+.2f} deg ignored")
            skew = 0.0
        if abs(skew) >= opts.min_skew:
            work.rotate(-skew, fill)
            edited = True
            notes.append(f"deskewed {skew:+.2f} deg")
        lap("deskew_rotate")

    if opts.flat_field:
        bg = background_map(work.grey_mid, ocr_dpi)
        spread = float(percentile_u8(bg, 98) - percentile_u8(bg, 2))
        if spread >= opts.flat_field_min_range:
            work.flatten(bg)
            edited = True
            paper = paper_level(reduce(work.grey_mid, ocr_dpi, SMALL_DPI))
            notes.append(f"flat-field (background spread {spread:.0f})")
        lap("flat_field")

    display, ocr = work.display, work.grey_mid
    unred = None  # the grey page at the scan's resolution with red ink painted out, if any
    if colour and opts.red_dropout:
        red = red_ink_mask(display, opts.red_min_excess, int(paper * 0.5))
        share = np.count_nonzero(red) / red.size
        if share > 1e-4:
            # Painted at the scan's resolution, where red and black ink are still apart, then
            # reduced. Found and painted on the reduced copy instead, the seal's blurred edge
            # stayed or took the black strokes under it: real scans' signer_title 94% -> 61%,
            # signer_name 100% -> 61% (scripts/eval_fields.py).
            unred = to_grey(display)  # a new array: the display is colour here
            paint(unred, red, paper)
            ocr = reduce(unred, dpi, ocr_dpi)
            notes.append(f"red ink removed from OCR copy ({share:.2%} of page)")
        lap("red_dropout")

    if opts.despeckle:
        sigma = noise_sigma_of(display)
        if sigma >= opts.noise_sigma:
            # rare (very noisy scans): the median runs at the scan's resolution, as calibrated
            base = unred if unred is not None else to_grey(display)
            ocr = reduce(cv2.medianBlur(base, 3), dpi, ocr_dpi)
            notes.append(f"despeckled (noise sigma ~{sigma:.0f})")
        lap("despeckle")

    blank = False
    if opts.detect_blank:
        if not has_many_blobs(ocr, ocr_dpi, paper, 5 * opts.blank_max_components):
            blobs = count_ink_blobs(ocr, ocr_dpi, paper)
            blank = blobs <= opts.blank_max_components
            if blank:
                notes.append(f"blank page ({blobs} ink blobs)")
        lap("blank")

    scale = ocr_dpi / dpi
    if ocr_dpi != dpi:
        notes.append(f"OCR copy read at {ocr_dpi:g} DPI")
    elif opts.ocr_min_dpi and dpi < opts.ocr_min_dpi:
        scale = opts.ocr_min_dpi / dpi
        ocr = scale_to_dpi(ocr, dpi, opts.ocr_min_dpi)
        notes.append(f"OCR copy upsampled x{scale:.2f}" + (" (DPI assumed)" if page.dpi_assumed
                                                          else ""))
    if opts.binarize:
        _, ocr = cv2.threshold(ocr, 0, 255, cv2.THRESH_BINARY | cv2.THRESH_OTSU)
    lap("ocr_copy")

    return PreparedPage(display=display, ocr_image=np.ascontiguousarray(ocr), dpi=dpi,
                        ocr_scale=scale, rotation=rotation, skew_degrees=skew, blank=blank,
                        notes=notes, timings=timings, colour=colour, edited=edited)
