"""Read handwritten digits: the number and the day written by hand into the blanks of a form.

Tesseract's models are trained on print and read these blanks badly (5 of 36 right on the real
scans). This reader cuts the blank into ink blobs (one per digit; wide blobs are split),
scales each like an MNIST digit (20 px in a 28 px square, centred on its mass, strokes brought to
MNIST's weight), describes it by gradient-orientation histograms and asks its nearest neighbours
among handwritten digits (ocr/data/digits.npz, built by scripts/train_digits.py from MNIST, with
crossed sevens, lead-in ones and closed fours added as Vietnamese hands write them).

    reader = HandDigits()
    reader.read(grey_page, box)   # -> ("05", 0.8) or None; confidence = weakest digit's vote share

The confidence is how unanimous the neighbours were for the weakest digit; callers should still
treat a handwritten reading as needing a person's check unless another reading agrees.
"""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from ocr.types import Box

MODEL = Path(__file__).with_name("data") / "digits.npz"
K = 5
SIZE = 28
MNIST_MASS = 104.0  # median ink of an MNIST digit, in full-intensity pixels


def deskew(img: np.ndarray) -> np.ndarray:
    """Undo the slant of a 28x28 digit (second-order moments)."""
    m = cv2.moments(img)
    if abs(m["mu02"]) < 1e-2:
        return img.copy()
    skew = m["mu11"] / m["mu02"]
    warp = np.array([[1, skew, -0.5 * SIZE * skew], [0, 1, 0]], dtype=np.float32)
    return cv2.warpAffine(img, warp, (SIZE, SIZE), flags=cv2.WARP_INVERSE_MAP | cv2.INTER_LINEAR)


def features(img: np.ndarray) -> np.ndarray:
    """128 numbers: 8 gradient orientations in a 4x4 grid of the deskewed digit, normalised."""
    g = deskew(img).astype(np.float32)
    gx, gy = cv2.Sobel(g, cv2.CV_32F, 1, 0), cv2.Sobel(g, cv2.CV_32F, 0, 1)
    mag = np.hypot(gx, gy)
    ang = (np.arctan2(gy, gx) % (2 * np.pi)) / (2 * np.pi) * 8
    b0 = np.floor(ang).astype(int) % 8
    w1 = ang - np.floor(ang)
    b1 = (b0 + 1) % 8
    hist = np.zeros((4, 4, 8), np.float32)
    for o in range(8):
        m = mag * ((b0 == o) * (1 - w1) + (b1 == o) * w1)
        hist[:, :, o] = m.reshape(4, 7, 4, 7).sum(axis=(1, 3))
    f = np.sqrt(hist.ravel())
    return f / (np.linalg.norm(f) + 1e-6)


def to_mnist(ink: np.ndarray) -> np.ndarray:
    """A white-on-black blob as an MNIST-like 28x28 digit."""
    h, w = ink.shape
    s = 20.0 / max(h, w)
    nh, nw = max(1, int(round(h * s))), max(1, int(round(w * s)))
    small = cv2.resize(ink, (nw, nh), interpolation=cv2.INTER_AREA)
    out = np.zeros((SIZE, SIZE), np.uint8)
    y, x = (SIZE - nh) // 2, (SIZE - nw) // 2
    out[y:y + nh, x:x + nw] = small
    m = cv2.moments(out)
    if m["m00"] > 0:
        cx, cy = m["m10"] / m["m00"], m["m01"] / m["m00"]
        shift = np.array([[1, 0, 14 - cx], [0, 1, 14 - cy]], dtype=np.float32)
        out = cv2.warpAffine(out, shift, (SIZE, SIZE))
    cross = cv2.getStructuringElement(cv2.MORPH_CROSS, (3, 3))
    for _ in range(3):  # a thin pen or a felt tip, brought to MNIST's stroke weight
        mass = out.sum() / 255.0
        if mass < 0.75 * MNIST_MASS:
            out = cv2.dilate(out, cross)
        elif mass > 1.4 * MNIST_MASS:
            out = cv2.erode(out, cross)
        else:
            break
    return out


def blobs(grey: np.ndarray, line_height: float) -> list[np.ndarray]:
    """The ink blobs of a blank, left to right, each a white-on-black mask: underlines and
    dotted leaders removed, pieces of one digit merged, two touching digits split."""
    _, bw = cv2.threshold(grey, 0, 255, cv2.THRESH_BINARY_INV + cv2.THRESH_OTSU)
    rule = cv2.getStructuringElement(cv2.MORPH_RECT, (max(int(1.5 * line_height), 10), 1))
    bw = cv2.subtract(bw, cv2.morphologyEx(bw, cv2.MORPH_OPEN, rule))
    n, labels, st, _ = cv2.connectedComponentsWithStats(bw, 8)
    # a digit in the blank stands on the line; ink that starts below the line is the next line's
    below = 1.5 * line_height
    comps: list[list[Any]] = sorted([int(st[i, 0]), int(st[i, 1]), int(st[i, 0] + st[i, 2]),
                    int(st[i, 1] + st[i, 3]), [i]] for i in range(1, n)
                   if st[i, 4] > 0.02 * line_height ** 2 and st[i, 1] < below)
    merged: list[list[Any]] = []
    for c in comps:
        m = merged[-1] if merged else None
        if (m and c[0] < m[2] - 0.25 * (c[2] - c[0])
                and min(m[3], c[3]) - max(m[1], c[1]) > -0.3 * line_height):
            merged[-1] = [min(m[0], c[0]), min(m[1], c[1]), max(m[2], c[2]), max(m[3], c[3]),
                          m[4] + c[4]]
        else:
            merged.append(c)
    merged = [c for c in merged if c[3] - c[1] >= 0.55 * line_height]  # dots, commas
    if len(merged) >= 2:  # a digit is as tall as its neighbours; a rule or a stray tick is not
        hs = sorted(c[3] - c[1] for c in merged)
        mid = hs[len(hs) // 2]
        merged = [c for c in merged if 0.45 * mid <= c[3] - c[1] <= 1.6 * mid]
    out = []
    for x0, y0, x1, y1, ids in merged:
        mask = np.isin(labels[y0:y1, x0:x1], ids).astype(np.uint8) * 255
        out += _split_touching(mask)
    if out and _is_slash(out[-1]):
        out.pop()  # the printed slash of "15/QĐ-UBND" at the blank's right edge, not a one
    return out


def _is_slash(mask: np.ndarray) -> bool:
    """A thin stroke leaning well to the right: "/", where a hand's "1" stands near upright."""
    h, w = mask.shape
    if w > 0.6 * h:
        return False
    m = cv2.moments(mask, binaryImage=True)
    return m["mu02"] > 0 and -m["mu11"] / m["mu02"] > 0.3


def _split_touching(mask: np.ndarray) -> list[np.ndarray]:
    """A blob much wider than tall is digits written touching ("574"): cut it into as many
    digits as its width holds, each cut at the thinnest column near where it should fall."""
    h, w = mask.shape
    n = int(round(w / (0.75 * h))) if w > 1.25 * h else 1
    if n < 2:
        return [mask]
    cols = mask.sum(0)
    cuts, start = [], 0
    for i in range(1, n):
        mid = int(i * w / n)
        lo, hi = max(start + 1, mid - w // (3 * n)), min(w - 1, mid + w // (3 * n))
        cut = lo + int(cols[lo:hi].argmin()) if hi > lo else mid
        cuts.append(cut)
        start = cut
    edges = [0] + cuts + [w]
    return [mask[:, a:b] for a, b in zip(edges, edges[1:]) if b - a > 1]


@lru_cache(maxsize=1)
def _model() -> tuple[np.ndarray, np.ndarray]:
    data = np.load(MODEL)
    return data["features"].astype(np.float32), data["labels"].astype(np.int64)


def classify(digit: np.ndarray) -> tuple[int, float]:
    """(digit, share of the distance-weighted vote of its K nearest neighbours)."""
    feats, labels = _model()
    d = ((feats - features(digit)) ** 2).sum(1)
    near = np.argpartition(d, K)[:K]
    votes = np.bincount(labels[near], weights=1.0 / (d[near] + 1e-3), minlength=10)
    return int(votes.argmax()), float(votes.max() / votes.sum())


class HandDigits:
    """Reads a handwritten number in a box of a grey page image."""

    def __init__(self, max_digits: int = 6):
        self.max_digits = max_digits

    def read(self, grey: np.ndarray, box: Box) -> tuple[str, float] | None:
        """The digits in `box` (which should reach above and below the line: see
        digitize.fields.text.blank_box) and the weakest digit's vote share, or None."""
        if grey.ndim == 3:
            grey = cv2.cvtColor(grey, cv2.COLOR_BGR2GRAY)
        h, w = grey.shape[:2]
        x0, y0, x1, y1 = max(box.x0, 0), max(box.y0, 0), min(box.x1, w), min(box.y1, h)
        if x1 - x0 < 8 or y1 - y0 < 8:
            return None
        line_height = (y1 - y0) / 2.2  # blank_box reaches 0.7 line above, 0.5 below
        parts = blobs(grey[y0:y1, x0:x1], line_height)
        if not parts or len(parts) > self.max_digits:
            return None
        read = [classify(to_mnist(p)) for p in parts]
        return "".join(str(d) for d, _ in read), min(c for _, c in read)
