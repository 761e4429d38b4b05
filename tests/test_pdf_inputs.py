"""Scanned PDFs are OCR'd from their embedded scan; PDFs with a real text layer keep their text;
signed originals stay byte for byte."""
from __future__ import annotations

import hashlib
import io
from pathlib import Path

from PIL import Image

from conftest import run_cli
from scripts.pagegen.render import DocSpec, degrade, render_page
from ocr.images import load_page
from ocr.pdfa import PdfPage, build_pdf
from ocr.types import Box, Word


def _jpeg_page(dpi: int = 200) -> tuple[bytes, int, int]:
    img = degrade(render_page(DocSpec(), dpi=dpi), skew=1.0, seed=3)
    buf = io.BytesIO()
    img.convert("L").save(buf, "JPEG", quality=85)
    return buf.getvalue(), img.width, img.height


def _scanned_pdf(path: Path, words: list[Word] | None = None) -> None:
    data, w, h = _jpeg_page()
    with build_pdf([PdfPage(data, w, h, 200, False, words=words or [])] * 2) as pdf:
        pdf.save(path)


def test_scan_is_taken_straight_from_the_pdf(tmp_path):
    pdf = tmp_path / "scan.pdf"
    _scanned_pdf(pdf)
    page = load_page(pdf, "pdf", 1)
    assert page.dpi == 200 and page.image.ndim == 2 and not page.dpi_assumed
    with Image.open(io.BytesIO(_jpeg_page()[0])) as im:
        assert page.image.shape == (im.height, im.width)


def test_scanned_and_born_digital_pdfs(tmp_path):
    scan = tmp_path / "scan.pdf"
    _scanned_pdf(scan)
    # a PDF that already has a real text layer: 60 words placed on the page
    words = [Word(f"từ{i}", Box(100 + (i % 10) * 120, 300 + (i // 10) * 60,
                                200 + (i % 10) * 120, 340 + (i // 10) * 60), 100.0, i // 10)
             for i in range(60)]
    digital = tmp_path / "digital.pdf"
    _scanned_pdf(digital, words)
    before = hashlib.sha256(digital.read_bytes()).hexdigest()
    res = run_cli("ingest", str(scan), str(digital), "--archive", str(tmp_path / "a"), "--json",
                  "-j", "2")
    assert res.code == 0, res.output
    outs = {o["name"]: o for o in res.objects()}
    assert outs["scan.pdf"]["text_paths"] == {"ocr": 2}
    assert outs["digital.pdf"]["text_paths"] == {"text-layer": 2}
    rid = outs["digital.pdf"]["record_id"]
    shown = run_cli("show", rid, "--archive", str(tmp_path / "a"), "--json").objects()[0]
    stored = Path(shown["files"]["original/digital.pdf"])
    assert hashlib.sha256(stored.read_bytes()).hexdigest() == before
    text = Path(shown["files"]["pages/p0001.txt"]).read_text()
    assert "từ0" in text and "từ59" in text
