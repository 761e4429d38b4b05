"""PDF/A assembly with pikepdf: one page per scan, the page image under an invisible text layer;
or, for a born-digital PDF, its own vector pages kept (`write_vector_pdfa`).

The text layer uses a glyphless TrueType font (Tesseract's `pdf.ttf`, shipped by tesseract-ocr)
as a CIDFontType2 with Identity-H encoding: each character code is the Unicode code point, so text
extracted from the PDF is exactly the NFC text we placed, diacritics intact. Text render mode 3
keeps it invisible. pikepdf's `pdfa.save` writes the XMP identification and the sRGB OutputIntent
and validates what it wrote.
"""
from __future__ import annotations

import io
import tempfile
from collections import Counter
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

import pikepdf
from pikepdf import Array, Dictionary, Name, Pdf, Stream

from ocr.engine import find_tessdata
from ocr.errors import InputError
from ocr.pdftext import document_words
from ocr.programs import ProgramError, run_program
from ocr.types import Word

GLYPH_WIDTH = 500  # pdf.ttf's single glyph: 1024 of 2048 units


@dataclass
class PdfPage:
    """One page to write. `image` is encoded bytes: JPEG (`filter="DCTDecode"`) or zlib-compressed
    raw pixels (`filter="FlateDecode"`). `words` are in the image's pixel coordinates."""

    image: bytes
    width_px: int
    height_px: int
    dpi: float
    colour: bool
    filter: str = "DCTDecode"
    words: list[Word] = field(default_factory=list)


@dataclass
class PdfMeta:
    title: str = ""
    subject: str = ""
    author: str = ""
    keywords: str = ""
    extra: dict[str, str] = field(default_factory=dict)  # written as PDF Info entries


def _glyphless_font(pdf: Pdf) -> Dictionary:
    font_path = Path(find_tessdata("vie")) / "pdf.ttf"
    if not font_path.exists():
        raise FileNotFoundError(f"{font_path} missing: reinstall tesseract-ocr")
    font_file = Stream(pdf, font_path.read_bytes())
    font_file.Length1 = len(font_path.read_bytes())
    descriptor = pdf.make_indirect(Dictionary(
        Type=Name.FontDescriptor, FontName=Name("/GlyphLessFont"), Flags=5,
        FontBBox=Array([0, 0, GLYPH_WIDTH, 1000]), ItalicAngle=0, Ascent=1000, Descent=0,
        CapHeight=1000, StemV=80, FontFile2=pdf.make_indirect(font_file)))
    cid_to_gid = Stream(pdf, b"\x00\x01" * 65536)
    cid_font = pdf.make_indirect(Dictionary(
        Type=Name.Font, Subtype=Name.CIDFontType2, BaseFont=Name("/GlyphLessFont"),
        CIDSystemInfo=Dictionary(Registry=pikepdf.String("Adobe"),
                                 Ordering=pikepdf.String("Identity"), Supplement=0),
        FontDescriptor=descriptor, DW=GLYPH_WIDTH, CIDToGIDMap=pdf.make_indirect(cid_to_gid)))
    to_unicode = Stream(pdf, _TO_UNICODE)
    return pdf.make_indirect(Dictionary(
        Type=Name.Font, Subtype=Name.Type0, BaseFont=Name("/GlyphLessFont"),
        Encoding=Name("/Identity-H"), DescendantFonts=Array([cid_font]),
        ToUnicode=pdf.make_indirect(to_unicode)))


_TO_UNICODE = b"""/CIDInit /ProcSet findresource begin
12 dict begin
begincmap
/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def
/CMapName /Adobe-Identity-UCS def
/CMapType 2 def
1 begincodespacerange
<0000> <FFFF>
endcodespacerange
1 beginbfrange
<0000> <FFFF> <0000>
endbfrange
endcmap
CMapName currentdict /CMapResource defineresource pop
end
end
"""


def _encode(text: str) -> str:
    """Hex string of UTF-16BE code units (all Vietnamese letters are in the BMP)."""
    return unicodedata.normalize("NFC", text).encode("utf-16-be").hex().upper()


def text_layer_ops(words: list[Word], scale: float, page_h_pt: float) -> bytes:
    """Content-stream operators drawing `words` invisibly. `scale` converts pixels to points.
    Words of one line share a baseline and font size so text extractors keep them on one line."""
    if not words:
        return b""
    lines: dict[int, list[Word]] = {}
    for w in words:
        lines.setdefault(w.line, []).append(w)
    out = ["BT", "3 Tr"]
    for line_words in lines.values():
        bottom = max(w.box.y1 for w in line_words)
        height = max(max(w.box.height for w in line_words), 1)
        size = max(height * scale, 1.0)
        baseline = page_h_pt - bottom * scale + 0.15 * size
        out.append(f"/F1 {size:.2f} Tf")
        for i, w in enumerate(line_words):
            text = w.text + (" " if i < len(line_words) - 1 else "")
            natural = len(w.text) * GLYPH_WIDTH / 1000 * size
            tz = 100.0 * max(w.box.width * scale, 0.5) / natural if natural else 100.0
            out.append(f"{tz:.2f} Tz 1 0 0 1 {w.box.x0 * scale:.2f} {baseline:.2f} Tm "
                       f"<{_encode(text)}> Tj")
    out.append("ET")
    return ("\n".join(out) + "\n").encode("ascii")


def build_pdf(pages: list[PdfPage], meta: PdfMeta | None = None) -> Pdf:
    """A pikepdf document with one page per PdfPage, page size = image size at its DPI."""
    pdf = Pdf.new()
    font = _glyphless_font(pdf)
    for p in pages:
        scale = 72.0 / p.dpi
        w_pt, h_pt = p.width_px * scale, p.height_px * scale
        image = Stream(pdf, p.image)
        image.Type, image.Subtype = Name.XObject, Name.Image
        image.Width, image.Height, image.BitsPerComponent = p.width_px, p.height_px, 8
        image.ColorSpace = Name.DeviceRGB if p.colour else Name.DeviceGray
        image.Filter = Name("/" + p.filter)
        draw = f"q {w_pt:.3f} 0 0 {h_pt:.3f} 0 0 cm /Im0 Do Q\n".encode()
        contents = Stream(pdf, draw + text_layer_ops(p.words, scale, h_pt))
        page = pikepdf.Page(Dictionary(
            Type=Name.Page, MediaBox=Array([0, 0, round(w_pt, 3), round(h_pt, 3)]),
            Resources=Dictionary(XObject=Dictionary(Im0=image), Font=Dictionary(F1=font)),
            Contents=pdf.make_indirect(contents)))
        pdf.pages.append(page)
    _set_info(pdf, meta or PdfMeta())
    return pdf


def warm_up() -> None:
    """Import pikepdf's PDF/A writer (about 0.2 s the first time), e.g. in a thread while the
    first pages are read."""
    import pikepdf.pdfa  # noqa: F401


def write_pdfa(pages: list[PdfPage], out: Path, flavour: str = "2b",
               meta: PdfMeta | None = None) -> None:
    """Write a validated PDF/A (`"1b"` or `"2b"`) to `out`. Nothing is left at `out` on failure."""
    if flavour not in ("1b", "2b"):
        raise ValueError(f"unsupported PDF/A flavour {flavour!r}: use 1b or 2b")
    pdf = build_pdf(pages, meta)
    with pdf:
        pikepdf.pdfa.save(pdf, out, flavour, output_intent="sRGB")


class VectorPdfaError(Exception):
    """A born-digital PDF could not be kept as vector pages in a valid PDF/A; the caller
    rasterises it instead. The message says why, in one line."""


def write_vector_pdfa(src: Path, out: Path, flavour: str = "2b", meta: PdfMeta | None = None,
                      timeout_s: float = 300) -> list[str]:
    """Write a validated PDF/A of the born-digital PDF `src` to `out`, keeping its pages as they
    are drawn (text as text, paths as paths): a third of the size of the rasterised copy.

    poppler's `pdftocairo -pdf` rewrites the pages with every font embedded (subsets) and without
    forms, actions, scripts or attachments; a font the original did not embed is replaced by the
    metric-compatible one poppler picks, exactly as when the page is rasterised, and is named in
    the list returned. Then two fixes pikepdf's validator asks for (an explicit /CIDToGIDMap
    /Identity, the default it stands for; for PDF/A-1b, no page transparency group), and
    `pikepdf.pdfa.save`, which writes XMP and OutputIntent and approves only what it knows to
    conform. Raises VectorPdfaError when the result would not be a valid PDF/A (real
    transparency in PDF/A-1b, an unknown construct, a rendering failure); nothing is left at
    `out` then."""
    if flavour not in ("1b", "2b"):
        raise ValueError(f"unsupported PDF/A flavour {flavour!r}: use 1b or 2b")
    try:
        with Pdf.open(src) as original:
            pages = len(original.pages)
            substituted = unembedded_fonts(original)
    except pikepdf.PdfError as e:
        raise VectorPdfaError(f"cannot read: {_line(e)}") from e
    with tempfile.TemporaryDirectory(prefix=".vector-", dir=out.parent) as tmp:
        drawn = Path(tmp) / "drawn.pdf"
        try:
            drawn.write_bytes(run_program(["pdftocairo", "-pdf", "-origpagesizes", str(src), "-"],
                                          timeout_s))
        except ProgramError as e:
            raise VectorPdfaError(_line(e)) from e
        try:
            lost = _text_lost(src, drawn)
            if lost:
                raise VectorPdfaError(lost)
            with Pdf.open(drawn) as pdf:
                if len(pdf.pages) != pages:
                    raise VectorPdfaError(f"{len(pdf.pages)} pages drawn of {pages}")
                _fix_for_validator(pdf, flavour)
                _set_info(pdf, meta or PdfMeta())
                with pdf.open_metadata(set_pikepdf_as_editor=False) as xmp:
                    xmp.load_from_docinfo(pdf.docinfo, delete_missing=True)
                pikepdf.pdfa.save(pdf, out, flavour, output_intent="sRGB")
        except pikepdf.pdfa.PdfaError as e:
            raise VectorPdfaError(_report_line(e.report)) from e
        except (pikepdf.PdfError, ValueError) as e:
            raise VectorPdfaError(_line(e)) from e
    return substituted


MIN_WORDS_KEPT = 0.98  # of the original's words, in the redrawn pages


def _text_lost(src: Path, drawn: Path) -> str | None:
    """Why the redrawn pages do not carry the original's text, or None. The cairo writer
    drops invisible text (an OCR layer under a scan); a substituted font may split a rare
    ligature, hence a small tolerance."""
    try:
        before, after = Counter(document_words(src)), Counter(document_words(drawn))
    except InputError as e:
        return f"cannot compare the text: {e}"
    total = sum(before.values())
    if not total:
        return "the original has no text to keep"
    kept = sum((before & after).values()) / total
    if kept < MIN_WORDS_KEPT:
        return f"text would be lost: {kept:.0%} of the original's {total} words kept"
    return None


def unembedded_fonts(pdf: Pdf) -> list[str]:
    """Names of the fonts in `pdf` whose program is not embedded (Type3 fonts draw their
    glyphs themselves and count as embedded)."""
    names: set[str] = set()
    for font in _fonts(pdf):
        subtype = font.get("/Subtype")
        if subtype == Name.Type3:
            continue
        if subtype == Name.Type0:
            kids = font.get("/DescendantFonts")
            if isinstance(kids, Array) and len(kids) and isinstance(kids[0], Dictionary):
                font = kids[0]
        desc = font.get("/FontDescriptor")
        if not isinstance(desc, Dictionary) or not any(
                k in desc for k in ("/FontFile", "/FontFile2", "/FontFile3")):
            names.add(str(font.get("/BaseFont", "?")).lstrip("/"))
    return sorted(names)


def _fonts(pdf: Pdf) -> list[Dictionary]:
    """Every font dictionary: indirect ones, and those written inline in a resource
    dictionary of a page or of a form XObject."""
    found = [o for o in pdf.objects if isinstance(o, Dictionary) and o.get("/Type") == Name.Font]
    seen: set[tuple[int, int]] = set()
    todo = [page.obj.get("/Resources") for page in pdf.pages]
    while todo:
        res = todo.pop()
        if not isinstance(res, Dictionary):
            continue
        if res.is_indirect:
            if res.objgen in seen:
                continue
            seen.add(res.objgen)
        fonts = res.get("/Font")
        if isinstance(fonts, Dictionary):
            found += [f for f in fonts.values() if isinstance(f, Dictionary)
                      and not f.is_indirect]
        xobjects = res.get("/XObject")
        if isinstance(xobjects, Dictionary):
            todo += [x.get("/Resources") for x in xobjects.values()
                     if isinstance(x, pikepdf.Stream) and x.get("/Subtype") == Name.Form]
    return found


def _fix_for_validator(pdf: Pdf, flavour: str) -> None:
    for obj in pdf.objects:
        if isinstance(obj, Dictionary) and obj.get("/Subtype") == Name.CIDFontType2 \
                and "/CIDToGIDMap" not in obj:
            obj.CIDToGIDMap = Name.Identity  # what its absence means
    if flavour == "1b":
        # cairo marks every page as a transparency group; real transparency (soft masks,
        # alpha) is still there to be found, and refused, by the validator
        for page in pdf.pages:
            if "/Group" in page.obj:
                del page.obj["/Group"]
        for font in _fonts(pdf):
            _add_charset(font)


def _add_charset(font: Dictionary) -> None:
    """PDF/A-1 asks a Type 1 font subset to list its glyphs (/CharSet); cairo's compact (CFF)
    subsets do not. The names are read from the embedded program with fontTools."""
    desc = font.get("/FontDescriptor")
    if not isinstance(desc, Dictionary):  # no descriptor: nothing to add the list to
        return
    program = desc.get("/FontFile3")
    if font.get("/Subtype") != Name.Type1 or "/CharSet" in desc or not isinstance(
            program, pikepdf.Stream) or program.get("/Subtype") != Name.Type1C:
        return
    from fontTools.cffLib import CFFFontSet

    cff = CFFFontSet()
    cff.decompile(io.BytesIO(program.read_bytes()), None)
    names = [n for n in cff[cff.fontNames[0]].charset if n != ".notdef"]
    desc.CharSet = pikepdf.String("".join("/" + n for n in names))


def _set_info(pdf: Pdf, meta: PdfMeta) -> None:
    for key in list(pdf.docinfo.keys()):
        del pdf.docinfo[key]
    info = {"/Title": meta.title, "/Subject": meta.subject, "/Author": meta.author,
            "/Keywords": meta.keywords, "/Creator": "digitize", "/Producer": "digitize + pikepdf"}
    info.update({f"/{k}": v for k, v in meta.extra.items()})
    for k, v in info.items():
        if v:
            pdf.docinfo[k] = v


def _report_line(report) -> str:
    """One line of a pikepdf.pdfa report: the verdict and its first finding."""
    summary = report.summary() if callable(report.summary) else report.summary
    lines = [ln.strip() for ln in str(summary).splitlines() if ln.strip()]
    return "; ".join(lines[:2])[:300]


def _line(e: object) -> str:
    lines = str(e).strip().splitlines()
    return (lines[0] if lines else type(e).__name__)[:300]


def update_metadata(src: Path, out: Path, meta: PdfMeta, flavour: str = "2b") -> None:
    """Copy the PDF/A `src` to `out` with new document metadata (Info and XMP), re-validated."""
    with Pdf.open(src) as pdf:
        for key in ("/Title", "/Subject", "/Author", "/Keywords"):
            if key in pdf.docinfo:
                del pdf.docinfo[key]
        info = {"/Title": meta.title, "/Subject": meta.subject, "/Author": meta.author,
                "/Keywords": meta.keywords}
        info.update({f"/{k}": v for k, v in meta.extra.items()})
        for k, v in info.items():
            if v:
                pdf.docinfo[k] = v
        with pdf.open_metadata(set_pikepdf_as_editor=False) as xmp:  # XMP wins over Info
            xmp.load_from_docinfo(pdf.docinfo, delete_missing=True)
        pikepdf.pdfa.save(pdf, out, flavour, output_intent="sRGB")


def pdfa_problem(path: Path, flavour: str) -> str | None:
    """Why the file at `path` is not a valid PDF/A of `flavour` (pikepdf's validator), or None."""
    try:
        report = pikepdf.pdfa.validate_written(path, flavour or "2b")
    except (pikepdf.PdfError, OSError, ValueError) as e:
        return f"cannot be validated: {e}"
    if report.verdict == "pass":
        return None
    return f"PDF/A-{flavour} validation: {_report_line(report)}"[:300]
