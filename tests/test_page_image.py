"""The page image stored in the PDF/A: the scan's own bytes when the page needed no change,
a new JPEG when it was straightened or cleaned; page size and DPI right either way."""
from __future__ import annotations

import zlib
from pathlib import Path

import numpy as np
import pikepdf
from PIL import Image

from conftest import run_cli
from scripts.pagegen.render import degrade, render_page
from digitize.worker import PageTask, process_page
from ocr.images import load_page, load_staged_page
from ocr.pdfa import PdfPage, build_pdf

DPI = 200


def _straight_jpeg(path: Path, dpi: int = DPI, **save) -> bytes:
    render_page(dpi=dpi).save(path, "JPEG", quality=85, dpi=(dpi, dpi), **save)
    return path.read_bytes()


def _done(src: Path, kind: str, tmp_path: Path):
    done = process_page(PageTask("doc", 1, str(src), kind, 0, str(tmp_path)))
    assert done.error is None, done.error
    return done


def test_straight_jpeg_scan_is_stored_as_scanned(tmp_path):
    src = tmp_path / "scan.jpg"
    data = _straight_jpeg(src)
    done = _done(src, "image", tmp_path)
    assert not any("deskewed" in n for n in done.notes)
    assert done.image_filter == "DCTDecode"
    assert Path(done.image_file).read_bytes() == data  # no second JPEG loss, no encoding time
    with Image.open(src) as im:
        assert (done.width, done.height, done.dpi) == (im.width, im.height, DPI)


def test_straight_jpeg_inside_a_pdf_is_stored_as_scanned(tmp_path):
    data = _straight_jpeg(tmp_path / "scan.jpg")
    w, h = render_page(dpi=DPI).size
    src = tmp_path / "scan.pdf"
    with build_pdf([PdfPage(data, w, h, DPI, False)]) as pdf:
        pdf.save(src)
    done = _done(src, "pdf", tmp_path)
    assert done.image_filter == "DCTDecode" and Path(done.image_file).read_bytes() == data
    assert (done.width, done.height, done.dpi) == (w, h, DPI)


def test_skewed_scan_is_straightened_and_encoded_again(tmp_path):
    src = tmp_path / "skewed.jpg"
    degrade(render_page(dpi=DPI), skew=2.0, seed=1).save(src, "JPEG", quality=85, dpi=(DPI, DPI))
    done = _done(src, "image", tmp_path)
    assert any("deskewed" in n for n in done.notes)
    assert Path(done.image_file).read_bytes() != src.read_bytes()
    with Image.open(done.image_file) as im:
        assert im.format == "JPEG" and im.mode == "L"
        assert (im.width, im.height) == (done.width, done.height)


def test_exif_turned_jpeg_is_not_passed_through(tmp_path):
    src = tmp_path / "turned.jpg"
    exif = Image.Exif()
    exif[0x0112] = 3  # stored upside down, shown upright
    render_page(dpi=DPI).rotate(180).save(src, "JPEG", quality=85, dpi=(DPI, DPI),
                                          exif=exif.tobytes())
    page = load_page(src, "image", 0)
    assert page.encoded is None


def _lossless_pdf(path: Path, arr: np.ndarray) -> bytes:
    h, w = arr.shape
    data = zlib.compress(arr.tobytes(), 6)
    with build_pdf([PdfPage(data, w, h, DPI, False, filter="FlateDecode")]) as pdf:
        pdf.save(path)
    return data


def test_clean_lossless_scan_keeps_its_smaller_zlib_stream(tmp_path):
    src = tmp_path / "lossless.pdf"
    arr = np.asarray(render_page(dpi=DPI))
    data = _lossless_pdf(src, arr)
    done = _done(src, "pdf", tmp_path)
    assert done.image_filter == "FlateDecode" and Path(done.image_file).read_bytes() == data
    back = load_staged_page(Path(done.image_file), done.width, done.height, done.colour,
                            grey=True)
    assert np.array_equal(back, arr)


def test_noisy_lossless_scan_is_stored_as_jpeg(tmp_path):
    src = tmp_path / "noisy.pdf"
    arr = np.asarray(degrade(render_page(dpi=DPI), noise=12, seed=2))
    _lossless_pdf(src, arr)
    done = _done(src, "pdf", tmp_path)
    assert done.image_filter == "DCTDecode"
    assert Path(done.image_file).stat().st_size < len(zlib.compress(arr.tobytes(), 6))


def test_passed_through_pages_keep_size_and_dpi_in_the_pdf(tmp_path):
    jpg = tmp_path / "scan.jpg"
    data = _straight_jpeg(jpg)
    flate = tmp_path / "lossless.pdf"
    zdata = _lossless_pdf(flate, np.asarray(render_page(dpi=DPI)))
    size = render_page(dpi=DPI).size
    ar = tmp_path / "ar"
    res = run_cli("ingest", str(jpg), str(flate), "--archive", str(ar), "--json", "-j", "1")
    assert res.code == 0, res.output
    outs = {o["name"]: o for o in res.objects()}
    for name, raw, filt in (("scan.jpg", data, "/DCTDecode"), ("lossless.pdf", zdata,
                                                                "/FlateDecode")):
        with pikepdf.open(outs[name]["pdf"]) as pdf:
            page = pdf.pages[0]
            (img,) = [page.Resources.XObject[k] for k in page.Resources.XObject.keys()]
            assert img.Filter == filt and img.read_raw_bytes() == raw
            assert (int(img.Width), int(img.Height)) == size
            w_pt, h_pt = float(page.mediabox[2]), float(page.mediabox[3])
            assert (round(size[0] / w_pt * 72), round(size[1] / h_pt * 72)) == (DPI, DPI)
            assert "QUYẾT ĐỊNH" in (Path(outs[name]["pdf"]).parent / "pages" /
                                     "p0001.txt").read_text()


def test_deskewed_page_keeps_the_original_page_size_in_the_pdf(tmp_path):
    src = tmp_path / "skewed.png"
    degrade(render_page(dpi=DPI), skew=2.5, seed=3).save(src, dpi=(DPI, DPI))
    size = Image.open(src).size
    res = run_cli("ingest", str(src), "--archive", str(tmp_path / "ar"), "--json", "-j", "1")
    assert res.code == 0, res.output
    with pikepdf.open(res.objects()[0]["pdf"]) as pdf:
        box = [float(v) for v in pdf.pages[0].mediabox]
    # the original's size in points, to the rounding of the PDF's three decimals
    assert abs(box[2] - size[0] * 72 / DPI) < 0.01 and abs(box[3] - size[1] * 72 / DPI) < 0.01
