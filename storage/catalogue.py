"""The catalogue: one SQLite database listing every record, its history, corrections and dossier
links, for quick look-ups. It is derived: each record's OCFL object (metadata.json and its event
log) is the source, `sync` copies a record into it, and `digitize rebuild` recreates it from the
objects alone. Corrections and dossier links are not stored apart: they are read off the events
("corrected" with old and new value, "linked"/"unlinked").
Safe for several processes at once (WAL, busy timeout).
"""
from __future__ import annotations

import getpass
import json
import sqlite3
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterable, Iterator

from storage.retry import RetryPolicy, retry

LAYOUT_VERSION = 2  # PRAGMA user_version; 0 = the catalogue of the layout before OCFL

SCHEMA = """
CREATE TABLE IF NOT EXISTS records (
    id TEXT PRIMARY KEY,
    title TEXT NOT NULL DEFAULT '',
    page_count INTEGER NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    version TEXT NOT NULL DEFAULT '',  -- the OCFL head version the row was copied from
    doc TEXT NOT NULL                  -- the record's metadata.json
);
CREATE TABLE IF NOT EXISTS events (
    record_id TEXT NOT NULL,
    n INTEGER NOT NULL,                -- position in the record's event log, from 1
    at TEXT NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,              -- ingested | corrected | linked | unlinked | verified | ...
    outcome TEXT NOT NULL,             -- success | failure | warning
    detail TEXT NOT NULL DEFAULT '{}',
    hash TEXT NOT NULL,                -- SHA-256 of the event's line in the log
    PRIMARY KEY (record_id, n)
);
CREATE TABLE IF NOT EXISTS corrections (
    record_id TEXT NOT NULL,
    field TEXT NOT NULL,
    value TEXT NOT NULL,               -- JSON
    at TEXT NOT NULL,
    actor TEXT NOT NULL,
    PRIMARY KEY (record_id, field)
);
CREATE TABLE IF NOT EXISTS dossier_links (
    dossier TEXT NOT NULL,
    record_id TEXT NOT NULL,
    at TEXT NOT NULL,
    PRIMARY KEY (dossier, record_id)
);
CREATE INDEX IF NOT EXISTS links_record ON dossier_links(record_id);
"""


class LegacyCatalogue(Exception):
    """A catalogue written before records became OCFL objects: `digitize migrate` converts it."""


def now_iso() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S%z")


def current_actor() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


def corrections_of(events: Iterable[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """field -> {value, at, actor}: the last correction of each field, from the events."""
    out: dict[str, dict[str, Any]] = {}
    for e in events:
        d = e.get("detail") or {}
        if e.get("action") == "corrected" and e.get("outcome") == "success" and "field" in d:
            out[d["field"]] = {"value": d.get("new"), "at": e["at"], "actor": e["actor"]}
    return out


def links_of(events: Iterable[dict[str, Any]]) -> dict[str, str]:
    """dossier -> when linked: the dossier links in force, from the events."""
    out: dict[str, str] = {}
    for e in events:
        d = e.get("detail") or {}
        if "dossier" not in d or e.get("outcome") != "success":
            continue
        if e.get("action") in ("linked", "ingested"):
            out.setdefault(d["dossier"], e["at"])
        elif e.get("action") == "unlinked":
            out.pop(d["dossier"], None)
    return out


def _like_escape(s: str) -> str:
    return s.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


class Catalogue:
    def __init__(self, path: Path, allow_legacy: bool = False):
        self.path = Path(path)
        self.db = sqlite3.connect(self.path, timeout=60, isolation_level=None)
        # two processes creating a new catalogue at once: the WAL switch may find it locked
        retry(lambda: self.db.execute("PRAGMA journal_mode=WAL"),
              RetryPolicy(attempts=50, first_delay_s=0.1, factor=1.0))
        self.db.execute("PRAGMA synchronous=FULL")
        self.db.execute("PRAGMA busy_timeout=60000")
        version = self.db.execute("PRAGMA user_version").fetchone()[0]
        tables = {r[0] for r in self.db.execute("SELECT name FROM sqlite_master")}
        if version != LAYOUT_VERSION and "records" in tables:
            if allow_legacy:
                return
            self.db.close()
            raise LegacyCatalogue(f"{self.path} was written by an older digitize: run "
                                  "`digitize migrate` to convert the archive")
        self.db.executescript(f"BEGIN IMMEDIATE;{SCHEMA}PRAGMA user_version={LAYOUT_VERSION};"
                              "COMMIT;")

    def close(self) -> None:
        self.db.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        self.db.execute("BEGIN IMMEDIATE")
        try:
            yield self.db
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        self.db.execute("COMMIT")

    # writing (copies of the record objects) ---------------------------------------------------
    def sync(self, doc: dict[str, Any], events: list[dict[str, Any]], version: str) -> None:
        """Make the catalogue's copy of one record equal to its object: metadata, every event,
        and the corrections and dossier links those events make. Idempotent."""
        with self.transaction() as db:
            self._sync_in(db, doc, events, version)

    def replace_all(self, records: Iterable[tuple[dict[str, Any], list[dict[str, Any]], str]]
                    ) -> int:
        """Empty the catalogue and fill it from (metadata, events, head version) of every
        record, in one transaction: stopped midway, the old catalogue stays whole."""
        n = 0
        with self.transaction() as db:
            for table in ("records", "events", "corrections", "dossier_links"):
                db.execute(f"DELETE FROM {table}")
            for doc, events, version in records:
                self._sync_in(db, doc, events, version)
                n += 1
        return n

    def _sync_in(self, db: sqlite3.Connection, doc: dict[str, Any],
                 events: list[dict[str, Any]], version: str) -> None:
        rid = doc["id"]
        created = events[0]["at"] if events else now_iso()
        updated = next((e["at"] for e in reversed(events) if e.get("version")), created)
        db.execute("INSERT OR REPLACE INTO records(id, title, page_count, created_at, "
                   "updated_at, version, doc) VALUES (?,?,?,?,?,?,?)",
                   (rid, doc.get("title", ""), doc.get("page_count", 0), created, updated,
                    version, json.dumps(doc, ensure_ascii=False, sort_keys=True)))
        db.execute("DELETE FROM events WHERE record_id=?", (rid,))
        db.executemany("INSERT INTO events VALUES (?,?,?,?,?,?,?,?)", [
            (rid, e["n"], e["at"], e["actor"], e["action"], e["outcome"],
             json.dumps(e.get("detail") or {}, ensure_ascii=False, sort_keys=True), e["hash"])
            for e in events])
        self._derive(db, rid, events)

    def _derive(self, db: sqlite3.Connection, rid: str, events: list[dict[str, Any]]) -> None:
        db.execute("DELETE FROM corrections WHERE record_id=?", (rid,))
        db.executemany("INSERT INTO corrections VALUES (?,?,?,?,?)", [
            (rid, f, json.dumps(c["value"], ensure_ascii=False), c["at"], c["actor"])
            for f, c in corrections_of(events).items()])
        db.execute("DELETE FROM dossier_links WHERE record_id=?", (rid,))
        db.executemany("INSERT INTO dossier_links VALUES (?,?,?)",
                       [(d, rid, at) for d, at in links_of(events).items()])

    def add_events(self, record_id: str, events: list[dict[str, Any]]) -> None:
        """Copy events appended to a record's log that change nothing else (verified,
        exported, warnings)."""
        with self.transaction() as db:
            db.executemany("INSERT OR REPLACE INTO events VALUES (?,?,?,?,?,?,?,?)", [
                (record_id, e["n"], e["at"], e["actor"], e["action"], e["outcome"],
                 json.dumps(e.get("detail") or {}, ensure_ascii=False, sort_keys=True), e["hash"])
                for e in events])

    def drop(self, record_id: str) -> None:
        with self.transaction() as db:
            for table, col in (("records", "id"), ("events", "record_id"),
                               ("corrections", "record_id"), ("dossier_links", "record_id")):
                db.execute(f"DELETE FROM {table} WHERE {col}=?", (record_id,))

    # records -----------------------------------------------------------------------------
    def has(self, record_id: str) -> bool:
        return self.db.execute("SELECT 1 FROM records WHERE id=?", (record_id,)).fetchone() is not None

    def get(self, record_id: str) -> dict[str, Any] | None:
        row = self.db.execute("SELECT doc FROM records WHERE id=?", (record_id,)).fetchone()
        return json.loads(row[0]) if row else None

    def version(self, record_id: str) -> str | None:
        row = self.db.execute("SELECT version FROM records WHERE id=?", (record_id,)).fetchone()
        return row[0] if row else None

    def find_prefix(self, prefix: str, limit: int = 3) -> list[str]:
        """Record ids starting with `prefix` (taken literally: `_` and `%` are no wildcards)."""
        rows = self.db.execute("SELECT id FROM records WHERE id LIKE ? ESCAPE '\\' ORDER BY id "
                               "LIMIT ?", (_like_escape(prefix) + "%", limit)).fetchall()
        return [r[0] for r in rows]

    def ids(self) -> list[str]:
        return [r[0] for r in self.db.execute("SELECT id FROM records ORDER BY created_at, id")]

    def iter_docs(self) -> Iterator[dict[str, Any]]:
        for (doc,) in self.db.execute("SELECT doc FROM records ORDER BY created_at, id"):
            yield json.loads(doc)

    def count(self) -> int:
        return self.db.execute("SELECT count(*) FROM records").fetchone()[0]

    def records_with_fields(self, number: str, issued_date: str) -> list[str]:
        """Records whose extracted `number` and `issued_date` fields have these values."""
        return [r[0] for r in self.db.execute(
            "SELECT id FROM records WHERE json_extract(doc, '$.fields.number.value')=? "
            "AND json_extract(doc, '$.fields.issued_date.value')=? ORDER BY created_at",
            (number, issued_date))]

    # history ------------------------------------------------------------------------------
    def history(self, record_id: str) -> list[dict[str, Any]]:
        rows = self.db.execute("SELECT n, at, actor, action, outcome, detail, hash FROM events "
                               "WHERE record_id=? ORDER BY n", (record_id,)).fetchall()
        return [{"n": n, "at": a, "actor": u, "action": act, "outcome": o,
                 "detail": json.loads(d), "hash": h} for n, a, u, act, o, d, h in rows]

    # corrections and dossiers -----------------------------------------------------------
    def corrections(self, record_id: str) -> dict[str, Any]:
        rows = self.db.execute("SELECT field, value FROM corrections WHERE record_id=?",
                               (record_id,)).fetchall()
        return {f: json.loads(v) for f, v in rows}

    def dossier(self, dossier: str) -> list[str]:
        return [r[0] for r in self.db.execute(
            "SELECT record_id FROM dossier_links WHERE dossier=? ORDER BY at, record_id",
            (dossier,))]

    def dossiers_of(self, record_id: str) -> list[str]:
        return [r[0] for r in self.db.execute(
            "SELECT dossier FROM dossier_links WHERE record_id=? ORDER BY at, dossier",
            (record_id,))]
