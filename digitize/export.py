"""Export rows: one JSON line per record (text, fields, metadata) or one CSV row per record.

With `names="tt05"` the columns carry the document metadata names of Circular 05/2025/TT-BNV
(the EDoc element names the provincial archive systems import: TypeName, CodeNumber,
CodeNotation, IssuedDate, OrganName, Subject, Language, PageAmount, ...), so a record can move into
a provincial archive system. Fields a record lacks are empty; the format stays open: readers must
ignore keys they do not know.
"""
from __future__ import annotations

import json
from typing import Any, Callable

from digitize.fields.model import FIELD_NAMES

# (TT 05/2025 element, Vietnamese label, how to get it from an export row)
TT05_COLUMNS: list[tuple[str, str, Callable[[dict[str, Any]], Any]]] = [
    ("Identifier", "Mã định danh", lambda r: r["id"]),
    ("FileCode", "Mã hồ sơ", lambda r: ";".join(r["dossiers"])),
    ("TypeName", "Tên loại văn bản", lambda r: r["fields"].get("doc_type")),
    ("CodeNumber", "Số của văn bản", lambda r: r["fields"].get("number_seq")),
    ("CodeNotation", "Ký hiệu của văn bản", lambda r: _notation(r["fields"].get("number"))),
    ("IssuedDate", "Ngày, tháng, năm văn bản", lambda r: _vn_date(r["fields"].get("issued_date"))),
    ("OrganName", "Tên cơ quan, tổ chức ban hành", lambda r: _issuer(r["fields"])),
    ("Subject", "Trích yếu nội dung", lambda r: r["fields"].get("subject")),
    ("Language", "Ngôn ngữ", lambda r: "Tiếng Việt"),
    ("PageAmount", "Số lượng trang", lambda r: r["page_count"]),
    ("SignerPosition", "Chức vụ người ký", lambda r: r["fields"].get("signer_title")),
    ("SignerFullName", "Họ và tên người ký", lambda r: r["fields"].get("signer_name")),
    ("Place", "Địa danh", lambda r: r["fields"].get("place")),
    ("Urgency", "Độ khẩn", lambda r: r["fields"].get("urgency")),
    ("ConfidenceLevel", "Độ mật", lambda r: r["fields"].get("confidentiality")),
    ("Format", "Định dạng", lambda r: "PDF/A-" + str(r["metadata"].get("pdfa", "2b")).upper()),
    ("Description", "Ghi chú", lambda r: (r["metadata"].get("archive_metadata") or {}).get("notes")),
]


def export_row(doc: dict[str, Any], texts: list[str], dossiers: list[str]) -> dict[str, Any]:
    """The JSON-lines row of a record."""
    return {"id": doc["id"], "title": doc.get("title", ""),
            "source_files": doc.get("source_files", []), "page_count": doc.get("page_count"),
            "text": "\n\f\n".join(texts),
            "fields": {k: v.get("value") for k, v in doc.get("fields", {}).items()
                       if isinstance(v, dict)},
            "dossiers": dossiers, "metadata": doc}


def tt05_row(row: dict[str, Any]) -> dict[str, Any]:
    """The row under Circular 05/2025/TT-BNV element names (JSON lines and CSV)."""
    out = {name: _cell(get(row)) for name, _label, get in TT05_COLUMNS}
    for k, v in (row["metadata"].get("archive_metadata") or {}).items():
        out.setdefault(k, v)
    return out


def csv_columns(names: str, archive_keys: list[str]) -> list[str]:
    """Fixed CSV columns, so every row of a file has the same ones."""
    if names == "tt05":
        base = [name for name, _l, _g in TT05_COLUMNS]
    else:
        base = ["id", "title", "page_count", "dossiers", *FIELD_NAMES]
    return base + [k for k in archive_keys if k not in base]


def csv_row(row: dict[str, Any], names: str) -> dict[str, Any]:
    if names == "tt05":
        return tt05_row(row)
    flat = {"id": row["id"], "title": row["title"], "page_count": row["page_count"],
            "dossiers": ";".join(row["dossiers"])}
    for k, v in row["fields"].items():
        flat[k] = _cell(v)
    for k, v in (row["metadata"].get("archive_metadata") or {}).items():
        flat.setdefault(k, v)  # the batch manifest's columns (fonds, box, ...)
    return flat


def _cell(v: Any) -> Any:
    if v is None or isinstance(v, (str, int, float)):
        return v
    return json.dumps(v, ensure_ascii=False)


def _notation(number: Any) -> str | None:
    """"15/QĐ-UBND" -> "QĐ-UBND" (the part after the sequence number)."""
    if not isinstance(number, str) or "/" not in number:
        return None
    return number.split("/", 1)[1]


def _vn_date(iso: Any) -> str | None:
    if not isinstance(iso, str) or len(iso) != 10:
        return None
    y, m, d = iso.split("-")
    return f"{d}/{m}/{y}"


def _issuer(fields: dict[str, Any]) -> str | None:
    parts = [fields.get(k) for k in ("issuer_parent", "issuer") if fields.get(k)]
    return " ".join(str(p) for p in parts) or None
