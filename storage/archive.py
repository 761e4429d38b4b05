"""The archive on disk: an OCFL storage root of record objects, staging, locks and the catalogue.

Layout under the archive root:
    objects/                  the OCFL 1.1 storage root: one object per record (storage.ocfl),
                              each with its files, versions and event log (storage.events)
    catalogue.sqlite3         the catalogue (storage.catalogue), derived from the objects
    index/                    the embedded search index, derived from the catalogue
    staging/                  records and versions being built; each live one is held by a lock
    locks/                    one lock file per record being changed
    damaged/                  objects set aside because they could not be read (never deleted)

A new record is built in staging, fsynced and moved into the storage root by one rename; a change
is a new OCFL version, committed under the record's lock by `commit_version` (a transaction:
staged, fsynced, renamed into the object, root inventory, event appended; `recover` finishes or
undoes one that a crash interrupted). Record files are created owner-and-group only (they hold
personal ID numbers).
"""
from __future__ import annotations

import fcntl
import json
import os
import time
import uuid
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterator

from storage import events as ev
from storage import ocfl
from storage.files import fsync_path, remove_tree

METADATA = "metadata.json"
PRIVATE_UMASK = 0o027  # files 0640, folders 0750


@dataclass
class Problem:
    record_id: str
    kind: str  # missing | altered | unlisted | bad-inventory | bad-log | ... (see storage.verify)
    path: str
    detail: str = ""
    repair: str = ""  # how to repair it (empty: see the kind's default in storage.verify)


class RecordBusy(Exception):
    """Another process holds the record's lock."""


class NoRecord(Exception):
    """No object for this record id in the storage root."""


def private_umask() -> None:
    """Make every file this process creates from now on owner-and-group only."""
    old = os.umask(PRIVATE_UMASK)
    os.umask(old | PRIVATE_UMASK)


def step_hook(step: str) -> None:
    """Called with the name of each step of a transaction as it completes ("staged",
    "version-renamed", "inventory-written", "event-appended", "catalogue-written",
    "index-written", "object-renamed", "reindex-start", "reindex-done", "catalogue-rebuilt").
    Does nothing; tests replace it to stop a transaction where a crash would."""
    return None


class Archive:
    """The folder tree of an archive. Creates it on first use when `create`."""

    def __init__(self, root: Path, create: bool = True):
        self.root = Path(root)
        self.objects = self.root / "objects"
        self.staging = self.root / "staging"
        self.locks = self.root / "locks"
        # called with the name of each step of a transaction as it completes: the seam through
        # which tests stop a transaction where a crash would
        self.on_step: Callable[[str], None] = lambda step: step_hook(step)
        self._held: dict[Path, Any] = {}
        private_umask()  # every writer of record files opens the archive first
        if create:
            for d in (self.root, self.staging, self.locks):
                d.mkdir(parents=True, exist_ok=True)
            ocfl.init_root(self.objects)

    @property
    def catalogue_path(self) -> Path:
        return self.root / "catalogue.sqlite3"

    def exists(self) -> bool:
        return (self.objects / ocfl.ROOT_DECLARATION).is_file()

    def legacy(self) -> bool:
        """An archive in the layout before OCFL (records/<id[:2]>/<id>/manifest.json)."""
        return (self.root / "records").is_dir()

    # records ---------------------------------------------------------------------------------
    def record_dir(self, record_id: str) -> Path:
        """The record's OCFL object folder."""
        return self.objects / ocfl.object_path(record_id)

    def has_record(self, record_id: str) -> bool:
        return (self.record_dir(record_id) / ocfl.INVENTORY).is_file()

    def inventory(self, record_id: str) -> ocfl.Inventory:
        if not self.has_record(record_id):
            raise NoRecord(record_id)
        return ocfl.read_inventory(self.record_dir(record_id))

    def current_files(self, record_id: str) -> dict[str, Path]:
        """The record's files now: logical path -> file, through the inventory's head state."""
        return self.inventory(record_id).head_files(self.record_dir(record_id))

    def file(self, record_id: str, logical: str) -> Path:
        """One current file of the record (e.g. "document.pdf", "pages/p0001.txt")."""
        obj = self.record_dir(record_id)
        inv = self.inventory(record_id)
        digest = inv.state().get(logical)
        if digest is None:
            raise FileNotFoundError(f"{record_id} has no {logical}")
        return obj / inv.content_path(digest)

    def read_metadata(self, record_id: str) -> dict[str, Any]:
        return json.loads(self.file(record_id, METADATA).read_text(encoding="utf-8"))

    def events(self, record_id: str) -> tuple[list[dict[str, Any]], list[str]]:
        return ev.read(self.record_dir(record_id))

    def record_ids_on_disk(self) -> set[str]:
        ids = set()
        for obj in ocfl.iter_objects(self.objects):
            if "%" not in obj.name and len(obj.name) <= 100:
                ids.add(obj.name)  # layout 0003: the folder is named by the id itself
                continue
            try:
                ids.add(ocfl.read_inventory(obj).id)
            except (ocfl.OcflError, KeyError):
                ids.add(obj.name)
        return ids

    # locks and staging -----------------------------------------------------------------------
    @contextmanager
    def record_lock(self, record_id: str, wait: bool = True) -> Iterator[None]:
        """Hold the record's lock (fcntl, dropped by the kernel if the holder dies)."""
        with _flock(self.locks / f"{record_id}.lock", wait):
            yield

    @contextmanager
    def commit_lock(self) -> Iterator[None]:
        """Serialise new records' commits (object, index, catalogue) and index rebuilds across
        processes. Held only for the few milliseconds of a commit."""
        with _flock(self.root / ".commit.lock", True):
            yield

    def new_staging(self, record_id: str) -> Path:
        """A fresh private folder to build a record's files in (returns its `content` folder).
        A lock held for as long as this process uses it marks it live."""
        name = f"{record_id}.{uuid.uuid4().hex[:12]}"
        lock = self.staging / f"{name}.lock"
        fh = open(lock, "a+b")
        fcntl.flock(fh.fileno(), fcntl.LOCK_EX)
        d = self.staging / name
        self._held[d] = fh
        (d / "content").mkdir(parents=True)
        return d / "content"

    def discard_staging(self, content: Path) -> None:
        """Remove a staging folder made by `new_staging` and release it."""
        d = content.parent
        remove_tree(d)
        self._release(d)

    def _release(self, d: Path) -> None:
        fh = self._held.pop(d, None)
        (self.staging / f"{d.name}.lock").unlink(missing_ok=True)
        if fh is not None:
            fh.close()

    def stray_staging(self) -> list[Path]:
        """Staging folders no live process holds (left by a crash). Transaction folders
        (txn-<id>) are left to `recover`, which finishes or undoes them under the record lock."""
        stray = []
        for d in sorted(self.staging.iterdir()) if self.staging.is_dir() else []:
            if not d.is_dir() or d.name.startswith("txn-"):
                continue
            if d in self._held:
                continue
            try:
                with _flock(self.staging / f"{d.name}.lock", wait=False):
                    stray.append(d)
            except RecordBusy:
                continue
        return stray

    def pending_transactions(self) -> list[str]:
        """Record ids with a transaction folder (a change interrupted, or under way)."""
        return sorted(d.name[4:] for d in self.staging.iterdir()
                      if d.is_dir() and d.name.startswith("txn-")) if self.staging.is_dir() else []

    def clean_staging(self) -> int:
        """Remove staging folders that no running writer holds."""
        n = 0
        for d in self.stray_staging():
            remove_tree(d)
            (self.staging / f"{d.name}.lock").unlink(missing_ok=True)
            n += 1
        for lock in self.staging.glob("*.lock"):  # a writer killed before its folder existed
            d = lock.with_suffix("")
            if not d.exists() and d not in self._held:
                try:
                    with _flock(lock, wait=False):
                        lock.unlink(missing_ok=True)
                except RecordBusy:
                    pass
        return n

    # committing ------------------------------------------------------------------------------
    def commit_new(self, content: Path, record_id: str, events: list[dict[str, Any]],
                   message: str, user: str) -> tuple[Path, list[dict[str, Any]]]:
        """Make the staged record files in `content` (from `new_staging`) a new OCFL object with
        its first events, fsync it and move it into the storage root by one rename.

        An object already there that cannot be read is set aside in damaged/ (its events are
        carried over when readable); the caller checks first that no readable one exists."""
        stage = content.parent / "object"
        ocfl.stage_object(stage, record_id, content, message, user)
        final = self.record_dir(record_id)
        old_events: list[dict[str, Any]] = []
        if final.exists():
            old_events, _ = ev.read(final)
            aside = self.root / "damaged" / f"{record_id}.{time.strftime('%Y%m%dT%H%M%S')}"
            aside.parent.mkdir(parents=True, exist_ok=True)
            os.rename(final, aside)
        stored = ev.write_new(stage, old_events + events)
        fsync_path(stage / "logs")
        final.parent.mkdir(parents=True, exist_ok=True)
        os.rename(stage, final)
        fsync_path(final.parent)
        self.on_step("object-renamed")
        remove_tree(content.parent)
        self._release(content.parent)
        return final, stored[len(old_events):]

    def begin_txn(self, record_id: str) -> Path:
        """A fresh transaction folder for a change of `record_id` (lock held by the caller);
        new files are written into its `new/` folder."""
        txn = self.staging / f"txn-{record_id}"
        remove_tree(txn)
        (txn / "new").mkdir(parents=True)
        return txn

    def commit_version(self, record_id: str, txn: Path, files: dict[str, Path],
                       event: dict[str, Any], removed: set[str] | None = None
                       ) -> dict[str, Any]:
        """Commit a change of the record as a new OCFL version (the caller holds the record's
        lock and has written `files`, logical path -> file inside `txn`). Steps: pending event
        written, version staged and fsynced, renamed into the object (the commit point), root
        inventory, event appended. Returns the stored event. `finish_txn` ends it once the
        catalogue and index have followed."""
        obj = self.record_dir(record_id)
        prev = ocfl.read_inventory(obj)
        version = f"v{prev.head_number + 1}"
        event = {**event, "version": version, "txn": uuid.uuid4().hex}
        _write_durable(txn / "pending.json", json.dumps({"event": event}).encode())
        inv = ocfl.stage_version(txn, record_id, prev, files, removed or set(),
                                 _version_message(event), event.get("actor", ""))
        fsync_path(txn)
        self.on_step("staged")
        os.rename(txn / version, obj / version)
        fsync_path(obj)
        self.on_step("version-renamed")
        ocfl.install_root_inventory(obj, inv.head)
        self.on_step("inventory-written")
        stored = ev.append(obj, [event])[0]
        self.on_step("event-appended")
        return stored

    def finish_txn(self, record_id: str) -> None:
        remove_tree(self.staging / f"txn-{record_id}")

    def recover(self, record_id: str) -> bool:
        """Finish or undo what a crash left of a change of this record (lock held by the caller).
        A version already renamed into the object is finished (root inventory, event); one still
        in staging is dropped. True when the record changed and its catalogue row and index
        entry must follow (then call `finish_txn`)."""
        obj = self.record_dir(record_id)
        changed = obj.is_dir() and ev.cut_torn_tail(obj)
        txn = self.staging / f"txn-{record_id}"
        if not txn.is_dir():
            return changed
        try:
            event = json.loads((txn / "pending.json").read_bytes())["event"]
        except (OSError, ValueError, KeyError):
            event = None
        if event is None or not (obj / event["version"]).is_dir():
            self.finish_txn(record_id)  # never reached the commit point: the old state stays
            return changed
        # the version was renamed in: the root inventory and the event follow it (only here,
        # where a transaction says so, is a root inventory older than the last version mended)
        ocfl.recover(obj)
        logged, _ = ev.read(obj)
        if not any(e.get("txn") == event["txn"] for e in logged):
            ev.append(obj, [event])
        return True


def _version_message(event: dict[str, Any]) -> str:
    d = event.get("detail") or {}
    what = {k: d[k] for k in ("field", "dossier") if k in d}
    return f"{event.get('action')} {json.dumps(what, ensure_ascii=False)}" if what else \
        str(event.get("action"))


def _write_durable(path: Path, data: bytes) -> None:
    with open(path, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())


@contextmanager
def _flock(path: Path, wait: bool) -> Iterator[None]:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a+b") as fh:
        try:
            fcntl.flock(fh.fileno(), fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
        except BlockingIOError as e:
            raise RecordBusy(str(path)) from e
        try:
            yield
        finally:
            fcntl.flock(fh.fileno(), fcntl.LOCK_UN)

