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

import re

from digitize.fields import blocks as B
from digitize.fields import places
from digitize.fields.lexicon import attested, mend_compounds
from digitize.fields.lines import RereadText, completed
from digitize.fields.build import annotate, make_field, same_words, seg_field
from digitize.fields.dates import find_date_line, read_date
from digitize.fields.numdate import RereadDigits, cross_check_symbol, date_fields, number_fields
from digitize.fields.model import FIELD_NAMES, LIST_FIELDS, Field
from digitize.fields.number import find_number_line, read_number
from digitize.fields.holders import party_fields
from digitize.fields.names import respell_surname, surname_candidates
from digitize.fields.review import (CONFIDENT_WORD, LOW_WORD_CONF, anchored, consensus,
                                    context_table, irregular)
from digitize.fields.vietnamese import token_ok
from digitize.fields.text import (Segment, clean_spaces, fold, mean_conf, segments_of,
                                  trim_edges)
from ocr.types import Box, PageText

REQUIRED = ("issuer", "number", "place", "issued_date", "doc_type", "subject", "signer_title",
            "signer_name", "number_seq", "number_issuer_code")


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
            empty: list | None = [] if name in LIST_FIELDS else None
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
        number_fields(out, read_number(num_seg, label_end), num_seg, reread)
        bottom = max(bottom, num_seg.y1)

    dfound = find_date_line(right) or find_date_line(top)
    if dfound:
        dseg, m = dfound
        date_fields(out, read_date(dseg, m), reread)
        bottom = max(bottom, dseg.y1)
    else:
        # Result forms (extracts, certificates) put "<place>, ngày ..." above the signature.
        dfound = find_date_line([s for s in segs if s.cx >= sx], need_place=True)
        if dfound:
            date_fields(out, read_date(*dfound), reread)

    number_top = num_seg.y0 if num_seg else (bottom if bottom else 0.3 * H)
    lines = B.issuer_lines(segs, sx, motto, number_top)
    if lines:
        _issuer_fields(out, page, lines)

    vv = B.vv_lines(segs, num_seg, sx) if num_seg else []
    title = B.title_line(segs, bottom + 5, W)
    doc_type = B.match_doc_type(title) if title else None
    if title and doc_type:
        out["doc_type"] = seg_field("doc_type", doc_type, [title])
        _subject_under(out, segs, title, reread_text)
    elif vv:
        out["doc_type"] = seg_field("doc_type", "CÔNG VĂN", vv[:1], conf=0.9)
    elif title:
        # a result form's own title ("GIẤY PHÉP XÂY DỰNG"), and the line under it
        out["doc_type"] = seg_field("doc_type", trim_edges(clean_spaces(title.text)), [title],
                                    review=True)
        _subject_under(out, segs, title, reread_text)
    if vv and "subject" not in out:
        text = clean_spaces(" ".join(s.text for s in vv))
        text = re.sub(r"^[Vv]\s*[/|l1]\s*[Vv]\.?\s*", "V/v ", text)
        out["subject"] = seg_field("subject", text, vv)
        out["_subject_segs"] = vv
    out["_header_bottom"] = (page.page_no, (title.y1 if title else bottom))
    cross_check_symbol(out)
    if "place" in out:
        _judge_place(out)

    for s in top:
        key = B.letters_fold(s.text)
        for name, options in (("urgency", B.URGENCY), ("confidentiality", B.SECRECY)):
            for opt in options:
                if key == fold(opt) and name not in out:
                    out[name] = seg_field(name, opt, [s])


def _subject_under(out: dict, segs: list[Segment], title: Segment,
                   reread_text: RereadText | None) -> None:
    """The subject: the mixed-case lines right under the title."""
    sub = B.subject_lines(segs, title)
    if not sub:
        return
    texts, completions = completed(sub, title.cx, reread_text)
    text = clean_spaces(" ".join(texts))
    # The subject line opens with "Về việc"; OCR reads "Về" as "và"/"Vẻ" on bold type.
    text = re.sub(r"^\S+(?= việc\b)", lambda m: "Về" if fold(m.group()) in ("va", "ve")
                  else m.group(), text)
    text = re.sub(r"^Vềviệc\b", "Về việc", text)
    out["subject"] = seg_field("subject", text, sub, review=bool(completions))
    if completions:
        out["subject"].evidence += f" [{'; '.join(completions)}]"
    out["_subject_segs"] = sub


def _heading_text(text: str) -> str:
    """A header line without OCR junk: marks at its ends, tokens with no letter or digit inside
    it (a hyphen between names stays: "TÀI CHÍNH - KẾ HOẠCH"), a full stop at its end (a heading
    has none)."""
    toks = [t for t in trim_edges(clean_spaces(text)).split()
            if any(c.isalnum() for c in t) or t in ("-", "–", "—", "&")]
    if toks and len(toks[-1]) > 3 and toks[-1].endswith(".") and toks[-1][-2:-1].isalpha():
        toks[-1] = toks[-1][:-1]
    return " ".join(toks)


def _issuer_fields(out: dict, page: PageText, lines: list[Segment]) -> None:
    """Issuer (and parent body) from the header lines: junk at the line ends dropped, heading
    words judged against the heading vocabulary, the locality against the list of units."""
    texts = [_heading_text(s.text) for s in lines]
    confident = all(w.conf >= CONFIDENT_WORD for s in lines for w in s.words)
    # Lines are joined into the parent body and the issuer first, so a name broken over two
    # lines ("THÀNH PHỐ HÀ" / "NỘI") is judged whole.
    raw_parent, raw_issuer = B.split_issuer([t for t in texts if t])
    notes: list[str] = []
    unknown = False
    pieces: list[str] = []
    suggested: list[str] = []
    for piece in (raw_parent or "", raw_issuer):
        if not piece:
            pieces.append("")
            suggested.append("")
            continue
        text, known, changes = B.restore_heading(piece, confident)
        pieces.append(text)
        suggested.append(B.restore_heading(piece, False)[0])
        notes += changes
        unknown = unknown or not known
    parent, issuer = pieces
    suggestion = " ".join(t for t in suggested if t)
    ev = " / ".join(s.text for s in lines)
    doubt = _locality_doubt(issuer) or (_locality_doubt(parent) if parent else None)
    notes += [doubt[0]] if doubt else []
    original = " / ".join(texts)
    review = unknown or bool(notes)
    if parent:
        n = len(parent.split())
        pw = [w for s in lines for w in s.words][:n]
        out["issuer_parent"] = make_field("issuer_parent", parent, pw, page.page_no, ev, review)
    f = seg_field("issuer", issuer, lines, ev, review=review)
    full = " ".join(t for t in (parent, issuer) if t)
    alts = [suggestion] if suggestion != full else []
    if doubt and doubt[1]:
        name = doubt[0].split(": ", 1)[1]
        at = full.rfind(name)
        alts += [full[:at] + c + full[at + len(name):] for c in doubt[1]]
    annotate(f, notes, original if any("->" in n for n in notes) else None, alts)
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
    annotate(f, [f"unknown place: {original}" + (f"; list has {', '.join(cands[:4])}" if cands
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
        f = seg_field("signer_title", title, block, ev,
                       review=low or bool(unknown) or bool(notes),
                       conf=mean_conf([w for s in block for w in s.words])
                       * (0.9 if notes else 1.0))
        annotate(f, notes, read if notes else None, [suggestion] if unknown else [])
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
    f = make_field("signer_name", " ".join(words), nwords, page_no, ev, review)
    alts = [" ".join([c] + words[1:]) for c in surname_candidates(words[0])] if words else []
    annotate(f, [], " ".join(read) if notes else None, alts)
    out["signer_name"] = f


_BULLETS = ("-", "+", "•", "~", "–", "—", "*")  # OCR reads a dash bullet as "~" at times
_BULLET_CHARS = "".join(_BULLETS) + " "


# A line that opens with a short label and a colon ("Địa chỉ:", "Điện thoại:"): a new item of
# information, not the previous line continued.
_LABELLED = re.compile(r"^\W*[a-z]+(?:[ .]+[a-z]+){0,2}\s*:")


def _lists(out: dict, page_segs) -> None:
    """"Kính gửi:" recipients and the "Nơi nhận:" distribution list."""
    for _page, segs in page_segs:
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
                    out["recipients"] = seg_field("recipients", items, used)
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
                    out["distribution"] = seg_field("distribution", items, used)
