"""What people do to stored records: review doubtful fields, correct them, link records to
dossiers (hồ sơ) for reuse. Each change is a transaction on the record (Store.curate): a new
OCFL version, an event in the record's log (old and new value), then catalogue and index; field
corrections also go into the PDF/A metadata and survive re-ingestion."""
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
from digitize.store import Change, Store
from storage.catalogue import current_actor
from storage.events import new_event

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
    """Correct one field, as one transaction (digitize.store): a new version of the record with
    its metadata and PDF/A metadata changed, the "corrected" event with old and new value, then
    catalogue and index."""
    if field not in FIELD_NAMES:
        raise DigitizeError(f"unknown field {field!r}; fields: {', '.join(FIELD_NAMES)}")
    if not store.archive.has_record(record_id):
        raise DigitizeError(f"no record {record_id}")
    value = parse_value(field, raw)
    actor = actor or current_actor()

    def decide(doc: dict[str, Any], folder: Path) -> Change:
        from ocr.pdfa import update_metadata  # pikepdf: only for the commands that change PDFs
        old = doc.get("fields", {}).get(field, {}).get("value")
        doc.setdefault("fields", {})[field] = Field(field, value, 1.0,
                                                    source="corrected").to_dict()
        if field == "number":  # the parts follow the corrected number and symbol
            parts = number_parts(value)
            for part in ("seq", "type_code", "issuer_code"):
                doc["fields"][f"number_{part}"] = Field(f"number_{part}", parts.get(part), 1.0,
                                                        source="corrected").to_dict()
        if field in ("doc_type", "number", "subject"):
            fields = {k: Field.from_dict(v) for k, v in doc["fields"].items()}
            doc["title"] = rec.title_of(fields, [])
        pdf = folder / "document.pdf"
        update_metadata(store.archive.file(record_id, "document.pdf"), pdf, rec.pdf_meta(doc),
                        doc.get("pdfa", "2b"))
        change = {"record_id": record_id, "field": field, "old": old, "new": value}
        return Change(doc, new_event("corrected", {"field": field, "old": old, "new": value},
                                     actor), {"document.pdf": pdf}, change)
    return store.curate(record_id, decide)


def link(store: Store, record_id: str, dossier: str, actor: str | None = None) -> bool:
    """Attach a stored result to a dossier without copying it; False if already linked."""
    return _relink(store, record_id, dossier, True, actor)


def unlink(store: Store, record_id: str, dossier: str, actor: str | None = None) -> bool:
    """Detach a record from a dossier; False if it was not linked."""
    return _relink(store, record_id, dossier, False, actor)


def _relink(store: Store, record_id: str, dossier: str, attach: bool, actor: str | None) -> bool:
    if not store.archive.has_record(record_id):
        raise DigitizeError(f"no record {record_id}")

    def decide(doc: dict[str, Any], folder: Path) -> Change | None:
        linked = set(doc.get("dossiers", []))
        if (dossier in linked) == attach:
            return None
        doc["dossiers"] = sorted(linked | {dossier} if attach else linked - {dossier})
        return Change(doc, new_event("linked" if attach else "unlinked", {"dossier": dossier},
                                     actor or current_actor()), result=True)
    return bool(store.curate(record_id, decide))


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
