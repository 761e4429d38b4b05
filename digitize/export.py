"""Export rows: one JSON line per record (text, fields, metadata) or one CSV row per record.

The CSV is made for a spreadsheet: UTF-8 with a byte-order mark, one plain value per cell (never
JSON), the same columns whatever records are chosen, and no cell a spreadsheet would run as a
formula. List fields are flattened: a list of names or places is joined with "; "; a list of
entries (holders, persons, organisations, objects) gets numbered columns for its first few
entries, `holder_1_name`, `holder_1_id_number`, ..., and `holders_count` saying how many there are
(the JSON lines export has all of them). Archive metadata (the batch manifest's columns) gets one
column per name used anywhere in the archive.

With `names="tt05"` the columns carry the document metadata names of Circular 05/2025/TT-BNV
(the EDoc element names the provincial archive systems import: TypeName, CodeNumber,
CodeNotation, IssuedDate, OrganName, Subject, Language, PageAmount, ...), so a record can move into
a provincial archive system. Fields a record lacks are empty; the format stays open: readers must
ignore keys they do not know.
"""
from __future__ import annotations

import csv
from typing import IO, Any, Callable, Iterable

from digitize.fields.model import FIELD_NAMES

# List fields whose entries are records of their own: (CSV column prefix, entry attributes as
# columns, entries given columns). Attributes are those the extractors fill (tests check that
# none is left out); evidence and review flags stay in the JSON lines export.
CSV_ENTRIES: dict[str, tuple[str, tuple[str, ...], int]] = {
    "holders": ("holder", ("role", "name", "id_number", "id_kind", "birth_date", "sex",
                           "address"), 3),
    "persons": ("person", ("name", "id_number", "address", "parcel", "map_sheet"), 3),
    "organisations": ("organisation", ("name", "tax_code", "address"), 2),
    "objects": ("object", ("kind", "name", "code", "parcel", "map_sheet", "area", "address",
                           "plate"), 3),
}
LIST_SEPARATOR = "; "
# A cell starting with one of these is run as a formula by spreadsheets (OWASP's list):
# such cells get a leading apostrophe, which spreadsheets show as text and do not display.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

# (TT 05/2025 element, Vietnamese label, how to get it from an export row)
TT05_COLUMNS: list[tuple[str, str, Callable[[dict[str, Any]], Any]]] = [
    ("Identifier", "Mã định danh", lambda r: r["id"]),
    ("FileCode", "Mã hồ sơ", lambda r: LIST_SEPARATOR.join(r["dossiers"])),
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


def csv_columns(names: str, archive_keys: Iterable[str]) -> list[str]:
    """The CSV's columns: fixed for a given `names`, plus one per archive metadata name
    (`archive_keys`: every name used in the archive, so the columns do not depend on the
    records chosen)."""
    if names == "tt05":
        base = [name for name, _l, _g in TT05_COLUMNS]
    else:
        base = ["id", "title", "page_count", "dossiers"]
        for f in FIELD_NAMES:
            if f not in CSV_ENTRIES:
                base.append(f)
                continue
            prefix, attrs, slots = CSV_ENTRIES[f]
            base.append(f"{f}_count")
            base += [f"{prefix}_{i}_{a}" for i in range(1, slots + 1) for a in attrs]
    return base + sorted(k for k in set(archive_keys) if k not in base)


def csv_row(row: dict[str, Any], names: str) -> dict[str, Any]:
    """One record as CSV cells (see the module's docstring), formulas neutralised."""
    if names == "tt05":
        return {k: safe_cell(v) for k, v in tt05_row(row).items()}
    flat: dict[str, Any] = {"id": row["id"], "title": row["title"],
                            "page_count": row["page_count"],
                            "dossiers": LIST_SEPARATOR.join(row["dossiers"])}
    for k, v in row["fields"].items():
        if k in CSV_ENTRIES:
            flat.update(_entries(k, v))
        else:
            flat[k] = _cell(v)
    for k, v in (row["metadata"].get("archive_metadata") or {}).items():
        flat.setdefault(k, v)  # the batch manifest's columns (fonds, box, ...)
    return {k: safe_cell(v) for k, v in flat.items()}


class CsvWriter:
    """Writes export rows as the spreadsheet-ready CSV: byte-order mark and header first."""

    def __init__(self, fh: IO[str], names: str, archive_keys: Iterable[str]):
        self._names = names
        fh.write("\ufeff")  # Excel reads UTF-8 only with it; other readers skip it
        self._csv = csv.DictWriter(fh, fieldnames=csv_columns(names, archive_keys),
                                   extrasaction="ignore")
        self._csv.writeheader()

    def write(self, row: dict[str, Any]) -> None:
        self._csv.writerow(csv_row(row, self._names))


def safe_cell(v: Any) -> Any:
    """`v`, or for text a spreadsheet would run as a formula, the text behind an apostrophe."""
    if isinstance(v, str) and v.startswith(FORMULA_STARTS):
        return "'" + v
    return v


def _entries(name: str, value: Any) -> dict[str, Any]:
    prefix, attrs, slots = CSV_ENTRIES[name]
    items = value if isinstance(value, list) else []
    out: dict[str, Any] = {f"{name}_count": len(items)}
    for i, item in enumerate(items[:slots], start=1):
        if not isinstance(item, dict):
            item = {attrs[0] if "name" not in attrs else "name": item}
        for a in attrs:
            out[f"{prefix}_{i}_{a}"] = _cell(item.get(a))
    return out


def _cell(v: Any) -> Any:
    """A plain cell value: lists joined with "; ", mappings as "key: value" pairs."""
    if v is None or isinstance(v, (str, int, float)):
        return v
    if isinstance(v, dict):
        return LIST_SEPARATOR.join(f"{k}: {_cell(x)}" for k, x in v.items()
                                   if not str(k).startswith("_") and x not in (None, ""))
    if isinstance(v, (list, tuple)):
        return LIST_SEPARATOR.join(str(_cell(x)) for x in v if x not in (None, ""))
    return str(v)


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
