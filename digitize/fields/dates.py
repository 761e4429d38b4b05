"""Place and date of issue: "Quảng Ngãi, ngày 05 tháng 02 năm 2025".

The day (and sometimes the month) is often handwritten into a blank. A part is trusted only when
it is clean digits read with good confidence and the whole date exists on the calendar.
"""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from digitize.fields.text import Segment, blank_box, clean_spaces, union_box
from ocr.types import Box, Word

# On the folded text: "ngay" .. "thang" .. "nam"; OCR glues words ("ngày04", "thángØ?").
# OCR misreads the keyword's last letter at times ("ngàu", "ngàv").
DATE_RE = re.compile(r"nga[yuv]\s*(?P<d>[^\s]*?)\s*thang\s*(?P<m>[^\s]*?)\s*nam\s*(?P<y>\S+)")
_DIGITISH = str.maketrans({"O": "0", "o": "0", "Ø": "0", "ø": "0", "l": "1", "I": "1", "i": "1", "|": "1"})
MIN_YEAR = 1945


@dataclass
class DatePart:
    text: str
    value: int | None
    conf: float
    doubt: str
    box: Box | None


@dataclass
class DateReading:
    segment: Segment
    place: str | None
    place_words: list[Word]
    day: DatePart
    month: DatePart
    year: DatePart

    def iso(self) -> str | None:
        y, m, d = self.year.value, self.month.value, self.day.value
        if y is None or m is None or d is None:
            return None
        try:
            return dt.date(y, m, d).isoformat()
        except ValueError:
            return None


def find_date_line(segs: list[Segment], need_place: bool = False
                   ) -> tuple[Segment, re.Match] | None:
    """The first line that reads "<place>, ngày .. tháng .. năm ..", the place being a few words
    without digits or (unless `need_place`) absent: a date inside a sentence ("Căn cứ Luật ...
    ngày 19 tháng 6 năm 2015", "Ngày, tháng, năm sinh: 13/01/2014; ghi bằng chữ: ngày 13 ...")
    is no date of issue."""
    for s in segs:
        m = DATE_RE.search(s.folded)
        if (m and _place_like(s.text[:m.start()], need_place)
                and re.match(r"[\dOoIlØ]", m.group("y"))):  # not a label "Ngày, tháng, năm sinh:"
            return s, m
    return None


def _place_like(prefix: str, need_place: bool) -> bool:
    """Is `prefix` (the text before "ngày") a place: a few words with no digit, ending with a
    comma or all capitalised?"""
    words = prefix.strip(" ,.;:").split()
    if not words:
        return not need_place
    return (len(words) <= 5 and not re.search(r"[\d/:;]", prefix)
            and (prefix.rstrip().endswith(",") or all(w[:1].isupper() for w in words)))


def _part(seg: Segment, m: re.Match, name: str, lo: int, hi: int, anchor: tuple[int, int],
          after: tuple[int, int] | None = None) -> DatePart:
    """Read one of d/m/y. `anchor` and `after` are the folded spans of the keywords around it."""
    start, end = m.span(name)
    raw = seg.folded[start:end]
    # The folded text lost marks but kept digits and symbols; take the original characters.
    words = seg.words_in(start, end) if end > start else []
    text = raw.strip(".,;:")
    conf = min((w.conf for w in words), default=0.0) / 100.0
    box = _part_box(seg, words, anchor, after)
    if not text:
        return DatePart(raw, None, 0.0, "missing", box)
    digits = text.translate(_DIGITISH)
    if not digits.isdigit():
        return DatePart(raw, None, conf * 0.5, f"not digits: {text!r}", box)
    value = int(digits)
    if not lo <= value <= hi:
        return DatePart(raw, None, conf * 0.5, f"out of range: {value}", box)
    # A word that also holds the keyword ("ngày04") was read as one blob: less sure.
    glued = any(len(w.text) > len(text) + 1 for w in words)
    doubt = ""
    if digits != text:
        doubt = f"repaired {text!r}"
    elif conf < 0.80:
        doubt = f"low confidence {conf:.2f}"
    elif glued and conf < 0.9:
        doubt = "glued to keyword"
    return DatePart(raw, value, conf, doubt, box)


def _part_box(seg: Segment, words: list[Word], anchor: tuple[int, int],
              after: tuple[int, int] | None = None) -> Box | None:
    """The blank the part was written into: from the end of its keyword (`anchor`, a folded
    span) to the start of the next keyword (`after`), wherever OCR put the word breaks."""
    if anchor[0] < 0:
        return union_box(words)
    kw_end = anchor[1] - 1
    i = seg.word_at(kw_end)
    left = (seg.words[i], kw_end + 1 - seg.starts[i])
    right = None
    if after is not None and after[0] >= 0:
        j = seg.word_at(after[0])
        right = (seg.words[j], after[0] - seg.starts[j])
    return blank_box(seg, left, right)


def read_date(seg: Segment, m: re.Match, today: dt.date | None = None) -> DateReading:
    """Place (text before ", ngày") and the three date parts of a date line."""
    today = today or dt.date.today()
    f = seg.folded
    kw_day = (m.start(), m.start() + 4)
    kw_month = (f.find("thang", m.start()), f.find("thang", m.start()) + 5)
    kw_year = (f.find("nam", kw_month[1]), f.find("nam", kw_month[1]) + 3)
    day = _part(seg, m, "d", 1, 31, kw_day, kw_month)
    month = _part(seg, m, "m", 1, 12, kw_month, kw_year)
    year = _part(seg, m, "y", MIN_YEAR, today.year + 1, kw_year)
    place_words: list[Word] = []
    place = None
    if m.start() > 0:
        i = seg.word_at(m.start())
        place_words = seg.words[:i]
        if place_words:
            place = clean_spaces(" ".join(w.text for w in place_words)).rstrip(",.; ")
    return DateReading(seg, place or None, place_words, day, month, year)
