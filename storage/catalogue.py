"""The catalogue: one SQLite database listing every record, its history and its dossier links.

A record row is written last, after the record folder and the index entry exist, in one
transaction with its "ingested" event: a record is in the catalogue completely or not at all.
Safe for several processes at once (WAL, busy timeout).
"""
from __future__ import annotations

import getpass
import json
import sqlite3
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator

from storage.retry import RetryPolicy, retry

SCHEMA = """
CREATE TABLE IF NOT EXISTS records (
    id TEXT PRIMARY KEY,
    title TEXT NOT NULL DEFAULT '',
    page_count INTEGER NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    doc TEXT NOT NULL              -- the record's metadata JSON (same as metadata.json)
);
CREATE TABLE IF NOT EXISTS events (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    record_id TEXT NOT NULL,
    at TEXT NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,          -- ingested | corrected | linked | verified | exported | ...
    outcome TEXT NOT NULL,         -- success | failure | warning
    detail TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX IF NOT EXISTS events_record ON events(record_id, seq);
CREATE TABLE IF NOT EXISTS corrections (
    record_id TEXT NOT NULL,
    field TEXT NOT NULL,
    value TEXT NOT NULL,           -- JSON
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
CREATE TABLE IF NOT EXISTS source_files (
    sha256 TEXT NOT NULL,
    record_id TEXT NOT NULL,
    PRIMARY KEY (sha256, record_id)
);
"""


def now_iso() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S%z")


def current_actor() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


class Catalogue:
    def __init__(self, path: Path):
        self.path = Path(path)
        self.db = sqlite3.connect(self.path, timeout=60, isolation_level=None)
        # two processes creating a new catalogue at once: the WAL switch may find it locked
        retry(lambda: self.db.execute("PRAGMA journal_mode=WAL"),
              RetryPolicy(attempts=50, first_delay_s=0.1, factor=1.0))
        self.db.execute("PRAGMA synchronous=FULL")
        self.db.execute("PRAGMA busy_timeout=60000")
        self.db.executescript(SCHEMA)

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

    # records -----------------------------------------------------------------------------
    def has(self, record_id: str) -> bool:
        return self.db.execute("SELECT 1 FROM records WHERE id=?", (record_id,)).fetchone() is not None

    def get(self, record_id: str) -> dict[str, Any] | None:
        row = self.db.execute("SELECT doc FROM records WHERE id=?", (record_id,)).fetchone()
        return json.loads(row[0]) if row else None

    def find_prefix(self, prefix: str) -> list[str]:
        rows = self.db.execute("SELECT id FROM records WHERE id LIKE ? LIMIT 3",
                               (prefix.replace("%", "") + "%",)).fetchall()
        return [r[0] for r in rows]

    def put(self, doc: dict[str, Any], action: str = "ingested",
            detail: dict[str, Any] | None = None, actor: str | None = None) -> None:
        """Insert or replace a record and append one event, atomically."""
        ts = now_iso()
        with self.transaction() as db:
            prev = db.execute("SELECT created_at FROM records WHERE id=?", (doc["id"],)).fetchone()
            db.execute("INSERT OR REPLACE INTO records(id, title, page_count, created_at, "
                       "updated_at, doc) VALUES (?,?,?,?,?,?)",
                       (doc["id"], doc.get("title", ""), doc.get("page_count", 0),
                        prev[0] if prev else ts, ts, json.dumps(doc, ensure_ascii=False)))
            for f in doc.get("source_files", []):
                db.execute("INSERT OR IGNORE INTO source_files VALUES (?,?)", (f["sha256"], doc["id"]))
            self._event(db, doc["id"], action, "success", detail or {}, actor)

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
    def _event(self, db: sqlite3.Connection, record_id: str, action: str, outcome: str,
               detail: dict[str, Any], actor: str | None) -> None:
        db.execute("INSERT INTO events(record_id, at, actor, action, outcome, detail) "
                   "VALUES (?,?,?,?,?,?)", (record_id, now_iso(), actor or current_actor(), action,
                                            outcome, json.dumps(detail, ensure_ascii=False)))

    def add_event(self, record_id: str, action: str, outcome: str = "success",
                  detail: dict[str, Any] | None = None, actor: str | None = None) -> None:
        with self.transaction() as db:
            self._event(db, record_id, action, outcome, detail or {}, actor)

    def history(self, record_id: str) -> list[dict[str, Any]]:
        rows = self.db.execute("SELECT at, actor, action, outcome, detail FROM events "
                               "WHERE record_id=? ORDER BY seq", (record_id,)).fetchall()
        return [{"at": a, "actor": u, "action": act, "outcome": o, "detail": json.loads(d)}
                for a, u, act, o, d in rows]

    # corrections and dossiers -----------------------------------------------------------
    def corrections(self, record_id: str) -> dict[str, Any]:
        rows = self.db.execute("SELECT field, value FROM corrections WHERE record_id=?",
                               (record_id,)).fetchall()
        return {f: json.loads(v) for f, v in rows}

    def correct(self, doc: dict[str, Any], field: str, old: Any, new: Any,
                actor: str | None = None) -> None:
        """Store a correction (it survives re-ingestion), the updated record and the event."""
        ts = now_iso()
        with self.transaction() as db:
            db.execute("INSERT OR REPLACE INTO corrections VALUES (?,?,?,?,?)",
                       (doc["id"], field, json.dumps(new, ensure_ascii=False), ts,
                        actor or current_actor()))
            db.execute("UPDATE records SET doc=?, updated_at=?, title=? WHERE id=?",
                       (json.dumps(doc, ensure_ascii=False), ts, doc.get("title", ""), doc["id"]))
            self._event(db, doc["id"], "corrected", "success",
                        {"field": field, "old": old, "new": new}, actor)

    def link(self, doc: dict[str, Any], dossier: str, actor: str | None = None) -> bool:
        """Attach a record to a dossier; False when it already was."""
        with self.transaction() as db:
            cur = db.execute("INSERT OR IGNORE INTO dossier_links VALUES (?,?,?)",
                             (dossier, doc["id"], now_iso()))
            if cur.rowcount == 0:
                return False
            db.execute("UPDATE records SET doc=?, updated_at=? WHERE id=?",
                       (json.dumps(doc, ensure_ascii=False), now_iso(), doc["id"]))
            self._event(db, doc["id"], "linked", "success", {"dossier": dossier}, actor)
        return True

    def dossier(self, dossier: str) -> list[str]:
        return [r[0] for r in self.db.execute(
            "SELECT record_id FROM dossier_links WHERE dossier=? ORDER BY at", (dossier,))]

    def dossiers_of(self, record_id: str) -> list[str]:
        return [r[0] for r in self.db.execute(
            "SELECT dossier FROM dossier_links WHERE record_id=? ORDER BY at", (record_id,))]
