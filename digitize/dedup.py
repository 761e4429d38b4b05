"""Probable duplicates: a re-scan of a document that is already archived.

Exact duplicates (the same bytes) get the same record id and are skipped before any OCR. A
re-scan has different bytes, so it becomes a new record; it is *flagged* as a probable duplicate
of the first when both carry the same number and issue date (fields `number` and `issued_date`)
and their OCR text is nearly the same. Nothing is merged or deleted: a person decides.
"""
from __future__ import annotations

import difflib
import re
import unicodedata
from typing import Any, Callable

SIMILARITY = 0.85  # OCR of two scans of one page differs by a few per cent at most

_WORD = re.compile(r"\w+", re.UNICODE)


def _words(text: str) -> list[str]:
    return _WORD.findall(unicodedata.normalize("NFC", text).lower())


def text_similarity(a: str, b: str) -> float:
    """0..1: how alike two OCR texts are, word by word (robust to line breaks and spacing)."""
    wa, wb = _words(a), _words(b)
    if not wa and not wb:
        return 1.0
    return difflib.SequenceMatcher(None, wa, wb, autojunk=False).ratio()


def field_value(fields: dict[str, Any], name: str) -> str:
    """A field's value as a plain string ('' when absent), from Field objects or dicts."""
    f = fields.get(name)
    value = f.get("value") if isinstance(f, dict) else getattr(f, "value", None)
    return value.strip() if isinstance(value, str) else ""


def find_probable_duplicate(fields: dict[str, Any], text: str,
                            candidates: Callable[[str, str], list[str]],
                            text_of: Callable[[str], str],
                            threshold: float = SIMILARITY) -> tuple[str, float] | None:
    """The archived record this document probably re-scans, with the text similarity.

    `candidates(number, issued_date)` lists records with those field values; `text_of(id)`
    reads a record's text. Returns None when the fields are absent (no basis to judge)."""
    number, issued = field_value(fields, "number"), field_value(fields, "issued_date")
    if not number or not issued:
        return None
    best: tuple[str, float] | None = None
    for rid in candidates(number, issued):
        try:
            score = text_similarity(text, text_of(rid))
        except OSError:
            continue
        if score >= threshold and (best is None or score > best[1]):
            best = (rid, round(score, 3))
    return best
