"""Render Vietnamese administrative pages (Decree 30/2020 layout) and degrade them like scans.

Used for the bundled sample, the test fixtures and the evaluations, so that none of them needs
files from outside the repository. Fonts come from Debian's fonts-texgyre / fonts-freefont-ttf /
fonts-noto-core.
"""
from __future__ import annotations

import random
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from PIL import Image, ImageChops, ImageDraw, ImageFilter, ImageFont

FONT_DIRS = (
    "/usr/share/texmf/fonts/opentype/public/tex-gyre",
    "/usr/share/texlive/texmf-dist/fonts/opentype/public/tex-gyre",
    "/usr/share/fonts/opentype/tex-gyre",
    "/usr/share/fonts/truetype/freefont",
    "/usr/share/fonts/truetype/noto",
)
FONT_FILES = {
    "regular": ("texgyretermes-regular.otf", "FreeSerif.ttf", "NotoSerif-Regular.ttf"),
    "bold": ("texgyretermes-bold.otf", "FreeSerifBold.ttf", "NotoSerif-Bold.ttf"),
    "italic": ("texgyretermes-italic.otf", "FreeSerifItalic.ttf", "NotoSerif-Italic.ttf"),
}


def find_font(style: str = "regular") -> str:
    """Path of a serif font with Vietnamese glyphs, in the house order (Termes first)."""
    for name in FONT_FILES[style]:
        for d in FONT_DIRS:
            p = Path(d) / name
            if p.exists():
                return str(p)
    raise FileNotFoundError(
        "no Vietnamese-capable serif font found; install fonts-texgyre or fonts-freefont-ttf")


@dataclass
class DocSpec:
    """The content of one rendered administrative document."""

    issuer_parent: str = "ỦY BAN NHÂN DÂN"
    issuer: str = "TỈNH QUẢNG NGÃI"
    number: str = "Số: 15/QĐ-UBND"
    place_date: str = "Quảng Ngãi, ngày 05 tháng 02 năm 2025"
    doc_type: str = "QUYẾT ĐỊNH"
    subject: list[str] = field(default_factory=lambda: [
        "Về việc cấp giấy chứng nhận quyền sử dụng đất",
        "cho hộ gia đình ông Nguyễn Văn An"])
    body: list[str] = field(default_factory=lambda: [
        "Căn cứ Luật Tổ chức chính quyền địa phương ngày 19 tháng 6 năm 2015;",
        "Căn cứ Luật Đất đai ngày 18 tháng 01 năm 2024;",
        "Xét đề nghị của Giám đốc Sở Tài nguyên và Môi trường về việc đăng ký đất đai,",
        "Điều 1. Cấp giấy chứng nhận quyền sử dụng đất cho ông Nguyễn Văn An,",
        "số định danh cá nhân 038085001234, thường trú tại xã Tịnh Hòa, huyện Sơn Tịnh,",
        "thửa đất số 125, tờ bản đồ số 7, diện tích 250 mét vuông.",
        "Điều 2. Quyết định này có hiệu lực kể từ ngày ký.",
    ])
    signer_title: list[str] = field(default_factory=lambda: ["TM. ỦY BAN NHÂN DÂN", "KT. CHỦ TỊCH",
                                                             "PHÓ CHỦ TỊCH"])
    signer_name: str = "Trần Thị Bình"


def render_page(spec: DocSpec | None = None, dpi: int = 300, width_mm: float = 210,
                height_mm: float = 297) -> Image.Image:
    """Render one A4 page in the Decree 30 layout as a grey PIL image at `dpi`."""
    spec = spec or DocSpec()
    px = lambda mm: int(round(mm / 25.4 * dpi))  # noqa: E731
    img = Image.new("L", (px(width_mm), px(height_mm)), 255)
    d = ImageDraw.Draw(img)
    pt = lambda size: int(round(size / 72 * dpi))  # noqa: E731
    reg = ImageFont.truetype(find_font("regular"), pt(13))
    bold = ImageFont.truetype(find_font("bold"), pt(13))
    small_bold = ImageFont.truetype(find_font("bold"), pt(12.5))
    ital = ImageFont.truetype(find_font("italic"), pt(13))
    left, right, top = px(30), px(width_mm - 20), px(20)
    col_l = (left, left + px(70))
    col_r = (left + px(72), right)

    def centred(text, font, y, span):
        w = d.textlength(text, font=font)
        d.text(((span[0] + span[1] - w) / 2, y), text, font=font, fill=0)

    lh = pt(13) * 1.45
    centred(spec.issuer_parent, reg, top, col_l)
    centred(spec.issuer, bold, top + lh, col_l)
    centred(spec.number, reg, top + 2.4 * lh, col_l)
    centred("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", small_bold, top, col_r)
    centred("Độc lập - Tự do - Hạnh phúc", bold, top + lh, col_r)
    centred(spec.place_date, ital, top + 2.4 * lh, col_r)
    y = top + 4.2 * lh
    centred(spec.doc_type, bold, y, (left, right))
    y += lh
    for line in spec.subject:
        centred(line, bold, y, (left, right))
        y += lh
    y += 0.8 * lh
    for line in spec.body:
        d.text((left + px(10), y), line, font=reg, fill=0)
        y += lh
    y += lh
    for line in spec.signer_title:
        centred(line, bold, y, col_r)
        y += lh
    y += 2.5 * lh
    centred(spec.signer_name, bold, y, col_r)
    return img


def expected_words(spec: DocSpec | None = None) -> list[str]:
    """Every word printed on the page, NFC, for checks against OCR output."""
    spec = spec or DocSpec()
    lines = [spec.issuer_parent, spec.issuer, spec.number, spec.place_date, spec.doc_type,
             *spec.subject, *spec.body, *spec.signer_title, spec.signer_name,
             "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc"]
    return [unicodedata.normalize("NFC", w) for line in lines for w in line.split()]


def degrade(img: Image.Image, *, skew: float = 0.0, blur: float = 0.0, noise: float = 0.0,
            jpeg_quality: int | None = None, border: int = 0, red_seal: bool = False,
            seed: int = 0, shade: float = 0.0, speckle: float = 0.0, punch_holes: int = 0,
            turn: int = 0) -> Image.Image:
    """Imitate a scan: rotate by `skew` degrees, blur, add noise (std dev in grey levels),
    dark scanner borders `border` pixels wide, a red seal, and a JPEG round trip.

    Also: `shade` (0..1) darkens the page towards one corner like uneven lighting; `speckle` is
    the fraction of pixels turned into black or white dots; `punch_holes` (0, 2 or 4) dark round
    holes along the left margin; `turn` (0/90/180/270) turns the scan clockwise, as when a sheet
    was fed sideways or upside down."""
    rng = np.random.default_rng(seed)
    out = img.convert("RGB") if red_seal else img
    if red_seal:
        out = _stamp_red_seal(out, rng)
    if punch_holes:
        out = _punch_holes(out, punch_holes)
    if skew:
        fill = (255, 255, 255) if out.mode == "RGB" else 255
        out = out.rotate(skew, resample=Image.BICUBIC, expand=True, fillcolor=fill)
    if shade:
        out = _shade(out, shade)
    if blur:
        out = out.filter(ImageFilter.GaussianBlur(blur))
    if noise:
        arr = np.asarray(out).astype(np.float32)
        arr += rng.normal(0, noise, arr.shape)
        out = Image.fromarray(np.clip(arr, 0, 255).astype(np.uint8))
    if border:
        arr = np.array(out)
        for sl in (np.s_[:border], np.s_[-border:]):
            arr[sl] = 30
            arr[:, sl] = 30
        out = Image.fromarray(arr)
    if speckle:
        arr = np.array(out)
        hit = rng.random(arr.shape[:2])
        arr[hit < speckle / 2] = 0
        arr[hit > 1 - speckle / 2] = 255
        out = Image.fromarray(arr)
    if turn % 360:
        out = out.rotate(-(turn % 360), expand=True)
    if jpeg_quality:
        import io
        buf = io.BytesIO()
        out.save(buf, "JPEG", quality=jpeg_quality)
        out = Image.open(io.BytesIO(buf.getvalue()))
        out.load()
    return out


def _shade(img: Image.Image, strength: float) -> Image.Image:
    """Uneven lighting: brightness falls off linearly towards the lower right corner."""
    arr = np.asarray(img).astype(np.float32)
    h, w = arr.shape[:2]
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    gain = 1.0 - strength * (xx / w + yy / h) / 2
    arr = arr * (gain[..., None] if arr.ndim == 3 else gain)
    return Image.fromarray(np.clip(arr, 0, 255).astype(np.uint8))


def _punch_holes(img: Image.Image, n: int) -> Image.Image:
    """`n` dark 6 mm punch holes 12 mm from the left edge, spaced 80 mm, centred vertically."""
    img = img.copy()
    w, h = img.size
    mm = w / 210.0
    d = ImageDraw.Draw(img)
    dark = (25, 25, 25) if img.mode == "RGB" else 25
    r = 3 * mm
    for k in range(n):
        cy = h / 2 + (k - (n - 1) / 2) * 80 * mm
        d.ellipse((12 * mm - r, cy - r, 12 * mm + r, cy + r), fill=dark)
    return img


def bleed_through_page(spec: DocSpec | None = None, dpi: int = 300, strength: float = 0.2,
                       seed: int = 0) -> Image.Image:
    """The back of a printed sheet: blank except the front's text showing through, mirrored
    and faint (`strength` 0..1 of full black), as on thin paper."""
    front = np.asarray(render_page(spec, dpi=dpi).filter(ImageFilter.GaussianBlur(2)))
    back = 255 - (255 - front[:, ::-1].astype(np.float32)) * strength
    rng = np.random.default_rng(seed)
    back += rng.normal(0, 3, back.shape)
    return Image.fromarray(np.clip(back, 0, 255).astype(np.uint8))


def _stamp_red_seal(img: Image.Image, rng: np.random.Generator) -> Image.Image:
    """A red ring with text, over the lower right (where the signer's seal sits). Stamp ink is
    translucent: it darkens what it covers (multiplied in), so black print under the ring stays
    black, as on a real scan, instead of being hidden under opaque red."""
    w, h = img.size
    seal = Image.new("RGB", img.size, (255, 255, 255))
    d = ImageDraw.Draw(seal)
    r = int(w * 0.09)
    cx, cy = int(w * 0.66 + rng.integers(-20, 20)), int(h * 0.45 + rng.integers(-20, 20))
    red = (200, 30, 40)
    for k in range(3):
        d.ellipse((cx - r + k * 6, cy - r + k * 6, cx + r - k * 6, cy + r - k * 6), outline=red,
                  width=4)
    font = ImageFont.truetype(find_font("bold"), max(12, r // 5))
    d.text((cx - r * 0.6, cy - r * 0.15), "UBND TỈNH", font=font, fill=red)
    return ImageChops.multiply(img.convert("RGB"), seal)


def write_sample(out_dir: Path, dpi: int = 200) -> list[Path]:
    """Write the README's bundled sample: a two-page decision (pages named *_p1, *_p2) and a
    one-page notice with a red seal, as PNG/JPEG scans."""
    out_dir.mkdir(parents=True, exist_ok=True)
    first = DocSpec()
    second = DocSpec(doc_type="", subject=[], number="", place_date="", issuer="", issuer_parent="",
                     body=["Điều 3. Chánh Văn phòng Ủy ban nhân dân tỉnh, Giám đốc Sở Tài nguyên",
                           "và Môi trường, Chủ tịch Ủy ban nhân dân huyện Sơn Tịnh và ông",
                           "Nguyễn Văn An chịu trách nhiệm thi hành Quyết định này."])
    notice = DocSpec(number="Số: 42/TB-UBND", doc_type="THÔNG BÁO",
                     place_date="Quảng Ngãi, ngày 12 tháng 3 năm 2024",
                     subject=["Kết quả giải quyết thủ tục hành chính",
                              "về đăng ký kinh doanh hộ cá thể"],
                     body=["Ủy ban nhân dân tỉnh thông báo kết quả giải quyết hồ sơ",
                           "của bà Lê Thị Hoa, số định danh cá nhân 051190004321,",
                           "về đăng ký thành lập hộ kinh doanh tại phường Nghĩa Chánh.",
                           "Hồ sơ đã được tiếp nhận và giải quyết đúng hạn."])
    paths = []
    for i, spec in enumerate((first, second), start=1):
        page = degrade(render_page(spec, dpi=dpi), skew=1.5 * (-1) ** i, seed=i)
        p = out_dir / f"quyet-dinh-15_p{i}.png"
        page.save(p, dpi=(dpi, dpi), optimize=True)
        paths.append(p)
    page = degrade(render_page(notice, dpi=dpi), skew=-2.0, noise=6, red_seal=True, seed=3)
    p = out_dir / "thong-bao-42.jpg"
    page.save(p, "JPEG", quality=85, dpi=(dpi, dpi))
    paths.append(p)
    return paths


def random_text_lines(text: str, n: int, width: int = 75, seed: int = 0) -> list[str]:
    """Take `n` lines of about `width` characters from a Vietnamese article, for page bodies."""
    words = unicodedata.normalize("NFC", text).split()
    rng = random.Random(seed)
    start = rng.randrange(max(1, len(words) - n * 14))
    lines, cur = [], ""
    for w in words[start:]:
        if len(cur) + len(w) + 1 > width:
            lines.append(cur)
            cur = w
            if len(lines) == n:
                break
        else:
            cur = f"{cur} {w}".strip()
    return lines
