"""Born-digital PDFs keep their vector pages in the PDF/A where the result is a valid PDF/A
(fonts embedded, a font the original lacked substituted and named), and fall back to page images
where it is not (text that would be lost, PDF/A-1b with transparency); metadata says which.

The fixtures are built here with pikepdf: a page of visible text in Helvetica (a standard font
the PDF does not embed), and the same page after poppler has embedded its fonts."""
from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pikepdf
import pytest
from pikepdf import Array, Dictionary, Name, Stream

from conftest import preflight_1b, run_cli
from ocr.pdfa import VectorPdfaError, pdfa_problem, unembedded_fonts, write_vector_pdfa
from test_pdf_inputs import _scanned_pdf
from ocr.types import Box, Word

LINES = [f"Dieu {n}. Cong dan so {1000 + n} duoc cap giay phep xay dung nha o tai "
         f"thôn {n}, xã Bình Minh, theo hô so da nôp ngày {n} tháng 3." for n in range(1, 16)]


def text_pdf(path: Path, lines: list[str] = LINES, pages: int = 1) -> None:
    """A born-digital page: visible text in Helvetica (WinAnsi), not embedded."""
    pdf = pikepdf.new()
    font = Dictionary(Type=Name.Font, Subtype=Name.Type1, BaseFont=Name.Helvetica,
                      Encoding=Name.WinAnsiEncoding)
    for _ in range(pages):
        ops = [b"BT /F1 11 Tf 14 TL 56 780 Td"]
        for line in lines:
            ops.append(pikepdf.String(line).unparse() + b" '")
        ops.append(b"ET")
        pdf.pages.append(pikepdf.Page(Dictionary(
            Type=Name.Page, MediaBox=Array([0, 0, 595.28, 841.89]),
            Resources=Dictionary(Font=Dictionary(F1=font)),
            Contents=Stream(pdf, b"\n".join(ops)))))
    pdf.save(path)


def embedded_fonts_pdf(path: Path, tmp: Path) -> None:
    """The same page with its fonts embedded (poppler's cairo writer embeds every font)."""
    src = tmp / "plain.pdf"
    text_pdf(src)
    subprocess.run(["pdftocairo", "-pdf", str(src), str(path)], check=True, timeout=120)


def _words(pdf: Path) -> list[str]:
    return subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True,
                          check=True).stdout.split()


@pytest.mark.parametrize("flavour", ["2b", "1b"])
def test_vector_pdfa_keeps_text_and_page_size_and_validates(tmp_path, flavour):
    src, out = tmp_path / "born.pdf", tmp_path / "out.pdf"
    text_pdf(src, pages=2)
    assert unembedded_fonts(pikepdf.open(src)) == ["Helvetica"]
    substituted = write_vector_pdfa(src, out, flavour)
    assert substituted == ["Helvetica"]
    assert pdfa_problem(out, flavour) is None
    if flavour == "1b":
        ok, report = preflight_1b(out)
        assert ok, report
    assert _words(out) == _words(src)
    with pikepdf.open(out) as pdf:
        assert len(pdf.pages) == 2
        assert [round(float(v), 1) for v in pdf.pages[0].mediabox] == [0, 0, 595.3, 841.9]
        assert not pdf.pages[0].get_images()  # still vector: no page image
        assert unembedded_fonts(pdf) == []


def test_vector_pdfa_refused_when_text_would_be_lost(tmp_path):
    # a scan under an invisible OCR layer: the cairo writer drops invisible text
    words = [Word(f"từ{i}", Box(100 + (i % 10) * 120, 300 + (i // 10) * 60,
                                200 + (i % 10) * 120, 340 + (i // 10) * 60), 100.0, i // 10)
             for i in range(60)]
    src, out = tmp_path / "ocred.pdf", tmp_path / "out.pdf"
    _scanned_pdf(src, words)
    with pytest.raises(VectorPdfaError, match="text"):
        write_vector_pdfa(src, out, "2b")
    assert not out.exists() and not list(tmp_path.glob(".vector-*"))


def test_ingest_takes_the_vector_path_and_says_so(tmp_path):
    plain, embedded = tmp_path / "plain.pdf", tmp_path / "embedded.pdf"
    text_pdf(plain)
    (tmp_path / "work").mkdir()
    embedded_fonts_pdf(embedded, tmp_path / "work")
    ar = tmp_path / "ar"
    res = run_cli("ingest", str(plain), str(embedded), "--archive", str(ar), "--json", "-j", "1")
    assert res.code == 0, res.output
    outs = {o["name"]: o for o in res.objects()}
    for name, subs in (("plain.pdf", ["Helvetica"]), ("embedded.pdf", None)):
        o = outs[name]
        assert o["text_paths"] == {"text-layer": 1} and o["pdfa_path"] == "vector"
        meta = json.loads((Path(o["pdf"]).parent / "metadata.json").read_text())
        assert meta["pdfa_path"] == "vector" and meta.get("pdfa_fonts_substituted") == subs
        shown = run_cli("show", o["record_id"], "--archive", str(ar)).output
        assert "vector pages of the original" in shown
        assert "Bình Minh" in " ".join(_words(Path(o["pdf"])))
    assert run_cli("verify", "--archive", str(ar)).code == 0


def test_ingest_falls_back_to_page_images_and_says_why(tmp_path):
    words = [Word(f"từ{i}", Box(100 + (i % 10) * 120, 300 + (i // 10) * 60,
                                200 + (i % 10) * 120, 340 + (i // 10) * 60), 100.0, i // 10)
             for i in range(60)]
    src = tmp_path / "ocred.pdf"
    _scanned_pdf(src, words)
    res = run_cli("ingest", str(src), "--archive", str(tmp_path / "ar"), "--json", "-j", "1")
    assert res.code == 0, res.output
    (o,) = res.objects()
    assert o["pdfa_path"] == "raster"
    meta = json.loads((Path(o["pdf"]).parent / "metadata.json").read_text())
    assert meta["pdfa_path"] == "raster" and "text" in meta["pdfa_vector_refused"]
    shown = run_cli("show", o["record_id"], "--archive", str(tmp_path / "ar")).output
    assert "page images; vector refused" in shown
