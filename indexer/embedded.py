"""Embedded search backend: one SQLite file with an FTS5 index, no server.

Layout (one row per page in the full-text index):

* ``fo``      contentless FTS5 table (detail=full: phrases) of the folded tokens of each page,
              rowid = ``(TOP - rid) << SHIFT | page``: newest records first in rowid order.
* ``ex``      contentless FTS5 table (detail=none: membership only, small) of the page's exact
              tokens that carry marks (NFC, canonical tones, lower-case); used to rank.
* ``pages``   the page text (key ``rid << SHIFT | page``), stored once, zlib with a preset
              Vietnamese dictionary (kept in ``meta`` so the file stays readable if the
              built-in one changes).
* ``records`` one row per record: title, filter columns, fields as JSON.
* ``keys``    (kind, value, rid) for list filters: d = dossier, p = person ID (fields),
              t = person ID printed in the text (`textnorm.id_mentions`), w = person word.
* ``vocab``   folded alphabetic terms with the number of pages holding them, for
              edit-distance-1 ("OCR typo") expansion.

Matching is on the folded tokens (recall). Ranking looks at the newest RANK_CAP matching pages only
and scores them with bonuses, not bm25 (FTS5's bm25 counts every page holding each query term on
each query: linear in the archive): EXACT_BONUS per query unit the page also has with the query's
diacritics ("Hòa" above "Hóa"), PHRASE_BONUS per pair of neighbouring query words that are
neighbours on the page (read from the text when at most PAIR_WINDOW pages match: a selective query,
where the order of the first few hits matters most), FIELD_BONUS when the query names the record's
own document number or person ID, NAME_BONUS when a run of query words is the name of one of the
record's persons (with the query's marks when it has any); ties go to the newest record. Matching
pages beyond the window are counted up to COUNT_CAP (`SearchResult.total_exact` is False beyond) and
listed newest first. So a query costs about the same at any archive size. Fuzzy variants are only
tried when the strict query finds fewer than ``fuzzy_below`` records, none of them a record whose
own document number or person ID the query names; the fuzzy-only records are then listed after the
strict ones.
Search by person (`embedded_people`): `person_id` selects records by the ``p`` and ``t`` keys,
newest issued date first, then newest ingest; `person` by the ``persons`` field, with the name as
a phrase of the page text as fallback, the name as typed (when it carries marks) first, then
holders named in the fields, then text mentions. Each hit says the page and line that matched.

Deleting rows of a contentless table needs the tokens indexed, recomputed from the stored text
by `textnorm`: a file stamped with another `textnorm.NORM_VERSION` or SCHEMA_VERSION raises
`IndexOutdated` on use until `clear()` and a re-index.
"""
from __future__ import annotations

import json
import sqlite3
import time
import zlib
from collections import Counter
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Iterable

from . import textnorm as tn
from .base import (BackendUnavailable, Hit, IndexDoc, IndexOutdated, LineMatch, Query,
                   SearchResult)
from .embedded_people import PersonSearch
from .textnorm import word_runs

SHIFT = 12  # up to 4095 pages per record, small rowid deltas
MASK = (1 << SHIFT) - 1
TOP = (1 << 40) - 1  # rowid = (TOP - rid) << SHIFT | page: the newest record has the lowest rowids
SCHEMA_VERSION = 3  # layout of this file's tables; a different one means: rebuild (3: t keys)
EXACT_BONUS = 10.0  # added per query unit the page also has with the query's diacritics
PHRASE_BONUS = 5.0  # added per pair of neighbouring query words that are neighbours on the page
EXACT_PAIR_BONUS = 5.0  # ... and again where they are neighbours with the query's diacritics
NAME_BONUS = 10.0  # a run of query words is the name of one of the record's persons (fields)
FIELD_BONUS = 10.0  # the record's own document number / person ID is in the query
COUNT_CAP = 2_000  # matching pages counted per query (total beyond it is a lower bound)
RANK_CAP = 300  # newest matching pages scored per query
PAIR_WINDOW = 24  # word adjacency (PHRASE_BONUS) is read from the text of at most this many pages
PHRASE_READ = 16  # in a larger window, the best pages read for the query's phrases
PER_RECORD_MAX = 300  # filters selecting at most this many records are searched per record
FUZZY_MAX = 8  # edit-distance-1 variants of a query word tried: this many common, this many rare
FUZZY_RARE_DF = 3  # a variant on at most this many pages is likely OCR damage of the word,
FUZZY_RATIO = 50  # ... as is one on 50 times fewer pages than the word
_LETTERS = "abcdefghijklmnopqrstuvwxyz"
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
_TABLES = ("meta", "records", "keys", "pages", "vocab", "fo", "ex")
_SCHEMA = """
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
CREATE TABLE IF NOT EXISTS vocab(term TEXT PRIMARY KEY, df INTEGER NOT NULL) WITHOUT ROWID;
CREATE VIRTUAL TABLE IF NOT EXISTS fo USING fts5(t, content='', detail=full,
  tokenize="unicode61 remove_diacritics 0");
CREATE VIRTUAL TABLE IF NOT EXISTS ex USING fts5(t, content='', detail=none,
  tokenize="unicode61 remove_diacritics 0");
"""


def _pid(rid: int, page: int) -> int:
    """A page's rowid in the full-text tables: newest records first in rowid order, the order
    FTS5 reads fastest (a descending scan loads every common term's whole doclist). The `pages`
    table keys pages by ``rid << SHIFT | page`` instead: B-trees fill best appended to."""
    return ((TOP - rid) << SHIFT) | page


def _rid(pid: int) -> int:
    return TOP - (pid >> SHIFT)


def _q(tokens: list[str]) -> str:
    return '"' + " ".join(tokens).replace('"', "") + '"'


def _contains(toks: list[str], phrase: list[str]) -> bool:
    """True if `phrase` stands in `toks` as a contiguous sequence."""
    n = len(phrase)
    return any(toks[i:i + n] == phrase for i in range(len(toks) - n + 1)
               if toks[i] == phrase[0])


def _edits1(w: str) -> set[str]:
    """Every string at OSA distance 1 from a folded word (a-z): the OCR typos of it."""
    split = [(w[:i], w[i:]) for i in range(len(w) + 1)]
    out = {a + b[1:] for a, b in split if b}
    out |= {a + b[1] + b[0] + b[2:] for a, b in split if len(b) > 1}
    out |= {a + c + b[1:] for a, b in split if b for c in _LETTERS}
    out |= {a + c + b for a, b in split for c in _LETTERS}
    return out


@dataclass
class _Pass:
    """One matching pass: ranked records (rid -> [score, {page: score}], best first), then the
    ids of further matching records newest first (`tail`, read only when needed)."""

    ranked: dict[int, list] = field(default_factory=dict)
    tail: list[int] = field(default_factory=list)
    tail_count: int = 0
    pages: int = 0
    exact: bool = True
    named: bool = False  # a ranked record's own document number / person ID is in the query

    @property
    def total(self) -> int:
        return len(self.ranked) + self.tail_count


class EmbeddedIndex(PersonSearch):
    """SearchBackend on SQLite FTS5 in a single local file (WAL mode).

    Opening never fails on an index built by another version: `search`, `upsert`, `delete`
    and `record_ids` raise `IndexOutdated` until `clear()` (then a re-index) renews it."""

    def __init__(self, path: Path, fuzzy_below: int = 20) -> None:
        self.path = Path(path)
        self.fuzzy_below = fuzzy_below
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self.db = sqlite3.connect(str(self.path), isolation_level=None,
                                      check_same_thread=False, timeout=30)
            self.db.execute("CREATE VIRTUAL TABLE temp.fts5_probe USING fts5(x)")
            self.db.execute("DROP TABLE temp.fts5_probe")
            if self.db.execute("PRAGMA page_count").fetchone()[0] == 0:  # a new file
                self.db.execute("PRAGMA auto_vacuum=INCREMENTAL")  # optimize() can shrink it
            self._wal()
        except sqlite3.OperationalError as e:  # no FTS5 in this build, unreadable file/folder
            raise BackendUnavailable(f"cannot open the search index {self.path}: {e}; "
                                     "(no FTS5 in this SQLite? use the 'es' backend)") from e
        except OSError as e:
            raise BackendUnavailable(f"cannot open the search index {self.path}: {e}") from e
        self.db.execute("PRAGMA synchronous=NORMAL")
        self.db.execute("PRAGMA cache_size=-65536")
        self.outdated = self._check_stamp()
        if self.outdated is None:
            self._create()
            self._zdict = self.db.execute(
                "SELECT value FROM meta WHERE key='zdict'").fetchone()[0].encode()

    def _wal(self) -> None:
        """Switch to WAL. Two processes opening a new file at once can get "database is
        locked" here without the busy handler being called: retry for a while."""
        for attempt in range(100):
            try:
                self.db.execute("PRAGMA journal_mode=WAL")
                return
            except sqlite3.OperationalError as e:
                if "locked" not in str(e) or attempt == 99:
                    raise
                time.sleep(0.05)

    def _create(self) -> None:
        """Tables and version stamp, in one transaction: another process opening the file at
        the same time sees either nothing or a complete, stamped index."""
        stamp = "".join(f"INSERT OR IGNORE INTO meta VALUES('{k}', '{v}');" for k, v in (
            ("norm_version", tn.NORM_VERSION), ("schema_version", SCHEMA_VERSION),
            ("zdict", ZDICT.replace("'", "''"))))
        self.db.executescript(f"BEGIN IMMEDIATE;{_SCHEMA}{stamp}COMMIT;")
        self._zdict = ZDICT.encode()

    def _check_stamp(self) -> str | None:
        """Why the file can't be used as it is (None: it can, or it is new)."""
        tables = {n for (n,) in self.db.execute("SELECT name FROM sqlite_master")}
        if "meta" not in tables:
            return None if not tables & set(_TABLES) else "it has no version stamp"
        stamp = dict(self.db.execute("SELECT key, value FROM meta"))
        if not stamp:
            return None if tables <= {"meta"} else "it has no version stamp"
        if stamp.get("norm_version") != str(tn.NORM_VERSION):
            return (f"it was built with text normalisation {stamp.get('norm_version')}, "
                    f"this version uses {tn.NORM_VERSION}")
        if stamp.get("schema_version") != str(SCHEMA_VERSION):
            return (f"its layout is version {stamp.get('schema_version', 1)}, this version "
                    f"uses {SCHEMA_VERSION}")
        return None

    def _ready(self) -> None:
        if self.outdated:
            raise IndexOutdated(f"{self.path}: {self.outdated}; rebuild it (digitize reindex)")

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

    @staticmethod
    def _words(fo: str) -> set[str]:
        """The alphabetic folded terms of a page (what `vocab` counts, for fuzzy matching)."""
        return {t for t in fo.split() if t.isalpha()}

    # ---- writing -------------------------------------------------------------------------
    def upsert(self, docs: Iterable[IndexDoc]) -> None:
        """Index records, replacing any earlier version of each; one transaction per call."""
        self._ready()
        self.db.execute("BEGIN IMMEDIATE")
        try:
            self._write(docs)
            self.db.execute("COMMIT")
        except BaseException:
            self.db.execute("ROLLBACK")
            raise

    def rebuild(self, docs: Iterable[IndexDoc], batch: int = 200) -> None:
        """Replace the whole index by `docs` in one transaction: searches meanwhile see the old
        index, and a rebuild killed midway leaves it whole (never fewer records)."""
        if self.outdated:
            self.clear()
        self.db.execute("BEGIN IMMEDIATE")
        try:
            for t in ("records", "keys", "pages", "vocab"):
                self.db.execute(f"DELETE FROM {t}")
            for t in ("fo", "ex"):
                self.db.execute(f"INSERT INTO {t}({t}) VALUES('delete-all')")
            chunk: list[IndexDoc] = []
            for d in docs:
                chunk.append(d)
                if len(chunk) >= batch:
                    self._write(chunk)
                    chunk = []
            self._write(chunk)
            self.db.execute("COMMIT")
        except BaseException:
            self.db.execute("ROLLBACK")
            raise

    def record_digests(self) -> dict[str, str]:
        """record id -> the `_digest` its fields were indexed with ("" when none)."""
        self._ready()
        return {r: d or "" for r, d in self.db.execute(
            "SELECT record_id, json_extract(fields, '$._digest') FROM records")}

    def _write(self, docs: Iterable[IndexDoc]) -> None:
        """Index records inside the caller's transaction."""
        db = self.db
        df: Counter[str] = Counter()
        frows: list[tuple[int, str]] = []
        erows: list[tuple[int, str]] = []
        latest = {d.record_id: d for d in docs}  # a record twice in one call: the last wins
        for doc in latest.values():
            rid = self._drop(doc.record_id, df, keep_row=True)
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
            prow, frow, erow = [], [], []
            for p in doc.pages:
                text = tn.nfc(p.text)
                if not 0 < p.page <= MASK:
                    raise ValueError(f"{doc.record_id}: page {p.page} outside 1..{MASK}")
                fo, ex = self._terms(text)
                keys |= {("t", m.value) for m in tn.id_mentions(text)}
                pid = _pid(rid, p.page)
                prow.append(((rid << SHIFT) | p.page, self._zip(text)))
                frow.append((pid, fo))
                erow.append((pid, ex))
                df.update(self._words(fo))
            db.executemany("INSERT OR IGNORE INTO keys VALUES(?,?,?)",
                           [(k, v, rid) for k, v in keys if v])
            db.executemany("INSERT OR REPLACE INTO pages VALUES(?,?)", prow)
            frows += frow
            erows += erow
        # FTS5 flushes its pending terms whenever a rowid goes down: insert in rowid order
        db.executemany("INSERT INTO fo(rowid, t) VALUES(?,?)", sorted(frows))
        db.executemany("INSERT INTO ex(rowid, t) VALUES(?,?)", sorted(erows))
        db.executemany("INSERT INTO vocab VALUES(?, ?) ON CONFLICT(term) DO UPDATE "
                       "SET df = df + excluded.df", [kv for kv in df.items() if kv[1]])

    def _drop(self, record_id: str, df: Counter[str], keep_row: bool = False) -> int | None:
        """Remove a record's pages and keys (inside the caller's transaction); returns its rid.
        The dropped pages' terms are subtracted in `df` (applied to `vocab` by the caller)."""
        row = self.db.execute("SELECT rid FROM records WHERE record_id=?", (record_id,)).fetchone()
        if row is None:
            return None
        rid = row[0]
        lo, hi = rid << SHIFT, (rid + 1) << SHIFT
        for page_id, blob in self.db.execute("SELECT id, textz FROM pages WHERE id>=? AND id<?",
                                             (lo, hi)).fetchall():
            pid = _pid(rid, page_id & MASK)
            fo, ex = self._terms(self._unzip(blob))
            self.db.execute("INSERT INTO fo(fo, rowid, t) VALUES('delete', ?, ?)", (pid, fo))
            self.db.execute("INSERT INTO ex(ex, rowid, t) VALUES('delete', ?, ?)", (pid, ex))
            df.subtract(self._words(fo))
        self.db.execute("DELETE FROM pages WHERE id>=? AND id<?", (lo, hi))
        self.db.execute("DELETE FROM keys WHERE rid=?", (rid,))
        if not keep_row:
            self.db.execute("DELETE FROM records WHERE rid=?", (rid,))
        return rid

    def delete(self, record_ids: Iterable[str]) -> None:
        """Remove records (unknown ids are ignored)."""
        self._ready()
        df: Counter[str] = Counter()
        self.db.execute("BEGIN IMMEDIATE")
        try:
            for r in record_ids:
                self._drop(r, df)
            self.db.executemany("UPDATE vocab SET df = max(0, df + ?) WHERE term = ?",
                                [(n, t) for t, n in df.items() if n])
            self.db.execute("COMMIT")
        except BaseException:
            self.db.execute("ROLLBACK")
            raise

    def record_ids(self) -> set[str]:
        self._ready()
        return {r for (r,) in self.db.execute("SELECT record_id FROM records")}

    def clear(self) -> None:
        """Drop everything and re-stamp the file with this version (also renews an outdated
        index; re-index from the catalogue afterwards)."""
        self.db.execute("BEGIN IMMEDIATE")
        try:
            for t in _TABLES:
                self.db.execute(f"DROP TABLE IF EXISTS {t}")
            self.db.execute("COMMIT")
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        self.db.execute("PRAGMA auto_vacuum=INCREMENTAL")
        self.db.execute("VACUUM")  # the file is empty now: quick, and gives the space back
        self._create()
        self.outdated = None

    def optimize(self) -> None:
        """Merge FTS5 segments (after a bulk load; makes queries faster)."""
        self._ready()
        self.db.execute("INSERT INTO fo(fo) VALUES('optimize')")
        self.db.execute("INSERT INTO ex(ex) VALUES('optimize')")
        # give the merged-away segments' pages back; Python's sqlite3 runs this pragma one page
        # per call, hence the loop (in one transaction: one commit)
        self.db.execute("BEGIN IMMEDIATE")
        try:
            while self.db.execute("PRAGMA freelist_count").fetchone()[0]:
                self.db.execute("PRAGMA incremental_vacuum")
            self.db.execute("COMMIT")
        except BaseException:
            self.db.execute("ROLLBACK")
            raise

    def close(self) -> None:
        self.db.close()

    # ---- reading -------------------------------------------------------------------------
    def _variants(self, term: str, corrections: bool) -> list[str]:
        """Indexed terms at edit distance 1 (OCR-style: a letter dropped, added, swapped, wrong).

        Always the likely OCR damage of the term: neighbours much rarer than it (on at most
        FUZZY_RARE_DF pages, or 1/FUZZY_RATIO of its own). With `corrections` (nothing matched
        as typed: the query itself may be misspelt) also the most frequent neighbours. Looked up
        in `vocab` by key, so the cost doesn't grow with the vocabulary."""
        cands = sorted(_edits1(term) - {term})
        if not cands:
            return []
        rows = self.db.execute(
            f"SELECT term, df FROM vocab WHERE df > 0 AND term IN "
            f"({','.join('?' * (len(cands) + 1))})", [term, *cands]).fetchall()
        own = next((df for t, df in rows if t == term), 0)
        rows = sorted(((df, t) for t, df in rows if t != term), reverse=True)
        rare_df = max(FUZZY_RARE_DF, own // FUZZY_RATIO)
        rare = [t for df, t in rows if df <= rare_df][:FUZZY_MAX]
        common = [t for df, t in rows if df > rare_df][:FUZZY_MAX] if corrections else []
        return common + rare

    def _match(self, units: list[tn.QueryUnit], variants: dict[str, list[str]] | None) -> str:
        """FTS5 expression on the folded table: every unit, any of its forms."""
        parts = []
        for u in units:
            alts = [_q(u.folded)] + [_q(a) for a in u.alts]
            if variants and u.fuzzy:
                alts += [_q([v]) for v in variants.get(u.folded[0], [])]
            parts.append("(" + " OR ".join(alts) + ")")
        return " AND ".join(parts)

    def _rows(self, sql: str, args: list[Any], rids: list[int] | None,
              limit: int | None = None) -> list[tuple]:
        """Run `sql` (with a `{rng}` slot for rowid bounds, rows newest first) on the whole index,
        or once per filtered record (a selective filter then costs a few rowid-range lookups)."""
        lim = f" LIMIT {limit}" if limit else ""
        if rids is None:
            return self.db.execute(sql.format(rng="") + lim, args).fetchall()
        out: list[tuple] = []
        for rid in rids:
            rng = f" AND rowid > {_pid(rid, 0)} AND rowid <= {_pid(rid, MASK)}"
            out += self.db.execute(sql.format(rng=rng) + lim, args).fetchall()
        out.sort()
        return out[:limit] if limit else out

    def _pass(self, units: list[tn.QueryUnit], marks: bool,
              variants: dict[str, list[str]] | None, filt: str, fargs: list[Any],
              rids: list[int] | None, want: int, facets: bool) -> _Pass:
        """One matching pass: the newest RANK_CAP matching pages ranked, the rest counted.

        Scores are the bonuses of the module doc; records beyond the ranked window follow,
        newest first. Counting stops at COUNT_CAP pages, and record ids beyond the window are
        only read when the requested page of results (`want` records) or the facets reach
        them."""
        match = self._match(units, variants)
        base = f"FROM fo WHERE fo MATCH ?{filt}{{rng}}"
        args = [match, *fargs]
        rows = self._rows(f"SELECT rowid {base} ORDER BY rowid", args, rids, RANK_CAP)
        res = _Pass()
        if not rows:
            return res
        cut = None  # rowids above this one are beyond the ranked window
        if len(rows) >= RANK_CAP:
            last = _rid(rows[-1][0])
            if last != _rid(rows[0][0]):  # the oldest record may have more pages further on
                rows = [r for r in rows if _rid(r[0]) != last]
            cut = rows[-1][0] | MASK
        scores = self._scores(rows, units, marks, variants, rids)
        named = self._field_bonus(units, {_rid(r) for r in scores})
        res.named = bool(named)
        ranked: dict[int, list] = {}
        for r, sc in scores.items():
            sc += FIELD_BONUS if _rid(r) in named else 0.0
            rec = ranked.setdefault(_rid(r), [sc, {}])
            rec[1][r & MASK] = sc
            rec[0] = max(rec[0], sc)
        res.ranked = dict(sorted(ranked.items(), key=lambda kv: (-kv[1][0], -kv[0])))
        res.pages = len(rows)
        if cut is None:
            return res
        below = f"SELECT rowid {base} AND rowid > {cut} ORDER BY rowid"
        cap = COUNT_CAP - res.pages
        if facets or want > len(res.ranked) or rids is not None:
            more = self._rows(below, args, rids, cap)
            res.tail = list(dict.fromkeys(_rid(r) for (r,) in more))
            n_pages, res.tail_count = len(more), len(res.tail)
        else:  # count in SQLite: no Python work per matching page
            n_pages, res.tail_count = self.db.execute(
                f"SELECT count(*), count(DISTINCT rowid >> {SHIFT}) FROM "
                f"({below.format(rng='')} LIMIT {cap})", args).fetchone()
        res.pages += n_pages
        res.exact = n_pages < cap
        return res

    def _scores(self, rows: list[tuple], units: list[tn.QueryUnit], marks: bool,
                variants: dict[str, list[str]] | None, rids: list[int] | None) -> dict[int, float]:
        """Score of each page of the ranked window (rowid -> score): the bonuses of the module
        doc, looked up among the window's pages only."""
        scores = {r: 1.0 for (r,) in rows}
        for expr_terms, bonus in self._exact_bonuses(units, marks):
            have: set[int] | None = None
            for t in expr_terms:  # term by term: an AND of rare pairings would scan far
                found = {r for (r,) in self._rows(f"SELECT rowid FROM ex WHERE ex MATCH ?"
                                                  f"{self._window(rows, t)}{{rng}}",
                                                  [_q([t])], rids)}
                have = found if have is None else have & found
            for r in have or ():
                if r in scores:
                    scores[r] += bonus
        named = self._name_bonus(units, marks, {_rid(r) for r in scores})
        for r in scores:
            scores[r] += NAME_BONUS if _rid(r) in named else 0.0
        pairs = self._pairs(units, variants)
        phrases = self._exact_phrases(units) if marks else []
        if (pairs or phrases) and len(rows) <= PAIR_WINDOW:
            # adjacency from the page text: an FTS5 phrase of common words that seldom meet
            # scans far past the window looking for its next match
            for (r,) in rows:
                ex = tn.exact_tokens(self._page_text(_rid(r), r & MASK), extras=False)
                toks = tn.fold_tokens(ex)
                have_pairs = set(zip(toks, toks[1:]))
                scores[r] += PHRASE_BONUS * sum(any(p in have_pairs for p in alts)
                                                for alts in pairs)
                scores[r] += sum(EXACT_PAIR_BONUS * (len(ph) - 1) for ph in phrases
                                 if _contains(ex, ph))
        elif pairs or phrases:
            self._window_phrases(rows, units, phrases, scores)
        return scores

    def _window_phrases(self, rows: list[tuple], units: list[tn.QueryUnit],
                        phrases: list[list[str]], scores: dict[int, float]) -> None:
        """Phrase bonuses where too many pages match to read them all: the PHRASE_READ best
        pages so far (newest first among equals) are read for each run of query words
        (PHRASE_BONUS per pair) and for it with the query's marks (EXACT_PAIR_BONUS per pair).
        An FTS5 phrase query, even bounded to the window, reads the position lists of every
        common word: slower than reading a few pages."""
        runs = [" ".join(r) for r in word_runs(units)]
        top = sorted((r for (r,) in rows), key=lambda r: (-scores[r], r))[:PHRASE_READ]
        for r in top:
            text = self._page_text(_rid(r), r & MASK)
            scores[r] += sum(PHRASE_BONUS * run.count(" ") for run in runs
                             if tn.find_phrase(text, run, False))
            scores[r] += sum(EXACT_PAIR_BONUS * (len(ph) - 1) for ph in phrases
                             if tn.find_phrase(text, " ".join(ph), True))

    @staticmethod
    def _exact_phrases(units: list[tn.QueryUnit]) -> list[list[str]]:
        """Word sequences of the query to find as typed (tone placement aside): quoted phrases
        and runs of neighbouring words, where they carry marks."""
        out = [u.exact for u in units if len(u.exact) > 1 and not u.number]
        out += [[t for u in run for t in u.exact] for run in word_runs(units, as_units=True)]
        return [p for p in out if tn.fold_tokens(p) != p]

    def _window(self, rows: list[tuple], term: str) -> str:
        """Rowid constraint for looking a term up among the window's pages: a rowid range where
        that is cheap (a range over sparse matches reads a common term's whole doclist), else
        the rowids one by one."""
        span = (rows[-1][0] - rows[0][0]) >> SHIFT  # records between the first and the last
        n_recs = self.db.execute("SELECT max(rid) FROM records").fetchone()[0] or 1
        row = self.db.execute("SELECT df FROM vocab WHERE term = ?", (tn.fold(term),)).fetchone()
        in_range = (row[0] if row else n_recs) * span / n_recs
        if in_range > 4 * len(rows):
            return f" AND rowid IN ({','.join(str(r) for (r,) in rows)})"
        return f" AND rowid >= {rows[0][0]} AND rowid <= {rows[-1][0]}"

    @staticmethod
    def _exact_bonuses(units: list[tn.QueryUnit], marks: bool) -> list[tuple[list[str], float]]:
        """(exact tokens, bonus): each query unit also matched with the query's diacritics."""
        if not marks:
            return []
        return [(u.exact, EXACT_BONUS) for u in units if not u.number and u.exact != u.folded]

    @staticmethod
    def _pairs(units: list[tn.QueryUnit],
               variants: dict[str, list[str]] | None) -> list[list[tuple[str, str]]]:
        """For each pair of neighbouring one-word query units, the folded word pairs that count
        as the pair on a page (one word possibly as one of its fuzzy `variants`)."""
        words = [u.folded[0] if not u.number and len(u.folded) == 1 and not u.alts else None
                 for u in units]
        var = variants or {}
        return [[(a, b)] + [(v, b) for v in var.get(a, [])] + [(a, v) for v in var.get(b, [])]
                for a, b in zip(words, words[1:]) if a and b]

    def _field_bonus(self, units: list[tn.QueryUnit], rids: Iterable[int]) -> set[int]:
        """Records (of `rids`) whose own document number or person ID is one the query names:
        a user typing a number means that document, not the ones citing it."""
        keys = [u.folded[0] for u in units if u.number]
        rids = list(rids)
        if not keys or not rids:
            return set()
        qk, qr = ",".join("?" * len(keys)), ",".join(str(r) for r in rids)
        return {r for (r,) in self.db.execute(
            f"SELECT rid FROM records WHERE number_n IN ({qk}) AND rid IN ({qr}) UNION "
            f"SELECT rid FROM keys WHERE kind='p' AND value IN ({qk}) AND rid IN ({qr})",
            keys + keys)}

    def _named_only(self, units: list[tn.QueryUnit], where: str, args: list[Any]) -> list[int]:
        """Records (within the filters) whose document number is the query, when the query is
        nothing but numbers; newest first."""
        if not units or not all(u.number for u in units):
            return []
        keys = [u.folded[0] for u in units]
        qk = ",".join("?" * len(keys))
        w = f" AND {where}" if where else ""
        return [r for (r,) in self.db.execute(
            f"SELECT r.rid FROM records r WHERE r.number_n IN ({qk}){w} "
            f"ORDER BY r.issued DESC, r.rid DESC LIMIT {PER_RECORD_MAX}", keys + args)]

    def _filters(self, q: Query, person: dict[int, tuple[int, int]] | None = None
                 ) -> tuple[str, list[Any]]:
        """SQL condition on `records r` for the query's filters (`person`: the records
        `_person_tiers` found for `q.person`)."""
        conds, args = [], []
        if q.doc_type:
            conds.append("r.doc_type_f = ?")
            args.append(tn.fold(q.doc_type))
        if q.issuer:
            conds.append("(' ' || r.issuer_f || ' ') LIKE ?")
            args.append("% " + " ".join(tn.folded_tokens(q.issuer, extras=False)) + " %")
        if q.number:
            conds.append("r.number_n = ?")
            args.append(tn.norm_number(q.number))
        if q.date_from:
            conds.append("r.issued >= ?")
            args.append(q.date_from)
        if q.date_to:
            conds.append("r.issued <= ?")
            args.append(q.date_to + "\uffff")
        keys = []
        if q.dossier:
            keys.append(("d", tn.norm_number(q.dossier)))
        for k, v in keys:
            conds.append("r.rid IN (SELECT rid FROM keys WHERE kind=? AND value=?)")
            args += [k, v]
        if q.person_id:  # in the fields or printed in the text
            conds.append("r.rid IN (SELECT rid FROM keys WHERE kind IN ('p', 't') AND value=?)")
            args.append(tn.norm_id(q.person_id))
        if person is not None:
            conds.append(f"r.rid IN ({','.join(map(str, person)) or 'NULL'})")
        return " AND ".join(conds), args

    def _hit(self, row: tuple, score: float, pages: list[int], snippet: str,
             match: LineMatch | None = None) -> Hit:
        return Hit(record_id=row[0], score=score, title=row[1], pages=pages, snippet=snippet,
                   fields=json.loads(row[2] or "{}"), match=match)

    def _page_text(self, rid: int, page: int) -> str:
        row = self.db.execute("SELECT textz FROM pages WHERE id=?",
                              ((rid << SHIFT) | page,)).fetchone()
        return self._unzip(row[0]) if row else ""

    def search(self, query: Query) -> SearchResult:
        """Run a query; see the module doc for matching and ranking rules."""
        self._ready()
        units, marks = tn.query_units(query.text or "")
        person = self._person_tiers(query.person) if query.person else None
        where, args = self._filters(query, person)
        if not units:
            return self._list(query, where, args, person)
        filt, rids = "", None
        if where:
            found = [r for (r,) in self.db.execute(
                f"SELECT rid FROM records r WHERE {where} LIMIT {PER_RECORD_MAX + 1}", args)]
            if len(found) <= PER_RECORD_MAX:
                rids = found
            else:
                filt = (f" AND {TOP} - (rowid >> {SHIFT}) IN "
                        f"(SELECT rid FROM records r WHERE {where})")
        fargs = args if filt else []
        want = query.offset + query.limit
        strict = self._pass(units, marks, None, filt, fargs, rids, want, query.facets)
        if not strict.total and any(u.relaxed for u in units):  # e.g. "04 qd ubnd" as a phrase
            units = [replace(u, alts=u.alts + u.relaxed) for u in units]
            strict = self._pass(units, marks, None, filt, fargs, rids, want, query.facets)
        match = self._match(units, None)
        order: list[tuple[int, Any, Any]] = [(r, match, v) for r, v in strict.ranked.items()]
        order += [(r, match, None) for r in strict.tail]
        total, exact = strict.total, strict.exact
        # A query of numbers only names records by their number field too, where OCR
        # misread the number on the page or a person corrected the field: those come first.
        seen = {r for r, _, _ in order}
        named = [r for r in self._named_only(units, where, args) if r not in seen]
        if named:
            order = [(r, match, (FIELD_BONUS, {1: FIELD_BONUS})) for r in named] + order
            total += len(named)
            strict.named = True
        fuzzy_terms: set[str] = set()
        # a record whose own number or ID the query names is pinned: no need to widen the words
        if strict.total < self.fuzzy_below and any(u.fuzzy for u in units) and not strict.named:
            # nothing matched, or a number that pins no record: the words may be misspelt
            corrections = not strict.total or any(u.number for u in units)
            variants = {u.folded[0]: self._variants(u.folded[0], corrections)
                        for u in units if u.fuzzy}
            if any(variants.values()):
                fmatch = self._match(units, variants)
                more = self._pass(units, marks, variants, filt, fargs, rids, want + total,
                                  query.facets)
                seen = {r for r, _, _ in order}
                order += [(r, fmatch, v) for r, v in more.ranked.items() if r not in seen]
                order += [(r, fmatch, None) for r in more.tail if r not in seen]
                total, exact = max(total, more.total), exact and more.exact
                fuzzy_terms = {v for vs in variants.values() for v in vs}
        if person:  # the person named as typed, then in the fields, before text mentions
            order.sort(key=lambda o: person.get(o[0], (0, 0)), reverse=True)  # stable
        ex_terms = {t for u in units for t in u.exact}
        fo_terms = {t for u in units for t in u.folded + [x for a in u.alts for x in a]}
        hits = []
        for rid, m, ranked in order[query.offset:want]:
            rec = self.db.execute("SELECT record_id, title, fields FROM records WHERE rid=?",
                                  (rid,)).fetchone()
            score, pages = ranked or (0.0, self._pages_of(rid, m))
            best = sorted(pages, key=lambda p: (-pages[p], p))
            # spelling variants are marked only where they found the record: a record that
            # matched as typed shows the words typed ("an", not the "Căn" near it)
            fo = fo_terms | (fuzzy_terms if m is not match else set())
            text = self._page_text(rid, best[0])
            snip, at = tn.snippet_line(text, ex_terms, fo)
            where_ = LineMatch(best[0], *at) if at else None
            if query.person_id or query.person:  # show the person's line if the text has it
                located = self._locate(rid, query, [best[0]])
                if located:
                    where_, snip = located
            hits.append(self._hit(rec, score, best, snip, where_))
        facets = {}
        if query.facets:
            facets = self._facets(",".join(str(r) for r, _, _ in order) or "NULL")
        return SearchResult(hits=hits, total=total, facets=facets, total_exact=exact)

    def _pages_of(self, rid: int, match: str) -> dict[int, float]:
        """The pages of one record that `match` matches (for records beyond the ranked window)."""
        rows = self.db.execute(
            "SELECT rowid FROM fo WHERE fo MATCH ? AND rowid >= ? AND rowid <= ?",
            (match, _pid(rid, 1), _pid(rid, MASK))).fetchall()
        return {r & MASK: 0.0 for (r,) in rows} or {1: 0.0}

    def _list(self, q: Query, where: str, args: list[Any],
              person: dict[int, tuple[int, int]] | None = None) -> SearchResult:
        """Filter-only query: matching records, newest first (issued date, then ingest). With
        `person` (see `_person_tiers`): the name as typed first, then holders named in the
        fields before mentions in the text, each newest first. A person ID or name shows the
        page and line where the text carries it."""
        w = f"WHERE {where}" if where else ""
        newest = "r.issued DESC, r.ingested_at DESC, r.rid DESC"
        if person is None:
            total = self.db.execute(f"SELECT count(*) FROM records r {w}", args).fetchone()[0]
            rids = [r for (r,) in self.db.execute(
                f"SELECT r.rid FROM records r {w} ORDER BY {newest} LIMIT ? OFFSET ?",
                [*args, q.limit, q.offset])]
        else:
            every = [r for (r,) in self.db.execute(
                f"SELECT r.rid FROM records r {w} ORDER BY {newest}", args)]
            every.sort(key=lambda r: person[r], reverse=True)  # stable: newest first within
            total, rids = len(every), every[q.offset:q.offset + q.limit]
        hits = []
        for rid in rids:
            rec = self.db.execute("SELECT record_id, title, fields FROM records WHERE rid=?",
                                  (rid,)).fetchone()
            found = self._locate(rid, q) if q.person_id or q.person else None
            if found:
                hits.append(self._hit(rec, 0.0, [found[0].page], found[1], found[0]))
            else:
                text = self._page_text(rid, 1)
                hits.append(self._hit(rec, 0.0, [], " ".join(text.split()[:24])))
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
