"""What a result is about besides people: land parcels, household businesses and enterprises,
buildings, vehicles; and the organisations it names (name, tax code, address).

Read with the label grammar (`labels`): "Thửa đất số", "Tờ bản đồ số", "Diện tích", "Địa chỉ
thửa đất" make a parcel (an address label while a parcel is open is the parcel's, and is claimed
from the people); "Tên hộ kinh doanh" and "Mã số hộ kinh doanh" a household business; "Tên doanh
nghiệp/công ty", "Mã số doanh nghiệp/thuế", "Địa chỉ trụ sở" an enterprise and its organisation;
a building permit's "Diện tích xây dựng" and "Vị trí xây dựng" a building; "Biển số" a vehicle.
Numbers keep their printed form ("250,5"); a letter read for a digit is repaired only with the
original kept and the value sent to review.
"""
from __future__ import annotations

import re
from typing import Any

from digitize.fields.labels import (Label, Stream, address_goes_on, evidence, opens_line,
                                    pieces_value, value_end, wrapped)
from digitize.fields.persons import address_at
from digitize.fields.text import is_upper_line

_DIGITISH = str.maketrans({"O": "0", "o": "0", "I": "1", "l": "1", "|": "1"})
_NUMBER = re.compile(r"[0-9OoIl|]+(?:[a-zA-Z](?![a-zA-Z]))?")
_AREA = re.compile(r"([0-9OoIl|]{1,3}(?:[.,][0-9OoIl|]{3})*(?:[.,][0-9OoIl|]{1,2})?|[0-9]+)"
                   r"\s*(?:m2|m²|mét\s+vuông|m\b)?")
_CODE = re.compile(r"[0-9A-Z][0-9A-Z.\- ]{5,20}[0-9A-Z]")
_PLATE = re.compile(r"[0-9]{2}[A-Z]{1,2}[0-9]?\s*[-.]?\s*[0-9]{3}[.,]?[0-9]{1,2}")
_SENTENCE_END = re.compile(r";|\.(?=\s+[A-ZĐ])|\n(?=(?:Điều|Căn cứ|Xét|Theo)\b)")


def _head(stream: Stream, lab: Label, end: int) -> int:
    """Where a value starts: after the label's colon, spaces and a repeated "số"."""
    # a "số" OCR garbled ("Tờ bản đồ ‹ã: 57") still stands before a colon
    m = re.match(r"[:\s]*(?:(?:số|\S{1,3}(?=\s*:))\s*[:.]?\s*)?", stream.text[lab.value_start:end],
                 re.I)
    return lab.value_start + (m.end() if m else 0)


def _number(stream: Stream, lab: Label, end: int, rx: re.Pattern = _NUMBER) -> tuple[str, dict] | None:
    a = _head(stream, lab, end)
    m = rx.match(stream.text, a, max(a, end))
    if not m or not re.search(r"[0-9]", m.group(1) if m.groups() else m.group()):
        return None
    raw = (m.group(1) if m.groups() else m.group()).strip()
    value = raw if rx is _CODE else raw.translate(_DIGITISH)
    changed = value != raw
    b = a + len(raw)
    return value, evidence(stream, a, b, changed, raw if changed else None,
                           "letters read for digits" if changed else "")


def _text(stream: Stream, labels: list[Label], lab: Label, end: int, limit: int
          ) -> tuple[str, dict] | None:
    """A labelled text value (to the next label or line end); in running text an address."""
    a = _head(stream, lab, end) if not lab.kind.endswith("address") else lab.value_start
    text = stream.text
    if lab.colon and (opens_line(stream, lab) or not lab.kind.endswith("address")):
        value, ev = pieces_value(stream, wrapped(
            stream, a, end, labels, address_goes_on if lab.kind.endswith("address")
            else _name_goes_on))
    elif not lab.kind.endswith("address"):  # a name in running text: its run of capitals
        got = _capitals(stream, lab.value_start + len(text[lab.value_start:end]) -
                        len(text[lab.value_start:end].lstrip(" :")), end)
        if got is None:
            return None
        value, ev = got
    else:
        m = re.match(r"\s*(?:tại\s+)?", text[a:limit])
        a += m.end() if m else 0
        value = address_at(text[a:limit]) or ""
        ev = evidence(stream, a, a + len(value))
    if not value or not re.search(r"[^\W\d_]", value):
        return None
    return value, ev


def _name_goes_on(so_far: str, nxt: str, seg, x_value: float) -> bool:
    """A name in capitals wrapped onto the next line (a long company name): that line is in
    capitals too."""
    nxt = nxt.strip()
    return bool(nxt) and is_upper_line(so_far) and is_upper_line(nxt) \
        and not re.match(r"(?:\d+|[IVX]+)[.)]", nxt) and seg.x0 <= x_value + seg.height


_SHAPES = {
    "parcel": ("parcel", "map_sheet", "area", "address"),
    "building": ("address", "area"),
    "business": ("name", "code"),
    "enterprise": ("name", "code"),
    "vehicle": ("plate",),
}
# label kind -> (object kind it belongs to, attribute)
_ATTR = {"parcel": ("parcel", "parcel"), "sheet": ("parcel", "map_sheet"),
         "area": ("parcel", "area"), "parcel_address": ("parcel", "address"),
         "business": ("business", "name"), "business_code": ("business", "code"),
         "org": ("enterprise", "name"), "tax_code": ("enterprise", "code"),
         "plate": ("vehicle", "plate"), "building_area": ("building", "area"),
         "building_address": ("building", "address")}


# "N m²" in running text; OCR reads the square as 2, ?, °, * or a quote
_AREA_IN_TEXT = re.compile(r"(\d{1,3}(?:\.\d{3})*(?:,\d{1,2})?)\s*(?:m[²2?°*\"”'^]?(?=[\s,;.])|mét vuông)")
_PLACE_START = re.compile(r"[,;]\s*(?:(?:tại|ở|thuộc)\s+)?(?=(?:thôn|xóm|ấp|bản|tổ|khu|"
                          r"số|xã|phường|thị trấn|đường|khối|làng|buôn)\b)", re.I)


def _parcel_in_sentence(stream: Stream, o: dict) -> None:
    """A parcel named in running text ("Giao ... 2.779,1 m² đất tại thửa đất số 898, tờ bản đồ
    số 21, tổ dân phố 3, phường ..."): its area is the "N m²" of its sentence, its address the
    place that follows its numbers."""
    text = stream.text
    ends = [m.start() for m in _SENTENCE_END.finditer(text)]
    start = max([e + 1 for e in ends if e < o["_at"]], default=0)
    stop = min([e for e in ends if e > o["_last"]], default=len(text))
    if o["area"] is None:
        found = list(_AREA_IN_TEXT.finditer(text, start, stop))
        if found:
            m = found[-1] if found[-1].start() < o["_at"] or len(found) == 1 else found[0]
            o["area"], o["evidence"]["area"] = m.group(1), evidence(stream, m.start(1), m.end(1))
    if o["address"] is None:
        # the first place after the last number read: ", tổ dân phố 3, ...", ", tại thôn ..."
        pm = _PLACE_START.search(text, o["_last"], stop)
        if pm:
            value = address_at(text[pm.end():stop + 1])
            if value:
                o["address"] = value
                o["evidence"]["address"] = evidence(stream, pm.end(), pm.end() + len(value))


_PLATE_ANY = re.compile(r"(?<![\w-])\d{2}[A-Z]{1,2}\d?-\d{3}\.\d{2}(?![\w.])|"
                        r"(?<![\w-])\d{2}[A-Z]{1,2}\d?-\d{4,5}(?![\w.])")


def _plates(stream: Stream, known: set) -> list[dict]:
    """Vehicles of a document that speaks of plates ("Biển kiểm soát"), listed in a table or a
    line: every token shaped like a Vietnamese plate (37H-777.27, 51G-12345)."""
    out = []
    for m in _PLATE_ANY.finditer(stream.text):
        if m.group() not in known:
            known.add(m.group())
            out.append({"kind": "vehicle", "plate": m.group(), "needs_review": False,
                        "evidence": {"plate": evidence(stream, m.start(), m.end())},
                        "_at": m.start()})
    return out


_COMPANY_TYPE = re.compile(
    r"(?:cong\s+ty|tnhh|trach\s+nhiem\s+huu\s+han|co\s+phan|mot\s+thanh\s+vien|hai\s+thanh"
    r"\s+vien(?:\s+tro\s+len)?|hop\s+danh|doanh\s+nghiep\s+tu\s+nhan|hop\s+tac\s+xa|\s+)+")


def _named(name: str) -> bool:
    """Does an organisation name say more than its type ("CÔNG TY CỔ PHẦN" alone, a heading
    that tells the kind of company, names none)?"""
    from digitize.fields.text import fold
    f = fold(name)
    m = _COMPANY_TYPE.match(f)
    return bool(f[m.end():].strip()) if m else True


def _capitals(stream: Stream, a: int, limit: int) -> tuple[str, dict] | None:
    """The run of words in capitals at `a` ("CÔNG TY TNHH AN PHÚ, mã số ..."), over a line end
    when the next line goes on in capitals."""
    text = stream.text
    words = []
    for m in re.finditer(r"\S+", text[a:limit]):
        tok = m.group()
        core = tok.rstrip(",.;:")
        if not core or not (core.isupper() or core in ("&", "-")) or "\n" in text[a:a + m.start()] \
                and not is_upper_line(text[a + m.start():stream.line_end(a + m.start())]):
            break
        words.append((core, a + m.start() + len(core)))
        if core != tok:
            break
    if len(words) < 3:
        return None
    value = " ".join(w for w, _ in words)
    return value, evidence(stream, a, words[-1][1])


def _cell(stream: Stream, ks: list, rx: re.Pattern) -> tuple[str, dict] | None:
    """A number standing alone in a table cell (its `tables.Piece`s `ks`)."""
    a, end = ks[0].a, ks[0].b
    m = rx.match(stream.text, a, end)
    if not m or not re.search(r"[0-9]", m.group(1) if m.groups() else m.group()):
        return None
    raw = (m.group(1) if m.groups() else m.group()).strip()
    value = raw.translate(_DIGITISH)
    return value, evidence(stream, a, a + len(raw), value != raw, raw if value != raw else None,
                           "letters read for digits" if value != raw else "")


def _table_parcels(stream: Stream, rows: list[dict[str, list[Any]]]) -> list[dict]:
    out = []
    for cells in rows:
        o: dict[str, Any] = {"kind": "parcel", "parcel": None, "map_sheet": None, "area": None,
                             "address": None, "needs_review": False, "evidence": {},
                             "_at": cells["name"][0].a}
        for kind, attr, rx in (("parcel", "parcel", _NUMBER), ("sheet", "map_sheet", _NUMBER),
                               ("area", "area", _AREA)):
            if kind in cells:
                got = _cell(stream, cells[kind], rx)
                if got:
                    o[attr], o["evidence"][attr] = got
        if o["parcel"] or o["map_sheet"]:
            out.append(o)
    return out


def find_objects(stream: Stream, labels: list[Label], rows: list[dict[str, list[Any]]] | None = None
                 ) -> tuple[list[dict], list[dict], set[int]]:
    """(objects, organisations, indices of labels claimed from the people). `rows`: the rows of
    the document's tables of people (`tables.table_rows`), whose parcels are read by column."""
    rows = rows or []
    objects: list[dict] = _table_parcels(stream, rows)
    orgs: list[dict] = []
    claimed: set[int] = set()
    in_table = {stream.seg_index(c.a) for cells in rows for kind, cs in cells.items()
                if kind != "_head" for c in cs}
    cur: dict | None = None
    org: dict | None = None
    for i, lab in enumerate(labels):
        if stream.seg_index(lab.start) in in_table:
            continue
        end = value_end(stream, labels, i)
        limit = labels[i + 1].start if i + 1 < len(labels) else len(stream.text)
        if lab.kind == "name":
            if lab.colon:  # a labelled person's block: what follows is the person's
                cur = org = None
            continue
        if lab.kind == "address" and cur is not None and cur["kind"] in ("parcel", "building") \
                and cur.get("address") is None:
            kind, attr = cur["kind"], "address"
            claimed.add(i)
        elif lab.kind == "org_address" and org is not None:
            got = _text(stream, labels, lab, end, limit)
            if got and org["address"] is None:
                org["address"], org["evidence"]["address"] = got
            claimed.add(i)
            continue
        elif lab.kind == "org_inline":
            got = _capitals(stream, lab.start, limit)
            if got and _named(got[0]) and not any(o["name"] == got[0] for o in orgs):
                org = {"name": got[0], "tax_code": None, "address": None, "needs_review": False,
                       "evidence": {"name": got[1]}, "_at": lab.start}
                orgs.append(org)
                cur = {"kind": "enterprise", "name": got[0], "code": None, "needs_review": False,
                       "evidence": {"name": got[1]}, "_at": lab.start}
                objects.append(cur)
            continue
        elif lab.kind in _ATTR:
            kind, attr = _ATTR[lab.kind]
            if kind == "parcel" and attr == "area" and (cur is None or cur["kind"] != "parcel"):
                continue  # an area with no parcel open is the building's, or nobody's
        else:
            continue
        if attr in ("parcel", "map_sheet", "code"):
            got = _number(stream, lab, end, _CODE if attr == "code" else _NUMBER)
        elif attr == "area" and lab.kind == "area" and cur is not None and cur["kind"] == "building" \
                and cur.get("area") is None:
            got = _number(stream, lab, end, _AREA)
            kind = "building"
        elif attr == "area":
            got = _number(stream, lab, end, _AREA)
        elif attr == "plate":
            got = _number(stream, lab, end, _PLATE)
        else:
            got = _text(stream, labels, lab, end, limit)
        if got is None:
            continue
        if attr == "area" and (cur is None or cur["kind"] != kind or cur.get(attr) is not None) \
                and not (kind == "building" and (cur is None or cur["kind"] != "building")):
            continue  # a second area (the floor area beside the built area) is no new object
        if cur is None or cur["kind"] != kind or cur.get(attr) is not None:
            cur = {"kind": kind, **{k: None for k in _SHAPES[kind]}, "needs_review": False,
                   "evidence": {}, "_at": lab.start}
            objects.append(cur)
        cur[attr], cur["evidence"][attr] = got
        if not lab.colon:
            cur["_last"] = max(cur.get("_last", 0), lab.value_start)
            cur["_run"] = True
        if kind == "enterprise" and attr == "name":
            org = {"name": got[0], "tax_code": cur.get("code"), "address": None,
                   "needs_review": False, "evidence": {"name": got[1]}, "_at": lab.start}
            if cur.get("code"):  # "Mã số doanh nghiệp" printed above the name
                org["evidence"]["tax_code"] = cur["evidence"]["code"]
            orgs.append(org)
        if kind == "enterprise" and attr == "code" and org is not None \
                and org["tax_code"] is None:
            org["tax_code"], org["evidence"]["tax_code"] = got
    for o in objects:
        if o["kind"] == "parcel" and o.pop("_run", False):
            _parcel_in_sentence(stream, o)
        o.pop("_last", None)
    if any(lab.kind == "plate" for lab in labels):
        objects += _plates(stream, {o.get("plate") for o in objects})
    site = next((o for o in objects if o["kind"] == "parcel" and o["address"]), None)
    for o in objects:  # a building stands on the parcel its permit names
        if o["kind"] == "building" and o["address"] is None and site is not None:
            o["address"], o["evidence"]["address"] = site["address"], site["evidence"]["address"]
    for x in objects + orgs:
        x["needs_review"] = any(ev["needs_review"] for ev in x["evidence"].values())
    return objects, orgs, claimed
