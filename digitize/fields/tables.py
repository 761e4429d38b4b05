"""People listed in a table: a header row of labels ("STT | Họ và tên | Ngày sinh | Số định danh
cá nhân | Nơi cư trú"), then one row per person, each value under its label.

Rows are visual lines: the segments of one page whose vertical extents overlap. A header is a row
of at least two cells that are labels alone, one a name label. Each later segment goes to the
column whose header it overlaps most (or lies nearest to); a row with nothing in the name column
continues the row above (an address wrapped in its cell). The table ends at a wide vertical gap,
at a row whose cells fit no column, or at a row that is running text across the whole table.
"""
from __future__ import annotations

from digitize.fields.labels import Label, Stream
from digitize.fields.text import Segment

_PERSON = ("name", "id", "birth", "sex", "address")


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


def table_cells(stream: Stream, labels: list[Label]) -> list[tuple[str | None, dict[str, list[int]]]]:
    """(heading role, {label kind: segment indices}) for each data row of each person table;
    the header's labels are left for the caller to skip (see `header_labels`)."""
    by_start = {lab.start: lab for lab in labels}
    rows = _rows(stream)
    out = []
    r = 0
    while r < len(rows):
        head = _header(stream, rows[r], by_start)
        if head is None:
            r += 1
            continue
        cols = sorted(head.items(), key=lambda kv: stream.segs[kv[1]].x0)
        bounds = _bounds(stream, [k for _, k in cols])
        prev_y = max(stream.segs[k].y1 for k in rows[r])
        r += 1
        table: list[dict[str, list[int]]] = []
        while r < len(rows):
            segs = [stream.segs[k] for k in rows[r]]
            h = max(s.height for s in segs)
            if segs[0].page != stream.segs[cols[0][1]].page or min(s.y0 for s in segs) - prev_y > 3 * h:
                break
            cells: dict[str, list[int]] = {}
            fits = True
            for k, s in zip(rows[r], segs):
                col = _column(s, bounds)
                if col is None and s.text.strip(" .").isdigit():
                    continue  # the row's number ("STT")
                if col is None:
                    fits = False
                    break
                cells.setdefault(cols[col][0], []).append(k)
            if not fits or (len(segs) == 1 and segs[0].x1 - segs[0].x0 > 0.6 * (bounds[-1][1]
                                                                              - bounds[0][0])):
                break
            if "name" in cells or not table:
                table.append(cells)
            else:  # a cell's text wrapped onto a row of its own
                for kind, ks in cells.items():
                    table[-1].setdefault(kind, []).extend(ks)
            prev_y = max(s.y1 for s in segs)
            r += 1
        out += [(None, cells) for cells in table if "name" in cells]
    return out


def _header(stream: Stream, row: list[int], by_start: dict[int, Label]) -> dict[str, int] | None:
    head: dict[str, int] = {}
    for k in row:
        lab = by_start.get(stream.starts[k])
        seg = stream.segs[k]
        if lab is None or lab.kind not in _PERSON:
            continue
        rest = stream.text[lab.value_start:stream.starts[k] + len(seg.text)]
        if rest.strip(" :.()"):
            continue  # a label with its value beside it: a form line, not a header
        head.setdefault(lab.kind, k)
    return head if "name" in head and len(head) >= 2 else None


def _bounds(stream: Stream, ks: list[int]) -> list[tuple[float, float]]:
    """Each column's x range: from halfway to the previous header cell to halfway to the next."""
    segs: list[Segment] = [stream.segs[k] for k in ks]
    out = []
    for i, s in enumerate(segs):
        lo = (segs[i - 1].x1 + s.x0) / 2 if i else s.x0 - 0.5 * (s.x1 - s.x0)
        hi = (s.x1 + segs[i + 1].x0) / 2 if i + 1 < len(segs) else s.x1 + 2.0 * (s.x1 - s.x0)
        out.append((lo, hi))
    return out


def _column(s: Segment, bounds: list[tuple[float, float]]) -> int | None:
    """The column a segment belongs to: the one holding most of it."""
    best, share = None, 0.0
    for i, (lo, hi) in enumerate(bounds):
        ov = min(s.x1, hi) - max(s.x0, lo)
        if ov > share:
            best, share = i, ov
    return best if best is not None and share >= 0.5 * (s.x1 - s.x0) else None
