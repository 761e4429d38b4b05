"""One page through the worker: upright reading first, orientation detection only when needed."""
from __future__ import annotations

from digitize.samples import render_page
from digitize.worker import PageTask, process_page
from ocr.engine import clean_text


def test_page_turned_upside_down_is_read_upright(tmp_path):
    img = render_page(dpi=150).rotate(180)
    src = tmp_path / "turned.png"
    img.save(src, dpi=(150, 150))
    done = process_page(PageTask("doc", 1, str(src), "image", 0, str(tmp_path)))
    assert done.error is None
    assert any("turned 180" in n for n in done.notes)
    assert "QUYẾT ĐỊNH" in done.text.text
    assert done.text.mean_conf > 70


def test_lookalike_characters_are_mended():
    assert clean_text("15\u2044Q\u00d0-UBND") == "15/QĐ-UBND"
    assert clean_text("\u00f0a\u0300") == "đà"
