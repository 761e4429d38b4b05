"""The number and the date of issue: printed readings, digits-only re-reads of handwritten
blanks, and which of them a person must check.

A value goes to a person when its readings disagree, when the one it rests on is unsure, or when
it fails validation (a sequence out of pattern, an impossible date, a date after today); a
handwritten reading the reader is sure of stands alone where OCR's first reading gave nothing
to disagree with, so the review queue holds what is likely wrong rather than every blank.
"""
from __future__ import annotations

import datetime as dt
import re
from typing import Callable

from digitize.fields.build import REVIEW_CONF, annotate, make_field
from digitize.fields.mend import mended_from
from digitize.fields.model import Field
from digitize.fields.text import Segment, mean_conf
from ocr.types import Box

RereadDigits = Callable[[int, Box], "tuple[str, float] | None"]
REREAD_CONF = 0.85  # a re-read digit string is trusted alone from this confidence up
PRINT_CONF = 0.75   # a first reading this sure is print, kept over a differing re-read


def _norm_conf(c: float) -> float:
    return c / 100.0 if c > 1.0 else c


def reread_digits(reread: RereadDigits | None, page: int, box: Box | None) -> tuple[str, float] | None:
    if reread is None or box is None:
        return None
    try:
        got = reread(page, box)
    except Exception:  # a failed re-read must not lose the other fields
        return None
    if not got:
        return None
    digits, conf = got
    digits = re.sub(r"\s+", "", digits or "")
    return (digits, _norm_conf(conf)) if digits.isdigit() else None


HAND_SURE = 0.79  # a handwritten reading's confidence is 0.8 x the reader's probability: >= 0.99


def _settle_digits(first: str | None, doubt: str, conf: float, again: tuple[str, float] | None,
                   ok: Callable[[str], bool], glued: bool = False
                   ) -> tuple[str | None, float, bool, str, list[str]]:
    """Combine the printed reading and a digits-only re-read of the same blank:
    (value, conf, review, note, alternatives).

    A value goes to a person when the readings disagree, when the one it rests on is unsure, or
    when it fails `ok`. A handwritten re-read the reader is sure of (`HAND_SURE`) stands alone
    where the first reading gave no clean digits to disagree with (OCR reads handwriting as
    "4†", "0B"): re-checking every handwritten blank buries the wrong ones. `glued`: the digits
    were read in one word with the slash after them ("808/QĐ-UBND": print, no blank), where
    the re-read's box, cut at an estimated slash, can run past the number."""
    if not doubt and first is not None:
        if again and again[0].lstrip("0") != first.lstrip("0"):
            return first, conf * 0.6, True, f"re-read says {again[0]}", [again[0]]
        return first, conf, False, "", []
    alts = [first] if first is not None else []
    if again and ok(again[0]):
        if first is not None and again[0].lstrip("0") == first.lstrip("0"):
            return again[0] if len(again[0]) >= len(first) else first, max(conf, again[1]), False, \
                "confirmed by re-read", []
        # Clean digits disagree with any other reading. Glued to the slash, a re-read that only
        # adds digits after them ("808" -> "80811") ran past the number into the slash or the
        # symbol: the digits read first stay, shown beside the re-read.
        clean_first = first is not None and doubt.startswith(("low confidence", "repaired",
                                                              "glued", "touches"))
        if (glued and clean_first and first is not None and len(again[0]) > len(first)
                and again[0].startswith(first)):
            return first, conf * 0.8, True, f"re-read {again[0]} runs past the number", \
                [again[0]]
        if first is not None and conf >= PRINT_CONF and doubt.startswith("low confidence"):
            # clean digits read with fair confidence are print, which OCR reads better than the
            # handwriting reader does (on the real scans every handwritten first reading was
            # under 0.75): kept, and shown to a person
            return first, conf * 0.8, True, f"re-read says {again[0]}", [again[0]]
        if (again[1] >= HAND_SURE and not clean_first and first != again[0]
                and "missing" not in doubt):
            return again[0], again[1], False, f"handwriting read {again[0]} ({doubt})", alts
        if again[1] >= REREAD_CONF and first is None and "missing" not in doubt:
            return again[0], again[1] * 0.9, False, "re-read", []
        return again[0], again[1] * 0.6, True, f"re-read {again[0]} vs {first!r} ({doubt})", alts
    if again:
        alts.append(again[0])
    return first, conf, True, doubt, alts


def number_fields(out: dict, r, seg: Segment, reread: RereadDigits | None) -> None:
    again = reread_digits(reread, seg.page, r.seq_box) if r.seq_doubt else None
    glued = bool(r.seq_words and r.symbol_words and r.seq_words[-1] is r.symbol_words[0])
    seq, conf, review, note, alts = _settle_digits(r.seq, r.seq_doubt, r.seq_conf, again,
                                                   seq_ok, glued)
    seq_box = [w for w in r.seq_words if w not in r.symbol_words] or []
    page = seg.page
    if seq is not None:
        f = make_field("number_seq", seq, seq_box, page, r.raw, review, conf)
        if not seq_box and r.seq_box:
            f.box = r.seq_box.as_list()
        out["number_seq"] = f
    else:
        out["number_seq"] = Field("number_seq", None, 0.0, page,
                                  r.seq_box.as_list() if r.seq_box else None, True, r.raw)
    if r.symbol:
        sym_review = mean_conf(r.symbol_words) < REVIEW_CONF
        sym_review = sym_review or r.symbol_repaired
        out["number_type_code"] = make_field("number_type_code", r.type_code, r.symbol_words, page,
                                         r.raw, sym_review)
        out["number_issuer_code"] = make_field("number_issuer_code", r.issuer_code, r.symbol_words,
                                           page, r.raw, sym_review)
    value = f"{seq}/{r.symbol}" if seq and r.symbol else (f"?/{r.symbol}" if r.symbol else None)
    nconf = min(conf, mean_conf(r.symbol_words)) if r.symbol else conf
    ev = r.raw + (f" [{note}]" if note else "")
    f = make_field("number", value, seg.words, page, ev,
               review or not seq or not r.symbol or r.symbol_repaired, nconf)
    if r.symbol:
        annotate(f, [], None, [f"{a}/{r.symbol}" for a in alts if a and seq_ok(a)])
        # what the review would be if the symbol were sure: see _cross_check_symbol
        out["_symbol_repaired"] = r.symbol_repaired
        out["_number_if_symbol_sure"] = bool(
            review or not seq or r.symbol_repaired or conf < REVIEW_CONF
            or mended_from(seg.words) or mended_from(r.symbol_words))
    out["number"] = f


# The type code of each document type (Decree 30/2020, appendix III).
TYPE_CODE_OF = {
    "QUYẾT ĐỊNH": "QĐ", "NGHỊ QUYẾT": "NQ", "CHỈ THỊ": "CT", "QUY CHẾ": "QC", "QUY ĐỊNH": "QyĐ",
    "THÔNG CÁO": "TC", "THÔNG BÁO": "TB", "HƯỚNG DẪN": "HD", "CHƯƠNG TRÌNH": "CTr",
    "KẾ HOẠCH": "KH", "PHƯƠNG ÁN": "PA", "ĐỀ ÁN": "ĐA", "DỰ ÁN": "DA", "BÁO CÁO": "BC",
    "BIÊN BẢN": "BB", "TỜ TRÌNH": "TTr", "HỢP ĐỒNG": "HĐ", "CÔNG ĐIỆN": "CĐ",
    "BẢN GHI NHỚ": "BGN", "BẢN THỎA THUẬN": "BTT", "GIẤY ỦY QUYỀN": "GUQ", "GIẤY MỜI": "GM",
    "GIẤY GIỚI THIỆU": "GGT", "GIẤY NGHỈ PHÉP": "GNP", "PHIẾU GỬI": "PG", "PHIẾU CHUYỂN": "PC",
    "PHIẾU BÁO": "PB",
}


def cross_check_symbol(out: dict) -> None:
    """A symbol read with low confidence whose type code is the one of the type the title line
    names (QĐ under "QUYẾT ĐỊNH", TB under "THÔNG BÁO") is confirmed by a second, independent
    reading; it is not sent to review for its confidence alone. A repaired or mended symbol
    still is."""
    sure_review = out.pop("_number_if_symbol_sure", None)
    repaired = out.pop("_symbol_repaired", False)
    code, doc_type = out.get("number_type_code"), out.get("doc_type")
    if sure_review is None or repaired or code is None or doc_type is None or doc_type.needs_review:
        return
    if not code.value or TYPE_CODE_OF.get(doc_type.value) != code.value:
        return
    for name in ("number_type_code", "number_issuer_code"):
        f = out.get(name)
        if f is not None and f.needs_review and "[mended" not in f.evidence \
                and f.confidence < REVIEW_CONF:
            f.needs_review = False
            f.evidence += f" [type code agrees with the title: {doc_type.value}]"
    if not sure_review and out["number"].needs_review:
        out["number"].needs_review = False
        out["number"].evidence += f" [type code agrees with the title: {doc_type.value}]"


def seq_ok(seq: str) -> bool:
    """Does a document number's sequence fit the pattern of one: 1 to 5 digits, not zero, at
    most one leading zero ("04", never "0004")?"""
    return 0 < len(seq) <= 5 and seq.isdigit() and int(seq) > 0 and not seq.startswith("00")


def date_fields(out: dict, d, reread: RereadDigits | None, today: dt.date | None = None) -> None:
    seg = d.segment
    if d.place:
        bad = not all(w[:1].isupper() for w in d.place.split())
        out["place"] = make_field("place", d.place, d.place_words, seg.page, seg.text, bad)
    notes, review = [], False
    values: dict = {}
    others: dict[str, list[int]] = {}
    for name, part, ok in (("day", d.day, lambda v: 1 <= int(v) <= 31),
                           ("month", d.month, lambda v: 1 <= int(v) <= 12)):
        again = reread_digits(reread, seg.page, part.box) if part.doubt else None
        first = str(part.value) if part.value is not None else None
        v, c, rv, note, alts = _settle_digits(first, part.doubt, part.conf, again, ok)
        values[name] = (int(v) if v and v.isdigit() else None, c)
        others[name] = [int(a) for a in alts if a and a.isdigit() and ok(a)]
        review = review or rv
        if note:
            notes.append(f"{name}: {note}")
    y = d.year
    if y.doubt or y.value is None:
        review = True
        notes.append(f"year: {y.doubt}")
    day, month = values["day"][0], values["month"][0]
    iso = None
    if day and month and y.value:
        iso = _iso(y.value, month, day)
        if iso is None:
            notes.append(f"impossible date {y.value}-{month}-{day}")
            review = True
        elif iso > (today or dt.date.today()).isoformat():
            notes.append(f"{iso} is after today")
            review = True
    conf = min(values["day"][1], values["month"][1], y.conf if y.value else 0.0)
    ev = seg.text + (f" [{'; '.join(notes)}]" if notes else "")
    f = make_field("issued_date", iso, seg.words, seg.page, ev, review or iso is None, conf)
    if y.value:
        dated = [_iso(y.value, m, dd) for dd in others["day"] + [day] for m in
                 others["month"] + [month] if dd and m and (dd, m) != (day, month)]
        annotate(f, [], None, [a for a in dated if a])
    out["issued_date"] = f


def _iso(year: int, month: int, day: int) -> str | None:
    try:
        return dt.date(year, month, day).isoformat()
    except ValueError:
        return None
