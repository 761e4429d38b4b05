"""People listed in a table: a header row of labels ("STT | Họ và tên | Ngày sinh | Số định danh
cá nhân | Nơi cư trú"), then one row per person, each value under its label.

Rows are visual lines: the segments of one page whose vertical extents overlap. A header is a row
of at least two cells that are labels alone, one a name label. Each later segment goes to the
column whose header it overlaps most (or lies nearest to); a row with nothing in the name column
continues the row above (an address wrapped in its cell). The table ends at a wide vertical gap,
at a row whose cells fit no column, or at a row that is running text across the whole table.
"""
from __future__ import annotations

import re

from digitize.fields.labels import Stream
from digitize.fields.text import Segment

# What a header cell's (folded) first words say its column holds; a header cell may wrap
# ("Thửa" / "số"), so its first line is enough.
_COLUMNS = (
    ("index", r"stt|so\s+tt|tt"),
    ("name", r"ho\s*(?:,\s*chu\s+dem\s*,?\s*)?(?:va\s+)?ten|ten\s+(?:chu|nguoi)|nguoi\s+(?:su\s+dung"
             r"|duoc\s+(?:cap|giao|thue|ho\s+tro|tro\s+cap)|so\s+huu|dung\s+ten)|chu\s+(?:ho|su\s+dung|so\s+huu)"
             r"|ong\s*[(/]\s*ba\s*\)?|ba\s*[(/]\s*ong\s*\)?"),
    ("id", r"(?:so\s+)?(?:dinh\s+danh|cccd|cmnd|can\s+cuoc|giay\s+to|ho\s+chieu)"),
    ("birth", r"(?:ngay\s*,?\s*(?:thang\s*,?\s*)?)?nam\s+sinh|ngay\s+sinh|sinh\s+ngay"),
    ("sex", r"gioi\s+tinh"),
    ("address", r"dia\s+chi|noi\s+(?:cu\s+tru|thuong\s+tru|o)|thuong\s+tru|cho\s+o|tru\s+quan"),
    ("parcel", r"(?:so\s+)?thua"),
    ("sheet", r"(?:so\s+)?to(?:\s+ban|$)"),
    ("area", r"dien\s+tich"),
)
_COLUMN_RE = [(k, re.compile(rx)) for k, rx in _COLUMNS]


def _header_word(seg: Segment) -> bool:
    """A piece of a wrapped header cell: lower-case words or a unit in parentheses."""
    t = seg.text.strip()
    return bool(t) and (t[0].islower() or t.startswith("(")) and not re.search(r"[0-9]", t)


def _kind_of(text: str) -> str | None:
    from digitize.fields.text import fold
    f = fold(text).strip(" :.()")
    for kind, rx in _COLUMN_RE:
        m = rx.match(f)
        if m and (m.end() == len(f) or not f[m.end()].isalnum()):
            return kind
    return None


def _kind(seg: Segment) -> str | None:
    """The column a header cell names; None for a cell holding more than a header's words
    (a form line's label with its value: "Họ và tên: NGUYỄN VĂN AN")."""
    f = seg.folded.strip(" :.()")
    for kind, rx in _COLUMN_RE:
        m = rx.match(f)
        if m and (m.end() == len(f) or not f[m.end()].isalnum()):
            rest = seg.text[m.end():].strip(" :.()")
            if len(rest.split()) > 4 or re.search(r"[0-9]", rest) or rest[:1].isupper():
                return None
            return kind
    return None


def _rows(stream: Stream) -> list[list[int]]:
    """Segment indices grouped into visual rows, in reading order."""
    rows: list[list[int]] = []
    for k, s in enumerate(stream.segs):
        if rows:
            last = stream.segs[rows[-1][0]]
            if last.page == s.page and min(last.y1, s.y1) - max(last.y0, s.y0) > 0.4 * s.height:
                rows[-1].append(k)
                continue
        rows.append([k])
    return rows


def _header_cells(stream: Stream, row: list[int]) -> list[tuple[float, float, str]]:
    """A row's header cells as (x0, x1, text), left to right. A segment OCR read across two
    cells ("Thửa ( Tờ bản": the rule between them read as a bracket) is cut where a column's
    word begins; rule marks are dropped."""
    cells: list[tuple[float, float, str]] = []
    for k in sorted(row, key=lambda k: stream.segs[k].x0):
        group: list = []
        words = [w for w in stream.segs[k].words if w.text.strip("|[](){}")]
        for i, w in enumerate(words):
            t = " ".join(x.text.strip("|[](){}") for x in words[i:i + 2])
            if group and (_kind_of(t) or _kind_of(t.split()[0])) \
                    and _kind_of(" ".join(g.text.strip("|[](){}") for g in group)):
                cells.append(_cell_of(group))
                group = []
            group.append(w)
        if group:
            cells.append(_cell_of(group))
    return cells


def _above(stream: Stream, upper: list[int], row: list[int]) -> bool:
    """Is row `upper` just above `row` on the same page (within a line height)?"""
    a, b = stream.segs[upper[0]], stream.segs[row[0]]
    return a.page == b.page and 0 <= b.y0 - max(stream.segs[k].y1 for k in upper) < b.height \
        and all(not (stream.segs[k].x1 > stream.segs[j].x0 and stream.segs[j].x1 > stream.segs[k].x0)
                for k in upper for j in row)


def _cell_of(words) -> tuple[float, float, str]:
    return (min(w.box.x0 for w in words), max(w.box.x1 for w in words),
            " ".join(w.text.strip("|[](){}") for w in words).strip())


def table_rows(stream: Stream) -> list[dict[str, list]]:
    """Each data row of each table of people: {column kind: the `Piece`s of its cell, one per
    line it wraps over}; the key "_head" holds the header row's segment indices."""
    rows = _rows(stream)
    out = []
    r = 0
    while r < len(rows):
        if not any(_kind(stream.segs[k]) == "name" for k in rows[r]):
            r += 1
            continue
        heads = _header_cells(stream, rows[r])
        if r > 0 and _above(stream, rows[r - 1], rows[r]):
            # header cells set higher than the rest of their row (centred in a taller cell)
            extra = _header_cells(stream, rows[r - 1])
            if all(_kind_of(t) for _, _, t in extra):
                heads = sorted(heads + extra)
        kinds = [_kind_of(t) for _, _, t in heads]
        if "name" not in kinds or len(set(kinds) - {None, "index"}) < 2:
            r += 1
            continue
        head = sorted(rows[r])
        bounds = _bounds([(x0, x1) for x0, x1, _ in heads])
        page = stream.segs[rows[r][0]].page
        prev_y = max(stream.segs[k].y1 for k in rows[r])
        r += 1
        # header cells wrapped onto the next line ("Ngày" / "sinh"): read each cell whole
        texts = [t for _, _, t in heads]
        while r < len(rows) and all(_header_word(stream.segs[k]) for k in rows[r]):
            for k in rows[r]:
                col = _column(stream.segs[k], bounds)
                if col is not None:
                    texts[col] += " " + stream.segs[k].text
            kinds = [kind or _kind_of(t) for kind, t in zip(kinds, texts)]
            prev_y = max(stream.segs[k].y1 for k in rows[r])
            r += 1
        table: list[dict[str, list]] = []
        while r < len(rows):
            segs = [stream.segs[k] for k in rows[r]]
            h = max(s.height for s in segs)
            if segs[0].page != page or min(s.y0 for s in segs) - prev_y > 3 * h:
                break
            cells: dict[str, list] = {}
            fits = True
            for c in _pieces(stream, rows[r], bounds):
                kind = _under(c, table[-1]) if table else None
                col = _column(c, bounds)
                if kind is None and col is None:
                    fits = False
                    break
                named = kinds[col] if col is not None else None
                cells.setdefault(kind or named or f"col{col}", []).append(c)
            wide = len(segs) == 1 and segs[0].x1 - segs[0].x0 > 0.6 * (bounds[-1][1] - bounds[0][0]) \
                and len(cells) < 2
            if not fits or wide:
                break
            # a new person has a name and a number, date or ID beside it; a row of only name
            # and address text continues the cells above (wrapped in their cells)
            if not table or ("name" in cells and set(cells) - {"name", "address"}):
                table.append(cells)
            else:  # a cell's text wrapped onto a row of its own
                for kind, cs in cells.items():
                    table[-1].setdefault(kind, []).extend(cs)
            prev_y = max(s.y1 for s in segs)
            r += 1
        out += [dict(cells, _head=head) for cells in table if "name" in cells]
    return out


class Piece:
    """A table cell's text: stream offsets [a, b) and its extent across the page."""

    def __init__(self, a: int, b: int, x0: float, x1: float):
        self.a, self.b, self.x0, self.x1 = a, b, x0, x1


def _pieces(stream: Stream, row: list[int], bounds: list[tuple[float, float]]) -> list[Piece]:
    """A data row's cells: its segments, each cut where OCR read a rule ("|") inside it when
    it runs over more than one column ("|PHẠM THÙY | 080155079417 |295"); rules at the edges
    of a cell are dropped."""
    out = []
    for k in row:
        s = stream.segs[k]
        base = stream.starts[k]
        spans = [(0, len(s.text))]
        whole = _column(Piece(0, 0, s.x0, s.x1), bounds)
        if whole is None:
            spans, pos = [], 0
            for part in re.split(r"(\s*[|\[\]]\s*)", s.text):
                if part.strip(" |[]"):
                    spans.append((pos, pos + len(part)))
                pos += len(part)
        for a, b in spans:
            t = s.text[a:b]
            a += len(t) - len(t.lstrip(" |[]("))
            lead = re.match(r"\d{1,3}\s*[|\])]\s*", s.text[a:b])  # the row number before a rule
            a += lead.end() if lead else 0
            b -= len(t) - len(t.rstrip(" |[])"))
            ws = stream.words(base + a, base + b)[1]
            if b > a and ws:
                out.append(Piece(base + a, base + b, min(w.box.x0 for w in ws),
                                 max(w.box.x1 for w in ws)))
    return out


def _under(c: Piece, above: dict[str, list]) -> str | None:
    """The column of the cell above that `c` overlaps most (cells are aligned with the data
    above them more surely than with a centred header)."""
    best, share = None, 0.0
    for kind, cs in above.items():
        if kind == "_head":
            continue
        for t in cs:
            ov = min(c.x1, t.x1) - max(c.x0, t.x0)
            if ov > share:
                best, share = kind, ov
    return best if share >= 0.5 * (c.x1 - c.x0) else None


def _bounds(spans: list[tuple[float, float]]) -> list[tuple[float, float]]:
    """Each column's x range: from halfway to the previous header cell to halfway to the next."""
    out = []
    for i, (x0, x1) in enumerate(spans):
        lo = (spans[i - 1][1] + x0) / 2 if i else x0 - 0.5 * (x1 - x0)
        hi = (x1 + spans[i + 1][0]) / 2 if i + 1 < len(spans) else x1 + 2.0 * (x1 - x0)
        out.append((lo, hi))
    return out


def _column(s, bounds: list[tuple[float, float]]) -> int | None:
    """The column a segment belongs to: the one holding most of it."""
    best, share = None, 0.0
    for i, (lo, hi) in enumerate(bounds):
        ov = min(s.x1, hi) - max(s.x0, lo)
        if ov > share:
            best, share = i, ov
    return best if best is not None and share >= 0.5 * (s.x1 - s.x0) else None
