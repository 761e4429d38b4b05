"""The people a result is about: name, role, personal ID, birth date, sex and address.

Found through the label grammar (`labels`): a name label ("Họ và tên", "Họ, chữ đệm, tên",
"Ông (bà)", running text's "ông"/"bà") opens a person; the ID, birth, sex and address labels after
it, up to the next person or the next object (a parcel, a business) belong to that person. A person
opened in running text ends with its sentence ("; " or ". " before a capital). The role is the one
the name label names ("Họ và tên người cha"), else that of the heading or words just before it
("Thông tin về người đại diện", "NGƯỜI YÊU CẦU"), else "holder".

Nothing read is rewritten silently: an ID whose O was read for 0 keeps its original reading and
goes to review, as do a name with a word read poorly or not a Vietnamese syllable, a surname not in
the list, an ID of the wrong length or province code, a date that is no calendar date.
"""
from __future__ import annotations

import datetime as dt
import re
from typing import Any

from digitize.fields.labels import (Label, Stream, address_goes_on, evidence, find_labels,
                                    opens_line, pieces_value, role_in, value_end, wrapped)
from digitize.fields.model import Field
from digitize.fields.objects import find_objects
from digitize.fields.names import is_surname, surname_candidates
from digitize.fields.persons import PROVINCE_CODES, address_at
from digitize.fields.tables import table_rows
from digitize.fields.text import Segment, fold
from indexer.textnorm import canonical_tones, exact
from digitize.fields.vietnamese import token_ok

PERSON_KINDS = ("id", "birth", "sex", "address")
# Labels that close the person before them: the object of the result comes next.
OBJECT_KINDS = ("parcel", "sheet", "area", "parcel_address", "business", "business_code", "org",
                "tax_code", "org_address", "plate", "building_area", "building_address", "org_inline")
# Capitalised words that open no name ("Ông Chủ tịch ...", "bà Giám đốc ..."), compared with
# their marks: "Thu", "Hồ" and "Bá" are names.
_NOT_NAME = {w.lower() for w in (
    "Chủ Phó Giám Trưởng Bí Thứ Bộ Sở Ủy Uỷ Điều Căn Xét Theo Quyết Cấp Giao Cho Tại Và Của "
    "Số Hộ Nay Được Trú Tên Địa Ngày Sinh Giới Họ Việt UBND HĐND Chánh Phòng Cục").split()}
_NAME_WORD = re.compile(r"^[^\W\d_](?:[^\W\d_]|['’-](?=[^\W\d_]))*$")
_DIGITISH = str.maketrans({"O": "0", "o": "0", "D": "0", "I": "1", "l": "1", "|": "1", "i": "1"})
_GUESS = str.maketrans({"S": "5", "B": "8", "G": "6", "Z": "2"})
_ID_TOKEN = re.compile(r"(?:[0-9OoDIl|SBGZ][0-9OoDIl|SBGZ .]{6,20}[0-9OoDIl|SBGZ]|[0-9]{7,12})"
                       r"(?![^\W_])")  # not the first letter of the next word ("... 285769732 làm")
_PASSPORT = re.compile(r"([A-Z])\s?([0-9OoIl]{7,8})(?![0-9])")
_DATE = re.compile(r"([0-9OoIl]{1,2})\s*[/.-]\s*([0-9OoIl]{1,2})\s*[/.-]\s*([0-9OoIl]{4})")
_WORDY_DATE = re.compile(r"(?:ngay\s*)?([0-9oil]{1,2})\s*thang\s*([0-9oil]{1,2})\s*nam\s*([0-9oil]{4})")
_YEAR = re.compile(r"(?<![0-9])([12][0-9OoIl]{3})(?![0-9])")
# End of a running-text sentence: "; ", or ". " / ".\n" before a capital (not "TP. Huế").
_SENTENCE_END = re.compile(r";|(?<!\bTP)(?<!\bTX)(?<!\bTp)(?<!\bQ)(?<!\bP)\.(?=\s+[A-ZĐÀ-Ỹ])"
                           r"|\n(?=(?:Điều|Căn cứ|Xét|Theo|QUYẾT)\b)")


_REPRESENTS = re.compile(r"\b(?:lam|la\s+nguoi)\s+dai\s+dien\b")


def _name_at(stream: Stream, a: int, limit: int, least: int = 2) -> tuple[str, int, int] | None:
    """The capitalised word run at stream offset `a` (before `limit`, on its line): (name, start,
    end), or None when fewer than two such words stand there."""
    text = stream.text
    if not text[a:stream.line_end(a)].strip(" :|") and stream.line_end(a) < limit:
        a = stream.line_end(a) + 1  # the value in the next cell or on the next line
    end = min(limit, stream.line_end(a))
    words: list[tuple[str, int, int]] = []
    for m in re.finditer(r"\S+", text[a:end]):
        tok = m.group()
        core = tok.strip(",.;:()\"|")
        if not core or not core[0].isupper() or not _NAME_WORD.match(core) \
                or not (len(core) == 1 or any(c in "aeiouy" for c in fold(core))):
            break
        s = a + m.start() + tok.find(core)
        words.append((core, s, s + len(core)))
        if tok.rstrip(")\"") != core or len(words) == 7:
            break
    if len(words) < least or canonical_tones(words[0][0]).lower() in _NOT_NAME:
        return None
    return " ".join(w for w, _, _ in words), words[0][1], words[-1][2]


def _name_review(stream: Stream, name: str) -> str:
    """Why a name needs a person's eye ('' when it does not)."""
    ws = name.split()
    notes = []
    if not is_surname(ws[0]):
        notes.append(f"surname {ws[0]} not in the list" + (
            f" (listed: {', '.join(surname_candidates(ws[0]))})" if surname_candidates(ws[0]) else ""))
    bad = [w for w in ws if not token_ok(w)]
    if bad:
        notes.append(f"not Vietnamese: {' '.join(bad)}")
    if not (all(w.isupper() for w in ws) or all(w[0].isupper() and not w[1:].isupper()
                                                  for w in ws if len(w) > 1)):
        notes.append("mixed capitals")
    if len(ws) > 6:
        notes.append("long name")
    return "; ".join(notes)


def read_id(raw: str, passport: bool = False) -> tuple[str | None, str | None, str, bool]:
    """A personal ID from its printed token: (value, kind, doubt, changed). `changed` says
    characters other than spaces and dots were replaced (O for 0: the original is kept)."""
    if passport:
        m = _PASSPORT.match(raw)
        if m:
            digits = m.group(2).translate(_DIGITISH)
            return m.group(1) + digits, "passport", "", digits != m.group(2)
    t = re.sub(r"[ .]", "", raw)
    fixed = t.translate(_DIGITISH)
    doubt = "letters read for digits" if fixed != t else ""
    if not fixed.isdigit():
        guess = fixed.translate(_GUESS)
        if not guess.isdigit():
            return None, None, "not an ID", False
        fixed, doubt = guess, "S/B/G/Z read for digits"
    changed = fixed != t
    if len(fixed) == 12:
        if fixed[:3] not in PROVINCE_CODES:
            doubt = doubt or f"no province code {fixed[:3]}"
        return fixed, "cccd", doubt, changed
    if len(fixed) == 9:
        return fixed, "cmnd", doubt, changed
    return fixed, "cccd" if len(fixed) > 9 else "cmnd", f"{len(fixed)} digits", changed


def _id_at(stream: Stream, a: int, end: int, passport: bool = False, cell: bool = False
           ) -> tuple[dict, dict] | None:
    """The personal ID at stream offset `a` (before `end`): ({id_number, id_kind}, evidence).
    A passport number (a capital and seven digits) is read as one where the label says
    "hộ chiếu", or where the token reads as no citizen ID."""
    text = stream.text
    m = re.match(r"[:\s]*(?:(?:số|So|Số|SỐ|so)\b[:\s]*)?", text[a:end])
    a += m.end() if m else 0
    tm = _ID_TOKEN.match(text, a, max(a, end))
    pm = _PASSPORT.match(text, a, max(a, end))
    if cell and not tm and not pm:  # a table cell "Căn cước công dân số 0380...": its number
        m = re.search(r"(?<=\s)(?=[0-9]|[A-Z][0-9])", text[a:end])
        if m:
            passport = passport or "chieu" in stream.folded[a:a + m.start()]
            return _id_at(stream, a + m.start(), end, passport)
    if pm and (passport or not tm or len(re.sub(r"[ .]", "", tm.group())) not in (9, 12)):
        value, kind, doubt, changed = read_id(pm.group(), True)
        return ({"id_number": value, "id_kind": kind},
                evidence(stream, pm.start(), pm.end(), bool(doubt or changed),
                         pm.group() if changed else None, doubt))
    if not tm:
        return None
    raw = tm.group().rstrip(" .")
    value, kind, doubt, changed = read_id(raw)
    if value is None:
        return None
    if passport and len(value) not in (9, 12):  # "Số CCCD/Hộ chiếu": the digits tell which
        kind = "passport"
    return ({"id_number": value, "id_kind": kind},
            evidence(stream, tm.start(), tm.start() + len(raw), bool(doubt or changed),
                     raw if changed else None, doubt))


def _birth_at(stream: Stream, a: int, end: int) -> tuple[str, dict] | None:
    text, folded = stream.text, stream.folded
    seg = text[a:end]
    lead = re.match(r"[:\s]*", seg)  # always matches
    head = lead.end() if lead else 0
    for rx, src in ((_DATE, seg), (_WORDY_DATE, folded[a:end])):
        m = rx.search(src, head)
        if m and m.start() - head <= 3:
            raw = text[a + m.start():a + m.end()]
            parts = [g.translate(_DIGITISH) for g in m.groups()]
            changed = any(p != g for p, g in zip(parts, m.groups()))
            d, mo, y = (int(p) for p in parts)
            try:
                iso = dt.date(y, mo, d).isoformat()
                doubt = "" if 1900 <= y <= dt.date.today().year else f"year {y}"
            except ValueError:
                iso, doubt = None, f"no such date {raw}"
            if iso is None:
                return None
            return iso, evidence(stream, a + m.start(), a + m.end(), bool(doubt or changed),
                                 raw if changed else None, doubt)
    m = _YEAR.match(seg, head)
    if m:
        raw = m.group(1)
        year = raw.translate(_DIGITISH)
        doubt = "" if 1900 <= int(year) <= dt.date.today().year else f"year {year}"
        return year, evidence(stream, a + m.start(1), a + m.end(1), bool(doubt or year != raw),
                              raw if year != raw else None, doubt)
    return None


def _sex_at(stream: Stream, a: int, end: int) -> tuple[str, dict] | None:
    m = re.match(r"[:\s]*(\S+)", stream.text[a:end])
    if not m:
        return None
    raw = m.group(1).strip(",.;")
    key = fold(raw)
    value = "Nam" if key == "nam" else "Nữ" if key == "nu" else None
    if value is None:
        return None
    changed = raw.lower() != value.lower()
    return value, evidence(stream, a + m.start(1), a + m.start(1) + len(raw), changed,
                           raw if changed else None)


def _address_at(stream: Stream, labels: list[Label], lab: Label, end: int, limit: int
                ) -> tuple[str, dict] | None:
    """A labelled address runs to the next label or its line end, and on in the lines below it
    that continue it (`labels.address_goes_on`); in running text it is the run of address parts
    `persons.address_at` reads."""
    text = stream.text
    a = lab.value_start
    if lab.colon and opens_line(stream, lab):
        value, ev = pieces_value(stream, wrapped(stream, a, end, labels, address_goes_on))
    else:
        value = address_at(text[a:limit]) or ""
        b = a + len(value) if value else a
        if value and text.find(value.split()[-1], a) >= 0:
            b = text.find(value.split()[-1], a) + len(value.split()[-1])
        ev = evidence(stream, a, b)
    if not value or not re.search(r"[^\W\d_]", value):
        return None
    return value, ev


def _name_goes_on(so_far: str, nxt: str, seg, x_value: float) -> bool:
    """A labelled name wrapped in a narrow column ("Lương Trung Hoàng" / "Tuấn"): the line
    below holds only name words, in the name's own case."""
    ws = nxt.split()
    if not 1 <= len(ws) <= 3 or len(so_far.split()) + len(ws) > 7 or seg.x0 > x_value + seg.height:
        return False
    upper = so_far.split()[-1].isupper()
    return all(_NAME_WORD.match(w) and w[0].isupper() and (w.isupper() == upper or len(w) == 1)
               for w in ws)


def find_holders(stream: Stream, labels: list[Label], claimed: set[int] | None = None,
                 rows: list[dict[str, list[Any]]] | None = None) -> list[dict]:
    """People named in the stream, merged by name, each {role, name, id_number, id_kind,
    birth_date, sex, address, needs_review, evidence, _at (stream offsets of its names)}."""
    claimed = set(claimed or ())
    people: list[dict] = []
    table_segs: set[int] = set()
    for cells in table_rows(stream) if rows is None else rows:
        p = _table_person(stream, cells, _table_role(stream, cells))
        if p is not None:
            people.append(p)
        table_segs |= {stream.seg_index(c.a) for kind, cs in cells.items() if kind != "_head"
                       for c in cs}
    default = _default_role(stream)
    from digitize.fields.label_tables import label_table_people
    found, used = label_table_people(stream, labels)
    people += found
    table_segs |= used
    cur: dict | None = None
    side: list[dict] = []  # people whose blocks stand side by side (husband | wife)
    scope_end = 0
    for i, lab in enumerate(labels):
        k = stream.seg_index(lab.start)
        if i in claimed or k in table_segs:
            continue
        end = value_end(stream, labels, i)
        if lab.kind == "name":
            limit = labels[i + 1].start if i + 1 < len(labels) else len(stream.text)
            got = _name_at(stream, lab.value_start, limit)
            if got is None:
                continue
            name, a, b = got
            if lab.colon and b == stream.line_end(a):  # a name wrapped in a narrow column
                pieces = wrapped(stream, a, b, labels, _name_goes_on)
                if len(pieces) > 1:
                    name = pieces_value(stream, pieces)[0]
            role = lab.role or _context_role(stream, labels, i, people) or default
            cur = _new_person(stream, role, name, a, b, fold(stream.text[lab.start:lab.end]))
            cur["_seg"] = k
            prev = people[-1] if people else None
            people.append(cur)
            scope_end = _scope_end(stream, labels, i, lab)
            if not lab.colon and role == "holder" and _REPRESENTS.search(stream.folded, b, scope_end):
                cur["role"] = "representative"  # "do bà X, CCCD số ... làm đại diện"
            if prev is not None and re.fullmatch(r"\s+và\s+", stream.text[prev["_end"]:lab.start]):
                cur["_with"] = [prev] + prev["_with"]  # "bà A và ông B, trú tại ...": both
            elif prev is not None and lab.colon and prev["_title"] in ("ong", "ba") \
                    and cur["_title"] in ("ong", "ba") and prev["address"] is None \
                    and prev["role"] == cur["role"]:
                cur["_co"] = [prev] + prev.get("_co", [])  # "Ông: A ... Bà: B ... Địa chỉ: ..."
            side = side + [cur] if side and _same_row(stream, side[-1]["_seg"], k) else [cur]
        elif lab.kind in OBJECT_KINDS:
            cur, side = None, []
        elif cur is not None and lab.kind in PERSON_KINDS and lab.start < scope_end:
            who = cur
            if len(side) > 1:  # the block whose column this label stands in
                x = stream.segs[k].x0
                who = min(side, key=lambda p: abs(stream.segs[p["_seg"]].x0 - x))
            _attribute(stream, labels, who, lab, end,
                       min(scope_end, _next_start(labels, i, stream)))
    return _merged(people)


def _same_row(stream: Stream, k: int, j: int) -> bool:
    s, t = stream.segs[k], stream.segs[j]
    return k != j and s.page == t.page and min(s.y1, t.y1) - max(s.y0, t.y0) > 0.4 * t.height


# A name is the value a wrong mark hurts most ("HỎNG" for "HỒNG" is still a syllable): any of
# its words read under this confidence sends it to a person, as for the signer's name.
NAME_WORD_CONF = 75.0


def _new_person(stream: Stream, role: str, name: str, a: int, b: int, title: str) -> dict:
    why = _name_review(stream, name)
    unsure = [w.text for w in stream.words(a, b)[1] if w.conf < NAME_WORD_CONF]
    if unsure:
        why = "; ".join(x for x in (why, f"read unsurely: {' '.join(unsure)}") if x)
    return {"role": role, "name": name, "id_number": None, "id_kind": None, "birth_date": None,
            "sex": None, "address": None, "needs_review": False,
            "evidence": {"name": evidence(stream, a, b, bool(why), note=why)},
            "_at": [a], "_end": b, "_with": [], "_title": title}


def _default_role(stream: Stream) -> str:
    """The role of a person no label or heading names: the two people of a marriage record
    ("TRÍCH LỤC KẾT HÔN", "GIẤY CHỨNG NHẬN KẾT HÔN" in its title) are spouses; else holder."""
    from digitize.fields.text import is_upper_line
    for s in stream.segs[:40]:
        if "ket hon" in s.folded and is_upper_line(s.text):
            return "spouse"
    return "holder"


def _table_role(stream: Stream, cells: dict[str, list[Any]]) -> str | None:
    """A table's people take the role its heading names (up to two lines above the header)."""
    k = cells["_head"][0]
    for j in range(k - 1, max(-1, k - 3), -1):
        r = role_in(stream.segs[j].text, stream.segs[j].folded)
        if r:
            return r
    return None


def _union(b: list[int] | None, c: list[int] | None) -> list[int] | None:
    if not b or not c:
        return b or c
    return [min(b[0], c[0]), min(b[1], c[1]), max(b[2], c[2]), max(b[3], c[3])]


def _table_person(stream: Stream, cells: dict[str, list[Any]], role: str | None) -> dict | None:
    """A person from one table row: {label kind: segment indices of its cell}."""
    def span(kind: str) -> tuple[int, int]:
        return cells[kind][0].a, cells[kind][0].b

    parts: list[tuple[str, int, int]] = []
    for c in cells["name"]:  # a name wrapped in its cell: one piece per line
        a = c.a
        title = re.match(r"(?:Ông|Bà|ÔNG|BÀ)(?:\s*[(/]\s*(?:ông|bà|ÔNG|BÀ)\s*\)?)?(?:\s+|$)",
                         stream.text[a:c.b])
        if title:  # "Ông | NGUYỄN VĂN A" or "Bà TRẦN THỊ B": the title is no part of the name
            a += title.end()
            if a >= c.b:
                continue
        got = _name_at(stream, a, c.b, 1 if parts else 2)
        if got is None:
            break
        parts.append(got)
    if not parts:
        return None
    name = " ".join(n for n, _, _ in parts)
    p = _new_person(stream, role or "holder", name, parts[0][1], parts[0][2], "table")
    if len(parts) > 1:
        ev = p["evidence"]["name"]
        for _, a, b in parts[1:]:
            e = evidence(stream, a, b)
            ev["box"] = _union(ev["box"], e["box"]) if e["page"] == ev["page"] else ev["box"]
            ev["confidence"] = min(ev["confidence"], e["confidence"])
            ev["needs_review"] = ev["needs_review"] or e["needs_review"]
            ev["evidence"] += " / " + e["evidence"]
    if "id" in cells:
        idv = _id_at(stream, *span("id"), cell=True)
        if idv:
            p.update(idv[0])
            p["evidence"]["id_number"] = idv[1]
    for kind, key, read in (("birth", "birth_date", _birth_at), ("sex", "sex", _sex_at)):
        if kind in cells:
            cell = read(stream, *span(kind))
            if cell:
                p[key], p["evidence"][key] = cell
    if "address" in cells:
        lines = [stream.text[c.a:c.b].strip(" |[]") for c in cells["address"]]
        evs = [evidence(stream, c.a, c.b) for c in cells["address"]]
        value = " ".join(lines).strip(" ,;.")
        if value:
            ev = evs[0]
            for e in evs[1:]:
                if e["page"] == ev["page"]:
                    ev["box"] = _union(ev["box"], e["box"])
                ev["confidence"] = min(ev["confidence"], e["confidence"])
                ev["needs_review"] = ev["needs_review"] or e["needs_review"]
                ev["evidence"] += " / " + e["evidence"]
            p["address"], p["evidence"]["address"] = value, ev
    return p


def _next_start(labels: list[Label], i: int, stream: Stream) -> int:
    return labels[i + 1].start if i + 1 < len(labels) else len(stream.text)


def _scope_end(stream: Stream, labels: list[Label], i: int, lab: Label) -> int:
    """Where what is said about the person named at labels[i] ends: the next name label; in
    running text also the end of the sentence."""
    end = len(stream.text)
    for nxt in labels[i + 1:]:
        if nxt.kind == "name":
            end = nxt.start
            break
    if not lab.colon:
        m = _SENTENCE_END.search(stream.text, lab.value_start, end)
        if m:
            end = m.start()
    return end


def _attribute(stream: Stream, labels: list[Label], p: dict, lab: Label, end: int,
               limit: int) -> None:
    key = {"id": "id_number", "birth": "birth_date", "sex": "sex", "address": "address"}[lab.kind]
    if p[key] is not None:
        return
    if lab.kind == "id":
        found = _id_at(stream, lab.value_start, end, "chieu" in stream.folded[lab.start:lab.end])
        if found:
            vals, ev = found
            p.update(vals)
            p["evidence"]["id_number"] = ev
        return
    if lab.kind == "birth":
        got = _birth_at(stream, lab.value_start, end if lab.colon else limit)
    elif lab.kind == "sex":
        got = _sex_at(stream, lab.value_start, end)
    else:
        got = _address_at(stream, labels, lab, end, limit)
    if got:
        for q in [p] + p["_with"] + (p.get("_co", []) if key == "address" else []):
            if q[key] is None:
                q[key], q["evidence"][key] = got


def _context_role(stream: Stream, labels: list[Label], i: int, people: list[dict]) -> str | None:
    """The role named just before labels[i]: on its own line before the label, or on a heading
    above it in the same column (up to three lines, not past a line with values on it nor past
    the previous person)."""
    lab = labels[i]
    k = stream.seg_index(lab.start)
    ls = stream.starts[k]
    r = role_in(stream.text[ls:lab.start], stream.folded[ls:lab.start])
    if r:
        return r
    me = stream.segs[k]
    floor = max((p["_at"][-1] for p in people if "_seg" not in p or _overlap(
        stream.segs[p["_seg"]], me)), default=-1)
    seen = 0
    for j in range(k - 1, max(-1, k - 12), -1):
        s = stream.segs[j]
        a, b = stream.starts[j], stream.starts[j] + len(s.text)
        if a <= floor or s.page != me.page or seen == 3:
            break
        if not _overlap(s, me):
            continue  # another column
        seen += 1
        if any(a <= lb.start < b and lb.kind != "other" and not lb.role for lb in labels):
            break  # a line with values on it is no heading
        r = role_in(stream.text[a:b], stream.folded[a:b])
        if r:
            return r
    return None


def _overlap(s, t) -> bool:
    return min(s.x1, t.x1) - max(s.x0, t.x0) > 0


def _merged(people: list[dict]) -> list[dict]:
    """One entry per person: the same name said twice (subject and body, or a decision's
    "Xét đề nghị của ông ..." and "Điều 1 ... cho ông ...") is one person."""
    out: list[dict] = []
    by_key: dict[str, dict] = {}
    for p in people:
        q = by_key.get(exact(p["name"]))
        if q is None:  # the same letters with other marks: one of the readings is OCR's error
            q = next((r for r in out if fold(r["name"]) == fold(p["name"])
                      and (r["evidence"]["name"]["needs_review"]
                           or p["evidence"]["name"]["needs_review"])), None)
            if q is not None and q["evidence"]["name"]["needs_review"] \
                    and not p["evidence"]["name"]["needs_review"]:
                q["name"], q["evidence"]["name"] = p["name"], p["evidence"]["name"]
        if q is None:
            by_key[exact(p["name"])] = p
            out.append(p)
            continue
        q["_at"] += p["_at"]
        if q["name"] != p["name"] and q["name"].lower() != p["name"].lower():
            q["evidence"]["name"]["needs_review"] = True
            q["evidence"]["name"]["evidence"] += f" [also read {p['name']}]"
        for k in ("id_number", "birth_date", "sex", "address"):
            if q[k] is None and p[k] is not None:
                q[k] = p[k]
                q["evidence"][k] = p["evidence"][k]
                if k == "id_number":
                    q["id_kind"] = p["id_kind"]
            elif p[k] is not None and q[k] != p[k] and k != "address":
                q["evidence"][k]["needs_review"] = True
                q["evidence"][k]["evidence"] += f" [also read {p[k]}]"
        if q["role"] == "holder" and p["role"] != "holder":
            q["role"] = p["role"]
    # "bà Nguyễn Thị | Bích Ngọc": a name cut by a line end is the whole one said elsewhere
    for p in sorted(out, key=lambda p: len(p["name"])):
        whole = [q for q in out if q is not p and fold(q["name"]).startswith(fold(p["name"]) + " ")]
        whole = [q for q in whole if not any(  # the longest names only
            r is not q and fold(r["name"]).startswith(fold(q["name"]) + " ") for r in whole)]
        if len(whole) == 1 and all(p[k] is None for k in ("id_number", "birth_date")):
            whole[0]["_at"] += p["_at"]
            out.remove(p)
    for p in out:
        _cross_check(p)
        # The person as a whole is in doubt when who it is is: the name or the ID; a doubtful
        # birth date or address is flagged on its own.
        p["needs_review"] = any(p["evidence"][k]["needs_review"] for k in ("name", "id_number")
                                if k in p["evidence"])
    return out


def _cross_check(p: dict) -> None:
    """A 12-digit ID carries its holder's century-and-sex digit and birth year: an ID that
    disagrees with the birth date or sex read beside it means one of them was misread."""
    pid, ev = p["id_number"], p["evidence"]
    if not pid or p["id_kind"] != "cccd" or len(pid) != 12:
        return
    code, yy = int(pid[3]), pid[4:6]
    checks = []
    if p["birth_date"]:
        year = p["birth_date"][:4]
        century = {0: "19", 1: "19", 2: "20", 3: "20", 4: "21", 5: "21"}.get(code, "")
        if year[2:] != yy or (century and year[:2] != century):
            checks.append(("birth_date", f"ID says born {century}{yy}, birth date {year}"))
    if p["sex"] and (code % 2 == 0) != (p["sex"] == "Nam"):
        checks.append(("sex", f"ID's sex digit {code} against {p['sex']}"))
    for k, note in checks:
        for key in ("id_number", k):
            ev[key]["needs_review"] = True
            ev[key]["evidence"] += f" [{note}]"


def holders_of(segs) -> list[dict]:
    """Convenience: the holders of a document's segments (no objects claimed)."""
    stream = Stream(segs)
    if not stream.ok:
        return []
    return find_holders(stream, find_labels(stream))


def party_fields(segs: list[Segment]) -> dict[str, Field]:
    """The fields `holders`, `organisations`, `objects` (and the older `persons`, a view of the
    holders with their parcel) of a document's segments; a field nothing was found for is left
    out (extract_fields fills in its empty value)."""
    stream = Stream(segs)
    if not stream.ok or not segs:
        return {}
    labels = find_labels(stream)
    rows = table_rows(stream)
    objects, orgs, claimed = find_objects(stream, labels, rows)
    people = find_holders(stream, labels, claimed, rows)
    out: dict[str, Field] = {}
    for name, items, key in (("holders", people, "name"), ("organisations", orgs, "name"),
                             ("objects", objects, None)):
        if items:
            out[name] = _list_field(name, items, key)
    unread = _unread_names(stream, labels, people)
    if unread:  # a form's name line whose name was not read: someone is missing
        f = out.get("holders") or Field("holders", [], 0.0, None, None, True, "")
        f.needs_review = True
        f.evidence += f" [no name read after: {'; '.join(unread[:3])}]"
        out["holders"] = f
    if people:
        out["persons"] = _persons_view(people, objects, out["holders"])
    for x in people + orgs + objects:
        for k in ("_at", "_title", "_end", "_with", "_seg", "_co", "_raw_address"):
            x.pop(k, None)
    return out


def _unread_names(stream: Stream, labels: list[Label], people: list[dict]) -> list[str]:
    """The lines of labelled name labels ("Họ và tên:", "Người yêu cầu:", "Ông:") after which
    no person's name was read."""
    read = [a for p in people for a in p["_at"]]
    out = []
    for i, lab in enumerate(labels):
        if lab.kind != "name" or not lab.colon:
            continue
        nxt = labels[i + 1].start if i + 1 < len(labels) else len(stream.text)
        end = stream.line_end(stream.line_end(lab.value_start) + 1)
        if any(lab.start <= a <= end for a in read) or _name_at(stream, lab.value_start, nxt):
            continue
        if lab.role and not stream.text[lab.value_start:stream.line_end(lab.value_start)].strip():
            continue  # a heading naming a role ("Người đại diện theo pháp luật:")
        out.append(stream.text[stream.line_start(lab.start):stream.line_end(lab.start)].strip())
    return out


def _list_field(name: str, items: list[dict], key: str | None) -> Field:
    evs = [ev for x in items for ev in x["evidence"].values()]
    first = items[0]["evidence"].get(key) if key else next(iter(items[0]["evidence"].values()))
    review = any(x["needs_review"] for x in items)
    conf = min((ev["confidence"] for ev in evs), default=0.0)
    shown = "; ".join(str(x.get(key) if key else
                          " ".join(str(v) for k, v in x.items()
                                   if k not in ("evidence", "needs_review", "_at") and v))
                      for x in items)
    return Field(name, [{k: v for k, v in x.items() if not k.startswith("_")} for x in items],
                 conf, first["page"] if first else None, first["box"] if first else None,
                 review, shown)


def _persons_view(people: list[dict], objects: list[dict], holders: Field) -> Field:
    """The older `persons` field: name, ID, address and the parcel said after each person."""
    starts = sorted(min(p["_at"]) for p in people)
    items = []
    for p in people:
        a = min(p["_at"])
        nxt = next((s for s in starts if s > a), None)
        parcel = next((o for o in objects if o["kind"] == "parcel" and o["_at"] > a
                       and (nxt is None or o["_at"] < nxt)), None)
        items.append({"name": p["name"], "id_number": p["id_number"], "address": p["address"],
                      "parcel": parcel["parcel"] if parcel else None,
                      "map_sheet": parcel["map_sheet"] if parcel else None})
    return Field("persons", items, holders.confidence, holders.page, holders.box,
                 holders.needs_review, holders.evidence)
