"""Every layer checked and, where no person is needed, repaired: the records (fixity of their
files and event logs), the catalogue against the records, the index against the catalogue.

`verify` reports, `repair` fixes what it can (interrupted changes, stray staging, catalogue rows
and index entries that do not follow their records), `rebuild` recreates the catalogue and the
index from the record objects alone (history, corrections and links included).
"""
from __future__ import annotations

import logging
import os
import sqlite3
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator

from digitize.config import Settings
from digitize.errors import NotFound
from digitize.store import Store, fixity_problems
from storage import ocfl
from storage.archive import Archive, NoRecord
from storage.catalogue import Catalogue, LegacyCatalogue
from storage.verify import AUTO, PdfCheck, VerifyReport, check_pdfa_bytes, verify_archive

log = logging.getLogger("digitize")


def check_index(store: Store, report: VerifyReport) -> None:
    """The index against the catalogue: every record present, none extra, each entry current."""
    where = str(store.archive.root / "index")
    cat_ids = set(store.catalogue.ids())
    if store.index_missing():
        if cat_ids:
            report.add("", "no-index", where, f"the search index is missing; the catalogue "
                       f"holds {len(cat_ids)} record(s)")
        return
    idx = store._open_index()
    outdated = getattr(idx, "outdated", None)
    if outdated:
        report.add("", "no-index", where, f"the search index {outdated}")
        return
    indexed = idx.record_ids()
    for rid in sorted(cat_ids - indexed):
        report.add(rid, "not-indexed", where, "catalogued but not in the search index")
    for rid in sorted(indexed - cat_ids):
        report.add(rid, "index-extra", where, "in the search index but not catalogued")
    digests = getattr(idx, "record_digests", None)
    if digests is None:
        return
    have = digests()
    for rid in sorted(cat_ids & indexed):
        try:  # what the index should say comes from the record itself
            want = store.index_doc(store.archive.read_metadata(rid)).fields["_digest"]
        except (NoRecord, ocfl.OcflError, OSError, ValueError, KeyError):
            continue  # the record itself is damaged: reported by the record layer
        if have.get(rid) != want:
            report.add(rid, "index-stale", where, "the index entry is not the record's current "
                       "content")


def verify(settings: Settings, sample: int | None = None, record_events: bool = True,
           check_pdf: PdfCheck = check_pdfa_bytes, trust: list[Path] | None = None
           ) -> VerifyReport:
    """Check every layer; each checked record gets a "verified" event (kept apart from its
    curation history)."""
    archive = Archive(settings.archive, create=False)
    if not archive.exists():
        if archive.legacy():
            raise NotFound(f"{settings.archive} is in the layout before OCFL: run `digitize "
                           "migrate` first")
        raise NotFound(f"no archive at {settings.archive}")
    store = _open_or_none(settings)
    try:
        signed: list[tuple[str, str, str, str]] = []

        def note(rid: str, problems: list) -> None:
            extra = signature_findings(archive, rid, trust)  # signed copy and signed originals
            signed.extend((rid, *f) for f in extra)
            if record_events and store is not None:
                try:
                    store.add_event(rid, "verified", "failure" if problems or extra else "success",
                                    {"problems": ([f"{p.kind}: {p.path}" for p in problems]
                                                 + [f"{k}: {p}" for k, p, _ in extra])[:20]})
                except (OSError, NoRecord, ocfl.OcflError):
                    pass
        report = verify_archive(archive, store.catalogue if store else None, sample,
                                check_pdf=check_pdf, on_record=note)
        for rid, kind, path, detail in signed:
            report.add(rid, kind, path, detail)
        if store is not None:
            check_index(store, report)
        return report
    finally:
        if store is not None:
            store.close()


def signature_findings(archive: Archive, record_id: str, trust: list[Path] | None
                       ) -> list[tuple[str, str, str]]:
    """(kind, path, detail) for each signature problem of a record: its signed copy (bytes
    intact, valid, trusted when a trust store is given) and the originals that arrived signed
    and validated at ingest but no longer do."""
    from digitize.signing import SIGNED_PDF, signature_problems
    try:
        files = archive.current_files(record_id)
    except (OSError, NoRecord, ocfl.OcflError, ValueError, KeyError):
        return []  # the record layer reports the damage
    out = []
    if SIGNED_PDF in files:
        out += [("bad-signature", str(files[SIGNED_PDF]), why)
                for why in signature_problems(files[SIGNED_PDF], trust)]
    try:
        doc = archive.read_metadata(record_id)
    except (OSError, ValueError, KeyError, NoRecord, ocfl.OcflError):
        return out
    for f in doc.get("source_files") or []:
        was_valid = [s for s in f.get("signatures") or [] if s.get("valid")]
        path = files.get(f"original/{f.get('name')}")
        if was_valid and path is not None:
            out += [("original-signature", str(path), why)
                    for why in signature_problems(path, trust)]
    return out


def _open_or_none(settings: Settings) -> Store | None:
    """The Store, or None when the catalogue is missing or unreadable (reported by verify)."""
    if not Archive(settings.archive, create=False).catalogue_path.is_file():
        return None
    try:
        return Store(settings, create=False)
    except Exception as e:  # an unreadable catalogue: verify reports it, rebuild fixes it
        log.warning("%s", e)
        return None


@dataclass
class RepairReport:
    done: list[str] = field(default_factory=list)
    remaining: VerifyReport = field(default_factory=VerifyReport)

    def to_dict(self) -> dict[str, Any]:
        return {"done": self.done, "remaining": self.remaining.to_dict()}


def repair(settings: Settings) -> RepairReport:
    """Do what needs no person: finish or undo interrupted changes, remove stray staging, cut
    torn event-log lines, recreate a lost catalogue, copy records into the catalogue and index
    again where they differ. Damaged records (fixity) are left for a person; reported."""
    out = RepairReport()
    archive = Archive(settings.archive, create=False)
    if not archive.exists():
        raise NotFound(f"no archive at {settings.archive}")
    if _open_or_none(settings) is None:
        n = rebuild_catalogue(settings)
        out.done.append(f"catalogue recreated from {n} record(s)")
    with _store(settings) as store:
        for rid in sorted(store.archive.record_ids_on_disk()):
            if store.recover(rid):
                out.done.append(f"{rid}: interrupted change finished or undone")
        n = store.archive.clean_staging()
        if n:
            out.done.append(f"{n} stray staging folder(s) removed")
        found = verify_archive(store.archive, store.catalogue)
        check_index(store, found)
        rebuild_index = any(p.kind == "no-index" for p in found.problems)
        for p in found.problems:
            if p.kind not in AUTO or not p.record_id:
                continue
            if not store.archive.has_record(p.record_id):
                if p.kind == "index-extra":  # an entry for a record that does not exist
                    store.index.delete([p.record_id])
                    out.done.append(f"{p.record_id}: index entry dropped")
                continue
            if fixity_problems(store.archive, p.record_id):
                continue  # a damaged record is not copied anywhere: a person decides
            store.resync(p.record_id)
            out.done.append(f"{p.record_id}: catalogue row and index entry copied again")
        if rebuild_index:
            n = store.rebuild_index()
            out.done.append(f"search index rebuilt ({n} record(s))")
    out.done = list(dict.fromkeys(out.done))
    out.remaining = verify(settings, record_events=False)
    return out


class _store:
    def __init__(self, settings: Settings):
        self.store = Store(settings, create=False)

    def __enter__(self) -> Store:
        return self.store

    def __exit__(self, *exc: object) -> None:
        self.store.close()


def _objects(archive: Archive) -> Iterator[tuple[dict[str, Any], list[dict[str, Any]], str]]:
    for rid in sorted(archive.record_ids_on_disk()):
        try:
            doc = archive.read_metadata(rid)
            events, _problems = archive.events(rid)
            archive.on_step("catalogue-record")
            yield doc, events, archive.inventory(rid).head
        except (NoRecord, ocfl.OcflError, OSError, ValueError, KeyError) as e:
            log.warning("record %s cannot be read: %s (left out; run digitize verify)", rid, e)


def rebuild_catalogue(settings: Settings) -> int:
    """Recreate the catalogue from the record objects alone: metadata, every event, the
    corrections and dossier links they make. An unreadable catalogue is set aside first; the
    new one is filled in one transaction (a rebuild killed midway leaves the old one whole)."""
    archive = Archive(settings.archive, create=False)
    if not archive.exists():
        raise NotFound(f"no archive at {settings.archive}")
    path = archive.catalogue_path
    try:
        cat = Catalogue(path)
        cat.db.execute("SELECT count(*) FROM records").fetchone()
    except (sqlite3.DatabaseError, LegacyCatalogue) as e:
        aside = path.with_name(f"{path.name}.unreadable-{time.strftime('%Y%m%dT%H%M%S')}")
        log.warning("catalogue unreadable (%s): set aside as %s", e, aside.name)
        for suffix in ("", "-wal", "-shm"):
            p = Path(f"{path}{suffix}")
            if p.exists():
                os.replace(p, Path(f"{aside}{suffix}"))
        cat = Catalogue(path)
    try:
        with archive.commit_lock():
            n = cat.replace_all(_objects(archive))
            archive.on_step("catalogue-rebuilt")
    finally:
        cat.close()
    return n


def rebuild(settings: Settings) -> tuple[int, int]:
    """`digitize rebuild`: the catalogue from the records, then the index from the catalogue."""
    n = rebuild_catalogue(settings)
    with _store(settings) as store:
        m = store.rebuild_index()
    return n, m
