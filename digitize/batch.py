"""Batches described by a manifest CSV, and the per-input report CSV of a batch.

A batch manifest maps files to documents and pages and carries archive metadata per document,
so a box of scans arrives with the description the archivist wrote for it:

    file,document,page,fonds,box,folder,retention,notes
    scans/qd15_a.png,QD-15,1,UBND-QN,12,HS-2025-001,permanent,
    scans/qd15_b.png,QD-15,2,UBND-QN,12,HS-2025-001,permanent,
    scans/tb42.jpg,TB-42,,UBND-QN,12,HS-2025-002,10 years,stained

Only `file` is required. `document` groups rows into one document (default: each file is its own
document); `page` orders its pages (default: row order). Every other column is archive metadata:
it goes onto the record (`archive_metadata`), into the search index and the exports. Paths are
relative to the manifest's folder (the batch folder) and may not leave it. A row naming a
missing file or a path outside the batch is an error for that row; its document is held back
(an archive must not keep a document with a page missing) and every other document goes on.
"""
from __future__ import annotations

import csv
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Protocol

from digitize.discover import DocumentInput, show_path

FILE, DOCUMENT, PAGE = "file", "document", "page"
REPORT_COLUMNS = ["input", "document", "status", "record_id", "pages", "duplicate_of", "error"]


class DocOutcomeLike(Protocol):
    """What the report needs of an outcome (digitize.pipeline.DocOutcome fits)."""

    name: str
    sources: list[str]
    status: str
    record_id: str | None
    pages: int
    error: str | None


class ManifestError(ValueError):
    """The manifest as a whole is unusable (unreadable, no `file` column)."""


@dataclass
class ManifestDocument(DocumentInput):
    """A document from a batch manifest: its files plus the archivist's metadata."""

    archive_metadata: dict[str, str] = field(default_factory=dict)


@dataclass
class RowError:
    """A manifest row that cannot be used, and why."""

    row: int          # 1-based line number in the CSV, header included
    file: str
    document: str
    reason: str


def load_manifest(path: Path) -> tuple[list[ManifestDocument], list[RowError]]:
    """Read a batch manifest; return its usable documents and its bad rows."""
    batch = path.parent.resolve()
    try:
        with open(path, encoding="utf-8-sig", newline="") as fh:
            rows = list(csv.DictReader(fh))
            header = rows[0].keys() if rows else []
    except (OSError, UnicodeDecodeError, csv.Error) as e:
        raise ManifestError(f"{show_path(path)}: cannot read the manifest ({e})") from e
    if rows and FILE not in header:
        raise ManifestError(f"{show_path(path)}: no '{FILE}' column")
    docs: dict[str, ManifestDocument] = {}
    pages: dict[str, list[tuple[float, int, Path]]] = {}
    errors: list[RowError] = []
    for line, row in enumerate(rows, start=2):
        name = (row.get(FILE) or "").strip()
        key = (row.get(DOCUMENT) or "").strip() or name
        problem, resolved = _check_path(batch, name)
        if problem:
            errors.append(RowError(line, name, key, problem))
            continue
        doc = docs.setdefault(key, ManifestDocument(key, []))
        for col, value in row.items():
            if col not in (FILE, DOCUMENT, PAGE) and col and value and value.strip():
                doc.archive_metadata.setdefault(col.strip(), value.strip())
        try:
            order = float(row.get(PAGE) or "inf")
        except ValueError:
            errors.append(RowError(line, name, key, f"page {row.get(PAGE)!r} is not a number"))
            continue
        pages.setdefault(key, []).append((order, line, resolved))
    held = {e.document for e in errors}
    for key, doc in docs.items():
        doc.files = [p for _o, _l, p in sorted(pages.get(key, []))]
    return [d for k, d in docs.items() if k not in held and d.files], errors


def _check_path(batch: Path, name: str) -> tuple[str | None, Path]:
    if not name:
        return "empty 'file' cell", batch
    candidate = batch / name
    try:
        resolved = candidate.resolve(strict=False)
    except (OSError, RuntimeError) as e:  # RuntimeError: a symbolic link loop
        return f"{name}: cannot resolve ({e})", candidate
    if resolved != batch and batch not in resolved.parents:
        return f"{name}: outside the batch folder {show_path(batch)}", candidate
    if not resolved.is_file():
        return f"{name}: no such file in the batch folder", candidate
    return None, candidate


class ReportWriter:
    """The `--report` CSV: one line per input file with its outcome, written as the batch goes
    (flushed line by line, so an interrupted batch still leaves a useful report)."""

    def __init__(self, fh: IO[str]):
        self._fh = fh
        self._csv = csv.DictWriter(fh, fieldnames=REPORT_COLUMNS)
        self._csv.writeheader()
        fh.flush()
        self.failed = 0

    def add(self, document: str, sources: list[str], status: str, record_id: str | None = None,
            pages: int = 0, duplicate_of: str | None = None, error: str | None = None) -> None:
        self.failed += status == "failed"
        for src in sources or [document]:
            self._csv.writerow({"input": src, "document": document, "status": status,
                                "record_id": record_id or "", "pages": pages or "",
                                "duplicate_of": duplicate_of or "", "error": error or ""})
        self._fh.flush()

    def add_outcome(self, out: "DocOutcomeLike") -> None:
        """Record a pipeline DocOutcome (one CSV line per input file)."""
        self.add(out.name, out.sources, out.status, out.record_id, out.pages,
                 getattr(out, "duplicate_of", None), out.error)
