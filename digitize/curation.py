"""What people do to stored records: review doubtful fields, correct them, link records to
dossiers (hồ sơ) for reuse. Each change goes into the record's history, the index and, for field
corrections, the PDF/A metadata; corrections survive re-ingestion (the catalogue keeps them)."""
from __future__ import annotations

import json
import re
from datetime import date
from pathlib import Path
from typing import Any

from digitize import record as rec
from digitize.errors import DigitizeError
from digitize.fields import number_parts
from digitize.fields.model import FIELD_NAMES, LIST_FIELDS, Field
from digitize.pipeline import Store
from ocr.pdfa import update_metadata
from storage.archive import write_manifest
from storage.files import atomic_write_json

def review_items(store: Store) -> list[dict[str, Any]]:
    """Every field that needs a person's check, with its page and box: the best reading
    (`value`), what OCR read where the value differs from it (`original`), and the other
    readings worth a look (`alternatives`: a second reading of a handwritten number, the
    vocabulary's spelling of a word kept as read, known places a name is close to)."""
    items = []
    for doc in store.catalogue.iter_docs():
        for name, f in doc.get("fields", {}).items():
            if isinstance(f, dict) and f.get("needs_review") and f.get("source") != "corrected":
                items.append({"record_id": doc["id"], "title": doc.get("title", ""), "field": name,
                              "value": f.get("value"), "confidence": f.get("confidence"),
                              "original": f.get("original"),
                              "alternatives": f.get("alternatives") or [],
                              "page": f.get("page"), "box": f.get("box"),
                              "evidence": f.get("evidence", ""),
                              "why": review_reason(f.get("evidence", ""))})
    return items


def review_reason(evidence: str) -> str:
    """What a person should look at, from a field's evidence: its bracketed notes ("[re-read 08
    vs None ...]", "[line read again: ...]") where there are any, else the text it was read from."""
    notes = re.findall(r"\[([^\[\]]+)\]", evidence)
    return "; ".join(notes) if notes else evidence


def parse_value(field: str, raw: str) -> Any:
    """A corrected value as typed: JSON for structured fields (persons, recipients), text
    otherwise; dates must be real ISO dates."""
    if field in LIST_FIELDS:
        try:
            return json.loads(raw)
        except ValueError as e:
            raise DigitizeError(f"{field} takes JSON, e.g. '[{{\"name\": \"Nguyễn Văn An\"}}]'") from e
    if field == "issued_date":
        try:
            return date.fromisoformat(raw).isoformat()
        except ValueError as e:
            raise DigitizeError(f"issued_date must be a date YYYY-MM-DD, not {raw!r}") from e
    return raw.strip()


def set_field(store: Store, record_id: str, field: str, raw: str, actor: str | None = None
              ) -> dict[str, Any]:
    """Correct one field: record files, PDF/A metadata, index, then catalogue + history."""
    if field not in FIELD_NAMES:
        raise DigitizeError(f"unknown field {field!r}; fields: {', '.join(FIELD_NAMES)}")
    doc = store.catalogue.get(record_id)
    if doc is None:
        raise DigitizeError(f"no record {record_id}")
    value = parse_value(field, raw)
    old = doc.get("fields", {}).get(field, {}).get("value")
    doc.setdefault("fields", {})[field] = Field(field, value, 1.0, source="corrected").to_dict()
    if field == "number":  # the parts follow the corrected number and symbol
        parts = number_parts(value)
        for part in ("seq", "type_code", "issuer_code"):
            doc["fields"][f"number_{part}"] = Field(f"number_{part}", parts.get(part), 1.0,
                                                    source="corrected").to_dict()
    if field in ("doc_type", "number", "subject"):
        fields = {k: Field.from_dict(v) for k, v in doc["fields"].items()}
        doc["title"] = rec.title_of(fields, [])
    _rewrite_record(store, doc)
    store.catalogue.correct(doc, field, old, value, actor)
    return {"record_id": doc["id"], "field": field, "old": old, "new": value}


def link(store: Store, record_id: str, dossier: str, actor: str | None = None) -> bool:
    """Attach a stored result to a dossier without copying it; False if already linked."""
    doc = store.catalogue.get(record_id)
    if doc is None:
        raise DigitizeError(f"no record {record_id}")
    doc["dossiers"] = sorted(set(store.catalogue.dossiers_of(record_id)) | {dossier})
    linked = store.catalogue.link(doc, dossier, actor)
    _reindex(store, doc)
    return linked


def dossier_records(store: Store, dossier: str) -> list[dict[str, Any]]:
    out = []
    for rid in store.catalogue.dossier(dossier):
        doc = store.catalogue.get(rid) or {"id": rid}
        f = doc.get("fields", {})
        out.append({"record_id": rid, "title": doc.get("title", ""),
                    "number": f.get("number", {}).get("value"),
                    "issued_date": f.get("issued_date", {}).get("value"),
                    "pages": doc.get("page_count")})
    return out


def _reindex(store: Store, doc: dict[str, Any]) -> None:
    rdir = store.archive.record_dir(doc["id"])
    store.index.upsert([rec.index_doc(doc, rec.read_page_texts(rdir, doc.get("page_count", 0)))])


def _rewrite_record(store: Store, doc: dict[str, Any]) -> None:
    rdir = store.archive.record_dir(doc["id"])
    pdf = rdir / "document.pdf"
    tmp = rdir / ".document.pdf.new"
    update_metadata(pdf, tmp, rec.pdf_meta(doc), doc.get("pdfa", "2b"))
    Path(tmp).replace(pdf)
    atomic_write_json(rdir / "metadata.json", doc)
    write_manifest(rdir, doc["id"])
    _reindex(store, doc)
