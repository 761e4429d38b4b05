"""BagIt export (RFC 8493): records packed for transfer to a historical archive.

The bag's payload holds, per record, its folder exactly as archived (its OCFL object: every
version of originals, PDF/A, text and metadata.json, the inventory, the event log) plus
`history.json`, the record's events (who, when, what, outcome) in the spirit of PREMIS.
`records.csv` at the payload root lists every record with its key fields and archive metadata
(fonds, box, ...). The `bagit` library writes SHA-256 and
SHA-512 payload manifests; the bag is validated before it is moved into place, so OUT is either
a complete, valid bag or absent.
"""
from __future__ import annotations

import csv
import json
import os
import shutil
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable

import bagit

from storage.files import fsync_tree, remove_tree, sha256_file

KEY_FIELDS = ("number", "issued_date", "doc_type", "issuer", "subject")


@dataclass
class BagRecord:
    """One record to pack: its id, archived folder, catalogue document and history."""

    record_id: str
    folder: Path
    doc: dict[str, Any]
    history: list[dict[str, Any]]
    digests: dict[str, str] = field(default_factory=dict)  # path in folder -> SHA-256


class BagError(Exception):
    """The bag could not be written or did not validate."""


def write_bag(out: Path, records: Iterable[BagRecord], bag_info: dict[str, str],
              replace: bool = False) -> int:
    """Write a BagIt bag of `records` at `out`, which must not exist (or be an empty folder)
    unless `replace`: then what is there is replaced once the new bag is complete and valid.
    Each record's copy is checked against its digests first. Returns the record count."""
    out = Path(out)
    exists = out.exists() or out.is_symlink()
    if exists and not replace and (not out.is_dir() or any(out.iterdir())):
        raise BagError(f"{out} already exists and is not an empty folder; --force replaces it")
    tmp = out.parent / f".{out.name}.partial-{os.getpid()}-{uuid.uuid4().hex[:6]}"
    tmp.mkdir(parents=True)
    try:
        rows: list[dict[str, Any]] = []
        for r in records:
            dest = tmp / "records" / r.record_id
            shutil.copytree(r.folder, dest, symlinks=True)
            damage = copy_problems(dest, r.digests)
            if damage:
                raise BagError(f"record {r.record_id} refused: {damage[0]}"
                               + (f" and {len(damage) - 1} more" if len(damage) > 1 else ""))
            (dest / "history.json").write_text(
                json.dumps(r.history, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
            rows.append(_row(r))
        _write_index(tmp / "records.csv", rows)
        info = {"Bag-Software-Agent": "digitize", "Payload-Records": str(len(rows)), **bag_info}
        bag = bagit.make_bag(str(tmp), info, processes=1, checksums=["sha256", "sha512"])
        try:
            bag.validate()
        except bagit.BagValidationError as e:
            raise BagError(f"the bag did not validate: {e}") from e
        fsync_tree(tmp)
        _move_into_place(tmp, out)
    except BaseException:
        remove_tree(tmp)
        raise
    return len(rows)


def _move_into_place(tmp: Path, out: Path) -> None:
    """Rename the finished bag to `out`; what was at `out` is moved aside first and removed
    only once the new bag is in place."""
    if not (out.exists() or out.is_symlink()):
        os.rename(tmp, out)
        return
    old = out.parent / f".{out.name}.old-{os.getpid()}-{uuid.uuid4().hex[:6]}"
    os.rename(out, old)
    try:
        os.rename(tmp, out)
    except BaseException:
        os.rename(old, out)
        raise
    if old.is_dir() and not old.is_symlink():
        remove_tree(old)
    else:
        old.unlink()


def copy_problems(copy: Path, digests: dict[str, str]) -> list[str]:
    """What differs between the copy of a record and the digests of its files as archived
    (`digests`: path -> SHA-256): files missing, altered, or not listed. Checked on the copy,
    so a file changed between `verify` and the copy is caught too."""
    if not digests:
        return ["no file digests to check the record against"]
    problems = [f"{path} missing" if not (copy / path).is_file() else f"{path} altered"
                for path, digest in sorted(digests.items())
                if not (copy / path).is_file() or sha256_file(copy / path) != digest]
    for p in sorted(copy.rglob("*")):
        rel = p.relative_to(copy).as_posix()
        if (p.is_file() or p.is_symlink()) and rel not in digests:
            problems.append(f"{rel} not listed")
    return problems


def validate_bag(path: Path) -> str | None:
    """None when the bag at `path` is complete and every checksum matches, else the reason."""
    try:
        bagit.Bag(str(path)).validate()
    except (bagit.BagError, bagit.BagValidationError) as e:
        return str(e)
    return None


def _row(r: BagRecord) -> dict[str, Any]:
    fields = r.doc.get("fields", {})
    row: dict[str, Any] = {"id": r.record_id, "title": r.doc.get("title", ""),
                           "page_count": r.doc.get("page_count", 0)}
    for k in KEY_FIELDS:
        v = fields.get(k, {}).get("value") if isinstance(fields.get(k), dict) else None
        if v is not None and not isinstance(v, str):
            v = json.dumps(v, ensure_ascii=False)
        row[k] = v or ""
    for k, v in (r.doc.get("archive_metadata") or {}).items():
        row.setdefault(k, v)
    return row


def _write_index(path: Path, rows: list[dict[str, Any]]) -> None:
    columns: list[str] = ["id", "title", "page_count", *KEY_FIELDS]
    for row in rows:
        columns += [k for k in row if k not in columns]
    with open(path, "w", encoding="utf-8", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=columns)
        w.writeheader()
        w.writerows(rows)
