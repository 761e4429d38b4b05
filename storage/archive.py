"""Record folders on disk. A record is built in a staging folder, fsynced, listed in a manifest with
SHA-256 checksums, then made visible by one atomic rename, so a crash never leaves half a record.

Layout under the archive root:
    catalogue.sqlite3                      the catalogue (storage.catalogue)
    records/<id[:2]>/<id>/manifest.json    every file of the record with size and SHA-256
    records/<id[:2]>/<id>/original/...     the input files, byte for byte
    records/<id[:2]>/<id>/document.pdf     the PDF/A
    records/<id[:2]>/<id>/pages/p0001.txt  OCR text, and p0001.words.tsv word boxes
    records/<id[:2]>/<id>/metadata.json    the record's metadata and fields
    staging/                               records being built (removed when their writer is gone)
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
from typing import Iterator

from storage.files import fsync_dir, fsync_tree, remove_tree, sha256_file

MANIFEST = "manifest.json"


@dataclass
class Problem:
    record_id: str
    kind: str  # missing | altered | orphaned | unlisted | bad-manifest
    path: str
    detail: str = ""


class Archive:
    """The folder tree of an archive. Creates it on first use."""

    def __init__(self, root: Path):
        self.root = Path(root)
        self.records = self.root / "records"
        self.staging = self.root / "staging"
        for d in (self.root, self.records, self.staging):
            d.mkdir(parents=True, exist_ok=True)

    @property
    def catalogue_path(self) -> Path:
        return self.root / "catalogue.sqlite3"

    def record_dir(self, record_id: str) -> Path:
        return self.records / record_id[:2] / record_id

    def new_staging(self, record_id: str) -> Path:
        """A fresh private folder to build a record in."""
        d = self.staging / f"{record_id}.{os.getpid()}.{uuid.uuid4().hex[:8]}"
        d.mkdir(parents=True)
        return d

    def clean_staging(self) -> int:
        """Remove staging folders left by writers that are no longer running."""
        removed = 0
        for d in self.staging.iterdir():
            if staging_owner_alive(d):
                continue
            remove_tree(d)
            removed += 1
        return removed

    @contextmanager
    def commit_lock(self) -> Iterator[None]:
        """Serialise the commit step (folder rename, index, catalogue) across processes.

        Held only for the few milliseconds of a commit, so two `ingest` runs on one archive
        interleave their OCR freely but never commit the same record twice. The kernel drops the
        lock when its holder dies, even by SIGKILL."""
        with open(self.root / ".commit.lock", "a+b") as fh:
            fcntl.flock(fh.fileno(), fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(fh.fileno(), fcntl.LOCK_UN)

    def commit(self, staging: Path, record_id: str) -> Path:
        """Write the manifest, fsync everything and move the staged record into place.

        An existing folder for the same id (a re-ingest, or what a crash left) is replaced."""
        write_manifest(staging, record_id)
        fsync_tree(staging)
        final = self.record_dir(record_id)
        final.parent.mkdir(parents=True, exist_ok=True)
        old = None
        if final.exists():
            old = self.staging / f"{record_id}.{os.getpid()}.old{uuid.uuid4().hex[:8]}"
            os.rename(final, old)
        os.rename(staging, final)
        fsync_dir(final.parent)
        if old is not None:
            remove_tree(old)
        return final

    def record_ids_on_disk(self) -> set[str]:
        return {d.name for shard in self.records.iterdir() if shard.is_dir()
                for d in shard.iterdir() if d.is_dir()}

    def verify_record(self, record_id: str) -> list[Problem]:
        """Re-hash every file in the record's manifest; report missing, altered and unlisted."""
        rdir = self.record_dir(record_id)
        if not rdir.is_dir():
            return [Problem(record_id, "missing", str(rdir), "record folder missing")]
        try:
            manifest = json.loads((rdir / MANIFEST).read_text())
        except (OSError, ValueError) as e:
            return [Problem(record_id, "bad-manifest", str(rdir / MANIFEST), str(e))]
        problems = []
        listed = set()
        for entry in manifest.get("files", []):
            p = rdir / entry["path"]
            listed.add(entry["path"])
            if not p.is_file():
                problems.append(Problem(record_id, "missing", str(p)))
            elif p.stat().st_size != entry["size"] or sha256_file(p) != entry["sha256"]:
                problems.append(Problem(record_id, "altered", str(p), "checksum differs"))
        for p in rdir.rglob("*"):
            rel = p.relative_to(rdir).as_posix()
            if p.is_file() and rel != MANIFEST and rel not in listed:
                problems.append(Problem(record_id, "unlisted", str(p)))
        return problems


def write_manifest(folder: Path, record_id: str) -> dict:
    """List every file below `folder` with size and SHA-256 into folder/manifest.json."""
    files = []
    for p in sorted(folder.rglob("*")):
        if p.is_file() and p.name != MANIFEST:
            files.append({"path": p.relative_to(folder).as_posix(), "size": p.stat().st_size,
                          "sha256": sha256_file(p)})
    manifest = {"record_id": record_id, "algorithm": "sha256",
                "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "files": files}
    (folder / MANIFEST).write_text(json.dumps(manifest, ensure_ascii=False, indent=2) + "\n")
    return manifest


def read_manifest(folder: Path) -> dict:
    return json.loads((folder / MANIFEST).read_text())


def staging_owner_alive(folder: Path) -> bool:
    """Whether the process that made staging folder `<id>.<pid>.<tag>` is still running
    (this process counts as running)."""
    parts = folder.name.split(".")
    pid = int(parts[1]) if len(parts) >= 3 and parts[1].isdigit() else 0
    return bool(pid) and (pid == os.getpid() or _alive(pid))


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
