"""What an officer types, checked before anything is opened: search date bounds and dossier codes.

Each function returns the value to use or raises ValueError with a sentence that says what was
wrong; the CLI names the option and exits 2.
"""
from __future__ import annotations

import calendar
import re
import unicodedata
from datetime import date

DATE_FORMATS = "YYYY-MM-DD, DD/MM/YYYY, MM/YYYY or YYYY"

_ISO = re.compile(r"(?P<y>\d{4})-(?P<m>\d{1,2})(?:-(?P<d>\d{1,2}))?")
_DMY = re.compile(r"(?:(?P<d>\d{1,2})[/.-])?(?P<m>\d{1,2})[/.-](?P<y>\d{4})")
_YEAR = re.compile(r"(?P<y>\d{4})")


def date_bound(text: str, end: bool = False) -> str:
    """The ISO date (YYYY-MM-DD) a search bound stands for. Accepts YYYY-MM-DD, D/M/YYYY (also
    with '.' or '-'), MM/YYYY, YYYY-MM and YYYY; a month or a year is a period: its first day
    for a start bound, its last day for an end bound (`end`). Raises ValueError for anything
    else, and for dates that do not exist (2025-13-01, 31/02/2024)."""
    s = text.strip()
    m = _ISO.fullmatch(s) or _DMY.fullmatch(s) or _YEAR.fullmatch(s)
    if m is None:
        raise ValueError(f"{text!r} is not a date; use {DATE_FORMATS}")
    parts = m.groupdict()
    year = int(parts["y"])
    month = int(parts["m"]) if parts.get("m") else (12 if end else 1)
    if not 1 <= month <= 12:
        raise ValueError(f"{text!r}: there is no month {month}")
    if parts.get("d"):
        day = int(parts["d"])
    else:
        day = calendar.monthrange(year, month)[1] if end else 1
    try:
        return date(year, month, day).isoformat()
    except ValueError:
        raise ValueError(f"{text!r}: {calendar.month_name[month]} {year} has no day {day}") from None


def day(text: str) -> str:
    """The ISO date of a whole day typed as YYYY-MM-DD or D/M/YYYY (a correction's date: a
    month or a year alone is refused, not turned into its first day)."""
    s = text.strip()
    m = _ISO.fullmatch(s) or _DMY.fullmatch(s)
    if m is None or not m.group("d"):
        raise ValueError(f"{text!r} is not a day; use YYYY-MM-DD or DD/MM/YYYY")
    return date_bound(s)


# Thông tư 01/2018/TT-VPCP, Điều 19: a dossier code (mã số hồ sơ) is the receiving unit's code
# V1V2V3.Z1Z2.Y1Y2.MX1X2 (Thông tư 10/2016/TT-BTTTT: four levels, M a letter such as G for a
# ministry or H for a province), the day it was received YYMMDD and that day's sequence XXXX,
# e.g. 000.00.15.H55-250207-0001.
PORTAL_CODE = re.compile(r"(?P<unit>[0-9A-Z]{3}\.[0-9A-Z]{2}\.[0-9A-Z]{2}\.[A-Z]\d{2})"
                         r"-(?P<ymd>\d{6})-(?P<seq>\d{4})")
PORTAL_FORMAT = "V1V2V3.Z1Z2.Y1Y2.MX1X2-YYMMDD-XXXX such as 000.00.15.H55-250207-0001"


def dossier_code(code: str) -> tuple[str, str | None]:
    """(the code to store, a warning or None). The code is trimmed and NFC; an empty code or
    one holding control characters raises ValueError. A code that does not follow the national
    portal's format (Thông tư 01/2018/TT-VPCP) is kept, with a warning saying so: provinces and
    older one-stop systems number dossiers their own way."""
    clean = unicodedata.normalize("NFC", code.strip())
    if not clean:
        raise ValueError("a dossier code cannot be empty")
    if any(unicodedata.category(c) in ("Cc", "Cf", "Zl", "Zp") for c in clean):
        raise ValueError(f"{code!r} holds control characters")
    m = PORTAL_CODE.fullmatch(clean)
    if m is None:
        return clean, f"not the national portal's format {PORTAL_FORMAT}"
    ymd = m.group("ymd")
    try:
        date(2000 + int(ymd[:2]), int(ymd[2:4]), int(ymd[4:]))
    except ValueError:
        return clean, f"{ymd} is not a day (YYMMDD, the day the dossier was received)"
    return clean, None
