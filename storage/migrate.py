"""Convert an archive in the layout before OCFL (records/<id[:2]>/<id>/ with manifest.json, and
history, corrections and dossier links only in catalogue.sqlite3) into record objects, losing
nothing: every file, every event, every correction, every link.

Each old record becomes an OCFL object (v1 = its files as they are, manifest.json aside: the
inventory replaces it) whose event log holds the old catalogue's events for it, in order, then
a correction or link the old catalogue held without an event for it, then a "migrated" event
(where from, its fixity against the old manifest). Resumable: a record already converted is
skipped. At the end the old catalogue is kept as catalogue.legacy.sqlite3 and the old folders
are removed; records that could not be converted stay in records.not-migrated/ and are named.
"""
from __future__ import annotations

import json
import os
import shutil
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from storage.archive import Archive
from storage.catalogue import current_actor
from storage.events import new_event
from storage.files import copy_durable, sha256_file

LEGACY_CATALOGUE = "catalogue.legacy.sqlite3"


@dataclass
class MigrateReport:
    migrated: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)   # already converted by an earlier run
    failed: dict[str, str] = field(default_factory=dict)
    fixity_warnings: dict[str, list[str]] = field(default_factory=dict)
    catalogue_only: list[str] = field(default_factory=list)  # rows without a folder

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def _old_tables(path: Path) -> dict[str, Any]:
    out: dict[str, Any] = {"events": {}, "corrections": {}, "links": {}, "docs": {}}
    if not path.is_file():
        return out
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master")}
        if "events" in tables:
            for rid, at, actor, action, outcome, detail in db.execute(
                    "SELECT record_id, at, actor, action, outcome, detail FROM events "
                    "ORDER BY seq"):
                out["events"].setdefault(rid, []).append(new_event(
                    action, json.loads(detail or "{}"), actor, outcome, at))
        if "corrections" in tables:
            for rid, fld, value, at, actor in db.execute(
                    "SELECT record_id, field, value, at, actor FROM corrections"):
                out["corrections"].setdefault(rid, []).append((fld, json.loads(value), at, actor))
        if "dossier_links" in tables:
            for dossier, rid, at in db.execute("SELECT dossier, record_id, at FROM dossier_links"):
                out["links"].setdefault(rid, []).append((dossier, at))
        if "records" in tables:
            out["docs"] = {rid: doc for rid, doc in db.execute("SELECT id, doc FROM records")}
    finally:
        db.close()
    return out


def _legacy_dirs(records: Path) -> dict[str, Path]:
    return {d.name: d for shard in sorted(records.iterdir()) if shard.is_dir()
            for d in sorted(shard.iterdir()) if d.is_dir()}


def _fixity(rdir: Path) -> tuple[list[str], dict | None]:
    try:
        manifest = json.loads((rdir / "manifest.json").read_text())
    except (OSError, ValueError) as e:
        return [f"manifest.json unreadable ({e})"], None
    problems = []
    for entry in manifest.get("files", []):
        p = rdir / entry["path"]
        if not p.is_file():
            problems.append(f"missing {entry['path']}")
        elif sha256_file(p) != entry["sha256"]:
            problems.append(f"altered {entry['path']}")
    return problems, manifest


def _events_for(rid: str, old: dict[str, Any], rel: str, problems: list[str],
                manifest: dict | None, files: int) -> list[dict[str, Any]]:
    events = list(old["events"].get(rid, []))
    corrected = {(e["detail"].get("field"), json.dumps(e["detail"].get("new"), sort_keys=True))
                 for e in events if e["action"] == "corrected"}
    for fld, value, at, actor in old["corrections"].get(rid, []):
        if (fld, json.dumps(value, sort_keys=True)) not in corrected:
            events.append(new_event("corrected", {"field": fld, "old": None, "new": value,
                                                  "note": "from the old catalogue's corrections"},
                                    actor, at=at))
    linked = {e["detail"].get("dossier") for e in events if e["action"] == "linked"}
    for dossier, at in old["links"].get(rid, []):
        if dossier not in linked:
            events.append(new_event("linked", {"dossier": dossier, "note": "from the old "
                                               "catalogue's dossier links"}, "", at=at))
    for e in events:
        e["actor"] = e["actor"] or "unknown"
    events.append(new_event("migrated", {
        "from": rel, "files": files, "fixity": problems or "ok",
        "manifest_created": (manifest or {}).get("created")}, current_actor(),
        "warning" if problems else "success"))
    return events


def migrate_record(archive: Archive, rid: str, rdir: Path, old: dict[str, Any],
                   report: MigrateReport) -> None:
    problems, manifest = _fixity(rdir)
    content = archive.new_staging(rid)
    try:
        files = [p for p in sorted(rdir.rglob("*")) if p.is_file() and p.name != "manifest.json"]
        for p in files:
            copy_durable(p, content / p.relative_to(rdir))
        meta = content / "metadata.json"
        doc = json.loads(meta.read_text(encoding="utf-8"))
        links = sorted(set(doc.get("dossiers", [])) |
                       {d for d, _at in old["links"].get(rid, [])})
        if links != doc.get("dossiers", []):  # the old `link` kept links in the catalogue only
            doc["dossiers"] = links
            meta.write_text(json.dumps(doc, ensure_ascii=False, indent=2) + "\n",
                            encoding="utf-8")
        events = _events_for(rid, old, rdir.relative_to(archive.root).as_posix(), problems,
                             manifest, len(files))
        archive.commit_new(content, rid, events, "migrated from the layout before OCFL",
                           current_actor())
    except BaseException:
        archive.discard_staging(content)
        raise
    report.migrated.append(rid)
    if problems:
        report.fixity_warnings[rid] = problems


def migrate(root: Path) -> MigrateReport:
    """Convert the archive at `root` (see the module's docstring). The catalogue is rebuilt by
    the caller from the new objects."""
    root = Path(root)
    records = root / "records"
    report = MigrateReport()
    if not records.is_dir():
        return report
    old_cat = root / "catalogue.sqlite3"
    legacy_cat = root / LEGACY_CATALOGUE
    old = _old_tables(legacy_cat if legacy_cat.is_file() else old_cat)
    archive = Archive(root)
    dirs = _legacy_dirs(records)
    for rid, rdir in dirs.items():
        if archive.has_record(rid):
            report.skipped.append(rid)
            continue
        try:
            migrate_record(archive, rid, rdir, old, report)
        except (OSError, ValueError, KeyError) as e:
            report.failed[rid] = f"{type(e).__name__}: {e}"
    report.catalogue_only = sorted(set(old["docs"]) - set(dirs))
    if old_cat.is_file() and not legacy_cat.is_file():
        for suffix in ("", "-wal", "-shm"):
            if Path(f"{old_cat}{suffix}").exists():
                os.replace(f"{old_cat}{suffix}", f"{legacy_cat}{suffix}")
    if report.failed:
        keep = root / "records.not-migrated"
        for rid in report.failed:
            dest = keep / rid[:2] / rid
            dest.parent.mkdir(parents=True, exist_ok=True)
            os.rename(dirs[rid], dest)
    shutil.rmtree(records)
    return report
