"""Vietnam's administrative units (provinces, districts, communes), before and after the 2025
reorganisation, to check place names read off a page.

The names come from the `vietnamadminunits` package (MIT), whose SQLite dataset carries both the
63-province list with districts and communes (table `admin_units_legacy`) and the 34-province list
of 1 July 2025 with wards and communes (table `admin_units`). Only its data file is read (with the
standard library's sqlite3): importing the package itself would load its geocoding stack.

A name is *known* when it is spelled as a unit of either list (case and tone *placement* aside:
"Khánh Hoà" = "Khánh Hòa"); a different tone mark is a different name ("Thanh Hóa" is known,
"Thanh Hòa" is not). The list is used to flag doubtful names and to rank candidates for a reading
OCR was unsure of, never to overwrite a confident reading.

    is_known("Thanh Hóa")            -> True
    candidates("Thanh Hoa")          -> ["Thanh Hóa"]       # marks lost: one unit has them
    candidates("Khanh Hoa")          -> ["Khánh Hòa"]
"""
from __future__ import annotations

import importlib.util
import re
import sqlite3
from functools import lru_cache
from pathlib import Path

from rapidfuzz.distance import Levenshtein

from indexer.textnorm import canonical_tones, fold, nfc

LEVELS = ("province", "district", "commune")
# Unit words that open a unit's full name, longest first ("thị xã" before "xã").
_UNIT_WORDS = ("thành phố", "thị trấn", "thị xã", "đặc khu", "tỉnh", "huyện", "quận", "phường",
               "xã", "tp.", "tp", "tx.", "tx")
# Matched with their marks: "Tịnh Phong" is a commune, not the unit word "tỉnh" and "Phong".
_UNIT_RE = re.compile(r"^(?:" + "|".join(re.escape(u) for u in _UNIT_WORDS) + r")\s+")


def _dataset() -> Path | None:
    spec = importlib.util.find_spec("vietnamadminunits")
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(list(spec.submodule_search_locations)[0]) / "data" / "dataset.db"
    return path if path.exists() else None


def key(name: str) -> str:
    """Comparison key: NFC, canonical tone placement, lower case, hyphens and spaces collapsed."""
    return " ".join(canonical_tones(nfc(name)).lower().replace("-", " ").split())


def bare(name: str) -> str:
    """`name` without a leading unit word: "Tỉnh Thanh Hóa" -> "Thanh Hóa", "TP. Huế" -> "Huế"."""
    name = " ".join(name.split())
    m = _UNIT_RE.match(canonical_tones(nfc(name)).lower())
    return name[m.end():] if m else name


@lru_cache(maxsize=1)
def _names() -> dict[str, dict[str, set[str]]]:
    """level -> comparison key -> spellings (bare names, both eras)."""
    out: dict[str, dict[str, set[str]]] = {lv: {} for lv in LEVELS}
    db = _dataset()
    if db is None:
        return out
    queries = (("province", "SELECT DISTINCT province FROM admin_units"),
               ("commune", "SELECT DISTINCT ward FROM admin_units"),
               ("province", "SELECT DISTINCT province FROM admin_units_legacy"),
               ("district", "SELECT DISTINCT district FROM admin_units_legacy"),
               ("commune", "SELECT DISTINCT ward FROM admin_units_legacy"))
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as conn:
        for level, sql in queries:
            for (full,) in conn.execute(sql):
                if not full:
                    continue
                name = bare(nfc(full))
                out[level].setdefault(key(name), set()).add(name)
    return out


@lru_cache(maxsize=1)
def _by_fold() -> dict[str, dict[str, set[str]]]:
    """level -> folded name -> spellings."""
    out: dict[str, dict[str, set[str]]] = {}
    for level, table in _names().items():
        fl = out.setdefault(level, {})
        for spellings in table.values():
            for s in spellings:
                fl.setdefault(fold(key(s)), set()).add(s)
    return out


def available() -> bool:
    """Is the list of units installed?"""
    return any(_names().values())


def is_known(name: str, levels: tuple[str, ...] = LEVELS) -> bool:
    """Is `name` (with or without its unit word) spelled as a unit of the given levels?"""
    k = key(bare(name))
    return any(k in _names()[lv] for lv in levels)


def province_names() -> list[str]:
    """Every province (and centrally governed city) name, both eras, bare."""
    return sorted({s for v in _names()["province"].values() for s in v})


def candidates(name: str, levels: tuple[str, ...] = LEVELS, max_dist: int = 2) -> list[str]:
    """Known names `name` may be a misreading of, nearest first: the same letters with other
    marks first, then names within `max_dist` letter edits of its folded form (only for names
    longer than six letters, where two edits still leave the name recognisable)."""
    f = fold(key(bare(name)))
    if not f:
        return []
    scored: dict[str, int] = {}
    for lv in levels:
        table = _by_fold().get(lv, {})
        for s in table.get(f, ()):
            scored[s] = 0
        if max_dist and len(f) > 6:
            for other, spellings in table.items():
                if abs(len(other) - len(f)) > max_dist:
                    continue
                d = Levenshtein.distance(f, other, score_cutoff=max_dist)
                if 0 < d <= max_dist:
                    for s in spellings:
                        scored[s] = min(scored.get(s, d), d)
    k = key(bare(name))
    return sorted((s for s in scored if key(s) != k), key=lambda s: (scored[s], s))


def district_names() -> list[str]:
    """Every district name of the 63-province list (districts were dissolved in 2025), bare."""
    return sorted({s for v in _names()["district"].values() for s in v})
