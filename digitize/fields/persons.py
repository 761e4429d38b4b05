"""Citizens named in a document, with their personal ID numbers, addresses and land parcels.

A name is the run of capitalised words after "ông", "bà" or "Họ và tên" up to the end of its line
(the next line's "Căn cứ" is not part of it); an ID number is a
12-digit citizen ID / personal identification number whose first three digits are a province
code, or a 9-digit old identity card number. Letters that OCR reads for digits (O, l, I) are
repaired inside a number only; S/B (5 or 8) make the ID doubtful instead of being guessed.
"""
from __future__ import annotations

import re

from digitize.fields.text import Segment, fold

# Province codes of the 12-digit citizen ID (Circular 07/2016/TT-BCA, appendix).
PROVINCE_CODES = frozenset({
    "001", "002", "004", "006", "008", "010", "011", "012", "014", "015", "017", "019", "020",
    "022", "024", "025", "026", "027", "030", "031", "033", "034", "035", "036", "037", "038",
    "040", "042", "044", "045", "046", "048", "049", "051", "052", "054", "056", "058", "060",
    "062", "064", "066", "067", "068", "070", "072", "074", "075", "077", "079", "080", "082",
    "083", "084", "086", "087", "089", "091", "092", "093", "094", "095", "096",
})
_SURNAME_LIST = (
    "Nguyễn Trần Lê Phạm Hoàng Huỳnh Phan Vũ Võ Đặng Bùi Đỗ Hồ Ngô Dương Lý Đoàn Đào Đinh Lương "
    "Trương Mai Lâm Tạ Trịnh Cao Hà Phùng Châu Tôn Thái Văn Quách Lưu Kiều Khúc Mạc Vương Từ Đàm "
    "Triệu Chu Tăng Lại Thân Kim Hứa La Nông Lò Mã Quang Giang Tô Lữ Viên Âu Doãn Ông Thạch Khổng "
    "Diệp Lục Bạch Mạc Biện Nghiêm Tiêu Ninh Chung Đồng Hầu Trình Bế Hàn Cù Lường").split()
SURNAMES = frozenset(fold(s) for s in _SURNAME_LIST)
# Folded surname -> its spelling: surnames are a closed set whose folded forms do not collide, so
# OCR's marks on a surname ("Trân", "Nguyen") are restored from here.
SURNAME_FORMS = {fold(s): s for s in _SURNAME_LIST}


def mangled_surname(token: str) -> str | None:
    """The surname a signature or seal has mangled, when only one fits: a first letter read as a
    digit or stroke ("1rần", "Irần"), or lost ("rần"): "Trần". None otherwise."""
    f = fold(token.strip(",.;:'\"`~_-"))
    if len(f) < 2 or not f[1:].isalpha():
        return None
    if not f[0].isalpha() or f[0] in "lij":
        fits = [s for s in SURNAME_FORMS if len(s) == len(f) and s[1:] == f[1:]]
    elif token[:1].islower() and len(f) >= 3:
        fits = [s for s in SURNAME_FORMS if s[1:] == f]
    else:
        return None
    return SURNAME_FORMS[fits[0]] if len(fits) == 1 else None


_CONNECT = re.compile(r"(?:(?<![a-z])(?:ong|ba)\s+|ho\s+va\s+ten\s*[:.]?\s*)")
_ID_LABEL = re.compile(
    r"(so\s+dinh\s+danh(?:\s+ca\s+nhan)?|can\s+cuoc(?:\s+cong\s+dan)?|cccd|cmnd|"
    r"chung\s+minh\s+(?:nhan\s+dan|thu))\s*(?:so)?\s*[:.]?\s*")
_ID_TOKEN = re.compile(r"[0-9OoIl|SB][0-9OoIl|SB .]{7,16}[0-9OoIl|SB]")
_ADDR = re.compile(r"(thuong\s+tru\s+tai|tru\s+tai|dia\.?\s+chi\s*:?|noi\s+cu\s+tru\s*:?)\s*")
# Words that open a part of an address ("thôn Vĩnh Xuân, xã Phổ Phong, thị xã Đức Phổ").
_UNITS = {fold(w) for w in (
    "thôn xóm ấp bản buôn làng tổ dân khu khối số nhà đường phố ngõ hẻm kiệt xã phường thị trấn "
    "huyện quận thành tỉnh TP TP. TX TX. Tp Tp.").split()}
_PARCEL = re.compile(r"thua\s+dat\s+so\s*[:.]?\s*([0-9OoIl]+)")
_SHEET = re.compile(r"to\s+ban\s+do\s+so\s*[:.]?\s*([0-9OoIl]+)")
_SAFE = str.maketrans({"O": "0", "o": "0", "I": "1", "l": "1", "|": "1"})
_NOT_NAME = {fold(w) for w in ("Chủ", "Phó", "Giám", "Trưởng", "Bí", "Thứ", "Bộ", "Sở", "Ủy")}


def read_id(token: str) -> tuple[str | None, bool]:
    """A personal ID from an OCR token: (digits, doubtful). None when it is not an ID."""
    t = re.sub(r"[ .]", "", token)
    fixed = t.translate(_SAFE)
    doubtful = fixed != t
    if any(c in "SB" for c in fixed):
        fixed = fixed.replace("S", "5").replace("B", "8")
        doubtful = True
    if not fixed.isdigit():
        return None, True
    if len(fixed) == 12 and fixed[:3] in PROVINCE_CODES:
        return fixed, doubtful
    if len(fixed) == 9:
        return fixed, doubtful
    return None, True


def _names(text: str, folded: str) -> list[tuple[int, str]]:
    """(offset, name) for each capitalised word run after ông / bà / Họ và tên."""
    out = []
    for m in _CONNECT.finditer(folded):
        rest = text[m.end():].split("\n", 1)[0]  # a name ends with its line
        words = []
        for w in rest.split():
            core = w.strip(",.;:()")
            if core and core[0].isupper() and core.replace("-", "").isalpha():
                words.append(core)
                if w != core:  # punctuation ends the name
                    break
            else:
                break
        if 2 <= len(words) <= 5 and fold(words[0]) not in _NOT_NAME:
            out.append((m.end(), " ".join(words)))
    return out


def _joined_before(p: dict, persons: list[dict], folded: str) -> list[dict]:
    """Persons named right before `p`, joined to it by "và" ("bà A và ông B"): they share what
    is said after both names."""
    return [q for q in persons if q is not p and any(
        re.fullmatch(r"\s+va\s+(ong|ba)\s+", folded[oq + len(q["name"]):op])
        for oq in q["_offsets"] for op in p["_offsets"] if oq + len(q["name"]) <= op)]


def address_at(text: str) -> str | None:
    """The address that `text` opens with: comma-separated parts, each of unit words ("thôn",
    "xã", "thị xã", ...) and capitalised names or house numbers, up to the first part that is
    none ("thửa đất số 125", running text) or the first lower-case word after a name ("thị xã Đức
    Phổ để giải phóng mặt bằng ..." ends at "Đức Phổ"). An address may run over a line end; a
    new line that opens running text ("Chủ tịch UBND ...") is not part of it."""
    clause = re.split(r"(?<!TP)(?<!TX)(?<!Tp)[;.](?:\s|$)|\n(?=\S+\s*:)", text, maxsplit=1)[0]
    parts: list[str] = []
    for part in clause.split(","):
        toks = [(t, n) for n, line in enumerate(part.split("\n")) for t in line.split()]
        kept: list[tuple[str, int]] = []
        named = stopped = False
        for t, line in toks:
            core = t.strip("()\"'")
            if not core:
                continue
            if core[0].isupper() or core[0].isdigit():
                named = named or not (fold(core) in _UNITS and not kept)
            elif fold(core) not in _UNITS:
                stopped = True
                if line > 0:  # running text on a new line: its first words are not the address
                    kept = [k for k in kept if k[1] < line]
                break
            kept.append((t, line))
        words = [t for t, _ in kept]
        while words and not words[-1][0].isupper() and not words[-1][0].isdigit():
            words.pop()  # "xã Nghĩa Hà tổ chức ...": a unit word that names nothing
        if not named or not words:
            break
        parts.append(" ".join(words))
        if stopped:
            break
    return ", ".join(parts) or None


def find_persons(segs: list[Segment]) -> list[dict]:
    """Persons named in the document, each {name, id_number, address, parcel, map_sheet, ...}."""
    text = "\n".join(s.text for s in segs)  # line ends kept: a name never crosses one
    folded = fold(text)
    if len(folded) != len(text):  # fold keeps one character per character for NFC Vietnamese
        return []
    persons: list[dict] = []
    by_name: dict[str, dict] = {}
    for off, name in _names(text, folded):
        key = fold(name)
        if key in by_name:
            by_name[key]["_offsets"].append(off)
            continue
        p = {"name": name, "id_number": None, "address": None, "parcel": None, "map_sheet": None,
             "doubtful": fold(name.split()[0]) not in SURNAMES, "_offsets": [off]}
        by_name[key] = p
        persons.append(p)
    # "bà Nguyễn Thị | Bích Ngọc": a name cut by a line end is the whole one seen elsewhere
    for key in sorted(by_name, key=len, reverse=True):
        whole = [q for k, q in by_name.items() if k.startswith(key + " ")]
        if len(whole) == 1:
            whole[0]["_offsets"] += by_name[key]["_offsets"]
            persons.remove(by_name.pop(key))

    def owner(offset: int) -> dict | None:
        best, best_off = None, -1
        for p in persons:
            for o in p["_offsets"]:
                if best_off < o <= offset:
                    best, best_off = p, o
        return best

    for m in _ID_LABEL.finditer(folded):
        tm = _ID_TOKEN.match(text, m.end())
        if not tm:
            continue
        value, doubtful = read_id(tm.group())
        p = owner(m.start())
        if value and p is not None and p["id_number"] is None:
            p["id_number"] = value
            p["doubtful"] = p["doubtful"] or doubtful
    for m in _ADDR.finditer(folded):
        p = owner(m.start())
        if p is None or p["address"]:
            continue
        p["address"] = address_at(text[m.end():])
        for q in _joined_before(p, persons, folded):  # "Bà A và Ông B / Địa chỉ: ..."
            q["address"] = q["address"] or p["address"]
    for rx, key in ((_PARCEL, "parcel"), (_SHEET, "map_sheet")):
        for m in rx.finditer(folded):
            p = owner(m.start())
            if p is not None and p[key] is None:
                raw = text[m.start(1):m.end(1)]
                p[key] = raw.translate(_SAFE)
                p["doubtful"] = p["doubtful"] or p[key] != raw
    for p in persons:
        p.pop("_offsets")
    return persons
