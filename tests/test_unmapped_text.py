"""A PDF text layer whose glyphs have no Unicode mapping (a Type3 font without ToUnicode, as in
OCRmyPDF's own edge cases) is no text: the page is OCR'd like a scan, and ingest never breaks.

The fixture is built here with pikepdf (our own file, no third-party sample): a rendered page
image under an invisible Type3 text layer whose glyphs are named /g1../g8 and coded 1..8, so
pdftotext gives control characters (which also made its XML unparseable)."""
from __future__ import annotations

import io
from pathlib import Path

import pikepdf
from pikepdf import Array, Dictionary, Name, Stream

from conftest import run_cli
from ocr.pdftext import has_real_text, text_layer_words, unmapped_share
from ocr.types import Box, Word
from scripts.pagegen.render import DocSpec, render_page

DPI = 150


def type3_nomapping_pdf(path: Path, words: int = 80) -> None:
    """One page: a scan of a Decree-30 decision, and an invisible Type3 layer of `words`
    five-glyph words with no Unicode mapping."""
    img = render_page(DocSpec(), dpi=DPI).convert("L")
    buf = io.BytesIO()
    img.save(buf, "JPEG", quality=85)
    pdf = pikepdf.new()
    w_pt, h_pt = img.width * 72 / DPI, img.height * 72 / DPI
    image = Stream(pdf, buf.getvalue(), Type=Name.XObject, Subtype=Name.Image, Width=img.width,
                   Height=img.height, BitsPerComponent=8, ColorSpace=Name.DeviceGray,
                   Filter=Name.DCTDecode)
    n = 8
    glyph = b"600 0 0 0 500 700 d1 0 0 500 700 re f"
    font = Dictionary(
        Type=Name.Font, Subtype=Name.Type3, FontBBox=Array([0, 0, 500, 700]),
        FontMatrix=Array([0.001, 0, 0, 0.001, 0, 0]),
        CharProcs=Dictionary({f"/g{i}": Stream(pdf, glyph) for i in range(1, n + 1)}),
        Encoding=Dictionary(Type=Name.Encoding, Differences=Array(
            [1] + [Name(f"/g{i}") for i in range(1, n + 1)])),
        FirstChar=1, LastChar=n, Widths=Array([600] * n), Resources=Dictionary())
    ops = [b"q %.3f 0 0 %.3f 0 0 cm /Im0 Do Q" % (w_pt, h_pt), b"BT 3 Tr /T3 10 Tf"]
    y = h_pt - 60
    for k in range(words):
        if k % 8 == 0:
            ops.append(b"1 0 0 1 50 %.2f Tm" % y)
            y -= 14
        ops.append(b"<" + bytes(1 + (k + j) % n for j in range(5)).hex().encode() + b"20> Tj")
    ops.append(b"ET")
    pdf.pages.append(pikepdf.Page(Dictionary(
        Type=Name.Page, MediaBox=Array([0, 0, w_pt, h_pt]),
        Resources=Dictionary(XObject=Dictionary(Im0=image), Font=Dictionary(T3=font)),
        Contents=Stream(pdf, b"\n".join(ops)))))
    pdf.save(path)


def test_unmapped_glyphs_are_not_a_text_layer(tmp_path):
    src = tmp_path / "type3_nomapping.pdf"
    type3_nomapping_pdf(src)
    words = text_layer_words(src, 1, 1240, 1754)  # no ParseError
    assert len(words) >= 40 and unmapped_share(words) > 0.9
    assert not has_real_text(words)
    # a real layer with a stray symbol-font bullet or two is still text
    real = [Word(f"chữ{i}" + ("\uf0b7" if i < 2 else ""), Box(0, 0, 1, 1), 100.0, i // 8)
            for i in range(60)]
    assert has_real_text(real)


def test_pdf_with_unmapped_glyphs_is_ingested_by_ocr(tmp_path):
    src = tmp_path / "type3_nomapping.pdf"
    type3_nomapping_pdf(src)
    res = run_cli("ingest", str(src), "--archive", str(tmp_path / "ar"), "--json", "-j", "1")
    assert res.code == 0, res.output
    (out,) = res.objects()
    assert out["status"] == "stored" and out["text_paths"] == {"ocr": 1}
    text = (Path(out["pdf"]).parent / "pages" / "p0001.txt").read_text()
    assert "QUYẾT ĐỊNH" in text and "\x01" not in text
