"""Extract the Decree 30/2020 key fields of a document from its pages' words.

    fields = extract_fields(pages)                  # pages: list[PageText], in order
    fields = extract_fields(pages, reread=callback)  # callback(page_no, box) -> (digits, conf)|None

Every field in FIELD_NAMES is returned. A field that should be on every document but was not found
has value None and needs_review=True; an optional one that is absent (urgency, persons, ...) has
value None (or []) and needs_review=False. A value is marked needs_review whenever the reading is
doubtful (low confidence, repaired characters, handwriting read differently twice): a wrong value
that is not flagged is the outcome this module works hardest to avoid.
"""
from __future__ import annotations

import datetime as dt
import re
from typing import Callable

from digitize.fields import blocks as B
from digitize.fields import places
from digitize.fields.lexicon import attested, mend_compounds, same_word
from digitize.fields.lines import RereadText, completed
from digitize.fields.mend import mended_from
from digitize.fields.dates import find_date_line, read_date
from digitize.fields.model import FIELD_NAMES, LIST_FIELDS, Field
from digitize.fields.number import find_number_line, read_number
from digitize.fields.holders import party_fields
from digitize.fields.names import respell_surname, surname_candidates
from digitize.fields.review import (LOW_WORD_CONF, anchored, consensus, context_table,
                                    irregular)
from digitize.fields.vietnamese import token_ok
from digitize.fields.text import (Segment, clean_spaces, fold, mean_conf, segments_of,
                                  trim_edges, union_box)
from ocr.types import Box, PageText, Word

RereadDigits = Callable[[int, Box], "tuple[str, float] | None"]
REQUIRED = ("issuer", "number", "place", "issued_date", "doc_type", "subject", "signer_title",
            "signer_name", "number_seq", "number_issuer_code")
REVIEW_CONF = 0.60  # mean word confidence under which a printed field is flagged
REREAD_CONF = 0.85  # a re-read digit string is trusted alone from this confidence up
PRINT_CONF = 0.75   # a first reading this sure is print, kept over a differing re-read
CONFIDENT_WORD = 80.0  # a word read this sure (0..100) is never replaced by a different word


def same_words(a: str, b: str) -> bool:
    """The same words, tone placement and case aside."""
    x, y = a.split(), b.split()
    return len(x) == len(y) and all(same_word(p, q) for p, q in zip(x, y))


def _field(name: str, value, words: list[Word], page: int | None, evidence: str,
           review: bool = False, conf: float | None = None) -> Field:
    """A field read from `words`. Words whose marks the page mending changed
    (`mend.MendedWord`) send it to review, with the reading as OCR made it."""
    c = mean_conf(words) if conf is None else conf
    box = union_box(words)
    mended = mended_from(words)
    if mended:
        evidence += f" [mended: {'; '.join(f'{a}->{b}' for a, b in mended)}]"
    f = Field(name, value, round(max(0.0, min(1.0, c)), 3), page,
              box.as_list() if box else None, bool(review or c < REVIEW_CONF or mended), evidence)
    if mended and isinstance(value, str):
        original = value
        for a, b in mended:
            original = original.replace(b, a, 1)
        f.original = original if original != value else None
    return f


def _seg_field(name: str, value, segs: list[Segment], evidence: str | None = None,
               review: bool = False, conf: float | None = None) -> Field:
    words = [w for s in segs for w in s.words]
    ev = evidence if evidence is not None else " / ".join(s.text for s in segs)
    return _field(name, value, words, segs[0].page if segs else None, ev, review, conf)


def _norm_conf(c: float) -> float:
    return c / 100.0 if c > 1.0 else c


def _reread(reread: RereadDigits | None, page: int, box: Box | None) -> tuple[str, float] | None:
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
                   ok: Callable[[str], bool]) -> tuple[str | None, float, bool, str, list[str]]:
    """Combine the printed reading and a digits-only re-read of the same blank:
    (value, conf, review, note, alternatives).

    A value goes to a person when the readings disagree, when the one it rests on is unsure, or
    when it fails `ok`. A handwritten re-read the reader is sure of (`HAND_SURE`) stands alone
    where the first reading gave no clean digits to disagree with (OCR reads handwriting as
    "4†", "0B"): re-checking every handwritten blank buries the wrong ones."""
    if not doubt and first is not None:
        if again and again[0].lstrip("0") != first.lstrip("0"):
            return first, conf * 0.6, True, f"re-read says {again[0]}", [again[0]]
        return first, conf, False, "", []
    alts = [first] if first is not None else []
    if again and ok(again[0]):
        if first is not None and again[0].lstrip("0") == first.lstrip("0"):
            return again[0] if len(again[0]) >= len(first) else first, max(conf, again[1]), False, \
                "confirmed by re-read", []
        # Clean digits that are no part of the re-read disagree with it ("44" against "14");
        # a part of it ("0" of "04", "6" of "16") is OCR seeing some of the handwriting.
        clean_first = (first is not None and not _subsequence(first, again[0])
                       and doubt.startswith(("low confidence", "repaired", "glued", "touches")))
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


def _subsequence(part: str, whole: str) -> bool:
    """Are the characters of `part` in `whole`, in order ("0" in "04", "6" in "16")?"""
    it = iter(whole)
    return len(part) < len(whole) and all(c in it for c in part)


def extract_fields(pages: list[PageText], reread: RereadDigits | None = None,
                   reread_text: RereadText | None = None) -> dict[str, Field]:
    """The key fields of one document (pages in order, page_no 1-based). `reread` reads a
    region again as digits, `reread_text` as one text line (both optional)."""
    out: dict[str, Field] = {}
    page_segs = [(p, segments_of(p)) for p in pages if p.words]
    if page_segs:
        first, segs = page_segs[0]
        all_segs = [s for _, ss in page_segs for s in ss]
        _header_fields(out, first, segs, reread, reread_text)
        if "subject" in out:
            _judge_subject(out, all_segs)
        _signer_fields(out, page_segs, out.get("_header_bottom"), reread_text)
        _lists(out, page_segs)
        out.update(party_fields(all_segs))
    out.pop("_header_bottom", None)
    out.pop("_subject_segs", None)
    for name in FIELD_NAMES:
        if name not in out:
            required = name in REQUIRED
            empty = [] if name in LIST_FIELDS else None
            out[name] = Field(name, empty, 0.0 if required else 0.9, None, None, required,
                              "not found" if required else "")
    return {k: out[k] for k in FIELD_NAMES}


def _header_fields(out: dict, page: PageText, segs: list[Segment],
                   reread: RereadDigits | None, reread_text: RereadText | None = None) -> None:
    W, H = page.width, page.height
    sx, motto = B.split_x(segs, W)
    top = [s for s in segs if s.y0 < 0.45 * H]
    left = [s for s in top if s.cx < sx]
    right = [s for s in top if s.cx >= sx]
    bottom = motto.y1 if motto else 0.0

    found = find_number_line(left) or find_number_line(top)
    num_seg = None
    if found:
        num_seg, label_end = found
        _number_fields(out, read_number(num_seg, label_end), num_seg, reread)
        bottom = max(bottom, num_seg.y1)

    dfound = find_date_line(right) or find_date_line(top)
    if dfound:
        dseg, m = dfound
        _date_fields(out, read_date(dseg, m), reread)
        bottom = max(bottom, dseg.y1)

    number_top = num_seg.y0 if num_seg else (bottom if bottom else 0.3 * H)
    lines = B.issuer_lines(segs, sx, motto, number_top)
    if lines:
        _issuer_fields(out, page, lines)

    vv = B.vv_lines(segs, num_seg, sx) if num_seg else []
    title = B.title_line(segs, bottom + 5, W)
    doc_type = B.match_doc_type(title) if title else None
    if title and doc_type:
        out["doc_type"] = _seg_field("doc_type", doc_type, [title])
        sub = B.subject_lines(segs, title)
        if sub:
            texts, completions = completed(sub, title.cx, reread_text)
            text = clean_spaces(" ".join(texts))
            # The subject line opens with "Về việc"; OCR reads "Về" as "và"/"Vẻ" on bold type.
            text = re.sub(r"^\S+(?= việc\b)", lambda m: "Về" if fold(m.group()) in ("va", "ve")
                          else m.group(), text)
            text = re.sub(r"^Vềviệc\b", "Về việc", text)
            out["subject"] = _seg_field("subject", text, sub, review=bool(completions))
            if completions:
                out["subject"].evidence += f" [{'; '.join(completions)}]"
            out["_subject_segs"] = sub
    elif vv:
        out["doc_type"] = _seg_field("doc_type", "CÔNG VĂN", vv[:1], conf=0.9)
    elif title:
        out["doc_type"] = _seg_field("doc_type", clean_spaces(title.text), [title], review=True)
    if vv and "subject" not in out:
        text = clean_spaces(" ".join(s.text for s in vv))
        text = re.sub(r"^[Vv]\s*[/|l1]\s*[Vv]\.?\s*", "V/v ", text)
        out["subject"] = _seg_field("subject", text, vv)
        out["_subject_segs"] = vv
    out["_header_bottom"] = (page.page_no, (title.y1 if title else bottom))
    _cross_check_symbol(out)
    if "place" in out:
        _judge_place(out)

    for s in top:
        key = B.letters_fold(s.text)
        for name, options in (("urgency", B.URGENCY), ("confidentiality", B.SECRECY)):
            for opt in options:
                if key == fold(opt) and name not in out:
                    out[name] = _seg_field(name, opt, [s])


def _issuer_fields(out: dict, page: PageText, lines: list[Segment]) -> None:
    """Issuer (and parent body) from the header lines: junk at the line ends dropped, heading
    words judged against the heading vocabulary, the locality against the list of units."""
    restored, suggested, notes, unknown = [], [], [], False
    for s in lines:
        confident = bool(s.words) and min(w.conf for w in s.words) >= CONFIDENT_WORD
        text, known, changes = B.restore_heading(trim_edges(clean_spaces(s.text)), confident)
        restored.append(text)
        suggested.append(B.restore_heading(trim_edges(clean_spaces(s.text)), False)[0])
        notes += changes
        unknown = unknown or not known
    parent, issuer = B.split_issuer([t for t in restored if t])
    suggestion = " ".join(t for t in B.split_issuer([t for t in suggested if t]) if t)
    ev = " / ".join(s.text for s in lines)
    doubt = _locality_doubt(" ".join(t for t in (parent, issuer) if t))
    notes += [doubt[0]] if doubt else []
    original = " / ".join(trim_edges(clean_spaces(s.text)) for s in lines)
    review = unknown or bool(notes)
    if parent:
        n = len(parent.split())
        pw = [w for s in lines for w in s.words][:n]
        out["issuer_parent"] = _field("issuer_parent", parent, pw, page.page_no, ev, review)
    f = _seg_field("issuer", issuer, lines, ev, review=review)
    alts = [suggestion] if suggestion != " ".join(t for t in (parent, issuer) if t) else []
    if doubt and doubt[1]:
        head = issuer[:len(issuer) - len(doubt[0].split(": ", 1)[1])]
        alts += [head + c for c in doubt[1]]
    _note(f, notes, original if any("->" in n for n in notes) else None, alts)
    out["issuer"] = f


_LOCALITY_AT = re.compile(r"\b(tinh|thanh pho|huyen|quan|thi xa|xa|phuong|thi tran)\s+(.+)$")


def _locality_doubt(issuer: str) -> tuple[str, list[str]] | None:
    """Why the locality an issuer names ("... TỈNH THANH HÓA") is doubtful, with the known
    units it may be, or None when it is a unit of the official lists (before or after 2025)."""
    if not places.available():
        return None
    m = _LOCALITY_AT.search(fold(issuer))
    if not m:
        return None
    name = issuer[m.start(2):].strip()
    levels = B.UNIT_LEVELS[m.group(1)]
    if not name or places.is_known(name, levels):
        return None
    cands = [c.upper() if name.isupper() else c for c in places.candidates(name, levels)[:4]]
    return f"unknown unit: {name}", cands


def _note(f: Field, notes: list[str], original: str | None = None,
          alternatives: list[str] | None = None) -> None:
    """Add bracketed notes to a field's evidence, and the OCR reading it differs from."""
    if notes:
        f.evidence += f" [{'; '.join(notes)}]"
    if original is not None and original != f.value:
        f.original = original
    if alternatives:
        f.alternatives = list(dict.fromkeys(a for a in alternatives if a != f.value))


def _judge_place(out: dict) -> None:
    """The place is a province or the issuer's locality, checked against the official lists
    (before and after 2025). A known name stands as read. An unknown one is flagged with the
    known names it may be; it is replaced only when OCR was unsure of it and one known name has
    the same letters (marks lost), and then shown with the reading. A place that looks like body
    text ("Thực hiện Chỉ thị số 11/CT-TTg") means the date line is not the header's."""
    f = out["place"]
    words = f.value.split()
    if len(words) > 5 or re.search(r"[\d/]", f.value):
        out.pop("place")
        if "issued_date" in out:
            out["issued_date"].needs_review = True
            out["issued_date"].evidence += " [not the header's date line]"
        return
    value = trim_edges(f.value)
    issuer = " ".join(out[k].value for k in ("issuer_parent", "issuer") if k in out)
    m = _LOCALITY_AT.search(fold(issuer))
    local = issuer[m.start(2):].strip() if m else ""
    if local and same_words(value, local):
        f.value = value
        return
    if not places.available():
        f.needs_review = f.needs_review or not all(token_ok(w) for w in words)
        return
    if places.is_known(value):
        f.value = value
        return
    cands = places.candidates(value)
    if local and fold(local) == fold(value):
        cands = [local.title()] + cands
    same_letters = [c for c in cands if fold(c) == fold(value)]
    unsure = f.confidence * 100 < CONFIDENT_WORD
    original = f.value
    if unsure and len(same_letters) == 1:
        value = same_letters[0]
    f.value = value
    f.needs_review = True
    _note(f, [f"unknown place: {original}" + (f"; list has {', '.join(cands[:4])}" if cands
                                                else "")],
          original, cands[:4])


def _judge_subject(out: dict, all_segs: list[Segment]) -> None:
    """Re-mark subject words from the document's own spelling; flag doubtful words."""
    f, segs = out["subject"], out.get("_subject_segs") or []
    table = context_table(all_segs, segs)
    words = [w for s in segs for w in s.words]
    # Words read with good confidence are never replaced; the spelling the lexicon and the
    # document suggest is offered beside the reading instead.
    sure = {w.text.strip(",.;:()\"'") for w in words if w.conf >= CONFIDENT_WORD}
    veto = anchored(table)

    def keep(toks: list[str], start: int, end: int, changed: list[int]) -> bool:
        return (any(toks[i].strip(",.;:()\"'") in sure for i in changed)
                or veto(toks, start, end, changed))

    read = f.value
    mended, fixes = mend_compounds(read, keep)
    text, notes, doubt = consensus(mended, table, sure)
    suggestion = consensus(mend_compounds(read, veto)[0], table)[0]
    notes = fixes + notes
    toks = text.split()
    # A word read with low confidence that forms a known compound with its neighbour as read
    # ("phổ thông", "tình hình") has the lexicon's support; others are shown to a person.
    known = {toks[i] for i in attested(toks)}
    low = [w.text for w in words if w.conf < LOW_WORD_CONF and w.text in toks
           and w.text not in known]
    bad = [t for t in text.split() if not token_ok(t)]
    reasons = notes + [f"not Vietnamese: {' '.join(bad)}"] * bool(bad) \
        + [f"low confidence: {' '.join(low)}"] * bool(low) \
        + ["a seal or stamp overlaps the lines"] * irregular(segs)
    f.value = text
    f.needs_review = (f.needs_review or doubt or bool(bad or low or fixes) or irregular(segs)
                      or suggestion != text)
    if reasons:
        f.evidence += f" [{'; '.join(reasons)}]"
    if text != read:
        f.original = f.original or read
    if suggestion != text:
        f.alternatives = [suggestion]


def _number_fields(out: dict, r, seg: Segment, reread: RereadDigits | None) -> None:
    again = _reread(reread, seg.page, r.seq_box) if r.seq_doubt else None
    seq, conf, review, note, alts = _settle_digits(r.seq, r.seq_doubt, r.seq_conf, again,
                                                   seq_ok)
    seq_box = [w for w in r.seq_words if w not in r.symbol_words] or []
    page = seg.page
    if seq is not None:
        f = _field("number_seq", seq, seq_box, page, r.raw, review, conf)
        if not seq_box and r.seq_box:
            f.box = r.seq_box.as_list()
        out["number_seq"] = f
    else:
        out["number_seq"] = Field("number_seq", None, 0.0, page,
                                  r.seq_box.as_list() if r.seq_box else None, True, r.raw)
    if r.symbol:
        sym_review = mean_conf(r.symbol_words) < REVIEW_CONF
        sym_review = sym_review or r.symbol_repaired
        out["number_type_code"] = _field("number_type_code", r.type_code, r.symbol_words, page,
                                         r.raw, sym_review)
        out["number_issuer_code"] = _field("number_issuer_code", r.issuer_code, r.symbol_words,
                                           page, r.raw, sym_review)
    value = f"{seq}/{r.symbol}" if seq and r.symbol else (f"?/{r.symbol}" if r.symbol else None)
    nconf = min(conf, mean_conf(r.symbol_words)) if r.symbol else conf
    ev = r.raw + (f" [{note}]" if note else "")
    f = _field("number", value, seg.words, page, ev,
               review or not seq or not r.symbol or r.symbol_repaired, nconf)
    if r.symbol:
        _note(f, [], None, [f"{a}/{r.symbol}" for a in alts if a and seq_ok(a)])
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


def _cross_check_symbol(out: dict) -> None:
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


def _date_fields(out: dict, d, reread: RereadDigits | None, today: dt.date | None = None) -> None:
    seg = d.segment
    if d.place:
        bad = not all(w[:1].isupper() for w in d.place.split())
        out["place"] = _field("place", d.place, d.place_words, seg.page, seg.text, bad)
    notes, review = [], False
    values: dict = {}
    others: dict[str, list[int]] = {}
    for name, part, ok in (("day", d.day, lambda v: 1 <= int(v) <= 31),
                           ("month", d.month, lambda v: 1 <= int(v) <= 12)):
        again = _reread(reread, seg.page, part.box) if part.doubt else None
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
    f = _field("issued_date", iso, seg.words, seg.page, ev, review or iso is None, conf)
    if y.value:
        alts = [_iso(y.value, m, dd) for dd in others["day"] + [day] for m in
                others["month"] + [month] if dd and m and (dd, m) != (day, month)]
        _note(f, [], None, [a for a in alts if a])
    out["issued_date"] = f


def _iso(year: int, month: int, day: int) -> str | None:
    try:
        return dt.date(year, month, day).isoformat()
    except ValueError:
        return None


def _signer_fields(out: dict, page_segs, header_bottom,
                   reread_text: RereadText | None = None) -> None:
    for page, segs in page_segs:
        skip = header_bottom[1] if header_bottom and header_bottom[0] == page.page_no else 0
        block, name = B.signer_block(segs, skip)
        if not block:
            lone = B.lone_name(segs, skip)
            if lone is None:
                continue
            _name_field(out, lone, page.page_no)
            _hidden_title(out, lone, reread_text)
            return
        lines, notes, suggested = [], [], []
        for s in block:
            confident = bool(s.words) and min(w.conf for w in s.words) >= CONFIDENT_WORD
            t, changes = B.title_words(s.text, confident)
            notes += changes
            if t:
                lines.append(t)
                suggested.append(B.title_words(s.text, False)[0])
        suggestion = clean_spaces(" ".join(B.settle_title(suggested)[0]))
        read = clean_spaces(" ".join(trim_edges(s.text) for s in block))
        lines, rep = B.settle_title(lines)
        title = clean_spaces(" ".join(lines))
        if rep:
            notes.append("position lines completed by the block's grammar")
        unknown = B.title_unknown(title)
        low = any(w.conf < 50 for s in block for w in s.words)
        # "TM. <body>" / "KT. <position>" announce a further line: the block is cut short.
        low = low or bool(re.match(r"^(tm|kt|tl|tuq)\.", fold(lines[-1]) if lines else "tm."))
        # A bare position with unread text right above it: the "TM. ..." line is probably
        # under the seal, so the title may be incomplete.
        low = low or (not re.match(r"^(tm|kt|tl|tuq|q)\.", fold(lines[0]) if lines else "")
                      and _text_just_above(block[0], segs))
        ev = " / ".join(s.text for s in block) + (f" [unknown: {' '.join(unknown)}]" if unknown
                                                   else "")
        f = _seg_field("signer_title", title, block, ev,
                       review=low or bool(unknown) or bool(notes),
                       conf=mean_conf([w for s in block for w in s.words])
                       * (0.9 if notes else 1.0))
        _note(f, notes, read if notes else None, [suggestion] if unknown else [])
        out["signer_title"] = f
        if name is None:
            name = B.lone_name(segs, block[-1].y1)
        if name is not None:
            _name_field(out, name, page.page_no)
        return


def _hidden_title(out: dict, name: Segment, reread_text: RereadText | None) -> None:
    """A name with no position readable above it: a seal covers the position, and page layout
    took what shows of it for part of the seal. The area above the name is read again for
    pieces of text; a piece that ends like one known position ("Ú TỊCH") gives it, for a person
    to confirm."""
    if reread_text is None:
        return
    h, W = name.height, name.page_width
    half = max(name.x1 - name.x0, 0.4 * W) / 2
    box = Box(int(max(0, name.cx - half)), int(max(0, name.y0 - 9 * h)),
              int(min(W, name.cx + half)), int(max(0, name.y0 - h // 2)))
    try:
        got = reread_text(name.page, box, sparse=True)
    except Exception:  # a failed re-read must not lose the other fields
        return
    if not got:
        return
    pieces = got[0].splitlines()
    deputy = any(re.match(r"\W*kt\b", fold(p)) for p in pieces)
    for piece in pieces:
        pos = B.position_from_fragment(piece, deputy)
        if pos:
            out["signer_title"] = Field("signer_title", pos, 0.5, name.page, box.as_list(), True,
                                        f"read again above the name, partly hidden: '{piece}'")
            return


def _text_just_above(first: Segment, segs: list[Segment]) -> bool:
    """Is there a line within two line heights above `first`, overlapping it horizontally, in
    the signature column? A body line running in from the left margin ("... chịu trách nhiệm
    thi hành Quyết định này./.") ends the body: it hides nothing."""
    for t in segs:
        if t is first or t.y1 > first.y0 or first.y0 - t.y1 > 2 * first.height:
            continue
        if t.x0 < 0.4 * t.page_width:
            continue
        if min(t.x1, first.x1) - max(t.x0, first.x0) > 0:
            return True
    return False


def _name_field(out: dict, name: Segment, page_no: int) -> None:
    """The signer's name as printed. The surname is judged against the surname list
    (`lexicon.respell`): a surname read without marks, or read unsurely, is spelled from the
    list where one surname fits, and the field is then shown to a person with the reading;
    a surname read with good confidence stands ("Trịnh" is never made "Trình")."""
    read = B.name_words(name.text)
    words = B.name_words(name.text, mend=True)
    mended = words != read  # a mangled surname was restored
    notes = [f"surname restored: {words[0]}"] if mended else []
    nwords = [w for w in name.words if w.text.strip(",.;:") in words] or name.words
    first = next((w for w in nwords if w.text.strip(",.;:") == words[0]), None) if words else None
    confident = first is not None and first.conf >= CONFIDENT_WORD
    known = False
    if words:
        spelled, known, note = respell_surname(words[0], confident)
        if note:
            notes.append(f"surname {note}")
            words = [spelled] + words[1:]
    bad = [w for w in words if not token_ok(w)]
    review = (not known or min(w.conf for w in nwords) < 75 or bool(bad) or bool(notes)
              or len(words) < 3)  # two words: the surname is often what OCR lost
    ev = name.text + (f" [{'; '.join(notes)}]" if notes else "")
    f = _field("signer_name", " ".join(words), nwords, page_no, ev, review)
    alts = [" ".join([c] + words[1:]) for c in surname_candidates(words[0])] if words else []
    _note(f, [], " ".join(read) if notes else None, alts)
    out["signer_name"] = f


_BULLETS = ("-", "+", "•", "~", "–", "—", "*")  # OCR reads a dash bullet as "~" at times
_BULLET_CHARS = "".join(_BULLETS) + " "


# A line that opens with a short label and a colon ("Địa chỉ:", "Điện thoại:"): a new item of
# information, not the previous line continued.
_LABELLED = re.compile(r"^\W*[a-z]+(?:[ .]+[a-z]+){0,2}\s*:")


def _lists(out: dict, page_segs) -> None:
    """"Kính gửi:" recipients and the "Nơi nhận:" distribution list."""
    for page, segs in page_segs:
        for i, s in enumerate(segs):
            m = re.match(r"^kinh\s*gui\s*[:;.]?\s*", s.folded)
            if m and "recipients" not in out:
                items, used = [], [s]
                rest = s.text_from_word(s.word_at(m.end())) if m.end() < len(s.folded) else ""
                rest = re.sub(r"^(?:\S*\s*)?(?:gửi|gởi)\s*[:;.]?\s*", "", rest, flags=re.I) \
                    if fold(rest).startswith(("gui", "kinh")) else rest
                if rest.strip():
                    items.append(rest.strip())
                for t in segs[i + 1:i + 12]:
                    if t.y0 - used[-1].y1 > 1.5 * t.height or _LABELLED.match(t.folded):
                        break  # "Địa chỉ: ..." under the recipient is the recipient's address
                    if t.text.lstrip().startswith(_BULLETS):
                        items.append(t.text.lstrip(_BULLET_CHARS).strip())
                        used.append(t)
                    elif items and t.x0 > s.x0 + s.height:
                        items[-1] = f"{items[-1]} {t.text}"
                        used.append(t)
                    else:
                        break
                items = [clean_spaces(x).rstrip(";,.") for x in items if x.strip()]
                if items:
                    out["recipients"] = _seg_field("recipients", items, used)
            if re.match(r"^noi\s*nhan\s*[:;.]?", s.folded) and "distribution" not in out:
                items, used = [], [s]
                for t in segs[i + 1:]:
                    if t.x0 > s.x0 + 0.35 * s.page_width or t.cx > 0.5 * s.page_width:
                        continue
                    if t.y0 - used[-1].y1 > 2.5 * t.height:
                        break
                    if t.text.lstrip().startswith(_BULLETS) or not items:
                        items.append(t.text.lstrip(_BULLET_CHARS).strip())
                    else:
                        items[-1] = f"{items[-1]} {t.text}"
                    used.append(t)
                # two entries OCR read as one line: "Thường trực Tỉnh ủy; ~ Thường trực HĐND"
                items = [part for x in items for part in re.split(r"[;,]\s*[-~–—•]\s+", x)]
                items = [clean_spaces(x).rstrip(";,.:") for x in items if x.strip()]
                if items:
                    out["distribution"] = _seg_field("distribution", items, used)
