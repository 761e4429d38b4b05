"""Fixity checking: is every record still exactly what was archived?

`verify_archive` walks the archive and the catalogue together and reports problems of these kinds:

    missing       a file listed in a manifest (or a record's whole folder) is gone
    altered       a file's size or SHA-256 differs from its manifest entry
    unlisted      a file inside a record folder that its manifest does not list
    bad-manifest  manifest.json is unreadable, or names another record
    bad-pdf       document.pdf is not a complete PDF/A of the flavour the record says
    orphaned      a record folder the catalogue does not know (a crash between commit steps)
    no-folder     a catalogue row whose record folder does not exist
    stray-staging a staging folder no running writer owns (cleaned by the next ingest)

The PDF/A check here is deliberately byte-level (header, end marker, XMP PDF/A identification,
no active content), so storage needs no PDF library; a deeper check can be passed in.
"""
from __future__ import annotations

import json
import random
import re
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable

from storage.archive import MANIFEST, Archive, Problem, staging_owner_alive
from storage.catalogue import Catalogue

PdfCheck = Callable[[Path, str], "str | None"]

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


def verify_archive(archive: Archive, catalogue: Catalogue, sample: int | None = None,
                   check_pdf: PdfCheck = check_pdfa_bytes, seed: int | None = None,
                   record_event: bool = True) -> VerifyReport:
    """Re-hash stored files and cross-check archive folders against the catalogue.

    `sample` checks the fixity of only N randomly chosen records (the folder/catalogue
    cross-check always covers everything, it is cheap). With `record_event`, each checked record
    gets a "verified" event with outcome success or failure in its history."""
    report = VerifyReport()
    in_catalogue = set(catalogue.ids())
    on_disk = archive.record_ids_on_disk()
    for rid in sorted(on_disk - in_catalogue):
        report.problems.append(Problem(rid, "orphaned", str(archive.record_dir(rid)),
                                       "record folder not in the catalogue"))
    for rid in sorted(in_catalogue - on_disk):
        report.problems.append(Problem(rid, "no-folder", str(archive.record_dir(rid)),
                                       "catalogue row without a record folder"))
    for d in sorted(archive.staging.iterdir()):
        if not staging_owner_alive(d):
            report.problems.append(Problem("", "stray-staging", str(d),
                                           "left by a writer that is gone"))
    chosen = sorted(in_catalogue & on_disk)
    if sample is not None and sample < len(chosen):
        chosen = sorted(random.Random(seed).sample(chosen, sample))
    for rid in chosen:
        found = verify_one(archive, catalogue, rid, check_pdf)
        report.records_checked += 1
        report.files_checked += _count_files(archive.record_dir(rid))
        report.problems.extend(found)
        if record_event:
            catalogue.add_event(rid, "verified", "failure" if found else "success",
                                {"problems": [f"{p.kind}: {p.path}" for p in found][:20]})
    return report


def verify_one(archive: Archive, catalogue: Catalogue, record_id: str,
               check_pdf: PdfCheck = check_pdfa_bytes) -> list[Problem]:
    """All fixity problems of one catalogued record (manifest, checksums, PDF/A)."""
    problems = archive.verify_record(record_id)
    rdir = archive.record_dir(record_id)
    if any(p.kind == "bad-manifest" for p in problems):
        return problems
    try:
        manifest = json.loads((rdir / MANIFEST).read_text())
    except (OSError, ValueError):
        return problems
    if manifest.get("record_id") != record_id:
        problems.append(Problem(record_id, "bad-manifest", str(rdir / MANIFEST),
                                f"names record {manifest.get('record_id')!r}"))
    listed = {e.get("path") for e in manifest.get("files", [])}
    for required in ("document.pdf", "metadata.json"):
        if required not in listed:
            problems.append(Problem(record_id, "bad-manifest", str(rdir / MANIFEST),
                                    f"does not list {required}"))
    doc = catalogue.get(record_id) or {}
    pdf = rdir / "document.pdf"
    if pdf.is_file():
        why = check_pdf(pdf, str(doc.get("pdfa") or ""))
        if why:
            problems.append(Problem(record_id, "bad-pdf", str(pdf), why))
    for f in doc.get("source_files", []):
        entry = next((e for e in manifest.get("files", [])
                      if e.get("path") == f"original/{f.get('name')}"), None)
        if entry is None or entry.get("sha256") != f.get("sha256"):
            problems.append(Problem(record_id, "altered", str(rdir / "original" / f["name"]),
                                    "original differs from the catalogue's checksum"))
    return problems


def _count_files(rdir: Path) -> int:
    return sum(1 for p in rdir.rglob("*") if p.is_file()) if rdir.is_dir() else 0


def format_report(report: VerifyReport, limit: int = 200) -> Iterable[str]:
    """Human-readable lines: one per problem, then a summary."""
    for p in report.problems[:limit]:
        rid = f"{p.record_id}  " if p.record_id else ""
        yield f"{p.kind:<13} {rid}{p.path}" + (f"  ({p.detail})" if p.detail else "")
    if len(report.problems) > limit:
        yield f"... and {len(report.problems) - limit} more"
    verdict = "OK" if report.ok else f"{len(report.problems)} problem(s)"
    yield (f"verified {report.records_checked} record(s), {report.files_checked} file(s): "
           f"{verdict}")
