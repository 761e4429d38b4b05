"""The layout blocks of a Decree 30/2020 page: header columns, title, subject, signature, lists.

Positions decide what a line is: the issuer sits in the left header column, the national motto
and the place/date in the right one; the title is centred under them; the signer's block is in
the right half near the end, the "Nơi nhận" list in the left half beside it.
"""
from __future__ import annotations

import re

from digitize.fields.lexicon import respell, spelling_table
from digitize.fields.text import (Segment, canonical_tones, clean_spaces, fold, is_upper_line,
                                  trim_edges)

MOTTO_RE = re.compile(r"cong\s+h[oò]a\s+xa\s+hoi|doc\s+lap\s*-?\s*tu\s+do|hanh\s+phuc")
# Text drawn by e-signature software and by the "CV ĐẾN" receipt stamp, never part of a field.
STAMP_RE = re.compile(r"ky\s+boi|thoi\s+gian|co\s+quan\s*:|trung\s+tam\s+cong|bao\s+va\s+tin|"
                      r"@|gov\.?vn|\+07|email|nguoi\s+ky|cv\s+den|chuyen\s*:")
DOC_TYPES = (
    "QUYẾT ĐỊNH", "NGHỊ QUYẾT", "CHỈ THỊ", "QUY CHẾ", "QUY ĐỊNH", "THÔNG CÁO", "THÔNG BÁO",
    "HƯỚNG DẪN", "CHƯƠNG TRÌNH", "KẾ HOẠCH", "PHƯƠNG ÁN", "ĐỀ ÁN", "DỰ ÁN", "BÁO CÁO",
    "BIÊN BẢN", "TỜ TRÌNH", "HỢP ĐỒNG", "CÔNG ĐIỆN", "BẢN GHI NHỚ", "BẢN THỎA THUẬN",
    "GIẤY ỦY QUYỀN", "GIẤY MỜI", "GIẤY GIỚI THIỆU", "GIẤY NGHỈ PHÉP", "PHIẾU GỬI", "PHIẾU CHUYỂN",
    "PHIẾU BÁO", "GIẤY CHỨNG NHẬN", "GIẤY PHÉP", "GIẤY XÁC NHẬN", "THÔNG TƯ", "NGHỊ ĐỊNH",
    "LỆNH", "ĐIỀU LỆ", "CÔNG VĂN", "BẢN SAO Y", "BẢN TRÍCH SAO", "BẢN SAO LỤC",
)
_TYPE_BY_FOLD = {fold(t): t for t in DOC_TYPES}
URGENCY = ("HỎA TỐC", "THƯỢNG KHẨN", "KHẨN")
SECRECY = ("TUYỆT MẬT", "TỐI MẬT", "MẬT")
# Words of signer positions, to restore marks OCR dropped ("CHU TICH" -> "CHỦ TỊCH").
_TITLE_WORDS = tuple((
    "TM. KT. TL. TUQ. Q. ỦY BAN NHÂN DÂN HỘI ĐỒNG CHỦ TỊCH PHÓ GIÁM ĐỐC CHÁNH VĂN PHÒNG "
    "TRƯỞNG BAN SỞ TỈNH HUYỆN XÃ PHƯỜNG THỊ TRẤN TRẠM CỤC CHI NGÀNH TRA THANH BỘ VIỆN "
    "HIỆU QUYỀN ĐOÀN ĐẢNG ỦY KHỐI TỔNG THƯỜNG TRỰC "
    # who signs the civil-status and certifying forms (Circular 04/2020/TT-BTP and others)
    "NGƯỜI KÝ TRÍCH LỤC CÔNG CHỨC TƯ PHÁP - HỘ TỊCH").split())
_TITLE_START = re.compile(r"^(tm|kt|tl|tuq|q)\s*\.")
_POSITION = re.compile(r"nguoi\s+ky\b|cong\s+chuc\s+tu\s+phap|chu\s+tich|giam\s+doc|"
                       r"truong(\s+ban|\s+phong)?$|chanh\s+van\s+phong|"
                       r"bi\s+thu|chanh\s+thanh\s+tra|cuc\s+truong|vien\s+truong|thu\s+truong|"
                       r"hieu\s+truong|bo\s+truong|truong\s+ban|chanh\s+an|vien\s+truong")


PROVINCES = (
    "Hà Nội", "Hồ Chí Minh", "Hải Phòng", "Đà Nẵng", "Cần Thơ", "Huế", "An Giang", "Bắc Ninh",
    "Cà Mau", "Cao Bằng", "Đắk Lắk", "Điện Biên", "Đồng Nai", "Đồng Tháp", "Gia Lai", "Hà Tĩnh",
    "Hưng Yên", "Khánh Hòa", "Lai Châu", "Lâm Đồng", "Lạng Sơn", "Lào Cai", "Nghệ An", "Ninh Bình",
    "Phú Thọ", "Quảng Ngãi", "Quảng Ninh", "Quảng Trị", "Sơn La", "Tây Ninh", "Thái Nguyên",
    "Thanh Hóa", "Tuyên Quang", "Vĩnh Long", "Bà Rịa Vũng Tàu", "Bắc Giang", "Bắc Kạn", "Bạc Liêu",
    "Bến Tre", "Bình Định", "Bình Dương", "Bình Phước", "Bình Thuận", "Đắk Nông", "Hà Giang",
    "Hà Nam", "Hải Dương", "Hậu Giang", "Hòa Bình", "Kiên Giang", "Kon Tum", "Long An", "Nam Định",
    "Ninh Thuận", "Phú Yên", "Quảng Bình", "Quảng Nam", "Sóc Trăng", "Thái Bình", "Tiền Giang",
    "Trà Vinh", "Vĩnh Phúc", "Yên Bái", "Thừa Thiên Huế",
)
# Words of issuer headings, as a closed vocabulary: a heading word read without marks is spelled
# from it when exactly one vocabulary word has its letters; a word read with marks is kept
# (`lexicon.respell`). The name of a locality ("TỈNH QUẢNG NGÃI") is judged as a whole against
# the official list of units instead (`places`).
_HEADING_WORDS = (
    "ỦY BAN NHÂN DÂN TỈNH THÀNH PHỐ HUYỆN QUẬN THỊ XÃ TRẤN PHƯỜNG HỘI ĐỒNG SỞ BỘ BAN CHỈ ĐẠO "
    "VĂN PHÒNG CHÍNH PHỦ TÀI NGUYÊN VÀ MÔI TRƯỜNG NỘI VỤ TƯ PHÁP CÔNG AN THANH TRA KẾ HOẠCH ĐẦU "
    "TƯ GIÁO DỤC ĐÀO TẠO Y TẾ XÂY DỰNG GIAO THÔNG VẬN TẢI ĐẶC KHU").split()
_HEADING_TABLE = spelling_table(_HEADING_WORDS)
_UNIT_AT = re.compile(r"(?:^|\s)(tinh|thanh pho|huyen|quan|thi xa|xa|phuong|thi tran|dac khu)"
                      r"\s+(?=\S)")
UNIT_LEVELS = {"tinh": ("province",), "thanh pho": ("province", "district"),
               "huyen": ("district",), "quan": ("district",), "thi xa": ("district",),
               "xa": ("commune",), "phuong": ("commune",), "thi tran": ("commune",),
               "dac khu": ("commune",)}


def restore_heading(text: str, confident: bool = True) -> tuple[str, bool, list[str]]:
    """Heading words judged against the heading vocabulary, and the locality named after its unit
    word ("TỈNH ...", "XÃ ...") against the official list of units: (text, all words known, a
    note per change from what OCR read)."""
    f = fold(text)
    # the last unit word: "ỦY BAN NHÂN DÂN THỊ XÃ ĐỨC PHỔ" names the thị xã
    units = list(_UNIT_AT.finditer(f))
    m = units[-1] if units else None
    head, local = (text[:m.end()], text[m.end():]) if m else (text, "")
    out, known, notes = [], True, []
    for w in head.split():
        new, ok, note = respell(w, _HEADING_TABLE, confident)
        known = known and ok
        out.append(new)
        if note:
            notes.append(note)
    if local.strip() and m:
        name, ok, note = respell_place(local.strip(), UNIT_LEVELS[m.group(1)], confident)
        known = known and ok
        out.append(name)
        if note:
            notes.append(note)
    return " ".join(out), known, notes


def respell_place(name: str, levels: tuple[str, ...], confident: bool
                  ) -> tuple[str, bool, str | None]:
    """A place name judged against the official list of units (`places`): (name to use, known,
    note). Known as read: kept. Read without marks (or unsurely) with exactly one unit of the
    same letters: that unit's spelling, in the reading's case, with a note. Otherwise kept as
    read, unknown."""
    from digitize.fields import places
    if not places.available():
        return name, True, None
    if places.is_known(name, levels):
        return name, True, None
    if confident:
        return name, False, None
    fits = [c for c in places.candidates(name, levels, max_dist=0) if fold(c) == fold(name)]
    if len(fits) != 1:
        return name, False, None
    new = fits[0].upper() if name.isupper() else fits[0]
    return new, True, f"{name}->{new}"


def letters_fold(s: str) -> str:
    return clean_spaces(re.sub(r"[^a-z ]", " ", fold(s)))


def split_x(segs: list[Segment], width: int) -> tuple[float, Segment | None]:
    """Left edge of the right header column (the motto), or 45% of the width."""
    for s in segs:
        if MOTTO_RE.search(s.folded) and s.y0 < 0.35 * s.page_height:
            return min(s.x0 - 0.02 * width, 0.5 * width), s
    return 0.45 * width, None


def match_doc_type(seg: Segment) -> str | None:
    """The document type a title line names: the whole line ("QUYẾT ĐỊNH"), or the type followed
    by what the title grammar allows after it ("QUYẾT ĐỊNH CỦA ỦY BAN NHÂN DÂN TỈNH ...", "...
    VỀ VIỆC ..."), which belongs to the title, not the type."""
    got = split_doc_type(seg.text)
    return got[0] if got else None


# What may follow a type name on its title line: the issuing body ("của") or the subject.
_AFTER_TYPE = re.compile(r"^(cua|ve|v\s*/\s*v|ban\s+hanh)\b")


def split_doc_type(text: str) -> tuple[str, str] | None:
    """(type, rest of the title line) when the line is a known type, alone or followed by "của
    ..."/"về ..."; None otherwise."""
    key = letters_fold(text)
    if key in _TYPE_BY_FOLD:
        return _TYPE_BY_FOLD[key], ""
    words = trim_edges(text).split()
    for n in range(min(4, len(words) - 1), 0, -1):
        head = letters_fold(" ".join(words[:n]))
        if head in _TYPE_BY_FOLD and _AFTER_TYPE.match(fold(" ".join(words[n:]))):
            return _TYPE_BY_FOLD[head], " ".join(words[n:])
    return None


def is_stamp(seg: Segment) -> bool:
    return bool(STAMP_RE.search(seg.folded))


def issuer_lines(segs: list[Segment], sx: float, motto: Segment | None,
                 number_top: float) -> list[Segment]:
    """Upper-case lines of the left header column above the number line, bottom-up contiguous."""
    top = motto.y0 - 2.0 * motto.height if motto else 0
    cands = [s for s in segs if s.cx < sx and s.x1 < sx + 0.05 * s.page_width and s.y0 >= top
             and s.y1 <= number_top + 4 and not is_stamp(s) and is_upper_line(s.text)
             and "/" not in s.text and not re.match(r"s[o0ô6]\s*:", s.folded)]
    cands.sort(key=lambda s: s.y0)
    picked: list[Segment] = []
    for s in reversed(cands):
        if picked and picked[0].y0 - s.y1 > 1.6 * max(s.height, picked[0].height):
            break
        picked.insert(0, s)
    return picked[-4:]


_LOCALITY = re.compile(r"^(tinh|thanh\s+pho|huyen|quan|thi\s+xa|thi\s+tran|xa|phuong)\b")
_GENERIC = re.compile(r"^(uy\s+ban\s+nhan\s+dan|ubnd|hoi\s+dong\s+nhan\s+dan|hdnd)$")


def _name_continues(prev: str, line: str) -> bool:
    """Does `line` finish the unit name `prev` ends with ("THÀNH PHỐ HÀ" / "NỘI")? Only when the
    name is no unit as it stands and is one with the line added."""
    from digitize.fields import places
    units = list(_UNIT_AT.finditer(fold(prev)))
    m = units[-1] if units else None
    if m is None or not places.available():
        return False
    name, levels = prev[m.end():].strip(), UNIT_LEVELS[m.group(1)]
    return (bool(name) and not places.is_known(name, levels)
            and places.is_known(f"{name} {line}", levels))


def split_issuer(lines: list[str]) -> tuple[str | None, str]:
    """(parent, issuer) from the header lines; a locality line continues a generic body name."""
    merged: list[str] = []
    for ln in lines:
        f = letters_fold(ln)
        if merged and (_LOCALITY.match(f) and _GENERIC.match(letters_fold(merged[-1]))
                       or letters_fold(merged[-1]).endswith(" va") or ln[:1].islower()
                       or _name_continues(merged[-1], ln)):
            merged[-1] = f"{merged[-1]} {ln}"
        else:
            merged.append(ln)
    if len(merged) == 1:
        return None, merged[0]
    return " ".join(merged[:-1]), merged[-1]


def title_line(segs: list[Segment], below: float, width: int) -> Segment | None:
    """The first centred upper-case line under the header (the document type)."""
    for s in segs:
        if s.y0 < below or s.y0 > below + 0.25 * s.page_height:
            continue
        if abs(s.cx - width / 2) < 0.12 * width and is_upper_line(s.text) and not is_stamp(s):
            return s
        if s.x0 < 0.3 * width and s.x1 > 0.7 * width:  # a body line: no title
            return None
    return None


_BODY_OPENERS = re.compile(r"^(kinh\s*gui|can\s*cu|thuc\s+hien|xet\s|theo\s|dieu\s+\d|chu\s+tich\s)")


def subject_lines(segs: list[Segment], title: Segment) -> list[Segment]:
    """Centred mixed-case lines right under the title. The subject ends at a paragraph gap (body
    text starts further down), an upper-case line, or a line opening the body ("Căn cứ", ...);
    its lines may be as wide as the body's, so width alone does not end it."""
    out: list[Segment] = []
    prev = title
    for s in segs:
        if s.y0 <= title.y0 + title.height // 2:
            continue
        if is_noise(s, prev):
            continue
        gap = s.y0 - prev.y1
        if gap > (1.6 if not out else 1.0) * max(prev.height, s.height):
            break
        f = s.folded
        if _BODY_OPENERS.match(f) or is_upper_line(s.text):
            break
        if not re.search(r"[^\W\d_]{2}", s.text):  # rules, underlines
            continue
        if abs(s.cx - title.cx) > 0.15 * s.page_width or s.width_px > 0.85 * s.page_width:
            break
        out.append(s)
        prev = s
    return out


def is_noise(s: Segment, near: Segment) -> bool:
    """Specks of a seal or a signature read as a short low, small word."""
    return (s.height < 0.6 * near.height and len(s.text) <= 5) or (s.conf < 0.35 and
                                                                   len(s.text) <= 4)


def vv_lines(segs: list[Segment], number: Segment, sx: float) -> list[Segment]:
    """The "V/v ..." lines under a công văn's number, in the left column."""
    out: list[Segment] = []
    prev = number
    for s in segs:
        if s.y0 <= number.y0 + number.height // 2 or s.cx > sx:
            continue
        if s.y0 - prev.y1 > 1.6 * max(prev.height, s.height):
            break
        if not out and not re.match(r"^v\s*[/|l1]\s*v\b", s.folded):
            break
        out.append(s)
        prev = s
    return out


def title_words(text: str, confident: bool = True) -> tuple[str, list[str]]:
    """Signer-position text with OCR junk dropped and marks restored from the title vocabulary
    (`lexicon.respell`: only words read without marks, or read unsurely); (text, a note per
    word spelled differently from what OCR read)."""
    text = re.sub(r"^\W*T[ẠAĂÂ]?M\s*[.,]\s*(?=\S)", "TM. ", text)  # "TẠM.UY BAN": TM. glued
    words = text.split()
    while words and not re.fullmatch(r"[^\W\d_]+\.?", words[0]):
        words = words[1:]
    out, notes = [], []
    for w in words:
        core = w.strip(",;:")
        new, _, note = respell(core, _TITLE_TABLE, confident)
        if note:
            notes.append(note)
        out.append(new)
    return " ".join(out), notes


TITLE_PREFIXES = ("TM.", "KT.", "TL.", "TUQ.", "Q.")
TITLE_VOCAB = frozenset(_TITLE_WORDS)
_TITLE_TABLE = spelling_table(TITLE_VOCAB)


def edit_distance(a: str, b: str) -> int:
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i]
        for j, cb in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb)))
        prev = cur
    return prev[-1]


# Collective bodies a "TM." line signs for (Decree 30/2020, appendix I).
_COLLECTIVE = re.compile(r"(uy ban|hoi dong|ban chi dao|ban thuong vu|thuong truc|doan)\b")


def settle_title(lines: list[str]) -> tuple[list[str], bool]:
    """Apply the block's grammar to signer-position lines: "X. <position>" with another line
    under it is "KT. <position>", and the line under "KT. <position>" is "PHÓ <position>".
    Returns (lines, repaired)."""
    out, repaired = list(lines), False
    for i, t in enumerate(out):
        m = re.match(r"^(\S{1,4}\.)\s+(.+)$", t)
        if m and m.group(1) not in TITLE_PREFIXES and i + 1 < len(out):
            # TM. stands before a collective body, KT. before the head's position
            prefix = "TM." if _COLLECTIVE.match(fold(m.group(2))) else "KT."
            out[i], repaired = f"{prefix} {m.group(2)}", True
    for i in range(1, len(out)):
        if not out[i - 1].startswith("KT. "):
            continue
        want = f"PHÓ {out[i - 1][4:]}"
        a, b = fold(out[i]), fold(want)
        if a != b and (a == b[4:] or edit_distance(a, b) <= max(3, len(b) // 3)):
            out[i], repaired = want, True
    return out, repaired


POSITIONS = ("CHỦ TỊCH", "GIÁM ĐỐC", "CHÁNH VĂN PHÒNG", "TRƯỞNG BAN", "TRƯỞNG PHÒNG", "BÍ THƯ",
             "CHÁNH THANH TRA", "CỤC TRƯỞNG", "VIỆN TRƯỞNG", "HIỆU TRƯỞNG", "BỘ TRƯỞNG",
             "THỨ TRƯỞNG", "CHÁNH ÁN")


def position_from_fragment(text: str, deputy: bool) -> str | None:
    """The one position whose end a partly hidden reading shows: "Ú TỊCH" and "lU TỊCH" end
    like "CHỦ TỊCH" (the last word whole, the end of the one before, five letters at least).
    `deputy`: a "KT." line was seen, so the position is the deputy's ("PHÓ CHỦ TỊCH")."""
    toks = letters_fold(text).split()
    fits = set()
    for pos in POSITIONS:
        want = fold(pos).split()
        for k in range(min(len(toks), len(want)), 1, -1):
            got, end = toks[-k:], want[-k:]
            shown = _common_suffix(got[0], end[0])  # "lU" for "CHỦ": junk glued in front
            if got[1:] == end[1:] and shown and shown + len("".join(got[1:])) >= 5:
                fits.add(pos)
                break
    if len(fits) != 1:
        return None
    pos = fits.pop()
    return f"PHÓ {pos}" if deputy and not pos.startswith("THỨ") else pos


def _common_suffix(a: str, b: str) -> int:
    n = 0
    while n < min(len(a), len(b)) and a[-1 - n] == b[-1 - n]:
        n += 1
    return n


def title_unknown(title: str) -> list[str]:
    """Words of a signer title that are neither a prefix nor a word of the position vocabulary."""
    return [w for w in title.split() if w not in TITLE_PREFIXES
            and canonical_tones(w) not in TITLE_VOCAB]


def is_title_seg(s: Segment) -> bool:
    f = letters_fold(s.text)
    return bool(is_upper_line(s.text, 0.8) and (_TITLE_START.match(fold(s.text).lstrip("- "))
                                               or _POSITION.search(f)))


def signer_block(segs: list[Segment], skip_above: float = 0) -> tuple[list[Segment], Segment | None]:
    """The first signer block on a page: position lines in the right half, then the name."""
    W = segs[0].page_width if segs else 1
    ordered = sorted(segs, key=lambda s: s.y0)
    for i, s in enumerate(ordered):
        if (s.y0 < skip_above or s.cx < 0.55 * W or s.x0 < 0.42 * W or not is_title_seg(s)
                or MOTTO_RE.search(s.folded)):
            continue
        block = [s]
        for t in reversed(ordered[:i]):  # "TM. ỦY BAN NHÂN DÂN" above a position it announces
            if s.y0 - t.y1 > 1.2 * s.height:
                break
            head = fold(t.text)
            prefix = re.match(r"^\W*\w{1,4}\s*[.,]\s*", head)  # "TM.", or "TÀI." misread
            if (abs(t.cx - s.cx) < 0.15 * W and is_upper_line(t.text, 0.7)
                    and (re.match(r"^\W*(t.?m|kt|tl|tuq)\s*[.,]", head)
                         or prefix and _COLLECTIVE.match(head[prefix.end():]))):
                block.insert(0, t)
                break
        for t in ordered[i + 1:]:
            if t.y0 - block[-1].y1 > 1.2 * block[-1].height:
                break
            if t.cx > 0.5 * W and is_upper_line(t.text, 0.7) and abs(t.cx - s.cx) < 0.15 * W:
                block.append(t)
        # Also an upper-case line right above the first one ("TM. ỦY BAN NHÂN DÂN").
        lo, hi = min(b.x0 for b in block), max(b.x1 for b in block)
        name = None
        for t in ordered:
            if t.y0 <= block[-1].y1 or t in block:
                continue
            if t.y0 - block[-1].y1 > 12 * block[-1].height:
                break
            if t.cx < lo - 0.05 * W or t.cx > hi + 0.05 * W:
                continue
            if looks_like_name(t.text):
                name = t
                break
        return block, name
    return [], None


def lone_name(segs: list[Segment], skip_above: float = 0) -> Segment | None:
    """A signer's name with no readable position above it (the seal covers it): a line of
    capitalised words alone in the right half whose first word is a common surname."""
    from digitize.fields.persons import SURNAMES
    W = segs[0].page_width if segs else 1
    for s in sorted(segs, key=lambda s: s.y0):
        if s.y0 < skip_above or s.x0 < 0.45 * W or is_stamp(s):
            continue
        words = name_words(s.text, mend=True)
        if 2 <= len(words) <= 5 and len(words) >= len(s.text.split()) - 1 \
                and fold(words[0]) in SURNAMES:
            return s
    return None


def looks_like_name(text: str) -> bool:
    words = name_words(text)
    return 2 <= len(words) <= 5


def name_words(text: str, mend: bool = False) -> list[str]:
    """The trailing run of capitalised words (signatures leave junk before a name). With `mend`,
    a mangled surname right before the run is restored ("1rần Phước Hiền": Trần Phước Hiền)."""
    from digitize.fields.persons import SURNAMES, mangled_surname
    words = [w.strip(",.;:") for w in text.split()]
    run: list[str] = []
    before = ""
    for w in words:
        if len(w) >= 2 and w.isalpha() and w[0].isupper() and w[1:].islower():
            run.append(w)
        else:
            run, before = [], w
    if mend and run and fold(run[0]) not in SURNAMES:
        if surname := _first_letter_mended(run[0], mangled_surname(run[0])):  # "Irần": T as I
            run = [surname] + run[1:]
        elif before and (surname := _first_letter_mended(before, mangled_surname(before))):
            run = [surname] + run
    return run


def _first_letter_mended(token: str, surname: str | None) -> str | None:
    """`token` with only its mangled or lost first letter taken from `surname`, the marks read
    kept ("1rịnh" -> "Trịnh", never the list's "Trình"); None unless the result is a listed
    surname as read."""
    from digitize.fields.names import is_surname
    core = token.strip(",.;:'\"`~_-")
    if not surname or not core:
        return None
    head = surname[0]
    got = head + core[1:] if (not core[0].isalpha() or fold(core[0]) in "lij") else head + core
    return got if is_surname(got) else None
