"""An OCR engine that recognises nothing: the seam's stand-in for tests and benchmarks that need
records to exist (storage, signing, packaging, crash tests) but not what a page says.

It "reads" each band of dark rows on the page as one line holding one word, `fake`, with a box
around the band, so pages still get words, lines and boxes, deterministically and in a few
milliseconds. Pick it with EngineSettings(engine="fake") (DIGITIZE_OCR_ENGINE=fake).
"""
from __future__ import annotations

import numpy as np

from ocr.types import Box, Word


class FakeEngine:
    """OcrEngine without recognition (see the module's docstring)."""

    def __init__(self, settings=None):
        self.settings = settings

    def recognize(self, image: np.ndarray, dpi: float) -> list[Word]:
        grey = image if image.ndim == 2 else image.mean(axis=2)
        dark_rows = np.flatnonzero((grey < 128).sum(axis=1) > 2)
        words: list[Word] = []
        if dark_rows.size == 0:
            return words
        breaks = np.flatnonzero(np.diff(dark_rows) > 1)
        starts = np.concatenate(([dark_rows[0]], dark_rows[breaks + 1]))
        ends = np.concatenate((dark_rows[breaks], [dark_rows[-1]]))
        for line, (y0, y1) in enumerate(zip(starts, ends)):
            cols = np.flatnonzero((grey[y0:y1 + 1] < 128).any(axis=0))
            words.append(Word("fake", Box(int(cols[0]), int(y0), int(cols[-1]) + 1, int(y1) + 1),
                              90.0, line, 0))
        return words

    def detect_orientation(self, gray: np.ndarray, dpi: float) -> tuple[int, float]:
        return 0, 0.0

    def read_digits(self, image, box, dpi, pad=6):
        return None

    def read_region(self, image, dpi, sparse=False):
        return None

    def close(self) -> None:
        pass
