"""Hand a dossier's records to the archive as a Circular 05/2025/TT-BNV package.

    path = export_package(settings, out_dir, PackageOptions(file_code=..., title=..., ...),
                          dossier="000.00.15.H55-250207-0001")

The records give what they know (number and notation, date, issuer, type, subject, pages, history);
what the archive needs that a record does not have comes from the options (retention 01-07, access
01-03, paper dossier code, sheet count, fonds, ...), or from the batch manifest's columns of the
same names kept in a record's `archive_metadata`. Every missing mandatory value is listed in one
error. A record that fails its fixity check is refused. The package itself is written and checked by
storage.tt05; this module only maps records onto it.
"""
from __future__ import annotations

import getpass
import shutil
import uuid
import zipfile
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from digitize import __version__
from digitize.errors import DigitizeError, NotFound
from storage.tt05 import (PackageDocument, PackageDossier, PackageError, PackageEvent, VN_TZ,
                          validate_package, vn_date, write_package)

# typeName codes of the Circular (01-32), by the folded document type that starts the title.
TYPE_CODES = {
    "nghi quyet": "01", "quyet dinh": "02", "chi thi": "03", "quy che": "04", "quy dinh": "05",
    "thong cao": "06", "thong bao": "07", "huong dan": "08", "chuong trinh": "09",
    "ke hoach": "10", "phuong an": "11", "de an": "12", "du an": "13", "bao cao": "14",
    "to trinh": "15", "giay uy quyen": "16", "phieu gui": "17", "phieu chuyen": "18",
    "phieu bao": "19", "bien ban": "20", "hop dong": "21", "cong van": "22", "cong dien": "23",
    "ban ghi nho": "24", "ban thoa thuan": "25", "giay moi": "26", "giay gioi thieu": "27",
    "giay nghi phep": "28", "thu cong": "29", "ban do": "30", "ban ve ky thuat": "31",
}
# history action -> (PREMIS event type, what it was)
EVENT_TYPES = {
    "ingested": ("transfer", "Số hóa (digitisation): originals kept, PDF/A written"),
    "corrected": ("metadata modification", "Hiệu đính (correction)"),
    "signed": ("digital signature generation", "Ký số bản số hóa (agency signature)"),
    "verified": ("fixity check", "Kiểm tra toàn vẹn (fixity check)"),
}


@dataclass
class PackageOptions:
    """Values the archive needs that the records do not carry (the Circular's codes)."""

    file_code: str | None = None  # fileCode: agency id + year + dossier number and notation
    title: str | None = None
    retention: str | None = None  # maintenance 01-07
    access: str | None = None  # mode 01-03
    paper_code: str | None = None  # paperFileCode of the paper dossier
    sheets: int | None = None  # numberOfPaper
    fonds: str = ""
    agency: str = ""
    condition: str = ""  # format 01-03 (physical condition of the paper)
    backup: bool = False  # riskRecovery
    backup_done: bool = False  # riskRecoveryStatus 01 (else 02) when backup
    zip: bool = False


def _fold(s: str) -> str:
    from indexer.textnorm import fold

    return " ".join(fold(s).split())


def type_code(doc_type: str | None) -> str:
    """The Circular's typeName code of a document type ("QUYẾT ĐỊNH" -> "02"); 32 is "Khác"."""
    f = _fold(doc_type or "")
    for name in sorted(TYPE_CODES, key=len, reverse=True):
        if f == name or f.startswith(name + " "):
            return TYPE_CODES[name]
    return "32"


def number_parts(fields: dict[str, Any]) -> tuple[str, str]:
    """(codeNumber, codeNotation) of "15/QĐ-UBND": ("15", "QĐ-UBND")."""
    number = str(_value(fields, "number") or "")
    seq, _, notation = number.partition("/")
    return str(_value(fields, "number_seq") or seq).strip()[:11], notation.strip()[:30]


def _value(fields: dict[str, Any], name: str) -> Any:
    f = fields.get(name)
    return f.get("value") if isinstance(f, dict) else f


def _confidence(docs: list[dict[str, Any]]) -> str:
    methods = {p.get("method") for d in docs for p in d.get("pages", [])}
    if methods <= {"text"}:
        return "01"  # born digital
    return "03" if "text" in methods else "02"


def _choice(name: str, value: str | None, allowed: range) -> str | None:
    if value is None or value == "":
        return None
    if not (value.isdigit() and int(value) in allowed):
        raise DigitizeError(f"--{name} takes a code {allowed.start:02d} to {allowed.stop - 1:02d}, "
                            f"not {value!r}")
    return f"{int(value):02d}"


def build_package(docs: list[dict[str, Any]], pdfs: list[Path], history: list[list[dict]],
                  opts: PackageOptions, actor: str) -> tuple[PackageDossier, list[PackageDocument],
                                                         list[PackageEvent]]:
    """Map records (metadata, their PDF to hand over, their history) onto the package's dossier,
    documents and events."""
    meta = [d.get("archive_metadata") or {} for d in docs]
    pick = lambda key: next((str(m[key]) for m in meta if m.get(key)), None)  # noqa: E731
    retention = _choice("retention", opts.retention or pick("maintenance"), range(1, 8))
    access = _choice("access", opts.access or pick("mode"), range(1, 4))
    condition = _choice("condition", opts.condition or pick("format"), range(1, 4)) or ""
    file_code = opts.file_code or pick("fileCode") or ""
    dates = sorted(str(_value(d["fields"], "issued_date")) for d in docs
                   if _value(d.get("fields", {}), "issued_date"))
    sheets = opts.sheets if opts.sheets is not None else pick("numberOfPaper")
    dossier = PackageDossier({
        "fileCode": file_code, "title": opts.title or pick("title") or "",
        "maintenance": retention or "", "mode": access or "", "language": "01",
        "startDate": vn_date(dates[0]) if dates else "",
        "endDate": vn_date(dates[-1]) if dates else "", "keyword": "",
        "totalDoc": str(len(docs)), "numberOfPaper": str(sheets or ""),
        "numberOfPage": str(sum(int(d.get("page_count") or 0) for d in docs)),
        "format": condition, "inforSign": "", "confidenceLevel": _confidence(docs),
        "paperFileCode": opts.paper_code or pick("paperFileCode") or "",
        "riskRecovery": "1" if opts.backup else "0",
        "riskRecoveryStatus": ("01" if opts.backup_done else "02") if opts.backup else "",
        "description": f"{len(docs)} kết quả số hóa bằng digitize {__version__}",
    }, fonds_code=opts.fonds or pick("fonds") or "", agency=opts.agency, actor=actor,
        software_version=__version__)
    documents, events = [], []
    for i, (d, pdf, hist) in enumerate(zip(docs, pdfs, history), 1):
        fields = d.get("fields", {})
        number, notation = number_parts(fields)
        doc_id = f"{file_code}.{i}"
        values = {
            "docId": doc_id, "docCode": f"{file_code}.{i:07d}", "maintenance": retention or "",
            "typeName": type_code(_value(fields, "doc_type")), "codeNumber": number,
            "codeNotation": notation, "issuedDate": vn_date(_value(fields, "issued_date")),
            "organName": str(_value(fields, "issuer") or "")[:200],
            "subject": str(_value(fields, "subject") or d.get("title") or "")[:500],
            "language": "01", "numberOfPage": str(d.get("page_count") or ""), "inforSign": "",
            "keyword": "", "mode": access or "", "confidenceLevel": _confidence([d]),
            "autograph": "", "format": condition, "riskRecovery": "", "riskRecoveryStatus": "",
            "process": "", "description": f"digitize record {d['id']}"}
        documents.append(PackageDocument(values, pdf, str(d.get("pdfa") or "2b"),
                                         d.get("name", ""), pdf.name.endswith(".signed.pdf")))
        for ev in hist:
            kind = EVENT_TYPES.get(ev.get("action", ""))
            if kind is None:
                continue
            at = datetime.fromisoformat(str(ev["at"]).replace("Z", "+00:00"))
            if at.tzinfo is None:
                at = at.replace(tzinfo=VN_TZ)
            detail = kind[1]
            if ev.get("action") == "corrected":
                det = ev.get("detail") or {}
                detail += f": {det.get('field')} {det.get('old')!r} -> {det.get('new')!r}"
            events.append(PackageEvent(kind[0], at, detail, ev.get("actor") or actor,
                                       ev.get("outcome") or "success", [doc_id]))
            if ev.get("action") == "ingested":
                events.append(PackageEvent("metadata extraction", at,
                                           "Nhận dạng ký tự (OCR) và trích xuất trường",
                                           ev.get("actor") or actor, "success", [doc_id]))
    return dossier, documents, events


def record_pdf(files: dict[str, Path]) -> Path:
    """The file handed over for a record (`files`: its current files, logical path -> file):
    its signed copy when there is one, else its PDF/A."""
    return files.get("document.signed.pdf") or files["document.pdf"]


def zip_package(pkg: Path) -> Path:
    """The package zipped beside it, named like the Circular's sample (a lower-case GUID, the
    package folder inside); the folder is removed once the zip is complete."""
    out = pkg.parent / f"{uuid.uuid4()}.zip"
    tmp = out.with_suffix(".zip.partial")
    with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as z:
        for f in sorted(pkg.rglob("*")):
            if f.is_file():
                z.write(f, f"{pkg.name}/{f.relative_to(pkg)}")
    tmp.replace(out)
    shutil.rmtree(pkg)
    return out


def export_package(store, out_dir: Path, record_ids: list[str], opts: PackageOptions) -> Path:
    """Write the package of `record_ids` (in that order) into `out_dir`; returns the package
    folder (or zip). Refuses records that fail their fixity check and lists missing values."""
    if not record_ids:
        raise NotFound("no record to package: choose them with --dossier or --record")
    from digitize.store import fixity_problems
    bad = {rid: fixity_problems(store.archive, rid) for rid in record_ids}
    bad = {rid: p for rid, p in bad.items() if p}
    if bad:
        raise DigitizeError("records fail verify, not packaged: " + "; ".join(
            f"{rid} ({p[0]})" for rid, p in bad.items()) + " (run digitize verify)")
    docs = [store.catalogue.get(rid) or {} for rid in record_ids]
    pdfs = [record_pdf(store.archive.current_files(rid)) for rid in record_ids]
    history = [store.catalogue.history(rid) for rid in record_ids]
    actor = getpass.getuser()
    dossier, documents, events = build_package(docs, pdfs, history, opts, actor)
    try:
        pkg = write_package(out_dir, dossier, documents, events)
    except PackageError as e:
        raise DigitizeError(str(e) + " (give them as options of export --format tt05)") from None
    problems = validate_package(pkg)
    if problems:
        shutil.rmtree(pkg, ignore_errors=True)
        raise DigitizeError(f"the package did not validate: {problems[0]}"
                            + (f" (+{len(problems) - 1} more)" if len(problems) > 1 else ""))
    for rid in record_ids:
        store.add_event(rid, "exported", detail={"format": "tt05", "to": str(pkg)})
    return zip_package(pkg) if opts.zip else pkg
