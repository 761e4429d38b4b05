"""The OCR engine seam, and the Tesseract adapter behind it (the only module that talks to
Tesseract).

    engine = make_engine(EngineSettings(lang="vie"))          # "tesseract" unless settings say
    words = engine.recognize(page_image, dpi)

Engines are picked by name (`EngineSettings.engine`) from ENGINES; each fulfils OcrEngine. Besides
Tesseract there is `fake` (ocr/fake.py): it recognises nothing, for tests and benchmarks that need
records but not real text. The Tesseract engine runs in-process through tesserocr, so each worker
loads the `vie` model once and hands images over as raw bytes (no temporary files, no re-encoding).
One recognition per page gives everything the pipeline needs: words with boxes, confidences, line
and block numbers.
"""
from __future__ import annotations

import os
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from typing import Callable, Protocol

import numpy as np

from ocr.errors import OcrError, OcrTimeout
from ocr.types import Box, Word

# One thread per recognizer: parallelism comes from worker processes (measured ~4x faster on 2 cores).
os.environ.setdefault("OMP_THREAD_LIMIT", "1")

TESSDATA_DIRS = ("/usr/share/tesseract-ocr/5/tessdata", "/usr/share/tesseract-ocr/4.00/tessdata",
                 "/usr/share/tessdata", "/usr/local/share/tessdata")


def _tessdata_dirs() -> list[str]:
    env = os.environ.get("TESSDATA_PREFIX")
    return ([env] if env else []) + list(TESSDATA_DIRS)


def find_tessdata(lang: str = "vie") -> str:
    """The tessdata folder holding every model in `lang` ("vie", "vie+Vietnamese", ...)."""
    wanted = lang.split("+")
    for d in _tessdata_dirs():
        if d and all(m and (Path(d) / f"{m}.traineddata").exists() for m in wanted):
            return d
    have = installed_models()
    missing = [m for m in wanted if m not in have] or wanted
    raise OcrError(f"Tesseract model {'+'.join(missing)!r} is not installed (installed: "
                   f"{', '.join(have) or 'none'}); Debian packages a model as tesseract-ocr-NAME "
                   "(tesseract-ocr-script-viet for 'Vietnamese')")


def installed_models() -> list[str]:
    """Names of the Tesseract models found in the tessdata folders ("vie", "Vietnamese", ...),
    sorted; "osd" (orientation detection) is not a language and is left out."""
    names: set[str] = set()
    for d in _tessdata_dirs():
        if d and Path(d).is_dir():
            names |= {p.name.removesuffix(".traineddata")
                      for p in Path(d).glob("*.traineddata")}
    names.discard("osd")
    return sorted(names, key=str.lower)


# Look-alikes the `vie` model emits that Vietnamese never uses: Icelandic eth for đ/Đ, the
# fraction slash in document numbers such as "15⁄QĐ-UBND".
_LOOKALIKES = str.maketrans({"\u00d0": "\u0110", "\u00f0": "\u0111", "\u2044": "/",
                             "\u2215": "/"})


def clean_text(text: str) -> str:
    """NFC, with look-alike characters replaced by the Vietnamese ones they stand for."""
    return unicodedata.normalize("NFC", text).translate(_LOOKALIKES)


@dataclass(frozen=True)
class EngineSettings:
    """How the page recognizer runs. `invert`: Tesseract's habit of reading every line whose
    confidence is low a second time as white-on-black; administrative pages print none, and with
    it off eval_ocr gave the same scores (heavy CER 6.85/6.86%) for 4-5% less recognition time on
    degraded pages. `invert=True` is Tesseract's own default (the benchmark's floor)."""
    lang: str = "vie"
    psm: int = 3
    timeout_s: float = 180.0
    invert: bool = False
    engine: str = "tesseract"  # a name in ENGINES


class OcrEngine(Protocol):
    """What the pipeline asks of a recognizer. One per worker process; not thread-safe."""

    def recognize(self, image: np.ndarray, dpi: float) -> list[Word]:
        """Words of one page, in reading order, NFC, confidences 0..100."""

    def detect_orientation(self, gray: np.ndarray, dpi: float) -> tuple[int, float]:
        """(clockwise turn of the page: 0/90/180/270, confidence)."""

    def read_digits(self, image: np.ndarray, box: Box, dpi: float, pad: int = 6
                    ) -> tuple[str, float] | None:
        """The digits in `box` (handwritten numbers and days), with a confidence 0..100."""

    def read_region(self, image: np.ndarray, dpi: float, sparse: bool = False
                    ) -> tuple[str, float] | None:
        """A crop read again on its own (one line, or scattered text)."""

    def close(self) -> None: ...


class TesseractEngine:
    """One in-process Tesseract recognizer. Not thread-safe: make one per worker process."""

    def __init__(self, settings: EngineSettings = EngineSettings()):
        import tesserocr

        self._t = tesserocr
        self.settings = settings
        self._api = tesserocr.PyTessBaseAPI(path=find_tessdata(settings.lang), lang=settings.lang,
                                            psm=settings.psm)
        if not settings.invert:
            self._api.SetVariable("tessedit_do_invert", "0")
        self._osd: Any = None  # tesserocr APIs made on first use (tesserocr has no types)
        self._digits: Any = None
        self._line: Any = None

    def close(self) -> None:
        self._api.End()
        for extra in (self._osd, self._digits, self._line):
            if extra is not None:
                extra.End()

    def _set_image(self, api, image: np.ndarray, dpi: float) -> None:
        img = np.ascontiguousarray(image)
        if img.ndim == 3:
            h, w, c = img.shape
            img = np.ascontiguousarray(img[:, :, ::-1]) if c == 3 else img  # BGR -> RGB
            api.SetImageBytes(img.tobytes(), w, h, c, w * c)
        else:
            h, w = img.shape
            api.SetImageBytes(img.tobytes(), w, h, 1, w)
        api.SetSourceResolution(int(round(dpi)))

    def recognize(self, image: np.ndarray, dpi: float) -> list[Word]:
        """Recognise one page image; returns words in reading order, NFC, with 0..100 confidences.

        Raises OcrTimeout when recognition exceeds the configured time, OcrError on failure."""
        api, t = self._api, self._t
        self._set_image(api, image, dpi)
        ok = api.Recognize(int(self.settings.timeout_s * 1000))
        if not ok:
            api.Clear()
            raise OcrTimeout(f"OCR did not finish within {self.settings.timeout_s:.0f} s")
        words: list[Word] = []
        it = api.GetIterator()
        level, line_no, block_no = t.RIL.WORD, -1, -1
        if it is not None:
            for r in t.iterate_level(it, level):
                text = r.GetUTF8Text(level)
                if r.IsAtBeginningOf(t.RIL.BLOCK):
                    block_no += 1
                if r.IsAtBeginningOf(t.RIL.TEXTLINE):
                    line_no += 1
                if not text or not text.strip():
                    continue
                bb = r.BoundingBox(level)
                if bb is None:
                    continue
                words.append(Word(clean_text(text.strip()), Box(*bb),
                                  float(r.Confidence(level)), max(line_no, 0), max(block_no, 0)))
        api.Clear()
        return words

    def detect_orientation(self, gray: np.ndarray, dpi: float) -> tuple[int, float]:
        """How far the page is already turned clockwise (0/90/180/270; turn it back by that much
        counter-clockwise to make it upright), and OSD's confidence."""
        t = self._t
        if self._osd is None:
            self._osd = t.PyTessBaseAPI(path=find_tessdata("osd"), lang="osd",
                                        psm=t.PSM.OSD_ONLY)
        self._set_image(self._osd, gray, dpi)
        try:
            res = self._osd.DetectOrientationScript()
        except RuntimeError:
            res = None
        self._osd.Clear()
        if not res:
            return 0, 0.0
        return int(res.get("orient_deg", 0)) % 360, float(res.get("orient_conf", 0.0))

    def read_digits(self, image: np.ndarray, box: Box, dpi: float, pad: int = 6
                    ) -> tuple[str, float] | None:
        """Read the region `box` of `image` as one line of digits only (handwritten numbers and
        days in the blanks after "Số:" and "ngày"). Returns (digits, confidence 0..100)."""
        t = self._t
        if self._digits is None:
            self._digits = t.PyTessBaseAPI(path=find_tessdata(self.settings.lang),
                                           lang=self.settings.lang, psm=t.PSM.SINGLE_LINE)
            self._digits.SetVariable("tessedit_char_whitelist", "0123456789")
        h, w = image.shape[:2]
        x0, y0 = max(box.x0 - pad, 0), max(box.y0 - pad, 0)
        x1, y1 = min(box.x1 + pad, w), min(box.y1 + pad, h)
        if x1 - x0 < 4 or y1 - y0 < 4:
            return None
        self._set_image(self._digits, image[y0:y1, x0:x1], dpi)
        if not self._digits.Recognize(int(self.settings.timeout_s * 1000)):
            self._digits.Clear()
            return None
        text = "".join(ch for ch in (self._digits.GetUTF8Text() or "") if ch.isdigit())
        conf = float(self._digits.MeanTextConf())
        self._digits.Clear()
        return (text, conf) if text else None

    def read_region(self, image: np.ndarray, dpi: float, sparse: bool = False
                    ) -> tuple[str, float] | None:
        """Read `image`, a crop of the page, again on its own: as one line of text, or with
        `sparse` as scattered pieces of text (lines joined by newlines), for words the page
        layout lost to a stamp or a seal drawn through them. Returns (text, confidence 0..100)."""
        t = self._t
        if self._line is None:
            self._line = t.PyTessBaseAPI(path=find_tessdata(self.settings.lang),
                                         lang=self.settings.lang, psm=t.PSM.SINGLE_LINE)
        if image.shape[0] < 4 or image.shape[1] < 4:
            return None
        api = self._line
        api.SetPageSegMode(t.PSM.SPARSE_TEXT if sparse else t.PSM.SINGLE_LINE)
        self._set_image(api, image, dpi)
        if not api.Recognize(int(self.settings.timeout_s * 1000)):
            api.Clear()
            return None
        lines = [" ".join(l.split()) for l in (api.GetUTF8Text() or "").splitlines()]
        text = clean_text("\n".join(l for l in lines if l))
        conf = float(api.MeanTextConf())
        api.Clear()
        return (text, conf) if text else None


def _fake(settings: EngineSettings) -> OcrEngine:
    from ocr.fake import FakeEngine
    return FakeEngine(settings)


ENGINES: dict[str, Callable[[EngineSettings], OcrEngine]] = {
    "tesseract": TesseractEngine,
    "fake": _fake,
}


def make_engine(settings: EngineSettings) -> OcrEngine:
    """The engine `settings.engine` names (OcrError for an unknown name)."""
    try:
        factory = ENGINES[settings.engine]
    except KeyError:
        raise OcrError(f"unknown OCR engine {settings.engine!r}: use one of "
                       f"{', '.join(sorted(ENGINES))}") from None
    return factory(settings)
