"""One page through the worker: upright reading first, orientation detection only when needed."""
from __future__ import annotations

from scripts.pagegen.render import render_page
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


def test_read_line_reads_a_line_struck_by_a_stamp_frame():
    """The pipeline's second reading of a subject line that lost words: one line read on its
    own, long rules erased first. (On this clean rendering the page layout keeps the words too;
    the real scan where it did not is measured by scripts/eval_fields.py.)"""
    import numpy as np
    from PIL import Image, ImageDraw, ImageFont

    from digitize.pipeline import read_region
    from scripts.pagegen.render import find_font
    from ocr.engine import TesseractEngine
    from ocr.types import Box
    img = Image.new("L", (2000, 120), 255)
    d = ImageDraw.Draw(img)
    font = ImageFont.truetype(find_font("bold"), 50)
    d.text((150, 25), "thực hiện dự án sử dụng vốn ngoài ngân sách", font=font, fill=0)
    base = 25 + font.getbbox("thực")[3] - 2
    d.rectangle((0, base, 700, base + 3), fill=0)  # the frame's top edge, through the letters
    d.rectangle((0, base, 4, 119), fill=0)         # and its left side
    engine = TesseractEngine()
    try:
        got = read_region(engine, np.asarray(img), Box(0, 10, 2000, 110), 300)
    finally:
        engine.close()
    assert got is not None
    assert "thực hiện dự án sử dụng vốn" in got[0], got


def test_erase_rules_takes_long_rules_and_keeps_letters():
    import numpy as np
    from ocr.prepare import erase_rules
    img = np.full((60, 600), 255, np.uint8)
    img[40:43, 0:500] = 0          # a rule 500 px long
    img[10:40, 100:104] = 0        # a letter's stem standing on it
    img[10:13, 300:330] = 0        # a short bar (a letter's, a dash): kept
    out = erase_rules(img, 300)
    assert (out[40:43, 0:500] == 255).all()
    assert (out[10:40, 100:104] == 0).all() and (out[10:13, 300:330] == 0).all()
