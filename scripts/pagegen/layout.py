"""Lay out a result document (Decree 30 header, body blocks, signature) on A4 pages.

The layout is computed with the fonts' own metrics, without drawing, so the same placed text
serves three uses: the page image (`draw`), the printed lines of the truth (`lines_of`) and, for
text-level work without OCR, word boxes (`words_of`) shaped like OCR output.

Body blocks (tuples, built by the helpers below):
    P(text)             a paragraph, wrapped, first line indented
    L(text)             a line at the left margin (wrapped with a hanging indent when too long)
    KV(a, b, ...)       several "Label: value" pieces on one line, at tab stops
    C(text, style)      a centred line
    T(head, rows, w)    a ruled table, column widths in mm, cells wrapped
    COLS(left, right)   two columns of lines side by side (no rules)
    GAP(mm)
"""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

from scripts.pagegen.render import FONT_DIRS

FAMILIES = {  # name -> (regular, bold, italic); all from setup.sh's font packages
    "termes": ("texgyretermes-regular.otf", "texgyretermes-bold.otf", "texgyretermes-italic.otf"),
    "pagella": ("texgyrepagella-regular.otf", "texgyrepagella-bold.otf",
                "texgyrepagella-italic.otf"),
    "freeserif": ("FreeSerif.ttf", "FreeSerifBold.ttf", "FreeSerifItalic.ttf"),
    "notoserif": ("NotoSerif-Regular.ttf", "NotoSerif-Bold.ttf", "NotoSerif-Italic.ttf"),
    "schola": ("texgyreschola-regular.otf", "texgyreschola-bold.otf", "texgyreschola-italic.otf"),
}
STYLES = ("regular", "bold", "italic")
MOTTO = ("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc")


def P(text: str, style: str = "regular") -> tuple:
    return ("P", text, style)


def L(text: str, style: str = "regular", indent_mm: float = 0.0) -> tuple:
    return ("L", text, style, indent_mm)


def KV(*pieces: str) -> tuple:
    return ("KV", pieces)


def C(text: str, style: str = "bold") -> tuple:
    return ("C", text, style)


def T(head: list[str], rows: list[list[str]], widths_mm: list[float]) -> tuple:
    return ("T", head, rows, widths_mm)


def COLS(left: list[str], right: list[str]) -> tuple:
    return ("COLS", left, right)


def GAP(mm: float) -> tuple:
    return ("GAP", mm)


@lru_cache(maxsize=64)
def font(family: str, style: str, size_px: int) -> ImageFont.FreeTypeFont:
    name = FAMILIES[family][STYLES.index(style)]
    for d in FONT_DIRS:
        p = Path(d) / name
        if p.exists():
            return ImageFont.truetype(str(p), size_px)
    raise FileNotFoundError(f"font {name} not found; run scripts/setup.sh (fonts-texgyre, "
                            "fonts-freefont-ttf, fonts-noto-core)")


def available_families() -> list[str]:
    out = []
    for fam, files in FAMILIES.items():
        if all(any((Path(d) / f).exists() for d in FONT_DIRS) for f in files):
            out.append(fam)
    return out


@dataclass
class Header:
    """What the Decree 30 header prints. `issuer` lines: the parent body first (regular), the
    issuing body last (bold). `place_date` None: printed above the signature instead (or not)."""

    issuer: list[str]
    number: str | None            # the whole printed line, "Số: 12/QĐ-UBND"
    place_date: str | None
    doc_type: str
    subject: list[str] = field(default_factory=list)
    date_at_bottom: str | None = None
    signer_title: list[str] = field(default_factory=list)
    signer_name: str | None = None
    extra_top: list[str] = field(default_factory=list)  # e.g. "Mẫu số 01" at the top right
    motto: tuple[str, str] = MOTTO
    tail: list[tuple] = field(default_factory=list)  # body blocks below the signature


@dataclass
class Run:
    x: float
    y: float
    text: str
    style: str
    size: int
    line_id: int
    block_id: int
    cell: int = -1  # column of a table cell, -1 elsewhere


@dataclass
class Laid:
    """Placed text and rules of every page."""

    width: int
    height: int
    dpi: int
    family: str
    pages: list[list[Run]] = field(default_factory=list)
    rules: list[list[tuple[float, float, float, float]]] = field(default_factory=list)


class _Cursor:
    def __init__(self, family: str, dpi: int, size_pt: float):
        self.family, self.dpi = family, dpi
        self.W, self.H = self.px(210), self.px(297)
        self.left, self.right = self.px(30), self.W - self.px(18)
        self.top, self.bottom = self.px(18), self.H - self.px(20)
        self.size = int(round(size_pt / 72 * dpi))
        self.lh = self.size * 1.42
        self.laid = Laid(self.W, self.H, dpi, family)
        self.line_id = self.block_id = 0
        self.new_page()

    def px(self, mm: float) -> int:
        return int(round(mm / 25.4 * self.dpi))

    def new_page(self) -> None:
        self.laid.pages.append([])
        self.laid.rules.append([])
        self.y = self.top

    def f(self, style: str, scale: float = 1.0) -> ImageFont.FreeTypeFont:
        return font(self.family, style, int(self.size * scale))

    def width(self, text: str, style: str, scale: float = 1.0) -> float:
        return self.f(style, scale).getlength(text)

    def put(self, x: float, y: float, text: str, style: str = "regular", scale: float = 1.0,
            new_block: bool = False, cell: int = -1) -> None:
        if not text.strip():
            return
        if new_block:
            self.block_id += 1
        self.line_id += 1
        self.laid.pages[-1].append(Run(x, y, text, style, int(self.size * scale), self.line_id,
                                       self.block_id, cell))

    def need(self, h: float) -> None:
        if self.y + h > self.bottom:
            self.new_page()

    def wrap(self, text: str, style: str, width: float, first_width: float | None = None
             ) -> list[str]:
        out, cur = [], ""
        limit = first_width if first_width is not None else width
        for w in text.split():
            cand = f"{cur} {w}".strip()
            if cur and self.width(cand, style) > limit:
                out.append(cur)
                cur, limit = w, width
            else:
                cur = cand
        if cur:
            out.append(cur)
        return out

    def centred(self, text: str, style: str, span: tuple[float, float], y: float,
                scale: float = 1.0) -> None:
        w = self.width(text, style, scale)
        self.put((span[0] + span[1] - w) / 2, y, text, style, scale)


def layout(header: Header, body: list[tuple], family: str = "termes", dpi: int = 200,
           size_pt: float = 13.0) -> Laid:
    """Place the header, the body blocks and the signature on as many A4 pages as needed."""
    c = _Cursor(family, dpi, size_pt)
    col_l = (c.left - c.px(12), c.left + c.px(68))
    col_r = (c.left + c.px(70), c.right)
    y0 = c.y
    for text in header.extra_top:
        c.put(c.right - c.width(text, "italic", 0.85), c.y - c.lh * 0.4, text, "italic", 0.85,
              new_block=True)
        y0 += c.lh * 0.6
    c.block_id += 1
    y = y0
    for i, text in enumerate(header.issuer):
        style = "bold" if i == len(header.issuer) - 1 else "regular"
        for part in c.wrap(text, style, col_l[1] - col_l[0]):
            c.centred(part, style, col_l, y, 0.95)
            y += c.lh
    mid = (col_l[0] + col_l[1]) / 2
    c.laid.rules[-1].append((mid - c.px(12), y - c.lh * 0.15, mid + c.px(12), y - c.lh * 0.15))
    y += c.lh * 0.2
    if header.number:
        c.centred(header.number, "regular", col_l, y)
        y += c.lh
    left_bottom = y
    c.block_id += 1
    y = y0
    c.centred(header.motto[0], "bold", col_r, y, 0.92)
    y += c.lh
    c.centred(header.motto[1], "bold", col_r, y)
    y += c.lh
    mid = (col_r[0] + col_r[1]) / 2
    half = c.width(header.motto[1], "bold") / 2
    c.laid.rules[-1].append((mid - half, y - c.lh * 0.15, mid + half, y - c.lh * 0.15))
    y += c.lh * 0.2
    if header.place_date:
        c.centred(header.place_date, "italic", col_r, y)
        y += c.lh
    c.y = max(y, left_bottom) + c.lh * 0.8
    c.block_id += 1
    for part in c.wrap(header.doc_type, "bold", c.right - c.left):
        c.centred(part, "bold", (c.left, c.right), c.y, 1.05)
        c.y += c.lh * 1.05
    for text in header.subject:
        for part in c.wrap(text, "bold", c.right - c.left - c.px(20)):
            c.centred(part, "bold", (c.left, c.right), c.y)
            c.y += c.lh
    c.y += c.lh * 0.6
    for block in body:
        _block(c, block)
    _signature(c, header, col_r)
    for block in header.tail:
        _block(c, block)
    return c.laid


def _block(c: _Cursor, block: tuple) -> None:
    kind = block[0]
    c.block_id += 1
    if kind == "GAP":
        c.y += c.px(block[1])
    elif kind == "P":
        _, text, style = block
        indent = c.px(10)
        for i, part in enumerate(c.wrap(text, style, c.right - c.left,
                                        c.right - c.left - indent)):
            c.need(c.lh)
            c.put(c.left + (indent if i == 0 else 0), c.y, part, style)
            c.y += c.lh
    elif kind == "L":
        _, text, style, ind = block
        x = c.left + c.px(ind)
        hang = c.px(6)
        for i, part in enumerate(c.wrap(text, style, c.right - x - hang, c.right - x)):
            c.need(c.lh)
            c.put(x + (hang if i else 0), c.y, part, style)
            c.y += c.lh
    elif kind == "C":
        c.need(c.lh)
        c.centred(block[1], block[2], (c.left, c.right), c.y)
        c.y += c.lh
    elif kind == "KV":
        pieces = block[1]
        c.need(c.lh)
        span = (c.right - c.left) / len(pieces)
        x = c.left
        for i, p in enumerate(pieces):
            w = c.width(p, "regular")
            x = max(x, c.left + i * span) if i else x
            c.put(x, c.y, p, "regular")
            x += w + c.px(8)
        c.y += c.lh
    elif kind == "COLS":
        _, left, right = block
        mid = c.left + (c.right - c.left) / 2
        ly = ry = c.y
        for text in left:
            for part in c.wrap(text, "regular", mid - c.left - c.px(4)):
                c.put(c.left, ly, part)
                ly += c.lh
        c.block_id += 1
        for text in right:
            for part in c.wrap(text, "regular", c.right - mid):
                c.put(mid, ry, part)
                ry += c.lh
        c.y = max(ly, ry)
    elif kind == "T":
        _table(c, block[1], block[2], block[3])
    else:
        raise ValueError(f"unknown block {kind}")


def _table(c: _Cursor, head: list[str], rows: list[list[str]], widths_mm: list[float]) -> None:
    total = sum(widths_mm)
    avail = c.right - c.left
    ws = [avail * w / total for w in widths_mm]
    xs = [c.left]
    for w in ws:
        xs.append(xs[-1] + w)
    pad = c.px(1.5)
    scale = 0.9
    lh = c.lh * scale
    c.y += c.lh * 0.3  # clear of the descenders of the line above
    for r, row in enumerate([head, *rows]):
        style = "bold" if r == 0 else "regular"
        cells = [_wrap_scaled(c, str(t), style, w - 2 * pad, scale) for t, w in zip(row, ws)]
        h = max(len(x) for x in cells) * lh + pad
        if c.y + h > c.bottom:
            c.new_page()
        top = c.y
        c.block_id += 1  # a row is a block of its own
        for j, lines in enumerate(cells):
            for k, part in enumerate(lines):
                tw = c.width(part, style, scale)
                x = xs[j] + (ws[j] - tw) / 2 if r == 0 else xs[j] + pad
                c.put(x, top + pad / 2 + k * lh, part, style, scale, cell=j)
        rules = c.laid.rules[-1]
        rules.append((xs[0], top - pad / 2, xs[-1], top - pad / 2))
        rules.append((xs[0], top + h - pad / 2, xs[-1], top + h - pad / 2))
        for x in xs:
            rules.append((x, top - pad / 2, x, top + h - pad / 2))
        c.y = top + h
    c.y += c.lh * 0.4


def _wrap_scaled(c: _Cursor, text: str, style: str, width: float, scale: float) -> list[str]:
    out, cur = [], ""
    for w in text.split():
        cand = f"{cur} {w}".strip()
        if cur and c.width(cand, style, scale) > width:
            out.append(cur)
            cur = w
        else:
            cur = cand
    return (out + [cur]) if cur else (out or [""])


def _signature(c: _Cursor, header: Header, col_r: tuple[float, float]) -> None:
    n = len(header.signer_title) + (1 if header.date_at_bottom else 0) + 4
    c.y += c.lh * 0.6
    c.need(n * c.lh)
    c.block_id += 1
    if header.date_at_bottom:
        c.centred(header.date_at_bottom, "italic", col_r, c.y)
        c.y += c.lh
    for t in header.signer_title:
        c.centred(t, "bold", col_r, c.y)
        c.y += c.lh
    c.y += 2.6 * c.lh
    if header.signer_name:
        c.centred(header.signer_name, "bold", col_r, c.y)
        c.y += c.lh


def lines_of(laid: Laid) -> list[list[str]]:
    """The printed lines of each page, in reading order: block by block (the header's two
    columns and the body's columns are blocks of their own), then top to bottom; runs of one
    block sharing a baseline (a table row, labels on one line) are one line, left to right."""
    out = []
    for runs in laid.pages:
        blocks: dict[int, list[Run]] = {}
        for r in runs:
            blocks.setdefault(r.block_id, []).append(r)
        lines = []
        for b in sorted(blocks):
            rs = blocks[b]
            if rs[0].cell >= 0 and len({round(r.y) for r in rs}) > 1:
                # a table row with a wrapped cell: read cell by cell
                for cell in sorted({r.cell for r in rs}):
                    lines += [r.text for r in sorted((r for r in rs if r.cell == cell),
                                                     key=lambda r: r.y)]
                continue
            rows: dict[int, list[Run]] = {}
            for r in rs:
                rows.setdefault(round(r.y), []).append(r)
            lines += [" ".join(r.text for r in sorted(rows[y], key=lambda r: r.x))
                      for y in sorted(rows)]
        out.append(lines)
    return out


def words_of(laid: Laid) -> list[list[list]]:
    """Per page, OCR-shaped words: [text, [x0, y0, x1, y1], line, block] (boxes from the font)."""
    out = []
    for runs in laid.pages:
        words = []
        for r in runs:
            f = font(laid.family, r.style, r.size)
            x = r.x
            for tok in r.text.split(" "):
                if not tok:
                    x += f.getlength(" ")
                    continue
                x0, y0, x1, y1 = f.getbbox(tok)
                w = f.getlength(tok)
                words.append([tok, [int(x), int(r.y + y0), int(round(x + w)), int(round(r.y + y1))],
                              r.line_id, r.block_id])
                x += w + f.getlength(" ")
        out.append(words)
    return out


def draw(laid: Laid) -> list[Image.Image]:
    """The pages as grey images."""
    imgs = []
    for runs, rules in zip(laid.pages, laid.rules):
        img = Image.new("L", (laid.width, laid.height), 255)
        d = ImageDraw.Draw(img)
        for r in runs:
            d.text((r.x, r.y), r.text, font=font(laid.family, r.style, r.size), fill=0)
        lw = max(1, laid.dpi // 150)
        for x0, y0, x1, y1 in rules:
            d.line((x0, y0, x1, y1), fill=0, width=lw)
        imgs.append(img)
    return imgs
