"""Embedded search backend: one SQLite file with an FTS5 index, no server.

Layout (one row per page in the full-text index):

* ``fo``      contentless FTS5 table (detail=full: phrases) of the folded tokens of each page,
              rowid = ``rid << SHIFT | page``.
* ``ex``      contentless FTS5 table (detail=none: membership only, small) of the page's exact
              tokens that carry marks (NFC, canonical tones, lower-case); used to rank.
* ``pages``   the page text, stored once, zlib with a preset Vietnamese dictionary (kept in
              ``meta`` so the file stays readable if the built-in one changes).
* ``records`` one row per record: title, filter columns, fields as JSON.
* ``keys``    (kind, value, rid) for list filters: d = dossier, p = person ID, w = person word.
* ``vocab``   folded alphabetic terms, for edit-distance-1 ("OCR typo") expansion.

Matching is on the folded tokens (recall); ranking is bm25 on them plus EXACT_BONUS for each
query unit the page also has with the query's diacritics, so "Hòa" ranks "Hòa" above "Hóa".
Queries matching very many pages are counted up to COUNT_CAP pages and ranked over the newest
RANK_CAP (`SearchResult.total_exact` is False then), which keeps latency flat at any size. Fuzzy variants are only tried when the strict query finds fewer
than ``fuzzy_below`` records; the fuzzy-only records are then listed after the strict ones.
Deleting rows of a contentless table needs the tokens indexed, recomputed from the stored text
by `textnorm`: when `textnorm.NORM_VERSION` changes, the index must be rebuilt (`clear()`).
"""
from __future__ import annotations

import json
import sqlite3
import zlib
from pathlib import Path
from typing import Any, Iterable

from rapidfuzz import process
from rapidfuzz.distance import OSA

from . import textnorm as tn
from .base import Hit, IndexDoc, Query, SearchResult

SHIFT = 12  # rowid = rid << SHIFT | page: up to 4095 pages per record, small rowid deltas
MASK = (1 << SHIFT) - 1
EXACT_BONUS = 10.0  # added per query unit matched with its diacritics: beats any bm25 gap
COUNT_CAP = 10_000  # matching pages counted per query (total beyond it is a lower bound)
RANK_CAP = 500  # newest matching pages scored per query
PER_RECORD_MAX = 300  # filters selecting at most this many records are searched per record
# Preset zlib dictionary: common administrative wording, so short pages compress well.
ZDICT = (
    "của các và cho với được trong theo về việc này đã có không những người năm tháng ngày "
    "thực hiện công tác cải cách hành chính chuyển đổi số dịch vụ công trực tuyến thủ tục hồ sơ "
    "giải quyết tiếp nhận trả kết quả quyền sử dụng đất đăng ký đất đai giấy chứng nhận "
    "tài nguyên và môi trường kế hoạch đầu tư xây dựng nông thôn mới phát triển kinh tế - xã hội "
    "Căn cứ Luật Tổ chức chính quyền địa phương; Xét đề nghị của Giám đốc Sở Chánh Văn phòng "
    "Chủ tịch Phó Chủ tịch Ủy ban nhân dân tỉnh huyện xã phường thị trấn thành phố Nơi nhận: "
    "Như Điều 3; Lưu: VT. QUYẾT ĐỊNH: Điều 1. Điều 2. Quyết định này có hiệu lực kể từ ngày ký. "
    "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM Độc lập - Tự do - Hạnh phúc ỦY BAN NHÂN DÂN Số: /QĐ-UBND "
    "ông bà Nguyễn Trần Lê Phạm Hoàng Văn Thị số định danh cá nhân thường trú tại "
)
_SCHEMA = f"""
CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT);
CREATE TABLE IF NOT EXISTS records(
  rid INTEGER PRIMARY KEY, record_id TEXT UNIQUE NOT NULL, title TEXT, doc_type_f TEXT,
  issuer_f TEXT, number_n TEXT, issued TEXT, fields TEXT, ingested_at TEXT, npages INTEGER);
CREATE INDEX IF NOT EXISTS records_issued ON records(issued);
CREATE INDEX IF NOT EXISTS records_number ON records(number_n);
CREATE INDEX IF NOT EXISTS records_type ON records(doc_type_f);
CREATE TABLE IF NOT EXISTS keys(kind TEXT, value TEXT, rid INTEGER,
  PRIMARY KEY(kind, value, rid)) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS keys_rid ON keys(rid);
CREATE TABLE IF NOT EXISTS pages(id INTEGER PRIMARY KEY, textz BLOB);
CREATE TABLE IF NOT EXISTS vocab(term TEXT PRIMARY KEY) WITHOUT ROWID;
CREATE VIRTUAL TABLE IF NOT EXISTS fo USING fts5(t, content='', detail=full,
  tokenize="unicode61 remove_diacritics 0");
CREATE VIRTUAL TABLE IF NOT EXISTS ex USING fts5(t, content='', detail=none,
  tokenize="unicode61 remove_diacritics 0");
"""


def _q(tokens: list[str]) -> str:
    return '"' + " ".join(tokens).replace('"', "") + '"'


class EmbeddedIndex:
    """SearchBackend on SQLite FTS5 in a single local file (WAL mode)."""

    def __init__(self, path: Path, fuzzy_below: int = 20) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.fuzzy_below = fuzzy_below
        self.db = sqlite3.connect(str(self.path), isolation_level=None, check_same_thread=False)
        try:
            self.db.execute("CREATE VIRTUAL TABLE temp.fts5_probe USING fts5(x)")
            self.db.execute("DROP TABLE temp.fts5_probe")
        except sqlite3.OperationalError as e:  # pragma: no cover - depends on the Python build
            raise RuntimeError("this Python's SQLite lacks FTS5; use the 'es' backend") from e
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=NORMAL")
        self.db.execute("PRAGMA cache_size=-65536")
        self.db.executescript(_SCHEMA)
        row = self.db.execute("SELECT value FROM meta WHERE key='norm_version'").fetchone()
        if row is None:
            self._stamp()
        elif row[0] != str(tn.NORM_VERSION):
            raise RuntimeError(f"{self.path} was built with another text normalisation; "
                               "rebuild it (clear() and re-index)")
        self._zdict = self.db.execute("SELECT value FROM meta WHERE key='zdict'").fetchone()[0]
        self._zdict = self._zdict.encode()
        self._vocab: list[str] | None = None
        self._vocab_set: set[str] = set()
        self._data_version = -1

    def _stamp(self) -> None:
        self.db.executemany("INSERT OR REPLACE INTO meta VALUES(?, ?)",
                            [("norm_version", str(tn.NORM_VERSION)), ("zdict", ZDICT)])
        self._zdict = ZDICT.encode()

    def _zip(self, text: str) -> bytes:
        c = zlib.compressobj(6, zdict=self._zdict)
        return c.compress(text.encode()) + c.flush()

    def _unzip(self, blob: bytes) -> str:
        d = zlib.decompressobj(zdict=self._zdict)
        return (d.decompress(blob) + d.flush()).decode()

    @staticmethod
    def _terms(text: str) -> tuple[str, str]:
        """(folded token string for `fo`, distinct marked exact tokens for `ex`) of a page."""
        ex = tn.exact_tokens(text)
        fo = tn.fold_tokens(ex)
        marked = dict.fromkeys(e for e, f in zip(ex, fo) if e != f)
        return " ".join(fo), " ".join(marked)

    # ---- writing -------------------------------------------------------------------------
    def upsert(self, docs: Iterable[IndexDoc]) -> None:
        """Index records, replacing any earlier version of each; one transaction per call."""
        db = self.db
        new_terms: set[str] = set()
        db.execute("BEGIN IMMEDIATE")
        try:
            for doc in docs:
                rid = self._drop(doc.record_id, keep_row=True)
                f = doc.fields or {}
                row = (doc.record_id, tn.nfc(doc.title or ""), tn.fold(str(f.get("doc_type") or "")),
                       " ".join(tn.folded_tokens(str(f.get("issuer") or ""), extras=False)),
                       tn.norm_number(str(f.get("number") or "")), str(f.get("issued_date") or ""),
                       json.dumps(f, ensure_ascii=False, default=str), doc.ingested_at,
                       len(doc.pages))
                if rid is None:
                    rid = db.execute(
                        "INSERT INTO records(record_id,title,doc_type_f,issuer_f,number_n,issued,"
                        "fields,ingested_at,npages) VALUES(?,?,?,?,?,?,?,?,?)", row).lastrowid
                else:
                    db.execute("UPDATE records SET record_id=?,title=?,doc_type_f=?,issuer_f=?,"
                               "number_n=?,issued=?,fields=?,ingested_at=?,npages=? WHERE rid=?",
                               (*row, rid))
                keys = {("d", tn.norm_number(str(d))) for d in f.get("dossiers") or []}
                keys |= {("p", tn.norm_id(str(p))) for p in f.get("person_ids") or []}
                keys |= {("w", w) for p in f.get("persons") or []
                         for w in tn.folded_tokens(str(p), extras=False)}
                db.executemany("INSERT OR IGNORE INTO keys VALUES(?,?,?)",
                               [(k, v, rid) for k, v in keys if v])
                prow, frow, erow = [], [], []
                for p in doc.pages:
                    text = tn.nfc(p.text)
                    if not 0 < p.page <= MASK:
                        raise ValueError(f"{doc.record_id}: page {p.page} outside 1..{MASK}")
                    fo, ex = self._terms(text)
                    pid = (rid << SHIFT) | p.page
                    prow.append((pid, self._zip(text)))
                    frow.append((pid, fo))
                    erow.append((pid, ex))
                    new_terms.update(t for t in fo.split() if t.isalpha() and t not in self._vocab_set)
                db.executemany("INSERT OR REPLACE INTO pages VALUES(?,?)", prow)
                db.executemany("INSERT INTO fo(rowid, t) VALUES(?,?)", frow)
                db.executemany("INSERT INTO ex(rowid, t) VALUES(?,?)", erow)
            if new_terms:
                db.executemany("INSERT OR IGNORE INTO vocab VALUES(?)", [(t,) for t in new_terms])
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise
        self._vocab_set |= new_terms
        self._vocab = None

    def _drop(self, record_id: str, keep_row: bool = False) -> int | None:
        """Remove a record's pages and keys (inside the caller's transaction); returns its rid."""
        row = self.db.execute("SELECT rid FROM records WHERE record_id=?", (record_id,)).fetchone()
        if row is None:
            return None
        rid = row[0]
        lo, hi = rid << SHIFT, (rid + 1) << SHIFT
        for pid, blob in self.db.execute("SELECT id, textz FROM pages WHERE id>=? AND id<?",
                                         (lo, hi)).fetchall():
            fo, ex = self._terms(self._unzip(blob))
            self.db.execute("INSERT INTO fo(fo, rowid, t) VALUES('delete', ?, ?)", (pid, fo))
            self.db.execute("INSERT INTO ex(ex, rowid, t) VALUES('delete', ?, ?)", (pid, ex))
        self.db.execute("DELETE FROM pages WHERE id>=? AND id<?", (lo, hi))
        self.db.execute("DELETE FROM keys WHERE rid=?", (rid,))
        if not keep_row:
            self.db.execute("DELETE FROM records WHERE rid=?", (rid,))
        return rid

    def delete(self, record_ids: Iterable[str]) -> None:
        """Remove records (unknown ids are ignored)."""
        self.db.execute("BEGIN IMMEDIATE")
        try:
            for r in record_ids:
                self._drop(r)
            self.db.execute("COMMIT")
        except BaseException:
            self.db.execute("ROLLBACK")
            raise

    def record_ids(self) -> set[str]:
        return {r for (r,) in self.db.execute("SELECT record_id FROM records")}

    def clear(self) -> None:
        """Drop everything, including the normalisation stamp (use after a textnorm change)."""
        self.db.executescript("BEGIN; DROP TABLE IF EXISTS fo; DROP TABLE IF EXISTS ex;"
                              "DELETE FROM records;"
                              "DELETE FROM keys; DELETE FROM pages; DELETE FROM vocab;"
                              "DELETE FROM meta; COMMIT;")
        self.db.executescript(_SCHEMA)
        self._stamp()
        self._vocab, self._vocab_set = None, set()

    def optimize(self) -> None:
        """Merge FTS5 segments (after a bulk load; makes queries faster)."""
        self.db.execute("INSERT INTO fo(fo) VALUES('optimize')")
        self.db.execute("INSERT INTO ex(ex) VALUES('optimize')")

    def close(self) -> None:
        self.db.close()

    # ---- reading -------------------------------------------------------------------------
    def _fuzzy(self, term: str) -> list[str]:
        dv = self.db.execute("PRAGMA data_version").fetchone()[0]
        if self._vocab is None or dv != self._data_version:
            self._vocab = [t for (t,) in self.db.execute("SELECT term FROM vocab")]
            self._vocab_set = set(self._vocab)
            self._data_version = dv
        found = process.extract(term, self._vocab, scorer=OSA.distance, score_cutoff=1,
                                limit=10)
        return [t for t, d, _ in found if t != term]

    def _match(self, units: list[tn.QueryUnit], fuzzy: bool) -> str:
        """FTS5 expression on the folded table: every unit, any of its forms."""
        parts = []
        for u in units:
            alts = [_q(u.folded)] + [_q(a) for a in u.alts]
            if fuzzy and u.fuzzy:
                alts += [_q([v]) for v in self._fuzzy(u.folded[0])]
            parts.append("(" + " OR ".join(alts) + ")")
        return " AND ".join(parts)

    def _rows(self, sql: str, args: list[Any], rids: list[int] | None) -> list[tuple]:
        """Run `sql` (with a `{rng}` slot for rowid bounds) on the whole index, or once per
        filtered record (a selective filter then costs a few rowid-range lookups)."""
        if rids is None:
            return self.db.execute(sql.format(rng=""), args).fetchall()
        out: list[tuple] = []
        for rid in rids:
            rng = f" AND rowid >= {rid << SHIFT} AND rowid < {(rid + 1) << SHIFT}"
            out += self.db.execute(sql.format(rng=rng), args).fetchall()
        return sorted(out, reverse=True)

    def _rank(self, units: list[tn.QueryUnit], marks: bool, fuzzy: bool, filt: str,
              fargs: list[Any], rids: list[int] | None) -> tuple[dict[int, list], bool]:
        """Matching records -> [score, {page: score}] in rank order; and whether counted fully.

        The newest COUNT_CAP matching pages are counted, the newest RANK_CAP ranked (bm25 on
        the folded text plus EXACT_BONUS per query unit also matched with its diacritics);
        records beyond the ranked window follow, newest first, with score 0.
        """
        match = self._match(units, fuzzy)
        sql = f"SELECT rowid FROM fo WHERE fo MATCH ?{filt}{{rng}} ORDER BY rowid {{o}} LIMIT {COUNT_CAP}"
        # ascending is cheap in FTS5; only a capped (very broad) match needs the newest window
        cand = [r for (r,) in self._rows(sql.replace("{o}", "ASC"), [match, *fargs], rids)]
        if len(cand) >= COUNT_CAP:
            cand = [r for (r,) in self._rows(sql.replace("{o}", "DESC"), [match, *fargs], rids)]
        cand = sorted(cand, reverse=True)[:COUNT_CAP]
        if not cand:
            return {}, True
        lo = f" AND rowid >= {cand[min(len(cand), RANK_CAP) - 1]}"
        scores = {r: -s for r, s in self._rows(
            f"SELECT rowid, bm25(fo) FROM fo WHERE fo MATCH ?{lo}{{rng}}", [match], rids)}
        if marks:
            for u in units:
                if u.number or u.exact == u.folded:
                    continue
                for (r,) in self._rows(f"SELECT rowid FROM ex WHERE ex MATCH ?{lo}{{rng}}",
                                       [" AND ".join(_q([t]) for t in u.exact)], rids):
                    if r in scores:
                        scores[r] += EXACT_BONUS
        recs: dict[int, list] = {}
        for r in cand:
            rec = recs.setdefault(r >> SHIFT, [0.0, {}])
            sc = scores.get(r, 0.0)
            rec[1][r & MASK] = sc
            rec[0] = max(rec[0], sc)
        order = sorted(recs.items(), key=lambda kv: (-kv[1][0], -kv[0]))
        return dict(order), len(cand) < COUNT_CAP

    def _filters(self, q: Query) -> tuple[str, list[Any]]:
        conds, args = [], []
        if q.doc_type:
            conds.append("r.doc_type_f = ?"); args.append(tn.fold(q.doc_type))
        if q.issuer:
            conds.append("(' ' || r.issuer_f || ' ') LIKE ?")
            args.append("% " + " ".join(tn.folded_tokens(q.issuer, extras=False)) + " %")
        if q.number:
            conds.append("r.number_n = ?"); args.append(tn.norm_number(q.number))
        if q.date_from:
            conds.append("r.issued >= ?"); args.append(q.date_from)
        if q.date_to:
            conds.append("r.issued <= ?"); args.append(q.date_to + "\uffff")
        keys = []
        if q.dossier:
            keys.append(("d", tn.norm_number(q.dossier)))
        if q.person_id:
            keys.append(("p", tn.norm_id(q.person_id)))
        if q.person:
            keys += [("w", w) for w in tn.folded_tokens(q.person, extras=False)]
        for k, v in keys:
            conds.append("r.rid IN (SELECT rid FROM keys WHERE kind=? AND value=?)")
            args += [k, v]
        return " AND ".join(conds), args

    def _hit(self, row: tuple, score: float, pages: list[int], snippet: str) -> Hit:
        return Hit(record_id=row[0], score=score, title=row[1], pages=pages, snippet=snippet,
                   fields=json.loads(row[2] or "{}"))

    def _page_text(self, pid: int) -> str:
        row = self.db.execute("SELECT textz FROM pages WHERE id=?", (pid,)).fetchone()
        return self._unzip(row[0]) if row else ""

    def search(self, query: Query) -> SearchResult:
        """Run a query; see the module doc for matching and ranking rules."""
        units, marks = tn.query_units(query.text or "")
        where, args = self._filters(query)
        if not units:
            return self._list(query, where, args)
        filt, rids = "", None
        if where:
            found = [r for (r,) in self.db.execute(
                f"SELECT rid FROM records r WHERE {where} LIMIT {PER_RECORD_MAX + 1}", args)]
            if len(found) <= PER_RECORD_MAX:
                rids = found
            else:
                filt = f" AND (rowid >> {SHIFT}) IN (SELECT rid FROM records r WHERE {where})"
        fargs = args if filt else []
        recs, exact = self._rank(units, marks, False, filt, fargs, rids)
        fuzzy_terms: set[str] = set()
        if len(recs) < self.fuzzy_below and any(u.fuzzy for u in units):
            more, exact2 = self._rank(units, marks, True, filt, fargs, rids)
            new = {k: v for k, v in more.items() if k not in recs}
            if new:
                recs.update(new)
                exact = exact and exact2
                fuzzy_terms = {v for u in units if u.fuzzy for v in self._fuzzy(u.folded[0])}
        page = list(recs.items())[query.offset:query.offset + query.limit]
        ex_terms = {t for u in units for t in u.exact}
        fo_terms = {t for u in units for t in u.folded + [x for a in u.alts for x in a]}
        hits = []
        for rid, (score, pages) in page:
            rec = self.db.execute("SELECT record_id, title, fields FROM records WHERE rid=?",
                                  (rid,)).fetchone()
            best = sorted(pages, key=lambda p: (-pages[p], p))
            snip = tn.snippet(self._page_text((rid << SHIFT) | best[0]), ex_terms,
                            fo_terms | fuzzy_terms)
            hits.append(self._hit(rec, score, best, snip))
        facets = {}
        if query.facets:
            facets = self._facets(",".join(str(r) for r in recs) or "NULL")
        return SearchResult(hits=hits, total=len(recs), facets=facets, total_exact=exact)

    def _list(self, q: Query, where: str, args: list[Any]) -> SearchResult:
        """Filter-only query: matching records, newest issued_date first."""
        w = f"WHERE {where}" if where else ""
        total = self.db.execute(f"SELECT count(*) FROM records r {w}", args).fetchone()[0]
        rows = self.db.execute(
            f"SELECT r.rid, r.record_id, r.title, r.fields FROM records r {w} "
            "ORDER BY r.issued DESC, r.rid DESC LIMIT ? OFFSET ?",
            [*args, q.limit, q.offset]).fetchall()
        hits = []
        for rid, *rec in rows:
            text = self._page_text((rid << SHIFT) | 1)
            hits.append(self._hit(tuple(rec), 0.0, [], " ".join(text.split()[:24])))
        facets = self._facets(f"SELECT rid FROM records r {w}", args) if q.facets else {}
        return SearchResult(hits=hits, total=total, facets=facets)

    def _facets(self, rid_sql: str, args: list[Any] | None = None) -> dict[str, dict[str, int]]:
        """Counts of matching records by doc_type, issuer and year of issued_date."""
        out: dict[str, dict[str, int]] = {"doc_type": {}, "issuer": {}, "year": {}}
        sql = (f"SELECT json_extract(fields,'$.doc_type'), json_extract(fields,'$.issuer'), "
               f"substr(issued,1,4) FROM records WHERE rid IN ({rid_sql})")
        for dt, iss, year in self.db.execute(sql, args or []):
            for name, v in (("doc_type", dt), ("issuer", iss), ("year", year)):
                if v:
                    out[name][v] = out[name].get(v, 0) + 1
        return out
