"""The archive, its catalogue and its search index, opened together; and the one transaction
through which every change of a record goes.

The record objects are the source of truth (storage.archive); the catalogue and the index are
derived from them. A change (`curate`) is one transaction per record: the record's lock, finish or
undo what a crash left, refuse a record that fails fixity, new files staged and fsynced, renamed
into the object as a new OCFL version, event appended, then catalogue and index follow. Opening
a Store imports nothing heavy (no OpenCV, numpy or pikepdf) and never rebuilds anything.
"""
from __future__ import annotations

import hashlib
import json
import logging
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator

from digitize.config import Settings
from digitize.errors import BackendError, BadUsage, DigitizeError, NotFound, StorageError
from digitize.record import index_doc
from indexer.base import BackendUnavailable, IndexDoc, SearchBackend
from storage import events as ev
from storage import ocfl
from storage.archive import Archive, NoRecord
from storage.catalogue import Catalogue, LegacyCatalogue, current_actor
from storage.retry import retry

log = logging.getLogger("digitize")


class RecordDamaged(DigitizeError):
    """The record fails its fixity check: it is not changed (restore it first)."""


@dataclass
class Change:
    """What a curation step decided: new files (logical path -> file in the transaction folder),
    the record's new metadata, the event, and the value returned to the caller."""

    doc: dict[str, Any]
    event: dict[str, Any]
    files: dict[str, Path] = field(default_factory=dict)
    result: Any = None


class Store:
    """The archive, its catalogue and (opened on first use) its search index."""

    def __init__(self, settings: Settings, create: bool = True, rebuilding: bool = False):
        """`rebuilding`: the caller rebuilds the index (`reindex`), so an index built by
        another version is not an error."""
        self.settings = settings
        self.rebuilding = rebuilding
        root = Path(settings.archive)
        if not create and not (root / "objects" / ocfl.ROOT_DECLARATION).is_file() \
                and not (root / "records").is_dir():
            raise NotFound(f"no archive at {root}")
        try:
            self.archive = Archive(root, create=create)
        except OSError as e:
            raise StorageError(f"cannot write to archive {root}: {e}") from e
        if not create and not self.archive.catalogue_path.is_file():
            raise DigitizeError(f"the catalogue of {root} is missing: run `digitize rebuild` "
                                "to recreate it from the records")
        if self.archive.legacy():
            raise DigitizeError(f"{root} is in the layout before OCFL: run `digitize migrate "
                                f"--archive {root}` first")
        try:
            self.catalogue = Catalogue(self.archive.catalogue_path)
        except LegacyCatalogue as e:
            raise DigitizeError(str(e)) from e
        except sqlite3.DatabaseError as e:
            raise DigitizeError(f"the catalogue {self.archive.catalogue_path} is unreadable "
                                f"({e}): run `digitize rebuild` to recreate it from the "
                                "records") from e
        self._index: SearchBackend | None = None
        self._index_down: str | None = None  # why the search backend stopped answering
        # records stored while the search backend was away: indexed by the next run
        self.unindexed_path = self.archive.root / "index" / f"unindexed-{settings.backend}.txt"

    # the index ---------------------------------------------------------------------------
    @property
    def index(self) -> SearchBackend:
        """The search backend, opened on first use. An outdated index raises (run `reindex`)."""
        idx = self._open_index()
        outdated = getattr(idx, "outdated", None)
        if outdated:
            raise BackendError(f"the {self.settings.backend} search index is outdated ({outdated}): "
                               f"run `digitize reindex --backend {self.settings.backend}`")
        return idx

    def _open_index(self) -> SearchBackend:
        if self._index is None:
            from indexer.registry import open_backend
            try:
                self._index = open_backend(self.settings.backend, self.archive.root,
                                           **self.settings.backend_options())
            except BackendUnavailable as e:
                raise BackendError(str(e)) from None
            except ValueError as e:
                raise BadUsage(str(e)) from None
        return self._index

    def index_missing(self) -> bool:
        """The embedded index file is gone (deleted `index/`)."""
        return (self.settings.backend == "embedded" and
                not (self.archive.root / "index" / "search.sqlite3").is_file())

    def ensure_index(self) -> None:
        """Rebuild the index when it is outdated or missing while records exist (writers call
        this before they start; opening never does it)."""
        missing = self.index_missing() and self.catalogue.count() > 0
        if missing or getattr(self._open_index(), "outdated", None):
            log.warning("search index missing or built by another version: rebuilding it")
            self.rebuild_index()

    def close(self) -> None:
        if self._index is not None:
            self._index.close()
        self.catalogue.close()

    # reading records ---------------------------------------------------------------------
    def page_texts(self, record_id: str, page_count: int | None = None) -> list[str]:
        """The record's OCR text, page by page, from its current files."""
        files = self.archive.current_files(record_id)
        pages = sorted(p for p in files if p.startswith("pages/") and p.endswith(".txt"))
        if page_count is not None:
            pages = pages[:page_count]
        return [files[p].read_text(encoding="utf-8").rstrip("\n") for p in pages]

    def index_doc(self, doc: dict[str, Any], texts: list[str] | None = None) -> IndexDoc:
        """What the index holds for a record, with a digest of it (`_digest` in its fields) so
        `verify` can tell an entry that is not current."""
        if texts is None:
            texts = self.page_texts(doc["id"], doc.get("page_count"))
        return with_digest(index_doc(doc, texts))

    def index_docs(self) -> Iterator[IndexDoc]:
        """What the index should hold for every catalogued record."""
        for doc in self.catalogue.iter_docs():
            yield self.index_doc(doc)

    def rebuild_index(self) -> int:
        """Rebuild the search index from the catalogue, under the commit lock (an ingest waits
        to commit meanwhile, so none of its entries is lost). Backends build aside and switch
        (Elasticsearch) or replace everything in one transaction (embedded): a rebuild killed
        midway leaves the old index whole."""
        n = 0

        def counted() -> Iterator[IndexDoc]:
            nonlocal n
            for d in self.index_docs():
                n += 1
                yield d
        idx = self._open_index()
        with self.archive.commit_lock():
            self.archive.on_step("reindex-start")
            idx.rebuild(counted())
            self.archive.on_step("reindex-done")
        return n

    def reconcile(self) -> int:
        """Make catalogue and index follow the objects after a crash, under the commit lock:
        records on disk but not catalogued are copied in, index entries of records that are
        not on disk are dropped. Returns how many were fixed."""
        with self.archive.commit_lock():
            on_disk = self.archive.record_ids_on_disk()
            fixed = 0
            for rid in sorted(on_disk - set(self.catalogue.ids())):
                try:
                    self.resync(rid)
                    fixed += 1
                except (NoRecord, ocfl.OcflError, OSError, ValueError, KeyError) as e:
                    log.warning("record %s cannot be read back: %s", rid, e)
            have = self.index.record_ids()
            stray = have - on_disk
            if stray:
                self.index.delete(stray)
            known = set(self.catalogue.ids())
            missing = (known - have) | (self.unindexed() & known)
            if missing:
                log.warning("indexing %d record(s) the search index lacks", len(missing))
                self.index.upsert([self.index_doc(d) for d in self.catalogue.iter_docs()
                                   if d["id"] in missing])
            self.unindexed_path.unlink(missing_ok=True)
        return fixed + len(stray) + len(missing)

    def unindexed(self) -> set[str]:
        """Records stored while the search backend was unavailable (maybe partly indexed)."""
        try:
            return set(self.unindexed_path.read_text().split())
        except FileNotFoundError:
            return set()

    def mark_unindexed(self, record_id: str) -> None:
        self.unindexed_path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.unindexed_path, "a", encoding="utf-8") as fh:
            fh.write(record_id + "\n")

    # writing -----------------------------------------------------------------------------
    def sync_record(self, record_id: str, texts: list[str] | None = None) -> bool:
        """Copy one record from its object into the catalogue, then the index (False: the
        search backend was unavailable; the record is indexed by the next run)."""
        doc = self.archive.read_metadata(record_id)
        events, _problems = self.archive.events(record_id)
        head = self.archive.inventory(record_id).head
        self.catalogue.sync(doc, events, head)
        self.archive.on_step("catalogue-written")
        indexed = self._upsert(self.index_doc(doc, texts))
        self.archive.on_step("index-written")
        return indexed

    def _upsert(self, entry: IndexDoc) -> bool:
        """Index one record. If the search backend is unavailable, the record stays stored (the
        archive is the source of truth) and is noted for the next run; after the first such
        failure this Store stops asking the backend."""
        if self._index_down is None:
            try:
                retry(lambda: self.index.upsert([entry]))
                return True
            except (BackendUnavailable, BackendError) as e:
                self._index_down = str(e)
                log.warning("%s; records are still stored, and indexed by the next run", e)
        self.mark_unindexed(entry.record_id)
        return False

    def resync(self, record_id: str) -> None:
        """`sync_record` under the record's lock (for callers that do not hold it)."""
        with self.archive.record_lock(record_id):
            self._recover_locked(record_id)
            self.sync_record(record_id)

    def commit_new_record(self, content: Path, doc: dict[str, Any],
                          events: list[dict[str, Any]]) -> bool:
        """Store a record built in `content` (from `archive.new_staging`) as a new object with
        its first events, then its index entry and catalogue row. The caller holds the commit
        lock."""
        rid = doc["id"]
        with self.archive.record_lock(rid):
            self.archive.commit_new(content, rid, events, str(events[0]["action"]),
                                    str(events[0].get("actor", "")))
            return self.sync_record(rid)

    def curate(self, record_id: str, decide: Callable[[dict[str, Any], Path], Change | None]
               ) -> Any:
        """Change one record as a transaction. `decide(doc, folder)` reads the record's current
        metadata, writes any new files into `folder` and returns the Change (None: nothing to
        do). Concurrent changes of one record wait for each other, so none is lost."""
        a = self.archive
        with a.record_lock(record_id):
            self._recover_locked(record_id)
            problems = fixity_problems(a, record_id)
            if problems:
                raise RecordDamaged(f"record {record_id} fails its fixity check ({problems[0]}"
                                    f"{'; ...' if len(problems) > 1 else ''}): it is left "
                                    "unchanged; run `digitize verify` and restore it first")
            doc = a.read_metadata(record_id)
            txn = a.begin_txn(record_id)
            change = decide(doc, txn / "new")
            if change is None:
                a.finish_txn(record_id)
                return None
            meta = txn / "new" / "metadata.json"
            meta.write_text(json.dumps(change.doc, ensure_ascii=False, indent=2) + "\n",
                            encoding="utf-8")
            files = {"metadata.json": meta, **change.files}
            a.commit_version(record_id, txn, files, change.event)
            self.sync_record(record_id)
            a.finish_txn(record_id)
            return change.result

    def add_event(self, record_id: str, action: str, outcome: str = "success",
                  detail: dict[str, Any] | None = None, actor: str | None = None) -> None:
        """Append an event that changes nothing else (verified, exported, a warning) to the
        record's log, then to the catalogue."""
        with self.archive.record_lock(record_id):
            self._recover_locked(record_id)
            stored = ev.append(self.archive.record_dir(record_id), [
                ev.new_event(action, detail, actor or current_actor(), outcome)])
            self.catalogue.add_events(record_id, stored)

    def recover(self, record_id: str) -> bool:
        """Finish or undo an interrupted change of the record (takes its lock)."""
        with self.archive.record_lock(record_id):
            return self._recover_locked(record_id)

    def _recover_locked(self, record_id: str) -> bool:
        if not self.archive.recover(record_id):
            return False
        if self.archive.has_record(record_id):
            self.sync_record(record_id)
        self.archive.finish_txn(record_id)
        return True

    def recover_all(self) -> int:
        """Finish or undo every interrupted change (after a crash)."""
        return sum(self.recover(rid) for rid in self.archive.pending_transactions())


def fixity_problems(archive: Archive, record_id: str) -> list[str]:
    """Why the record's object or event log is not intact (empty when it is)."""
    obj = archive.record_dir(record_id)
    found = [f"{kind}: {detail}" for kind, detail in ocfl.validate_object(obj)]
    _events, log_problems = ev.read(obj)
    return found + [f"event log: {p}" for p in log_problems]


def with_digest(d: IndexDoc) -> IndexDoc:
    """`d` with `_digest` in its fields: SHA-256 of its title, fields and page texts."""
    fields = {k: v for k, v in d.fields.items() if k != "_digest"}
    body = json.dumps([d.title, fields, [p.text for p in d.pages], d.ingested_at],
                      ensure_ascii=False, sort_keys=True, default=str)
    d.fields = {**fields, "_digest": hashlib.sha256(body.encode()).hexdigest()[:32]}
    return d
