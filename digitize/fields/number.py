"""The document number ("Số: 04/QĐ-UBND"): sequence, type code, issuer code.

Decree 30/2020 writes a number as `<seq>/<type code>-<issuer code>`; a công văn has no type code
(`<seq>/<issuer code>[-<unit code>]`). The sequence is often handwritten into a blank on the printed
form, so it is the part most often doubtful; the symbol after the slash is printed.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from digitize.fields.text import Segment, blank_box, fix_glyphs, fold
from ocr.types import Box, Word

# Decree 30/2020 appendix III type codes (plus copies), Circular 01/2011 codes still seen on older
# documents, and a few sector codes common in provincial archives.
TYPE_CODES = (
    "NQ", "QĐ", "CT", "QC", "QyĐ", "TC", "TB", "HD", "CTr", "KH", "PA", "ĐA", "DA", "BC", "BB",
    "TTr", "HĐ", "CĐ", "BGN", "BTT", "GUQ", "GM", "GGT", "GNP", "PG", "PC", "PB", "SY", "TrS", "SL",
    # Circular 01/2011/TT-BNV and older
    "QyC", "TT", "CV", "GCN", "GP", "GXN", "GUQ", "GGT", "PG", "BGN", "NĐ", "QĐi", "HĐ", "TTLT",
    "NQLT", "BTT", "DS", "GCT",
)
_TYPE_BY_FOLD: dict[str, list[str]] = {}
for _c in TYPE_CODES:
    _TYPE_BY_FOLD.setdefault(fold(_c), [])
    if _c not in _TYPE_BY_FOLD[fold(_c)]:
        _TYPE_BY_FOLD[fold(_c)].append(_c)

# "Số", "Sô", "S6", "Sổ" ... followed by a colon: the label of the number line.
LABEL_RE = re.compile(r"(?<![a-z0-9])s[o0ô6][:;.]?\s*")
_DIGITISH = str.maketrans({"O": "0", "o": "0", "Ø": "0", "ø": "0", "l": "1", "I": "1", "|": "1",
                           "í": "1", "ì": "1"})
SYMBOL_RE = re.compile(r"^[A-Za-zĐđÐ][A-Za-z0-9ĐđÐ.]*(?:-[A-Za-z0-9ĐđÐ.]+)*$")


@dataclass
class NumberReading:
    """What the number line says. `seq_doubt` names why the sequence is doubtful ('' if sure)."""

    raw: str
    seq: str | None
    symbol: str | None
    type_code: str | None
    issuer_code: str | None
    seq_words: list[Word]
    symbol_words: list[Word]
    seq_box: Box | None
    seq_conf: float
    seq_doubt: str
    symbol_repaired: bool = False

    @property
    def value(self) -> str | None:
        if self.seq and self.symbol:
            return f"{self.seq}/{self.symbol}"
        return None


def find_number_line(segs: list[Segment]) -> tuple[Segment, int] | None:
    """The segment holding "Số:" with a slash after it, and the folded offset after the label."""
    for s in segs:
        m = LABEL_RE.match(s.folded)
        if m and "/" not in s.text:
            s = _with_rest_of_row(s, segs)
        if m and "/" in s.text:
            return s, m.end()
    return None


def _with_rest_of_row(s: Segment, segs: list[Segment]) -> Segment:
    """`s` joined with the segment right after it on the same row, when that one holds the
    slash: a text layer (or OCR) may split "Số: 542" and "/TB-UBND" into two lines."""
    for t in segs:
        overlap = min(s.y1, t.y1) - max(s.y0, t.y0)
        if (t is not s and t.x0 >= s.x1 and t.x0 - s.x1 < 3 * s.height
                and overlap > 0.5 * min(s.y1 - s.y0, t.y1 - t.y0) and "/" in t.text):
            return Segment(s.page, s.words + t.words, s.page_width, s.page_height)
    return s


def parse_symbol(text: str) -> tuple[str | None, str | None, str | None, bool]:
    """'QĐ-UBND' -> ('QĐ-UBND', 'QĐ', 'UBND', repaired). A công văn's symbol has no type code."""
    sym = re.sub(r"\s+", "", text).strip(".,;:_'\"`")
    sym = sym.replace("Ð", "Đ").replace("ð", "đ").replace("—", "-").replace("–", "-")
    sym = re.sub(r"-{2,}", "-", sym)
    if not sym or not SYMBOL_RE.match(sym):
        return None, None, None, False
    parts = sym.split("-")
    head = parts[0]
    if len(parts) >= 2:
        if head in TYPE_CODES:
            return sym, head, "-".join(parts[1:]), False
        dedup = re.sub(r"(.)\1+", r"\1", head)
        if dedup != head and dedup in TYPE_CODES:  # "QĐĐ": a letter read twice; flagged
            return "-".join([dedup] + parts[1:]), dedup, "-".join(parts[1:]), True
        cands = _TYPE_BY_FOLD.get(fold(head), [])
        # A code differing only by marks from exactly one code is that code (QD -> QĐ); HD stays
        # HD because HD and HĐ both exist (it matched exactly above).
        if len(cands) == 1 and head.isascii() and head.isalpha() and head[0].isupper():
            head = cands[0]
            return "-".join([head] + parts[1:]), head, "-".join(parts[1:]), True
    # Công văn: no type code; the whole symbol is the issuer (and unit) code.
    return sym, None, sym, False


def number_parts(number: str) -> dict:
    """The parts of a document number typed or read as one string, for `digitize set number`:

        number_parts("04/QĐ-UBND")      -> {"seq": "04", "type_code": "QĐ", "issuer_code": "UBND"}
        number_parts("299/UBND-TTHC")   -> {"seq": "299", "type_code": None,
                                            "issuer_code": "UBND-TTHC"}   # công văn
        number_parts("24/2013/NQ-HĐND") -> {"seq": "24", "type_code": "NQ", "issuer_code": "HĐND"}

    Spaces and look-alike glyphs (Ð, en dash) are tolerated; a part that cannot be read is None.
    A mark-less type code that matches exactly one code ("QD") is written the Decree's way ("QĐ").
    """
    s = fix_glyphs(number or "").strip()
    s = re.sub(r"^(?:s[oốô]\s*[:.]?\s*)", "", s, flags=re.I)  # a pasted "Số:" label
    s = re.sub(r"\s*/\s*", "/", s)
    parts = [p for p in s.split("/") if p.strip()]
    seq = None
    if parts and re.fullmatch(r"\d+", parts[0].strip()):
        seq = parts.pop(0).strip()
    if parts and re.fullmatch(r"(19|20)\d\d", parts[0].strip()) and len(parts) > 1:
        parts.pop(0)  # the year of a legal normative document: kept in the number itself
    type_code = issuer_code = None
    if parts:
        _, type_code, issuer_code, _ = parse_symbol("/".join(parts).replace("/", "-"))
    return {"seq": seq, "type_code": type_code, "issuer_code": issuer_code}


def read_number(seg: Segment, label_end: int) -> NumberReading:
    """Split the text after "Số:" into the sequence and the symbol, and judge the sequence."""
    raw = seg.text
    first = seg.word_at(label_end) if label_end < len(seg.folded) else len(seg.words)
    # The label may be glued to the number ("Số:04"): take what follows the colon in that word.
    words = seg.words[first:]
    label_word = seg.words[first] if first < len(seg.words) else None
    lead = ""
    m = LABEL_RE.match(fold(label_word.text)) if label_word is not None else None
    if label_word is not None and m:
        lead = fix_glyphs(label_word.text)[m.end():]
        words = seg.words[first + 1:]
    texts = ([lead] if lead else []) + [fix_glyphs(w.text) for w in words]
    wlist: list[Word] = ([label_word] if lead and label_word is not None else []) + list(words)
    joined = " ".join(texts)
    slash, (symbol, tcode, icode, repaired) = _symbol_slash(joined)
    if slash < 0:
        return NumberReading(raw, None, None, None, None, [], [], None, 0.0, "no slash")
    seq_text = joined[:slash]
    # Map characters back to words.
    pos = 0
    seq_words: list[Word] = []
    sym_words: list[Word] = []
    slash_at: tuple[Word, int] | None = None
    for t, w in zip(texts, wlist):
        a, b = pos, pos + len(t)
        if a < slash:
            seq_words.append(w)
        if b > slash:
            sym_words.append(w)
        if a <= slash < b:
            # offset of the slash in the word's own text (a glued label word holds more)
            slash_at = (w, slash - a + (len(w.text) - len(t) if w is label_word else 0))
        pos = b + 1
    seq, doubt, conf = _judge_seq(seq_text, seq_words, slash_word_shared=bool(
        seq_words and sym_words and seq_words[-1] is sym_words[0]))
    seq_box = _seq_box(seg, first, label_word if lead else None, slash_at)
    return NumberReading(raw, seq, symbol, tcode, icode, seq_words, sym_words, seq_box, conf,
                         doubt, repaired)


def _read_symbol(text: str) -> tuple[str | None, str | None, str | None, bool]:
    """The printed symbol right after the slash. Words after it join only where a hyphen links
    them ("QĐ- UBND") or the symbol is not whole yet; a stray mark after a space ("KTTH 9") is
    not part of it."""
    toks = text.split()
    if not toks:
        return None, None, None, False
    cur, k = toks[0], 1
    while k < len(toks) and (cur.endswith("-") or toks[k].startswith("-")
                             or not parse_symbol(cur)[0]):
        cur, k = cur + toks[k], k + 1
    got = parse_symbol(cur)
    if got[0]:
        return got
    for k in range(len(toks), 0, -1):  # as a last resort, the longest prefix that parses
        got = parse_symbol("".join(toks[:k]))
        if got[0]:
            return got
    return None, None, None, False


def _symbol_slash(joined: str) -> tuple[int, tuple[str | None, str | None, str | None, bool]]:
    """Offset of the slash the symbol follows, and the symbol read after it: the first slash
    with a readable symbol after it ("Số:/‡6 /CT-UBND": the second), else the first slash
    with no symbol (-1 if there is no slash)."""
    slashes = [i for i, ch in enumerate(joined) if ch == "/"]
    for i in slashes:
        got = _read_symbol(joined[i + 1:])
        if got[0]:
            return i, got
    return (slashes[0] if slashes else -1), (None, None, None, False)


def _judge_seq(text: str, words: list[Word], slash_word_shared: bool) -> tuple[str | None, str, float]:
    t = text.strip()
    if not t:
        return None, "missing", 0.0
    compact = re.sub(r"\s+", "", t)
    digits = compact.translate(_DIGITISH)
    conf = min((w.conf for w in words), default=0.0) / 100.0
    if not digits.isdigit():
        digits_only = re.sub(r"\D", "", digits)
        return (digits_only or None), f"not digits: {compact!r}", conf * 0.5
    if digits != compact:
        return digits, f"repaired {compact!r}", conf * 0.7
    if len(digits) > 5:
        return digits, "too long", conf * 0.5
    if slash_word_shared and conf < 1.0 and len(digits) > 1 and re.search(
            r"\d[1lI|]$", compact):
        # "157/" read as "1571/": the slash's stroke, or a mark beside it, read as a last 1 (a
        # text layer, confidence 100, is exact); a re-read of the blank settles it
        return digits, "touches the slash: the last 1 may be its stroke", conf * 0.7
    if conf < 0.92:
        return digits, f"low confidence {conf:.2f}", conf
    return digits, "", conf


def _seq_box(seg: Segment, first: int, label_word: Word | None,
             slash_at: tuple[Word, int] | None) -> Box | None:
    """Where the sequence is (or should be): the blank between "Số:" and the slash."""
    if label_word is not None:  # "Số:04": the label ends inside the word
        m = LABEL_RE.match(fold(label_word.text))
        left = (label_word, m.end() if m else 3)
    elif first > 0:
        left = (seg.words[first - 1], len(seg.words[first - 1].text))
    else:
        return None
    return blank_box(seg, left, slash_at)
