"""Page geometry: skew measurement by projection profile, and rotations that keep the whole page.

Skew is measured on the ink pixels of a reduced copy: for each trial angle the pixels are sheared
so that lines at that angle become rows, and the angle whose row histogram is sharpest (largest sum
of squares) wins. Shearing point coordinates costs one `bincount` per angle, so a coarse search
over +-15 degrees and a fine one to 0.05 degree take a few milliseconds (measured: projection
profiles are exact to 0.1 degree, Hough lines and minAreaRect are slower or worse).
"""
from __future__ import annotations

import cv2
import numpy as np

SKEW_DPI = 75.0          # the coarse search runs at quarter scale of a 300 DPI page
FINE_DPI = 150.0         # the fine search at half scale, for 0.05 degree resolution
MAX_SKEW = 15.0
MIN_INK_POINTS = 400


def reduce(gray: np.ndarray, dpi: float, target_dpi: float) -> np.ndarray:
    """`gray` resampled to about `target_dpi` (never enlarged)."""
    f = min(1.0, target_dpi / dpi)
    if f >= 0.999:
        return gray
    return cv2.resize(gray, None, fx=f, fy=f, interpolation=cv2.INTER_AREA)


def ink_points(gray: np.ndarray, ignore: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Coordinates (x, y) of dark pixels (Otsu) in `gray`, minus the `ignore` mask."""
    _, ink = cv2.threshold(gray, 0, 255, cv2.THRESH_BINARY_INV | cv2.THRESH_OTSU)
    if ignore is not None:
        ink[ignore > 0] = 0
    ys, xs = np.nonzero(ink)
    return xs.astype(np.float32), ys.astype(np.float32)


def _profile_score(xs: np.ndarray, ys: np.ndarray, angle: float, height: int) -> float:
    # A line drawn at `angle` degrees counter-clockwise rises to the right: y = y0 - x*tan(angle).
    t = np.tan(np.radians(angle))
    rows = ys + xs * t
    offset = abs(t) * (xs.max() if xs.size else 0) + 1
    idx = (rows + offset).astype(np.int64)
    hist = np.bincount(idx, minlength=int(height + 2 * offset + 2)).astype(np.float64)
    return float(np.dot(hist, hist))


def _best_angle(xs, ys, height, angles) -> tuple[float, list[float]]:
    scores = [_profile_score(xs, ys, a, height) for a in angles]
    i = int(np.argmax(scores))
    best = float(angles[i])
    if 0 < i < len(angles) - 1:  # parabolic refinement between grid points
        s0, s1, s2 = scores[i - 1], scores[i], scores[i + 1]
        den = s0 - 2 * s1 + s2
        if den < 0:
            best += 0.5 * (s0 - s2) / den * float(angles[1] - angles[0])
    return best, scores


def measure_skew(gray: np.ndarray, dpi: float, ignore: np.ndarray | None = None,
                 max_skew: float = MAX_SKEW) -> float:
    """Skew of the text lines in degrees, counter-clockwise positive (the angle to rotate back by
    clockwise). `ignore` (same shape as `gray`, non-zero = skip) masks borders and holes.
    Returns 0.0 when the page has too little ink to tell."""
    small = reduce(gray, dpi, SKEW_DPI)
    ign = None if ignore is None else cv2.resize(ignore, small.shape[::-1],
                                                 interpolation=cv2.INTER_NEAREST)
    xs, ys = ink_points(small, ign)
    if xs.size < MIN_INK_POINTS:
        return 0.0
    coarse = np.arange(-max_skew, max_skew + 1e-6, 0.5)
    best, scores = _best_angle(xs, ys, small.shape[0], coarse)
    if max(scores) <= 1.05 * min(scores):  # flat profile: no text lines to align
        return 0.0
    mid = reduce(gray, dpi, FINE_DPI)
    if mid.shape != small.shape:
        ign = None if ignore is None else cv2.resize(ignore, mid.shape[::-1],
                                                     interpolation=cv2.INTER_NEAREST)
        xs, ys = ink_points(mid, ign)
    if xs.size > 150_000:  # keep the fine search at a few milliseconds
        keep = np.random.default_rng(0).choice(xs.size, 150_000, replace=False)
        xs, ys = xs[keep], ys[keep]
    fine = np.arange(best - 0.6, best + 0.6 + 1e-6, 0.05)
    best, _ = _best_angle(xs, ys, mid.shape[0], fine)
    return round(best, 2)


def rotate_expand(img: np.ndarray, angle: float, fill: int | tuple[int, ...]) -> np.ndarray:
    """`img` rotated counter-clockwise by `angle` degrees on a canvas grown so that no corner is
    cut; new area filled with `fill` (the page's background)."""
    h, w = img.shape[:2]
    m = cv2.getRotationMatrix2D((w / 2.0, h / 2.0), angle, 1.0)
    cos, sin = abs(m[0, 0]), abs(m[0, 1])
    nw, nh = int(np.ceil(h * sin + w * cos)), int(np.ceil(h * cos + w * sin))
    m[0, 2] += nw / 2.0 - w / 2.0
    m[1, 2] += nh / 2.0 - h / 2.0
    if img.ndim == 3 and not isinstance(fill, tuple):
        fill = (fill,) * img.shape[2]
    out = cv2.warpAffine(img, m, (nw, nh), flags=cv2.INTER_CUBIC,
                         borderMode=cv2.BORDER_CONSTANT, borderValue=fill)
    return out


def turn(img: np.ndarray, clockwise_deg: int) -> np.ndarray:
    """`img` turned clockwise by 0/90/180/270 degrees (lossless)."""
    k = (clockwise_deg // 90) % 4
    codes = {1: cv2.ROTATE_90_CLOCKWISE, 2: cv2.ROTATE_180, 3: cv2.ROTATE_90_COUNTERCLOCKWISE}
    return img if k == 0 else cv2.rotate(img, codes[k])
