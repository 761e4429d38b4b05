"""Fixity and consistency: is every record still exactly what was archived, and do the catalogue
(and, through `digitize.store`, the index) still say what the records say?

Problems found, by layer, each with how to repair it (`REPAIR`):

  records     missing, altered, unlisted   a content file gone, changed, or not in the inventory
              bad-object, bad-inventory    OCFL structure: declaration, inventory, sidecars
              bad-log                      the event log's chain is broken (changed/missing event)
              bad-metadata                 metadata.json unreadable or naming another record
              bad-pdf                      document.pdf is not a complete PDF/A
  catalogue   not-catalogued               a record the catalogue lacks
              catalogue-differs            a row, event, correction or link that differs
              no-folder                    a catalogue row whose record is not on disk
              no-catalogue                 catalogue.sqlite3 missing or unreadable
  index       not-indexed, index-extra, index-stale, no-index   (checked in digitize.store)
  staging     stray-staging, pending-change
"""
from __future__ import annotations

import hashlib
import json
import random
import re
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable

from storage import events as ev
from storage import ocfl
from storage.archive import METADATA, Archive, Problem
from storage.catalogue import Catalogue, corrections_of, links_of

PdfCheck = Callable[[Path, str], "str | None"]

REPAIR = {
    "bad-signature": "the signed copy changed after signing or no longer validates: restore "
                     "it from a backup (a person must look), or check the trust store given",
    "original-signature": "an original that arrived signed no longer validates (changed, or its "
                          "certificate not trusted): a person must look",
    "missing": "restore the record's folder from a backup, or ingest its originals again",
    "altered": "restore the file from a backup (a person must look: the record is not changed "
               "meanwhile)",
    "unlisted": "remove the stray file, or restore the record's folder from a backup",
    "bad-object": "restore the record's folder from a backup",
    "bad-inventory": "digitize repair (finishes an interrupted version), else restore the "
                     "record's folder from a backup",
    "bad-log": "digitize repair cuts a torn last line; a changed event needs the log from a "
               "backup",
    "bad-metadata": "restore the record's folder from a backup",
    "bad-pdf": "restore document.pdf from a backup, or ingest the originals again",
    "not-catalogued": "digitize repair (copies the record into the catalogue)",
    "catalogue-differs": "digitize repair (copies the record into the catalogue again)",
    "no-folder": "restore the record's folder from a backup, or ingest its originals again",
    "no-catalogue": "digitize rebuild (recreates the catalogue from the records)",
    "not-indexed": "digitize repair (indexes the record)",
    "index-extra": "digitize repair (drops the entry)",
    "index-stale": "digitize repair (indexes the record again)",
    "no-index": "digitize repair (or digitize reindex) rebuilds the index",
    "stray-staging": "digitize repair (removes it)",
    "pending-change": "digitize repair (finishes or undoes the change)",
}
# what `digitize repair` can do without a person
AUTO = {"bad-inventory", "not-catalogued", "catalogue-differs", "not-indexed", "index-extra",
        "index-stale", "no-index", "stray-staging", "pending-change", "no-catalogue"}

# Names whose presence means a PDF could run code or carry attachments: never in our PDF/A.
ACTIVE_CONTENT = (b"/JavaScript", b"/JS ", b"/EmbeddedFile", b"/OpenAction", b"/Launch",
                  b"/RichMedia", b"/AA ", b"/AA<<")
_PDFAID_PART = re.compile(rb"pdfaid:part(?:>|=[\"'])\s*(\d)")
_PDFAID_CONF = re.compile(rb"pdfaid:conformance(?:>|=[\"'])\s*([ABUabu])")


@dataclass
class VerifyReport:
    """What `verify` found: how much it looked at, and every problem."""

    records_checked: int = 0
    files_checked: int = 0
    problems: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def add(self, record_id: str, kind: str, path: str, detail: str = "") -> None:
        self.problems.append(Problem(record_id, kind, path, detail, REPAIR.get(kind, "")))

    def to_dict(self) -> dict[str, Any]:
        return {"records_checked": self.records_checked, "files_checked": self.files_checked,
                "ok": self.ok, "problems": [asdict(p) for p in self.problems]}


def check_pdfa_bytes(pdf: Path, flavour: str) -> str | None:
    """A cheap structural check of one of our PDF/A files; None when it looks right.

    Our PDF/A is rebuilt from page images, so it must carry no scripts, actions or attachments;
    the XMP identification (written uncompressed, as PDF/A requires readable metadata) must
    match the flavour recorded for the record, e.g. "2b"."""
    try:
        data = pdf.read_bytes()
    except OSError as e:
        return f"cannot read: {e}"
    if not data.startswith(b"%PDF-"):
        return "not a PDF (no %PDF- header)"
    if b"%%EOF" not in data[-1024:]:
        return "truncated PDF (no %%EOF at the end)"
    part, conf = _PDFAID_PART.search(data), _PDFAID_CONF.search(data)
    if not part or not conf:
        return "no PDF/A identification in the XMP metadata"
    found = (part.group(1) + conf.group(1)).decode().lower()
    if flavour and found != flavour.lower():
        return f"PDF/A-{found} but the record says PDF/A-{flavour}"
    for name in ACTIVE_CONTENT:
        if name in data:
            return f"active content {name.decode().strip()} in the PDF/A"
    return None


def verify_record(archive: Archive, record_id: str, report: VerifyReport,
                  check_pdf: PdfCheck = check_pdfa_bytes) -> tuple[dict | None, list[dict]]:
    """Fixity of one record: its OCFL object (every version's files), its event log's chain,
    the event of each version, metadata.json, the originals' SHA-256 and the PDF/A. Returns the
    record's metadata and events for the catalogue check (None when unreadable)."""
    obj = archive.record_dir(record_id)
    for kind, detail in ocfl.validate_object(obj):
        path, _, why = detail.partition(": ")
        report.add(record_id, kind, path, why)
    events, log_problems = ev.read(obj)
    for p in log_problems:
        report.add(record_id, "bad-log", str(obj / ev.LOG), p)
    try:
        inv = ocfl.read_inventory(obj)
    except ocfl.OcflError:
        return None, events
    report.files_checked += sum(len(v) for v in inv.manifest.values()) + 1
    logged = {e.get("version") for e in events}
    for v in list(inv.versions)[1:]:
        if v not in logged:
            report.add(record_id, "bad-log", str(obj / ev.LOG),
                       f"no event for version {v} (events lost from the log)")
    files = inv.head_files(obj)
    try:
        doc = json.loads(files[METADATA].read_text(encoding="utf-8"))
    except (KeyError, OSError, ValueError) as e:
        report.add(record_id, "bad-metadata", str(obj), f"metadata.json unreadable ({e})")
        return None, events
    if doc.get("id") != record_id or inv.id != record_id:
        report.add(record_id, "bad-metadata", str(files[METADATA]),
                   f"names record {doc.get('id')!r}, inventory {inv.id!r}")
    for f in doc.get("source_files", []):
        src = files.get(f"original/{f.get('name')}")
        if src is None or not src.is_file():
            continue  # reported as missing above
        if _sha256(src) != f.get("sha256"):
            report.add(record_id, "altered", str(src),
                       "original differs from the checksum taken at ingest")
    pdf = files.get("document.pdf")
    if pdf is None:
        report.add(record_id, "missing", str(obj / "document.pdf"), "no document.pdf")
    elif pdf.is_file():
        bad = check_pdf(pdf, str(doc.get("pdfa") or ""))
        if bad:
            report.add(record_id, "bad-pdf", str(pdf), bad)
    return doc, events


def verify_one(archive: Archive, catalogue: Catalogue | None, record_id: str,
               check_pdf: PdfCheck = check_pdfa_bytes) -> list[Problem]:
    """The fixity problems of one record (see `verify_record`); empty when it is intact."""
    report = VerifyReport()
    verify_record(archive, record_id, report, check_pdf)
    return report.problems


def check_catalogue_row(catalogue: Catalogue, record_id: str, doc: dict[str, Any],
                        events: list[dict[str, Any]], report: VerifyReport) -> None:
    """The catalogue's copy of one record against the record itself."""
    row = catalogue.get(record_id)
    where = str(catalogue.path)
    if row is None:
        report.add(record_id, "not-catalogued", where, "record not in the catalogue")
        return
    if row != doc:
        keys = sorted(k for k in set(row) | set(doc) if row.get(k) != doc.get(k))
        report.add(record_id, "catalogue-differs", where,
                   f"metadata differs from metadata.json: {', '.join(keys[:5])}")
    history = catalogue.history(record_id)
    if [e["hash"] for e in history] != [e["hash"] for e in events] or \
            [_event_body(e) for e in history] != [_event_body(e) for e in events]:
        report.add(record_id, "catalogue-differs", where, "history differs from the event log")
    want = {f: c["value"] for f, c in corrections_of(events).items()}
    if catalogue.corrections(record_id) != want:
        report.add(record_id, "catalogue-differs", where, "corrections differ from the events")
    if sorted(catalogue.dossiers_of(record_id)) != sorted(links_of(events)):
        report.add(record_id, "catalogue-differs", where, "dossier links differ from the events")


def _event_body(e: dict[str, Any]) -> tuple:
    return (e.get("n"), e.get("at"), e.get("actor"), e.get("action"), e.get("outcome"),
            json.dumps(e.get("detail") or {}, sort_keys=True, ensure_ascii=False))


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(1 << 20):
            h.update(chunk)
    return h.hexdigest()


def verify_archive(archive: Archive, catalogue: Catalogue | None, sample: int | None = None,
                   check_pdf: PdfCheck = check_pdfa_bytes, seed: int | None = None,
                   on_record: Callable[[str, list[Problem]], None] | None = None
                   ) -> VerifyReport:
    """Check the records and the catalogue against them. `sample` checks the fixity of only N
    randomly chosen records (the cross-checks of which records exist always cover everything).
    `on_record(id, problems)` is called after each record (to log a "verified" event)."""
    report = VerifyReport()
    on_disk = archive.record_ids_on_disk()
    in_catalogue = set(catalogue.ids()) if catalogue is not None else set()
    if catalogue is None:
        report.add("", "no-catalogue", str(archive.catalogue_path), "missing or unreadable")
    else:
        for rid in sorted(in_catalogue - on_disk):
            report.add(rid, "no-folder", str(archive.record_dir(rid)),
                       "catalogue row without a record")
    for d in archive.stray_staging():
        report.add("", "stray-staging", str(d), "left by a writer that is gone")
    for rid in archive.pending_transactions():
        report.add(rid, "pending-change", str(archive.staging / f"txn-{rid}"),
                   "a change interrupted (or under way)")
    chosen = sorted(on_disk)
    if sample is not None and sample < len(chosen):
        chosen = sorted(random.Random(seed).sample(chosen, sample))
    for rid in chosen:
        before = len(report.problems)
        doc, events = verify_record(archive, rid, report, check_pdf)
        report.records_checked += 1
        if catalogue is not None and doc is not None:
            check_catalogue_row(catalogue, rid, doc, events, report)
        if on_record is not None:
            on_record(rid, report.problems[before:])
    return report


def format_report(report: VerifyReport, limit: int = 200) -> Iterable[str]:
    """Human-readable lines: one per problem with how to repair it, then a summary."""
    for p in report.problems[:limit]:
        rid = f"{p.record_id}  " if p.record_id else ""
        yield f"{p.kind:<17} {rid}{p.path}" + (f"  ({p.detail})" if p.detail else "")
        if p.repair:
            yield f"{'':<17} repair: {p.repair}"
    if len(report.problems) > limit:
        yield f"... and {len(report.problems) - limit} more"
    verdict = "OK" if report.ok else f"{len(report.problems)} problem(s)"
    yield (f"verified {report.records_checked} record(s), {report.files_checked} file(s): "
           f"{verdict}")
