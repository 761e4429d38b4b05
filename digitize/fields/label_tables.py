"""People of a label table: a column of labels and one column of values per person.

    Thông tin           | Chồng           | Vợ
    Họ, chữ đệm, tên    | PHAN ĐÌNH KHOA  | VÕ THỊ MAI
    Ngày, tháng, năm sinh | 01/02/1990    | 03/04/1993
    Nơi cư trú          | thôn An Hải,    | xã Bình Hải
                        | xã Bình Châu    |

A row's cells are its segments, cut where OCR read a rule ("|") inside one; a cell is (start, end,
x0, x1) in the document's stream. The name row opens one person per value cell; each later row's
label cell names the attribute and its values go to the people by column; a row with an empty
label cell continues the values above (an address wrapped in its cell).
"""
from __future__ import annotations

import re

from digitize.fields.labels import Label, Stream, role_in

Cell = tuple[int, int, float, float]


def _cells(stream: Stream, row: list[int]) -> list[Cell]:
    out: list[Cell] = []
    for k in sorted(row, key=lambda k: stream.segs[k].x0):
        base, text = stream.starts[k], stream.segs[k].text
        pos = 0
        for piece in re.split(r"(\s*[|\[\]]\s*)", text):
            a, b = base + pos, base + pos + len(piece)
            pos += len(piece)
            if not piece.strip() or not piece.strip(" |[]"):
                continue
            ws = stream.words(a, b)[1]
            if ws:
                out.append((a, b, min(w.box.x0 for w in ws), max(w.box.x1 for w in ws)))
    return out


def label_table_people(stream: Stream, labels: list[Label]) -> tuple[list[dict], set[int]]:
    """(people, segments used) of the document's label tables with two or more value columns."""
    from digitize.fields.holders import _context_role, _default_role, _name_at, _new_person
    from digitize.fields.tables import _rows
    at = {lb.start: lb for lb in labels}
    rows = _rows(stream)
    people: list[dict] = []
    used: set[int] = set()
    r = 0
    while r < len(rows):
        cells = _cells(stream, rows[r])
        lab = at.get(cells[0][0]) if cells else None
        if lab is None or lab.kind != "name" or len(cells) < 3 \
                or stream.text[lab.value_start:cells[0][1]].strip(" :|"):
            r += 1
            continue
        names = [_name_at(stream, a, b) for a, b, _, _ in cells[1:]]
        if any(n is None for n in names):
            r += 1
            continue
        cols = [(x0, x1) for _, _, x0, x1 in cells[1:]]
        above = _cells(stream, rows[r - 1]) if r else []
        group = []
        found = [n for n in names if n is not None]  # every one (checked above)
        for (name, a, b), (x0, x1) in zip(found, cols):
            role = lab.role or _column_role(stream, above, x0, x1) \
                or _context_role(stream, labels, labels.index(lab), people) or _default_role(stream)
            group.append(_new_person(stream, role, name, a, b, "table"))
        used |= set(rows[r])
        last: dict[int, str] = {}
        r += 1
        while r < len(rows):
            cells = _cells(stream, rows[r])
            if not cells:
                break
            lb = at.get(cells[0][0])
            label_cell = cells[0][2] < cols[0][0] and (lb is not None or cells[0][3] < cols[0][0])
            if lb is None and label_cell:
                break  # text in the label column that is no label: the table is over
            key = {"id": "id_number", "birth": "birth_date", "sex": "sex",
                   "address": "address"}.get(lb.kind) if lb is not None and label_cell else None
            for a, b, x0, x1 in (cells[1:] if label_cell else cells):
                i = max(range(len(cols)), key=lambda c: min(x1, cols[c][1]) - max(x0, cols[c][0]))
                if min(x1, cols[i][1]) - max(x0, cols[i][0]) <= 0:
                    continue
                attr = key if label_cell else last.get(i)
                if attr is not None:
                    cell_attribute(stream, group[i], attr, a, b)
                    last[i] = attr
            used |= set(rows[r])
            r += 1
        people += group
    return people, used


def cell_attribute(stream: Stream, p: dict, attr: str, a: int, e: int) -> None:
    """Read attribute `attr` of person p from a table cell [a, e) (an address goes on over the
    cells below it)."""
    from digitize.fields.holders import _birth_at, _id_at, _sex_at, _union
    from digitize.fields.labels import evidence
    if attr == "address":
        raw = (p.get("_raw_address", "") + " " + stream.text[a:e]).strip()
        ev = evidence(stream, a, e)
        if p["address"] is not None:  # wrapped in its cell: one value, one box
            old = p["evidence"]["address"]
            ev["box"] = _union(old["box"], ev["box"]) if old["page"] == ev["page"] else old["box"]
            ev["confidence"] = min(old["confidence"], ev["confidence"])
            ev["needs_review"] = old["needs_review"] or ev["needs_review"]
            ev["evidence"] = old["evidence"] + " / " + ev["evidence"]
        if raw.strip(" ,;.|"):
            p["_raw_address"] = raw
            p["address"], p["evidence"]["address"] = raw.strip(" ,;.|"), ev
        return
    if p[attr] is not None:
        return
    if attr == "id_number":
        got = _id_at(stream, a, e, cell=True)
        if got:
            p.update(got[0])
            p["evidence"]["id_number"] = got[1]
        return
    read = (_birth_at if attr == "birth_date" else _sex_at)(stream, a, e)
    if read:
        p[attr], p["evidence"][attr] = read


def _column_role(stream: Stream, above: list[Cell], x0: float, x1: float) -> str | None:
    """The role the header cell above a value column names ("Chồng", "Bên vợ")."""
    for a, b, c0, c1 in above:
        if min(c1, x1) - max(c0, x0) > 0:
            r = role_in(stream.text[a:b], stream.folded[a:b])
            if r:
                return r
    return None
