"""Building a record's files in its staging folder, and the record's metadata document.

The metadata document (metadata.json, also kept in the catalogue) is open-ended: later stages add
keys; readers ignore keys they do not know.
"""
from __future__ import annotations

import json
import unicodedata
from pathlib import Path
from typing import TYPE_CHECKING, Any

from digitize.fields.model import Field
from indexer.base import IndexDoc, IndexPage
from ocr.errors import InputError
from storage.files import copy_durable

if TYPE_CHECKING:  # numpy and pikepdf are imported only by the commands that need them
    from ocr.pdfa import PdfMeta, PdfPage
    from ocr.types import PageText

SCHEMA_VERSION = 1


def words_tsv(text: PageText) -> str:
    """Word boxes with confidences, one word a line (Tesseract-TSV-like, our own columns)."""
    rows = ["block\tline\tleft\ttop\twidth\theight\tconf\ttext"]
    for w in text.words:
        rows.append(f"{w.block}\t{w.line}\t{w.box.x0}\t{w.box.y0}\t{w.box.width}\t{w.box.height}"
                    f"\t{w.conf:.1f}\t{w.text}")
    return "\n".join(rows) + "\n"


def show_path(p) -> str:
    """A path printable as UTF-8 (digitize.discover's, imported here only when needed: discover
    loads the image modules, which read commands must not)."""
    from digitize.discover import show_path as show
    return show(p)


def copy_originals(staging: Path, files: list[Path],
                   expected: list[str] | None = None) -> list[dict[str, Any]]:
    """Copy the input files unchanged into staging/original/, returning their descriptions.
    With `expected` (their SHA-256 when the document was admitted), a file whose bytes have
    changed since raises InputError: its record would not hold what was read."""
    out = []
    for i, f in enumerate(files, start=1):
        name = f"{i:03d}-{_safe_name(f.name)}" if len(files) > 1 else _safe_name(f.name)
        digest = copy_durable(f, staging / "original" / name)
        if expected is not None and digest != expected[i - 1]:
            raise InputError(f"{show_path(f)}: changed while it was being ingested; run again")
        out.append({"name": name, "source_path": show_path(f.absolute()), "sha256": digest,
                    "size": f.stat().st_size})
    return out


def write_page_texts(staging: Path, pages: list[PageText]) -> None:
    d = staging / "pages"
    d.mkdir(parents=True, exist_ok=True)
    for p in pages:
        (d / f"p{p.page_no:04d}.txt").write_text(unicodedata.normalize("NFC", p.text) + "\n")
        (d / f"p{p.page_no:04d}.words.tsv").write_text(words_tsv(p))


def write_document_pdf(staging: Path, pdf_pages: list[PdfPage], flavour: str,
                       doc: dict[str, Any]) -> None:
    from ocr.pdfa import write_pdfa
    write_pdfa(pdf_pages, staging / "document.pdf", flavour, pdf_meta(doc))


def write_vector_document_pdf(staging: Path, source: Path, flavour: str,
                              doc: dict[str, Any]) -> list[str]:
    """The PDF/A of a born-digital PDF from its own vector pages (see ocr.pdfa.write_vector_pdfa);
    the fonts the original did not embed, substituted. Raises VectorPdfaError."""
    from ocr.pdfa import write_vector_pdfa
    return write_vector_pdfa(source, staging / "document.pdf", flavour, pdf_meta(doc))


def pdf_meta(doc: dict[str, Any]) -> PdfMeta:
    """Fields for the PDF's Info and XMP (dc:title, dc:creator, dc:description, pdf:Keywords)."""
    from ocr.pdfa import PdfMeta
    f = {k: v.get("value") for k, v in doc.get("fields", {}).items() if isinstance(v, dict)}
    issuer = " ".join(str(f[k]) for k in ("issuer_parent", "issuer") if f.get(k))
    keywords = [f"{k}={f[k]}" for k in ("number", "doc_type", "issued_date", "place",
                                        "signer_title", "signer_name") if isinstance(f.get(k), str)
                and f.get(k)]
    return PdfMeta(title=doc.get("title", ""), subject=str(f.get("subject") or ""),
                   author=issuer, keywords="; ".join(keywords))


def title_of(fields: dict[str, Field], pages: list[PageText]) -> str:
    """The document's title: type and number and subject where known, else its first line."""
    def val(name: str) -> str:
        f = fields.get(name)
        if name == "number" and f is not None and f.needs_review:
            return ""  # a doubtful (often handwritten) number stays out of the title
        return str(f.value) if f and f.value and isinstance(f.value, str) else ""
    parts = [p for p in (val("doc_type"), val("number")) if p]
    head = " ".join(parts)
    subject = val("subject")
    if head or subject:
        return f"{head}: {subject}".strip(": ") if subject else head
    for p in pages:
        for line in p.text.splitlines():
            if len(line.strip()) > 3:
                return line.strip()[:200]
    return ""


def index_doc(doc: dict[str, Any], pages: list[PageText] | list[str]) -> IndexDoc:
    """What the search index gets for a record (flat field values, text per page)."""
    texts = [p if isinstance(p, str) else p.text for p in pages]
    flat: dict[str, Any] = {}
    for k, v in doc.get("fields", {}).items():
        value = v.get("value") if isinstance(v, dict) else v
        if value not in (None, "", [], {}):
            flat[k] = value
    # The search side reads people only from `person_ids` and `persons`: every holder's ID and
    # name (records made before holders existed: their `persons`).
    for k in ("holders", "organisations", "objects"):  # values only: evidence stays in the record
        if isinstance(flat.get(k), list):
            flat[k] = [{a: v for a, v in x.items() if a != "evidence"} if isinstance(x, dict)
                       else x for x in flat[k]]
    people = [p for k in ("holders", "persons") for p in (flat.get(k) or [])
              if isinstance(p, dict)]
    if people or "persons" in flat:
        flat["person_ids"] = _unique(str(p["id_number"]) for p in people if p.get("id_number"))
        flat["persons"] = _unique(str(p["name"]) for p in people if p.get("name"))
    flat["dossiers"] = list(doc.get("dossiers", []))
    for k, v in (doc.get("archive_metadata") or {}).items():
        flat.setdefault(k, v)
    return IndexDoc(doc["id"], doc.get("title", ""),
                    [IndexPage(i, t) for i, t in enumerate(texts, start=1)], flat,
                    doc.get("ingested_at", ""))


def _unique(items) -> list[str]:
    seen: dict[str, None] = {}
    for x in items:
        seen.setdefault(x, None)
    return list(seen)


def write_metadata(staging: Path, doc: dict[str, Any]) -> None:
    (staging / "metadata.json").write_text(json.dumps(doc, ensure_ascii=False, indent=2) + "\n")


def _safe_name(name: str) -> str:
    s = show_path(name).replace("/", "_").replace("\\", "_")
    return s if s not in ("", ".", "..") else "file"
