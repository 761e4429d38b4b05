"""Lunar year names ("can chi": "Tết Nguyên đán Ất Tỵ", "Xuân Giáp Thìn"), mended by their grammar.

A year name is one of ten stems followed by one of twelve branches, and only the 60 pairs whose
stem and branch have the same parity exist. So a pair whose letters are right but whose marks the
OCR lost ("Ất Ty") is one year name only: "Ty" could be "Tý" or "Tỵ", and Ất pairs with Tỵ. The
compound list cannot do this (the words are capitalised, like names, and a dot below lost is not
a change it may undo without such proof), so this closed set does it, next to a word that says a
year is meant ("Tết", "Xuân", "năm", "Nguyên đán") at most three words before.

    mend_year_names("quà Tết Nguyên đán Ất Ty".split()) -> ["Ất Ty->Ất Tỵ"], tokens mended in place
"""
from __future__ import annotations

from digitize.fields.lexicon import EDGE_PUNCT, recase
from indexer.textnorm import fold

STEMS = (("giáp",), ("ất",), ("bính",), ("đinh",), ("mậu",), ("kỷ", "kỉ"), ("canh",), ("tân",),
         ("nhâm",), ("quý", "quí"))
BRANCHES = (("tý", "tí"), ("sửu",), ("dần",), ("mão", "mẹo"), ("thìn",), ("tỵ", "tị"), ("ngọ",),
            ("mùi",), ("thân",), ("dậu",), ("tuất",), ("hợi",))
_CUES = {"tet", "xuan", "nam", "dan"}


def _spellings(table: tuple[tuple[str, ...], ...]) -> dict[str, list[tuple[int, str]]]:
    out: dict[str, list[tuple[int, str]]] = {}
    for i, names in enumerate(table):
        for name in names:
            out.setdefault(fold(name), []).append((i, name))
    return out


_STEM, _BRANCH = _spellings(STEMS), _spellings(BRANCHES)


def year_name(stem: str, branch: str) -> tuple[str, str] | None:
    """The one lunar year name (lower case) whose letters are `stem` `branch`, or None when
    there is none or more than one."""
    fits = [(s, b) for i, s in _STEM.get(fold(stem), []) for j, b in _BRANCH.get(fold(branch), [])
            if i % 2 == j % 2]
    return fits[0] if len(fits) == 1 else None


def mend_year_names(toks: list[str], sure: list[bool] | None = None) -> list[str]:
    """Mend the marks of year names in `toks` (in place); a note per change. `sure[i]`: token i
    was read with good confidence, and is never changed."""
    notes = []
    for k in range(1, len(toks)):
        if sure is not None and (sure[k - 1] or sure[k]):
            continue
        a, b = toks[k - 1].strip(EDGE_PUNCT), toks[k].strip(EDGE_PUNCT)
        if not (a[:1].isupper() and b[:1].isupper() and a.isalpha() and b.isalpha()):
            continue
        if not any(fold(t.strip(EDGE_PUNCT)) in _CUES for t in toks[max(0, k - 4):k - 1]):
            continue
        fit = year_name(a, b)
        if fit is None:
            continue
        new_a, new_b = recase(a, fit[0]), recase(b, fit[1])
        if (new_a, new_b) != (a, b):
            toks[k - 1] = toks[k - 1].replace(a, new_a)
            toks[k] = toks[k].replace(b, new_b)
            notes.append(f"{a} {b}->{new_a} {new_b}")
    return notes
