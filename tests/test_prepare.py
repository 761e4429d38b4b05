"""Image preparation on rendered Decree-30 pages degraded like scans (scripts.pagegen.render)."""
from __future__ import annotations

import cv2
import numpy as np
import pytest

from scripts.pagegen.render import bleed_through_page, degrade, render_page
from ocr.deskew import measure_skew
from ocr.prepare import (PrepareOptions, encode_jpeg, encode_png, is_colour, prepare_page,
                         scale_to_dpi, to_grey)
from ocr.types import PageImage

DPI = 200
# OCR copy at full resolution here, so pixels of the two copies can be compared directly
NO_OSD = PrepareOptions(orientation=False, ocr_max_dpi=0)


@pytest.fixture(scope="module")
def upright():
    return render_page(dpi=DPI)


def as_page(img, dpi=DPI, **kw) -> PageImage:
    arr = np.asarray(img)
    if arr.ndim == 3:
        arr = np.ascontiguousarray(arr[:, :, ::-1])  # PIL RGB -> our BGR
    return PageImage("test.png", 0, arr, dpi, **kw)


@pytest.fixture(scope="module")
def osd():
    pytest.importorskip("tesserocr")
    from ocr.engine import TesseractEngine
    try:
        engine = TesseractEngine()
    except Exception as exc:  # no vie/osd model installed
        pytest.skip(f"Tesseract not usable: {exc}")
    yield engine.detect_orientation
    engine.close()


@pytest.mark.parametrize("skew", [-4.0, -1.3, 0.4, 2.5, 4.0])
def test_skew_recovered_within_a_tenth_of_a_degree(upright, skew):
    page = as_page(degrade(upright, skew=skew, noise=8, blur=0.7, jpeg_quality=70, seed=2))
    pp = prepare_page(page, NO_OSD)
    assert abs(pp.skew_degrees - skew) <= 0.1
    assert abs(measure_skew(to_grey(pp.display), DPI)) <= 0.1  # and the result is straight


@pytest.mark.parametrize("skew", [-2.5, 1.0, 4.0])
def test_deskew_keeps_the_page_size(upright, skew):
    page = as_page(degrade(upright, skew=skew))
    pp = prepare_page(page, NO_OSD)
    assert abs(pp.skew_degrees - skew) <= 0.1
    assert pp.display.shape == page.image.shape  # the archival copy is the original's size
    # the corners brought in are paper, not black
    h, w = pp.display.shape
    for corner in (pp.display[:8, :8], pp.display[:8, -8:], pp.display[-8:, :8],
                   pp.display[-8:, -8:]):
        assert corner.min() > 200
    # the OCR copy has the display's geometry, scaled by ocr_scale
    for o, d in zip(pp.ocr_image.shape[:2], pp.display.shape[:2]):
        assert abs(o - d * pp.ocr_scale) <= 1


def test_dark_borders_and_punch_holes_removed(upright):
    page = as_page(degrade(upright, border=40, punch_holes=2, noise=5))
    pp = prepare_page(page, NO_OSD)
    d = pp.display
    assert d[:40].mean() > 200 and d[-40:].mean() > 200
    assert d[:, :40].mean() > 200 and d[:, -40:].mean() > 200
    mm = DPI / 25.4
    hole = d[int(d.shape[0] / 2 - 40 * mm - 2 * mm):int(d.shape[0] / 2 - 40 * mm + 2 * mm),
             int(10 * mm):int(14 * mm)]
    assert hole.mean() > 200
    assert any("borders" in n for n in pp.notes)


def test_text_near_the_edge_is_not_taken_for_a_border(upright):
    pp = prepare_page(as_page(upright), NO_OSD)
    assert not any("borders" in n for n in pp.notes)
    assert np.array_equal(pp.display, np.asarray(upright))


def test_display_stays_grey_not_binarised(upright):
    pp = prepare_page(as_page(degrade(upright, skew=1.0, blur=0.8, noise=6)), NO_OSD)
    assert pp.display.ndim == 2
    assert len(np.unique(pp.display)) > 64


def test_grey_scan_stored_in_colour_comes_back_grey(upright):
    rgb = np.asarray(upright.convert("RGB")).copy()
    rgb[..., 0] = np.clip(rgb[..., 0].astype(int) + 3, 0, 255)  # faint scanner tint
    pp = prepare_page(as_page(rgb), NO_OSD)
    assert pp.display.ndim == 2


def test_red_seal_removed_from_ocr_copy_but_kept_in_display(upright):
    page = as_page(degrade(upright, red_seal=True, skew=-1.5, noise=4))
    pp = prepare_page(page, NO_OSD)
    assert pp.display.ndim == 3 and is_colour(pp.display)
    b, g, r = cv2.split(pp.display.astype(np.int16))
    red = (r - np.maximum(g, b)) > 80
    assert red.sum() > 1000
    assert pp.ocr_image.ndim == 2
    assert np.percentile(pp.ocr_image[red], 5) > 200  # seal pixels read as paper
    assert any("red ink" in n for n in pp.notes)


def test_blank_page_flagged_not_dropped():
    white = np.full((2339, 1654), 245, np.uint8)
    white = np.clip(white + np.random.default_rng(0).normal(0, 4, white.shape), 0, 255)
    pp = prepare_page(as_page(white.astype(np.uint8)), NO_OSD)
    assert pp.blank and pp.display.shape == white.shape


def test_bleed_through_back_is_blank(upright):
    pp = prepare_page(as_page(bleed_through_page(dpi=DPI, strength=0.25)), NO_OSD)
    assert pp.blank


def test_a_page_without_text_lines_is_never_turned():
    # a bleed-through back lying askew: its faint mirrored print measures as 8 degrees of skew,
    # but there is no text on the page to straighten by
    back = degrade(bleed_through_page(dpi=DPI, strength=0.3), skew=8.0, seed=1).convert("L")
    assert abs(measure_skew(np.asarray(back), DPI) - 8.0) < 0.3
    pp = prepare_page(as_page(back), NO_OSD)
    assert pp.skew_degrees == 0.0 and pp.display.shape == np.asarray(back).shape
    assert not any("deskewed" in n for n in pp.notes) and pp.blank


def test_no_skew_without_an_optimum_inside_the_range():
    # lines at 20 degrees, beyond the +-15 searched: the best score sits at the range's end,
    # which says nothing about the page (a blank page's texture gave 15.6 degrees so)
    page = np.full((1600, 1200), 250, np.uint8)
    for y in range(400, 1500, 40):
        cv2.line(page, (100, y), (1100, int(y - 1000 * np.tan(np.radians(20)))), 0, 3)
    assert measure_skew(page, DPI) == 0.0


def test_printed_page_is_not_blank(upright):
    assert not prepare_page(as_page(degrade(upright, noise=10)), NO_OSD).blank


def test_uneven_lighting_flattened(upright):
    pp = prepare_page(as_page(degrade(upright, shade=0.5)), NO_OSD)
    assert any("flat-field" in n for n in pp.notes)
    d = pp.display
    corner_tl, corner_br = d[50:150, 50:150].mean(), d[-150:-50, -150:-50].mean()
    assert abs(corner_tl - corner_br) < 12


def test_low_dpi_page_upsampled_for_ocr():
    small = render_page(dpi=150)
    pp = prepare_page(as_page(small, dpi=150, dpi_assumed=False),
                      PrepareOptions(orientation=False, ocr_min_dpi=300))
    assert pp.ocr_scale == pytest.approx(2.0)
    assert pp.ocr_image.shape[0] == pytest.approx(2 * pp.display.shape[0], abs=1)
    assert pp.dpi == 150


def test_low_confidence_orientation_not_trusted(upright):
    page = as_page(upright)
    pp = prepare_page(page, PrepareOptions(deskew=False), orient=lambda g, d: (90, 0.3))
    assert pp.rotation == 0 and pp.display.shape == page.image.shape
    pp = prepare_page(page, PrepareOptions(deskew=False), orient=lambda g, d: (90, 12.0))
    assert pp.rotation == 270 and pp.display.shape == page.image.shape[::-1]


@pytest.mark.parametrize("turned", [90, 180, 270])
def test_turned_pages_come_back_upright(upright, osd, turned):
    page = as_page(degrade(upright, turn=turned, skew=0.8, noise=5))
    pp = prepare_page(page, orient=osd)
    assert (pp.rotation + turned) % 360 == 0
    ref = cv2.resize(np.asarray(upright), (40, 56), interpolation=cv2.INTER_AREA)
    got = cv2.resize(pp.display, (40, 56), interpolation=cv2.INTER_AREA)
    assert np.corrcoef(ref.ravel(), got.ravel())[0, 1] > 0.5


def test_encoders_round_trip(upright):
    grey = np.asarray(upright)
    png = cv2.imdecode(np.frombuffer(encode_png(grey), np.uint8), cv2.IMREAD_UNCHANGED)
    assert np.array_equal(png, grey)
    jpg = cv2.imdecode(np.frombuffer(encode_jpeg(grey, 80), np.uint8), cv2.IMREAD_UNCHANGED)
    assert jpg.shape == grey.shape
    assert scale_to_dpi(grey, DPI, 100).shape[0] == pytest.approx(grey.shape[0] / 2, abs=1)
    assert not is_colour(cv2.cvtColor(grey, cv2.COLOR_GRAY2BGR))


def test_red_ink_mask_spares_the_black_print_it_touches():
    from ocr.prepare import red_ink_mask
    img = np.full((40, 60, 3), 245, np.uint8)
    img[10:30, 20:30] = (20, 20, 20)       # a black stroke
    img[10:30, 30:34] = (40, 30, 200)      # red ink right against it (BGR)
    img[10:30, 34:35] = (200, 190, 240)    # the pale pink fringe a scan leaves
    mask = red_ink_mask(img, 50, dark_below=120)
    assert (mask[10:30, 30:34] == 255).all()       # the red ink
    assert (mask[10:30, 34] == 255).all()          # and its fringe
    assert (mask[10:30, 20:30] == 0).all()         # never the black stroke beside it
    assert (red_ink_mask(img, 50)[10:30, 29] == 255).all()  # as it was without the guard
