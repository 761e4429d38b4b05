"""Search by person in the embedded index: the records naming a person, and where.

Mixed into `EmbeddedIndex` (which owns the SQLite connection and the page store): a person's
records come from the `persons` field (the `w` keys, then the name in a row) and, as a
fallback, from the name as a phrase in the page text; a person ID's from the `p` (fields) and
`t` (printed in the text) keys. `_locate` finds the page and line that show the person.
"""
from __future__ import annotations

import json
from typing import Any, Callable

from . import textnorm as tn
from .base import LineMatch, Query
from .textnorm import word_runs


NAME_WORDS_MAX = 5  # a person's name has at most this many words (longer runs are not names)


class PersonSearch:
    """Person lookups of `EmbeddedIndex` (uses its `db` and `_page_text`)."""

    db: Any  # EmbeddedIndex's, as is _page_text(rid, page)
    _page_text: Callable[[int, int], str]

    def _name_bonus(self, units: list[tn.QueryUnit], marks: bool, rids: set[int]) -> set[int]:
        """Records (of `rids`) one of whose persons is named by a run of query words (with the
        query's marks, tone placement aside, when it has any)."""
        out: set[int] = set()
        runs = [(u.folded, u.exact) for u in units if len(u.exact) > 1 and not u.number]
        runs += [([u.folded[0] for u in r], [u.exact[0] for u in r])
                 for r in word_runs(units, as_units=True)]
        for folded, exact_words in runs:
            if len(folded) > NAME_WORDS_MAX:  # a subject or a sentence, not a name
                continue
            words = list(dict.fromkeys(folded))
            cands = set(rids) - out
            for w in words:
                if not cands:
                    break
                cands &= {r for (r,) in self.db.execute(
                    f"SELECT rid FROM keys WHERE kind='w' AND value=? AND rid IN "
                    f"({','.join(map(str, cands))})", (w,))}
            name = " ".join(exact_words)
            exact = marks and tn.has_marks(name)
            for r in cands:
                persons = self._fields(r).get("persons") or []
                if any(tn.name_matches(name, str(p), exact) for p in persons):
                    out.add(r)
        return out

    def _fields(self, rid: int) -> dict[str, Any]:
        row = self.db.execute("SELECT fields FROM records WHERE rid=?", (rid,)).fetchone()
        return json.loads(row[0] or "{}") if row else {}

    def _person_tiers(self, name: str) -> dict[int, tuple[int, int]]:
        """Records naming a person: rid -> (the name as typed with its marks, in the persons
        field). Found in the `persons` field (all its words, then the name in a row) and, as a
        fallback, as a phrase in the page text (the newest COUNT_CAP pages). "As typed" is only
        asked when the name carries marks, and read from the text for at most RANK_CAP pages."""
        from .embedded import COUNT_CAP, MASK, RANK_CAP, _q, _rid  # the file's layout
        ex = tn.exact_tokens(name, extras=False)
        fo = tn.fold_tokens(ex)
        if not fo:
            return {}
        marks = tn.has_marks(name)
        words = sorted(set(fo), key=self._df)
        sql = ("SELECT k.rid, r.fields FROM keys k JOIN records r ON r.rid = k.rid "
               "WHERE k.kind='w' AND k.value=?" + " AND EXISTS(SELECT 1 FROM keys k2 WHERE "
               "k2.kind='w' AND k2.value=? AND k2.rid=k.rid)" * (len(words) - 1))
        out: dict[int, tuple[int, int]] = {}
        for rid, fj in self.db.execute(sql, words):
            persons = [str(p) for p in json.loads(fj or "{}").get("persons") or []]
            if any(tn.name_matches(name, p, False) for p in persons):
                out[rid] = (int(marks and any(tn.name_matches(name, p, True) for p in persons)), 1)
        pages: dict[int, int] = {}  # rid -> its newest page holding the name (diacritics aside)
        for (r,) in self.db.execute("SELECT rowid FROM fo WHERE fo MATCH ? ORDER BY rowid "
                                    f"LIMIT {COUNT_CAP}", (_q(fo),)):
            pages.setdefault(_rid(r), r)
        marked = [e for e, f in zip(ex, fo) if e != f]
        check = [r for rid, r in pages.items() if marks and not out.get(rid, (0, 0))[0]]
        if marked and check:  # pages with every marked word as typed, then read for the phrase
            check = [r for (r,) in self.db.execute(
                f"SELECT rowid FROM ex WHERE ex MATCH ? AND rowid IN "
                f"({','.join(map(str, check[:RANK_CAP]))})",
                (" AND ".join(_q([t]) for t in dict.fromkeys(marked)),))]
        exact = {_rid(r) for r in check[:RANK_CAP] if marks
                 and tn.find_phrase(self._page_text(_rid(r), r & MASK), name, True)}
        for rid in pages:
            e, f = out.get(rid, (0, 0))
            out[rid] = (max(e, int(rid in exact)), f)
        return out

    def _df(self, term: str) -> int:
        row = self.db.execute("SELECT df FROM vocab WHERE term=?", (term,)).fetchone()
        return row[0] if row else 0

    def _locate(self, rid: int, q: Query, first: list[int] | None = None
                ) -> tuple[LineMatch, str] | None:
        """Where the record's text shows the person the query asks for (`person_id`, else
        `person`: as typed, then diacritics aside): the line, and a snippet marking it. Pages
        in `first` are read first, then the others in order."""
        n = self.db.execute("SELECT npages FROM records WHERE rid=?", (rid,)).fetchone()[0] or 0
        order = list(dict.fromkeys([*(first or []), *range(1, n + 1)]))
        texts: dict[int, str] = {}

        def text(p: int) -> str:  # pages are read once, and only as far as needed
            if p not in texts:
                texts[p] = self._page_text(rid, p)
            return texts[p]

        if q.person_id:
            want = tn.norm_id(q.person_id)
            for p in order:
                for m in tn.id_mentions(text(p)):
                    if m.value == want:
                        return self._line_at(text(p), p, m.line, m.start, m.end)
            return None
        for exact in ([True, False] if tn.has_marks(q.person or "") else [False]):
            for p in order:
                at = tn.find_phrase(text(p), q.person or "", exact)
                if at:
                    return self._line_at(text(p), p, *at)
        return None

    @staticmethod
    def _line_at(text: str, page: int, line: int, start: int, end: int) -> tuple[LineMatch, str]:
        raw = text.split("\n")[line - 1]
        return LineMatch(page, line, " ".join(raw.split())), tn.mark_span(raw, start, end)
