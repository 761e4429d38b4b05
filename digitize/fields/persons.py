"""What is known about Vietnamese personal names, IDs and addresses, for the holder finder
(`holders`) and the signer (`blocks`): the surnames, the province codes of the 12-digit citizen
ID, a surname a seal mangled, and the address that a stretch of running text opens with.
"""
from __future__ import annotations

import re

from digitize.fields.text import fold

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


# Words that open a part of an address ("thôn Vĩnh Xuân, xã Phổ Phong, thị xã Đức Phổ").
_UNITS = {fold(w) for w in (
    "thôn xóm ấp bản buôn làng tổ dân khu khối số nhà đường phố ngõ hẻm kiệt xã phường thị trấn "
    "huyện quận thành tỉnh TP TP. TX TX. Tp Tp.").split()}


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
        if not any(c.isalpha() for w in words for c in w):
            break  # "..., 2.779,1 m² đất": a number is no part of an address
        while words and not words[-1][0].isupper() and not words[-1][0].isdigit():
            words.pop()  # "xã Nghĩa Hà tổ chức ...": a unit word that names nothing
        if not named or not words:
            break
        parts.append(" ".join(words))
        if stopped:
            break
    return ", ".join(parts) or None
