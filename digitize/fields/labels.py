"""The label grammar of Vietnamese result forms, shared by the holder and object finders.

A result document names its people and objects in two ways: labelled form lines ("Họ và tên:
NGUYỄN VĂN AN  Giới tính: Nam", "Thửa đất số: 125  Tờ bản đồ số: 7") and running text ("Giao đất
cho ông (bà) Nguyễn Văn An, số định danh cá nhân 038085001234, thường trú tại ..."). Both are read
the same way here: the document's line segments are joined into one `Stream` (a line end is a
"\\n"), every label of the grammar is found on its folded text, and a value is what stands after a
label, up to the next label, the end of its clause or the end of the line.

Labels are matched on folded text (no marks, lower case), so "Họ, chữ đệm, tên", "Ho, chu dem,
ten", "HỌ VÀ TÊN" and an OCR reading that lost a mark all match; punctuation between their words
is optional, since OCR drops or swaps it. A label carries a kind (what its value is) and, where it
says so itself, a role ("Họ, chữ đệm, tên người mẹ" is the mother's name).
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from digitize.fields.review import LOW_WORD_CONF
from digitize.fields.text import Segment, mean_conf, union_box
from ocr.types import Word

_S = r"[\s,.]*"  # what may stand between the words of a label: spaces, OCR's stray , and .


def _words(*ws: str) -> str:
    return r"\s*".join(ws) if len(ws) == 1 else _S.join(ws)


# Role words of the forms, on folded text: the phrase after a name label ("Họ và tên người cha"),
# a block heading ("Thông tin về chủ hộ kinh doanh", "NGƯỜI YÊU CẦU") or running text before
# a name ("Xét đề nghị của ông (bà)").
ROLE_WORDS: tuple[tuple[str, str], ...] = (
    ("representative", r"(?:nguoi\s+)?dai\s+dien(?:\s+theo\s+phap\s+luat)?|chu\s+ho\s+kinh\s+doanh"
                       r"|chu\s+doanh\s+nghiep|dai\s+dien\s+ho\s+kinh\s+doanh|chu\s+ho"),
    ("applicant", r"nguoi\s+(?:yeu\s+cau|de\s+nghi|di\s+khai(?:\s+(?:sinh|tu))?|di\s+dang\s+ky"
                  r"|nop\s+(?:ho\s+so|don)|dung\s+don|lam\s+don|khai)"),
    ("deceased", r"nguoi\s+(?:da\s+)?(?:chet|mat|tu\s+tran)"),
    ("father", r"(?:nguoi\s+)?cha|(?:nguoi\s+)?bo(?!\s+(?:sung|nhiem))"),
    ("mother", r"(?:nguoi\s+)?me"),
    ("spouse", r"(?:nguoi\s+|ben\s+)?(?:chong|vo)"),
    ("child", r"(?:nguoi\s+)?con"),
    ("holder", r"nguoi\s+(?:duoc\s+(?:cap|khai\s+sinh|xac\s+nhan|giao|thue|cho\s+thue|huong)"
               r"|su\s+dung\s+dat|so\s+huu|dung\s+ten)|chu\s+so\s+huu|chu\s+su\s+dung"),
)
ROLE_RE = re.compile("|".join(f"(?P<{r}>{rx})" for r, rx in ROLE_WORDS).replace(r"\s", r"[ \t]"))

# kind -> label patterns. Order matters only for equal-length matches at one place.
LABELS: dict[str, tuple[str, ...]] = {
    "name": (
        _words("ho", "chu", "dem") + r"[\s,.]*(?:va\s+)?ten",   # Họ, chữ đệm, tên / ... và tên
        r"ho\s*(?:va\s*|,\s*)?ten(?:\s+(?:khai\s+sinh|day\s+du))?",  # Họ và tên / Họ tên
        r"ten\s+(?:chu\s+ho|nguoi\s+\w+)",                      # Tên chủ hộ
        r"(?<![a-z])ong\s*[(/]\s*ba\s*\)?|(?<![a-z])ba\s*[(/]\s*ong\s*\)?",  # Ông (bà), Ông/Bà
        r"(?<![a-z])(?:ong|ba)(?![a-z])",                      # ông, bà (running text, forms)
    ),
    "id": (
        r"so\s+dinh\s+danh(?:\s+ca\s+nhan)?(?:\s+so)?",
        r"(?:so\s+)?(?:the\s+)?can\s+cuoc(?:\s+cong\s+dan)?(?:\s+so)?",
        r"(?:so\s+)?(?:cccd|cmnd|cmtnd|cmt)(?:\s+so)?",
        r"(?:so\s+)?(?:giay\s+)?chung\s+minh\s+(?:nhan\s+dan|thu)(?:\s+so)?",
        r"(?:so\s+)?ho\s+chieu(?:\s+so)?",
        r"so\s+giay\s+to\s+(?:phap\s+ly|tuy\s+than)(?:\s+cua\s+ca\s+nhan)?",
        r"giay\s+to\s+tuy\s+than",
    ),
    "birth": (
        _words("ngay", "thang", "nam", "sinh"),
        r"(?:sinh\s+ngay|ngay\s+sinh|nam\s+sinh|sinh\s+nam)",
    ),
    "sex": (r"gioi\s+tinh",),
    "address": (
        r"(?:dia\s+chi\s+|noi\s+)?(?:dang\s+ky\s+)?thuong\s+tru(?:\s+tai)?",
        r"(?:noi|dia\s+chi)\s+cu\s+tru(?:\s+cuoi\s+cung|\s+hien\s+(?:nay|tai))?|cu\s+tru\s+tai",
        r"(?:cho|noi)\s+o\s+hien\s+(?:tai|nay)",
        r"(?:dia\s+chi\s+|noi\s+)?tam\s+tru(?:\s+tai)?",
        r"dia\s+chi\s+lien\s+(?:lac|he)",
        r"dia\.?\s+chi(?!\s+(?:thua|tru\s+so|email|e-mail|thu\s+dien|noi))",
        r"(?<![a-z])tru\s+tai",
    ),
    # objects and organisations
    "parcel": (r"thua\s+dat\s+so|thua\s+so|so\s+thua(?:\s+dat)?",),
    "sheet": (r"to\s+ban\s+do\s+so|to\s+ban\s+do|so\s+to(?:\s+ban\s+do)?",),
    "area": (r"dien\s+tich(?:\s+(?:dat|thua\s+dat|su\s+dung|dat\s+giao|dat\s+thu\s+hoi))?",),
    "parcel_address": (r"dia\s+chi\s+(?:thua\s+dat|khu\s+dat)|vi\s+tri\s+(?:thua\s+dat|khu\s+dat)",),
    "building_area": (r"dien\s+tich\s+(?:xay\s+dung(?:\s+tang\s+(?:\d|1\s*\(tang\s+tret\)|tret))?"
                      r"|san(?:\s+xay\s+dung)?)|tong\s+dien\s+tich\s+san",),
    "building_address": (r"dia\s+chi\s+(?:cong\s+trinh|xay\s+dung)|vi\s+tri\s+xay\s+dung",),
    "business": (r"ten\s+ho\s+kinh\s+doanh",),
    "business_code": (r"ma\s+so\s+ho\s+kinh\s+doanh|so\s+giay\s+chung\s+nhan\s+dang\s+ky\s+ho"
                      r"\s+kinh\s+doanh",),
    "org": (r"ten\s+(?:doanh\s+nghiep|cong\s+ty|to\s+chuc|hop\s+tac\s+xa|chi\s+nhanh|don\s+vi)"
            r"(?:\s+viet\s+bang\s+tieng\s+viet)?",),
    # an organisation named in running text by its own name in capitals ("CÔNG TY TNHH ...")
    "org_inline": (r"cong\s+ty|doanh\s+nghiep\s+tu\s+nhan|hop\s+tac\s+xa",),
    "tax_code": (r"ma\s+so\s+(?:thue|doanh\s+nghiep)",),
    "org_address": (r"dia\s+chi\s+(?:tru\s+so(?:\s+chinh)?|dat\s+tru\s+so)|tru\s+so\s+chinh",),
    "plate": (r"bien\s+(?:so(?:\s+dang\s+ky)?|kiem\s+soat)",),
    # labels whose values nobody asked for: they only end the value before them
    "other": (
        r"dan\s+toc", r"quoc\s+tich", r"ngay\s+cap", r"noi\s+cap", r"co\s+quan\s+cap",
        r"chuc\s+(?:danh|vu)", r"(?:so\s+)?dien\s+thoai", r"e-?mail", r"fax", r"website",
        r"que\s+quan", r"noi\s+sinh", r"loai\s+giay\s+to(?:\s+phap\s+ly)?(?:\s+cua\s+ca\s+nhan)?",
        r"ton\s+giao", r"nghe\s+nghiep", r"tinh\s+trang\s+hon\s+nhan", r"quan\s+he",
        r"ghi\s+bang\s+chu", r"nganh,?\s+nghe", r"von\s+(?:kinh\s+doanh|dieu\s+le)",
        r"muc\s+dich\s+su\s+dung", r"thoi\s+han\s+su\s+dung", r"nguon\s+goc\s+su\s+dung",
        r"hinh\s+thuc\s+su\s+dung", r"nhan\s+hieu", r"so\s+khung", r"so\s+may", r"loai\s+xe",
        r"mau\s+son", r"ngay\s+dang\s+ky", r"noi\s+dang\s+ky", r"so\s+luong\s+lao\s+dong",
    ),
}


def _one_line(p: str) -> re.Pattern:
    """A label never runs over a line end ("Nam\nSinh ngày" is no "năm sinh")."""
    return re.compile(p.replace(r"[\s,.]", r"[ \t,.]").replace(r"\s", r"[ \t]"))


# Long labels of running text may be cut by a line end ("mã số doanh" / "nghiệp 43...").
_MAY_WRAP = ("id", "tax_code", "parcel", "sheet", "org_address")
_LABEL_RE = [(k, re.compile(p) if k in _MAY_WRAP and p.count(r"\s") >= 2 else _one_line(p))
             for k, ps in LABELS.items() for p in ps]
# A role phrase standing as a label of its own, before a colon.
_ROLE_LABEL = re.compile(r"(" + ROLE_RE.pattern + r")(?=[ \t]*(?:\([^()\n]{0,40}\))?[ \t]*:)")
# What may follow a label before its value: a role phrase, "(ghi bằng chữ in hoa)", "(nếu có)",
# dot leaders, a colon.
_PAREN = re.compile(r"\s*\([^()\n]{0,40}\)")
# A label's colon; in a label | value table the rule between the cells stands for it.
_COLON = re.compile(r"[ \t]*[:;|]?[ \t]*(?:\.{2,}[ \t]*|…+[ \t]*)?")


@dataclass
class Label:
    """One label found in the stream: its kind, the role it names itself, where it is and where
    its value starts (after its role phrase, parentheses and colon)."""

    kind: str
    start: int
    end: int
    value_start: int
    role: str | None = None
    colon: bool = False


class Stream:
    """A document's line segments as one text, "\\n" between segments; offsets map back to words."""

    def __init__(self, segs: list[Segment]):
        self.segs = segs
        self.text = "\n".join(s.text for s in segs)
        self.folded = "\n".join(s.folded for s in segs)
        self.starts: list[int] = []
        pos = 0
        for s in segs:
            self.starts.append(pos)
            pos += len(s.text) + 1
        self.ok = len(self.folded) == len(self.text)  # fold keeps one char per char (NFC)

    def seg_index(self, off: int) -> int:
        lo, hi = 0, len(self.starts) - 1
        while lo < hi:
            mid = (lo + hi + 1) // 2
            if self.starts[mid] <= off:
                lo = mid
            else:
                hi = mid - 1
        return lo

    def line_end(self, off: int) -> int:
        e = self.text.find("\n", off)
        return len(self.text) if e < 0 else e

    def line_start(self, off: int) -> int:
        return self.text.rfind("\n", 0, off) + 1

    def words(self, a: int, b: int) -> tuple[int | None, list[Word], list[Segment]]:
        """(page, words, segments) of the text [a, b)."""
        if b <= a or not self.segs:
            return None, [], []
        i, j = self.seg_index(a), self.seg_index(max(a, b - 1))
        words: list[Word] = []
        segs = self.segs[i:j + 1]
        for k in range(i, j + 1):
            s, base = self.segs[k], self.starts[k]
            lo, hi = max(a - base, 0), min(b - base, len(s.folded))
            if hi > lo:
                words += s.words_in(lo, hi)
        return self.segs[i].page, words, segs


def find_labels(stream: Stream) -> list[Label]:
    """Every label in the stream, left to right, overlaps resolved to the longest match."""
    f = stream.folded
    hits: list[tuple[int, int, str]] = []
    for kind, rx in _LABEL_RE:
        for m in rx.finditer(f):
            a, b = m.span()
            if b > a and (a == 0 or not f[a - 1].isalnum()) and (b == len(f) or not f[b].isalnum()):
                hits.append((a, b, kind))
    for m in _ROLE_LABEL.finditer(f):  # "Người yêu cầu: ...", "Chủ hộ: ...", "Mẹ: ..."
        a, b = m.span(1)
        if (a == 0 or not f[a - 1].isalnum()) and _role_ok(stream.text, f, a, b):
            hits.append((a, b, "role"))
    hits = [h for h in hits if (h[2] != "name" or _title_ok(stream.text, h[0], h[1]))
            and (h[2] != "org_inline" or stream.text[h[0]:h[1]].isupper())]
    hits.sort(key=lambda h: (h[0], -(h[1] - h[0])))
    out: list[Label] = []
    last = -1
    for a, b, kind in hits:
        if a < last:
            continue
        out.append(_finish(stream, kind, a, b))
        last = out[-1].end
    return out


_TITLE_WORDS = ("ông", "bà")


def _title_ok(text: str, a: int, b: int) -> bool:
    """"ông"/"bà" only with their own marks: "Bá", "ba" (three) are not labels, nor is a title
    word inside a proper name ("đường Hai Bà Trưng", "phố Bà Triệu", "Ông Ích Khiêm"): one
    after a capitalised word or a street word. A label that merely starts with them ("Họ và
    tên") passes."""
    t = text[a:b].lower()
    if t[:1] not in "ob":
        return True
    if not t.startswith(_TITLE_WORDS):
        return False
    line = text[text.rfind("\n", 0, a) + 1:a].rstrip()
    prev = line.split()[-1] if line.split() else ""
    if not prev or not prev[-1].isalpha():
        return True  # line start, or after punctuation ("Cấp cho: Ông ...")
    return not (prev[0].isupper() and text[a].isupper()) \
        and prev.lower() not in ("đường", "phố", "ngõ", "hẻm", "kiệt", "số")


# Short role words whose folded form is also a common word (bộ, bổ, còn, võ, vô, mè):
# they count only with their own marks.
_MARKED = {"cha": "cha", "bo": "bố", "me": "mẹ", "chong": "chồng", "vo": "vợ", "con": "con"}


def _role_ok(text: str, folded: str, a: int, b: int) -> bool:
    last = folded[a:b].split()[-1]
    return last not in _MARKED or text[b - len(last):b].lower() == _MARKED[last]


def _finish(stream: Stream, kind: str, a: int, b: int) -> Label:
    f = stream.folded
    role = None
    pos = b
    if kind == "role":
        whole = ROLE_RE.fullmatch(f, a, b)
        kind, role = "name", whole.lastgroup if whole else None
    elif kind == "name":
        rm = ROLE_RE.match(f, _skip_blank(f, pos))
        if rm and (rm.end() == len(f) or not f[rm.end()].isalnum()) \
                and not re.match(r"ong|ba", f[a:b]) \
                and _role_ok(stream.text, f, rm.start(), rm.end()):
            role, pos = rm.lastgroup, rm.end()
        elif not f[a:b].startswith(("ong", "ba")):
            role = role_in(stream.text[a:b], f[a:b])  # "Tên chủ hộ"
    if kind == "org_inline":  # the label is the start of the value
        return Label(kind, a, b, a, None, False)
    pm = _PAREN.match(f, pos)
    if pm:
        pos = pm.end()
    cm = _COLON.match(f, pos)
    assert cm is not None  # _COLON matches the empty string
    colon = any(c in cm.group() for c in ":.|") or _cell_alone(stream, a, cm.end())
    return Label(kind, a, pos, cm.end(), role, colon)


def _cell_alone(stream: Stream, a: int, b: int) -> bool:
    """Is the label the whole of its segment, with its value in the next cell of the same row
    (a label | value table: "Họ, chữ đệm, tên" ... "NGUYỄN VĂN A")?"""
    k = stream.seg_index(a)
    if stream.starts[k] != a or stream.text[b:stream.line_end(b)].strip() or k + 1 >= len(stream.segs):
        return False
    s, t = stream.segs[k], stream.segs[k + 1]
    return t.page == s.page and t.x0 > s.x1 and min(s.y1, t.y1) - max(s.y0, t.y0) > 0.4 * s.height


def _skip_blank(f: str, pos: int) -> int:
    while pos < len(f) and f[pos] in " \t":
        pos += 1
    return pos


def role_in(text: str, folded: str) -> str | None:
    """The role a stretch of text names (a heading, the words before a name), else None: the
    last role phrase in it counts ("Xét đề nghị của người yêu cầu, cấp cho ..." -> applicant)."""
    best = None
    for m in ROLE_RE.finditer(folded):
        a, b = m.span()
        if (a == 0 or not folded[a - 1].isalnum()) and (b == len(folded) or not folded[b].isalnum()) \
                and _role_ok(text, folded, a, b):
            best = m.lastgroup
    return best


def value_end(stream: Stream, labels: list[Label], i: int) -> int:
    """Where the value of labels[i] ends at the latest: the next label, and for a labelled line
    its end. A label that ends its line ("..., số định danh cá nhân" / "0380...") has its value
    on the next line."""
    lab = labels[i]
    # an organisation's own name in capitals is a value, not a label ending the one before
    nxt = next((lb.start for lb in labels[i + 1:] if lb.kind != "org_inline"), len(stream.text))
    end = stream.line_end(lab.value_start)
    if not stream.text[lab.value_start:end].strip(" .:…\t") and end < nxt:
        end = stream.line_end(end + 1)
    return min(end if lab.colon else max(end, nxt), nxt)


def evidence(stream: Stream, a: int, b: int, review: bool = False, original: str | None = None,
             note: str = "") -> dict:
    """The evidence entry of one value read from stream text [a, b): page, box, confidence (mean
    word confidence, 0..1), the line(s) it was read from, needs_review (asked for, or a word read
    under LOW_WORD_CONF) and the original reading when the value differs from it."""
    page, words, segs = stream.words(a, b)
    box = union_box(words)
    low = [w.text for w in words if w.conf < LOW_WORD_CONF]
    notes = ([note] if note else []) + ([f"low confidence: {' '.join(low)}"] if low else [])
    return {"page": page, "box": box.as_list() if box else None,
            "confidence": round(mean_conf(words), 3),
            "evidence": " / ".join(s.text for s in segs) + (f" [{'; '.join(notes)}]" if notes
                                                             else ""),
            "needs_review": bool(review or low), "original": original}


def below(stream: Stream, k: int) -> int | None:
    """The segment right below segment k in the same column (overlapping it across), if any:
    where a value wrapped in a narrow column goes on, past the other column's segments."""
    s = stream.segs[k]
    h = max(s.height, 1)
    best = None
    for j in range(k + 1, min(len(stream.segs), k + 12)):
        t = stream.segs[j]
        if t.page != s.page or t.y0 < s.y1 - 0.3 * h:
            continue
        if t.y0 - s.y1 > 1.5 * h:
            break
        if min(s.x1, t.x1) - max(s.x0, t.x0) > 0 and (best is None or t.y0 < stream.segs[best].y0):
            best = j
    return best


def wrapped(stream: Stream, a: int, end: int, labels: list[Label], accept) -> list[tuple[int, int]]:
    """The pieces [(start, end)] of a labelled value that starts at `a` (up to `end` on its line)
    and goes on in the lines right below it in its column while `accept(value so far, next line,
    its segment, x where the value starts)` holds; a line holding a label is never taken."""
    pieces = [(a, end)]
    if stream.text[end:stream.line_end(end)].strip():
        return pieces  # the value stops at a label on its own line: it does not wrap
    starts = {stream.seg_index(lb.start) for lb in labels if lb.kind != "org_inline"}
    ws = stream.words(a, a + 1)[1]
    x_value = ws[0].box.x0 if ws else stream.segs[stream.seg_index(a)].x0
    k = stream.seg_index(max(a, end - 1))
    while len(pieces) < 6:
        j = below(stream, k)
        if j is None or j in starts:
            break
        s0 = stream.starts[j]
        s1 = s0 + len(stream.segs[j].text)
        so_far = " ".join(stream.text[x:y] for x, y in pieces)
        if not accept(so_far, stream.text[s0:s1], stream.segs[j], x_value):
            break
        pieces.append((s0, s1))
        k = j
    return pieces


def address_goes_on(so_far: str, nxt: str, seg: Segment, x_value: float) -> bool:
    """Does the line `nxt` (segment `seg`) go on with the address `so_far`? It does when the
    address so far ends in a comma or the line opens in lower case, or when the whole line
    reads as address parts ("Phổ, tỉnh Quảng Ngãi"), not as running text ("Chủ tịch UBND tỉnh
    ... nhận được"), a heading or a signer in capitals, or a new numbered item."""
    from digitize.fields.persons import address_at
    from digitize.fields.text import is_upper_line
    nxt = nxt.strip(" ;.")
    if not nxt or re.match(r"(?:\d+|[IVX]+|[a-zđ])(?:[.)]|$)", nxt) or seg.x0 > x_value + seg.height:
        return False
    if is_upper_line(nxt) and not is_upper_line(so_far):
        return False  # "TRƯỞNG PHÒNG ...", "CHỨNG THỰC BẢN SAO ..."
    if so_far.rstrip().endswith(",") or nxt[0].islower():
        return True
    rest = re.sub(r"^[^\W\d_]+,\s*", "", nxt)  # "Phổ, tỉnh ...": the end of a name cut short
    got = address_at(rest)
    return bool(got) and got == rest.rstrip(",")


def pieces_value(stream: Stream, pieces: list[tuple[int, int]]) -> tuple[str, dict]:
    """A value read in pieces (a wrapped value): its text and one evidence entry for all."""
    value = re.sub(r"\s+", " ", " ".join(stream.text[x:y] for x, y in pieces)).strip(" ,;.:")
    ev = evidence(stream, pieces[0][0], pieces[0][1])
    for x, y in pieces[1:]:
        e = evidence(stream, x, y)
        if e["page"] == ev["page"] and e["box"] and ev["box"]:
            b, c = ev["box"], e["box"]
            ev["box"] = [min(b[0], c[0]), min(b[1], c[1]), max(b[2], c[2]), max(b[3], c[3])]
        ev["confidence"] = min(ev["confidence"], e["confidence"])
        ev["needs_review"] = ev["needs_review"] or e["needs_review"]
        ev["evidence"] += " / " + e["evidence"]
    return value, ev


def opens_line(stream: Stream, lab: Label) -> bool:
    """Does the label open its line (after a bullet or item number)? A labelled value inside
    running text ("..., địa chỉ trụ sở: Số 6 đường ..., do bà ...") is read as running text."""
    before = stream.text[stream.line_start(lab.start):lab.start]
    return not before.strip(" -+•*–0123456789.)abcdđ")
