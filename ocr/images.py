"""Opening scans: images (PNG, JPEG, TIFF incl. multi-page) and PDFs, one page at a time.

`probe` checks a file up front (empty, corrupt, encrypted, too large, wrong type) and raises
InputError with a one-line reason; `load_page` returns one page as a PageImage. Pages are loaded
lazily inside workers so memory never grows with the size of a batch or a document.
"""
from __future__ import annotations

import re
import zlib
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from ocr.errors import InputError
from ocr.programs import ProgramError, ProgramTimeout, run_program
from ocr.types import EncodedImage, PageImage

IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".tif", ".tiff"}
PDF_SUFFIXES = {".pdf"}
MAX_PIXELS = 150_000_000  # A0 at 300 DPI is ~140 Mpx; anything larger is treated as a bomb
DEFAULT_DPI = 300.0
PDF_MAX_DPI = 400.0
Image.MAX_IMAGE_PIXELS = MAX_PIXELS  # PIL raises DecompressionBombError past twice this


@dataclass(frozen=True)
class SourceInfo:
    path: Path
    kind: str  # "image" or "pdf"
    pages: int


def probe(path: Path) -> SourceInfo:
    """Check that `path` is a readable scan and count its pages. Raises InputError."""
    try:
        size = path.stat().st_size
    except OSError as e:
        raise InputError(f"{path}: cannot read ({e.strerror or e})") from e
    if size == 0:
        raise InputError(f"{path}: empty file (0 bytes)")
    suffix = path.suffix.lower()
    if suffix in PDF_SUFFIXES:
        return SourceInfo(path, "pdf", _probe_pdf(path))
    if suffix in IMAGE_SUFFIXES:
        return SourceInfo(path, "image", _probe_image(path))
    raise InputError(f"{path}: not a supported scan (PNG, JPEG, TIFF or PDF)")


def _probe_image(path: Path) -> int:
    try:
        with Image.open(path) as im:
            n = getattr(im, "n_frames", 1)
            for i in range(n):
                im.seek(i)
                _check_size(path, im.size)
        with Image.open(path) as im:  # verify() re-reads the data (PNG CRCs) without decoding
            im.verify()
    except InputError:
        raise
    except Image.DecompressionBombError as e:
        raise InputError(f"{path}: image too large, refused as a decompression bomb") from e
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as e:
        raise InputError(f"{path}: corrupt or unreadable image ({_first_line(e)})") from e
    return n


def _check_size(path: Path, size: tuple[int, int]) -> None:
    w, h = size
    if w * h > MAX_PIXELS:
        raise InputError(f"{path}: image of {w}x{h} pixels is too large "
                         f"(limit {MAX_PIXELS // 1_000_000} Mpx), refused as a decompression bomb")
    if w < 16 or h < 16:
        raise InputError(f"{path}: image of {w}x{h} pixels is too small to be a page")


def _probe_pdf(path: Path) -> int:
    import pikepdf  # PDF structure checks only; pages are rasterised by poppler

    try:
        with pikepdf.open(path) as pdf:
            if pdf.is_encrypted:
                raise InputError(f"{path}: encrypted PDF; remove the protection first")
            n = len(pdf.pages)
    except pikepdf.PasswordError as e:
        raise InputError(f"{path}: encrypted PDF (password required)") from e
    except pikepdf.PdfError as e:
        raise InputError(f"{path}: broken or not a PDF ({_first_line(e)})") from e
    if n == 0:
        raise InputError(f"{path}: PDF has no pages")
    return n


def _first_line(e: BaseException) -> str:
    s = str(e).strip().splitlines()
    return s[0][:200] if s else type(e).__name__


def load_page(path: Path, kind: str, index: int, timeout_s: float = 120) -> PageImage:
    """Load page `index` (0-based) of a probed file as grey or BGR uint8."""
    if kind == "pdf":
        return _load_pdf_page(path, index, timeout_s)
    encoded = None
    try:
        with Image.open(path) as im:
            im.seek(index)
            _check_size(path, im.size)
            dpi_info = im.info.get("dpi")
            plain_jpeg = _plain_jpeg(im)
            arr = _to_array(ImageOps.exif_transpose(im) if index == 0 else im)
        if plain_jpeg:
            encoded = EncodedImage(path.read_bytes(), "DCTDecode", arr.ndim == 3)
    except InputError:
        raise
    except (OSError, SyntaxError, ValueError, EOFError, Image.DecompressionBombError) as e:
        raise InputError(f"{path}: page {index + 1} unreadable ({_first_line(e)})") from e
    dpi = float(dpi_info[0]) if dpi_info and dpi_info[0] and dpi_info[0] > 20 else 0.0
    return PageImage(str(path), index, arr, dpi or DEFAULT_DPI, dpi_assumed=not dpi,
                     encoded=encoded)


def _plain_jpeg(im: Image.Image) -> bool:
    """A JPEG whose file bytes a PDF can show as they are: 8-bit grey or YCbCr/RGB, baseline,
    not turned by an EXIF orientation."""
    if im.format != "JPEG" or im.mode not in ("L", "RGB") or im.info.get("progressive") \
            or im.info.get("progression"):
        return False
    return im.getexif().get(0x0112, 1) == 1  # 0x0112: EXIF Orientation


def load_image_file(path: Path, grey: bool = False) -> np.ndarray:
    """Decode an image file we wrote ourselves (a staged page) as grey or BGR uint8; with
    `grey`, JPEGs are decoded straight to grey (cheaper than decoding colour)."""
    with Image.open(path) as im:
        if grey:
            im.draft("L", im.size)
            return np.asarray(im.convert("L"))
        return _to_array(im)


def load_staged_page(path: Path, width: int, height: int, colour: bool,
                     grey: bool = False) -> np.ndarray:
    """Decode a page image a worker staged for the PDF: a JPEG, or (suffix `.zz`) a zlib stream
    of raw RGB or grey pixels of `width` x `height`. Grey or BGR uint8; grey with `grey`."""
    if path.suffix != ".zz":
        return load_image_file(path, grey)
    raw = np.frombuffer(zlib.decompress(path.read_bytes()), np.uint8)
    if not colour:
        return raw.reshape(height, width)
    rgb = raw.reshape(height, width, 3)
    return cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY) if grey else _bgr(rgb)


def _to_array(im: Image.Image) -> np.ndarray:
    if im.mode == "L":
        return np.asarray(im)
    if im.mode == "1":
        return np.asarray(im.convert("L"))
    if im.mode.startswith(("I", "F")):  # I;16, I;16B, I (32-bit), F (float): deep grey
        return deep_to_u8(np.asarray(im))
    if im.mode in ("LA",):
        return np.asarray(_flatten(im).convert("L"))
    im = _flatten(im)
    return _bgr(np.asarray(im if im.mode == "RGB" else im.convert("RGB")))  # no needless copy


_FULL_SCALES = [float(2 ** k - 1) for k in (8, 10, 12, 14, 16, 24, 32)]


def deep_to_u8(arr: np.ndarray) -> np.ndarray:
    """A deep grey image (16-bit, 32-bit integer or float) scaled to 8 bits. PIL's own
    conversion clips everything above 255 to white (a 16-bit scan became a white page). The full
    scale is the nominal range the data fits: 0..1 for floats that stay in it, else the
    smallest of 8, 10, 12, 14, 16, 24 or 32 bits holding the largest value (12-bit scanners
    write 0..4095 into 16-bit files). The scaling is linear, as the scanner wrote the data."""
    data = arr.astype(np.float32) if arr.dtype != np.float32 else arr
    data = np.nan_to_num(data, nan=0.0, posinf=0.0, neginf=0.0)
    top = float(data.max()) if data.size else 0.0
    if arr.dtype.kind == "f" and top <= 1.0:
        full = 1.0
    else:
        full = next((f for f in _FULL_SCALES if top <= f), top or 1.0)
    out = np.clip(data * np.float32(255.0 / full) + np.float32(0.5), 0, 255)
    return out.astype(np.uint8)


def _bgr(rgb: np.ndarray) -> np.ndarray:
    """BGR copy of an RGB array, as OpenCV expects (cvtColor: several times numpy's flip)."""
    return cv2.cvtColor(np.ascontiguousarray(rgb), cv2.COLOR_RGB2BGR)


def _flatten(im: Image.Image) -> Image.Image:
    """Composite transparency onto white (a scan has no transparency)."""
    if im.mode in ("RGBA", "LA", "PA") or (im.mode == "P" and "transparency" in im.info):
        rgba = im.convert("RGBA")
        bg = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return Image.alpha_composite(bg, rgba)
    return im


def pdf_page_dpi(path: Path, index: int) -> tuple[float, bool]:
    """Resolution to rasterise a PDF page at: the resolution of its largest image (scans), capped
    to 400; 300 when the page has no image. Also whether the page's images are in colour."""
    import pikepdf

    with pikepdf.open(path) as pdf:
        page = pdf.pages[index]
        width_pt = float(page.mediabox[2]) - float(page.mediabox[0])
        best, colour = 0.0, False
        try:
            images = page.get_images()
            for name in images:
                img = images[name]
                w = int(img.get("/Width", 0))
                if w and width_pt:
                    best = max(best, w / (width_pt / 72.0))
                cs = str(img.get("/ColorSpace", ""))
                colour = colour or ("RGB" in cs or "ICC" in cs or "Indexed" in cs)
        except (pikepdf.PdfError, KeyError, TypeError, ValueError):
            pass
    if best < 100:
        return DEFAULT_DPI, True
    return float(min(round(best), PDF_MAX_DPI)), colour


_FULL_PAGE_IMAGE = re.compile(
    rb"^\s*q\s+([\d.]+)\s+0\s+0\s+([\d.]+)\s+0\s+0\s+cm\s+/(\S+)\s+Do\s+Q\s*$")


def _scanned_page_image(path: Path, index: int) -> PageImage | None:
    """The page's scan taken straight out of the PDF, when the page is nothing but one image
    drawn over the whole page (what scanners write): no rendering, no resampling. None when the
    page is anything else; the caller then renders it."""
    import pikepdf
    from pikepdf import PdfImage, Stream

    try:
        with pikepdf.open(path) as pdf:
            page = pdf.pages[index]
            if int(page.obj.get("/Rotate", 0)) % 360:
                return None
            m = _FULL_PAGE_IMAGE.match(page.obj.Contents.read_bytes()) \
                if isinstance(page.obj.get("/Contents"), pikepdf.Stream) else None
            box = [float(v) for v in page.mediabox]
            if not m or box[0] or box[1]:
                return None
            w_pt, h_pt = float(m.group(1)), float(m.group(2))
            if abs(w_pt - box[2]) > 1 or abs(h_pt - box[3]) > 1:
                return None
            xobj = page.obj.Resources.XObject.get("/" + m.group(3).decode())
            if not isinstance(xobj, Stream) or xobj.get("/Subtype") != "/Image" \
                    or "/SMask" in xobj \
                    or "/Mask" in xobj or xobj.get("/ImageMask", False):
                return None
            img = PdfImage(xobj)
            if img.bits_per_component != 8 or img.colorspace not in ("/DeviceRGB", "/DeviceGray"):
                return None
            _check_size(path, (img.width, img.height))
            colour = img.colorspace == "/DeviceRGB"
            filters = [str(f) for f in img.filters]
            if "/DCTDecode" in filters or "/Decode" in xobj:
                arr = _to_array(img.as_pil_image())
            else:  # zlib and the like: qpdf decodes, pixels used as they are (no PIL round trip)
                raw = np.frombuffer(xobj.read_bytes(), np.uint8)
                shape = (img.height, img.width, 3) if colour else (img.height, img.width)
                arr = _bgr(raw.reshape(shape)) if colour else raw.reshape(shape)
            encoded = None
            if filters in (["/DCTDecode"], ["/FlateDecode"]) and "/DecodeParms" not in xobj \
                    and "/Decode" not in xobj:
                encoded = EncodedImage(xobj.read_raw_bytes(), filters[0][1:], colour)
    except (pikepdf.PdfError, AttributeError, KeyError, ValueError, TypeError,
            NotImplementedError, OSError):
        return None
    dpi = round(img.width / (w_pt / 72.0))
    return PageImage(str(path), index, arr, float(dpi), encoded=encoded, image_only=True)


def _load_pdf_page(path: Path, index: int, timeout_s: float) -> PageImage:
    direct = _scanned_page_image(path, index)
    if direct is not None:
        return direct
    dpi, colour = pdf_page_dpi(path, index)
    args = ["pdftoppm", "-q", "-r", f"{dpi:g}", "-f", str(index + 1), "-l", str(index + 1)]
    if not colour:
        args.append("-gray")
    try:
        out = run_program(args + [str(path)], timeout_s)
    except ProgramTimeout as e:
        raise InputError(f"{path}: rendering page {index + 1} timed out") from e
    except ProgramError as e:
        raise InputError(f"{path}: cannot render page {index + 1} ({e})") from e
    arr = _parse_pnm(out, path, index)
    return PageImage(str(path), index, arr, dpi)


def _parse_pnm(data: bytes, path: Path, index: int) -> np.ndarray:
    """Decode pdftoppm's binary PGM/PPM output without a round trip through an image codec."""
    fields: list[bytes] = []
    pos = 0
    while len(fields) < 4:
        while pos < len(data) and data[pos:pos + 1].isspace():
            pos += 1
        if data[pos:pos + 1] == b"#":
            pos = data.index(b"\n", pos)
            continue
        end = pos
        while end < len(data) and not data[end:end + 1].isspace():
            end += 1
        fields.append(data[pos:end])
        pos = end
    pos += 1
    magic, w, h = fields[0], int(fields[1]), int(fields[2])
    if w * h > MAX_PIXELS:
        raise InputError(f"{path}: page {index + 1} too large to render")
    channels = 3 if magic == b"P6" else 1
    arr = np.frombuffer(data, np.uint8, w * h * channels, pos)
    if channels == 3:
        return np.ascontiguousarray(arr.reshape(h, w, 3)[:, :, ::-1])
    return arr.reshape(h, w)
