"""The OCR engine seam (ocr.engine.OcrEngine, picked by name): the pipeline runs the same with the
`fake` engine, which recognises nothing, so tests that need records but not text can skip
Tesseract; an unknown engine name is one clear error."""
from __future__ import annotations

import json

import numpy as np
import pytest
from click.testing import CliRunner

from archive_helpers import small_doc
from digitize.cli import main
from ocr.engine import ENGINES, EngineSettings, OcrEngine, make_engine
from ocr.errors import OcrError


def test_engines_fulfil_the_protocol():
    assert {"tesseract", "fake"} <= set(ENGINES)
    fake = make_engine(EngineSettings(engine="fake"))
    for name in ("recognize", "detect_orientation", "read_digits", "read_region", "close"):
        assert callable(getattr(fake, name)) and hasattr(OcrEngine, name)
    page = np.full((200, 300), 255, np.uint8)
    page[40:52, 20:280] = 0
    page[100:110, 30:200] = 0
    words = fake.recognize(page, 150)
    assert [w.line for w in words] == [0, 1] and words[0].box.y0 == 40
    with pytest.raises(OcrError, match="unknown OCR engine"):
        make_engine(EngineSettings(engine="nope"))


def test_ingest_with_the_fake_engine(tmp_path):
    scan = small_doc(tmp_path / "a.png", 41)
    r = CliRunner().invoke(main, ["ingest", str(scan), "--archive", str(tmp_path / "ar"),
                                  "--jobs", "1", "--json"], env={"DIGITIZE_OCR_ENGINE": "fake"})
    assert r.exit_code == 0, r.output
    out = json.loads(r.output.splitlines()[-1])
    assert out["status"] == "stored" and out["pages"] == 1
    text = next((tmp_path / "ar").rglob("p0001.txt")).read_text(encoding="utf-8")
    assert set(text.split()) == {"fake"}
