"""The Circular 05/2025/TT-BNV submission package (E-ARK CSIP 2.0.4 extended): a dossier's records
handed to a Vietnamese archive.

    pkg = write_package(out_dir, dossier, documents, events)   # returns the package folder
    problems = validate_package(pkg)                           # [] when valid

The layout is the Circular's `SIP_hoso` (Appendix III), as its sample package does it:

    uuid-XXXXXXXX-…/                  the package folder, named after the root METS OBJID
      METS.xml                        root METS: metsHdr, dmdSec (EAD.xml), amdSec (PREMIS.xml),
                                      fileSec (Schemas, Representations/rep1), structMap "CSIP"
      metadata/descriptive/EAD.xml    the dossier: the Circular's 18 elements (simpledc)
      metadata/preservation/PREMIS.xml  PREMIS 3.0: every file with its SHA-256, and the events
                                      (digitisation, OCR, corrections, signing, fixity checks)
      representations/rep1/METS.xml   the representation: one dmdSec per document, fileSec "Data"
      representations/rep1/metadata/descriptive/EAD_DOC_<docId>.xml   each document's 21 elements
      representations/rep1/data/<docId>.pdf                         the PDF/A (signed copy if any)
      schemas/                        mets1_12.xsd, xlink.xsd, ead.xsd, ead_doc.xsd

Identifiers are `uuid-` + upper-case UUID (files: `ID-` + UUID), dates carry +07:00, checksums are
upper-case SHA-256. PREMIS is the one addition to the Circular's SIP (which leaves preservation
metadata to the archive's AIP); E-ARK CSIP allows it, and it carries the record's history.

The METS schema comes from Artefactual's `metsrw` package; `xlink.xsd` (the XLink attribute groups
METS refers to) and the two EAD schemas are this project's, written from the Circular's element
tables (storage/schemas/README.md).
"""
from __future__ import annotations

import hashlib
import os
import shutil
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

from lxml import etree

VN_TZ = timezone(timedelta(hours=7))
NS = {
    "mets": "http://www.loc.gov/METS/",
    "xlink": "http://www.w3.org/1999/xlink",
    "xsi": "http://www.w3.org/2001/XMLSchema-instance",
    "csip": "https://DILCIS.eu/XML/METS/CSIPExtensionMETS",
    "sip": "https://DILCIS.eu/XML/METS/SIPExtensionMETS",
    "premis": "http://www.loc.gov/premis/v3",
}
PROFILE = "https://earkcsip.dilcis.eu/profile/E-ARK-CSIP.xml"
SCHEMA_DIR = Path(__file__).resolve().parent / "schemas"
XLINK_REMOTE = "http://www.loc.gov/standards/xlink/xlink.xsd"
# Dossier (hồ sơ) elements, Circular 05/2025 Appendix III, in the order of its XML frame.
DOSSIER_ELEMENTS = (
    "fileCode", "title", "maintenance", "mode", "language", "startDate", "endDate", "keyword",
    "totalDoc", "numberOfPaper", "numberOfPage", "format", "inforSign", "confidenceLevel",
    "paperFileCode", "riskRecovery", "riskRecoveryStatus", "description")
# Document (văn bản) elements, EAD_doc.
DOCUMENT_ELEMENTS = (
    "docId", "docCode", "maintenance", "typeName", "codeNumber", "codeNotation", "issuedDate",
    "organName", "subject", "language", "numberOfPage", "inforSign", "keyword", "mode",
    "confidenceLevel", "autograph", "format", "riskRecovery", "riskRecoveryStatus", "process",
    "description")
DOSSIER_REQUIRED = ("fileCode", "title", "maintenance", "mode", "language", "startDate",
                    "endDate", "totalDoc", "numberOfPaper", "numberOfPage", "confidenceLevel",
                    "paperFileCode", "riskRecovery")
DOCUMENT_REQUIRED = ("docId", "docCode", "maintenance", "typeName", "issuedDate", "organName",
                     "subject", "language", "numberOfPage", "mode")
PRONOM = {"1b": ("fmt/354", "PDF/A-1b"), "2b": ("fmt/476", "PDF/A-2b")}


class PackageError(Exception):
    """The package cannot be written: missing mandatory values (all listed), or a bad target."""


@dataclass
class PackageEvent:
    """One PREMIS event: what happened to which documents, when, by whom."""

    event_type: str  # a LoC event type: transfer (digitisation), metadata extraction, ...
    at: datetime
    detail: str
    agent: str
    outcome: str = "success"
    doc_ids: list[str] = field(default_factory=list)


@dataclass
class PackageDocument:
    """One document: its 21 elements (`values`) and the file that goes into `data/`."""

    values: dict[str, str]
    pdf: Path
    pdfa: str = "2b"
    original_name: str = ""
    signed: bool = False


@dataclass
class PackageDossier:
    """The dossier: its 18 elements, the fonds code and the agency handing it over."""

    values: dict[str, str]
    fonds_code: str = ""
    agency: str = ""
    actor: str = ""
    software_version: str = ""


def _now() -> datetime:
    return datetime.now(VN_TZ)


def iso(dt: datetime) -> str:
    """ISO 8601 with milliseconds and the +07:00 offset the Circular's sample uses."""
    return dt.astimezone(VN_TZ).isoformat(timespec="milliseconds")


def vn_date(value: str | date | None) -> str:
    """DD/MM/YYYY from an ISO date (the Circular's date format); '' for none."""
    if not value:
        return ""
    d = value if isinstance(value, date) else date.fromisoformat(str(value)[:10])
    return d.strftime("%d/%m/%Y")


def new_id(prefix: str = "uuid-") -> str:
    return prefix + str(uuid.uuid4()).upper()


def missing_values(dossier: PackageDossier, documents: list[PackageDocument]) -> list[str]:
    """Every mandatory element with no value, as 'dossier fileCode' / 'document 3 typeName'."""
    out = [f"dossier {k}" for k in DOSSIER_REQUIRED if not str(dossier.values.get(k) or "")]
    if str(dossier.values.get("riskRecovery")) == "1" and not dossier.values.get(
            "riskRecoveryStatus"):
        out.append("dossier riskRecoveryStatus")
    for i, d in enumerate(documents, 1):
        out += [f"document {i} {k}" for k in DOCUMENT_REQUIRED if not str(d.values.get(k) or "")]
    if not documents:
        out.append("documents (the dossier has no record)")
    return out


def _sha256(path: Path) -> tuple[str, int]:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest().upper(), path.stat().st_size


def _q(prefix: str, name: str) -> str:
    return f"{{{NS[prefix]}}}{name}"


def _simpledc(values: dict[str, str], order: tuple[str, ...]) -> bytes:
    root = etree.Element("simpledc")
    for k in order:
        etree.SubElement(root, k).text = str(values.get(k) or "")
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def _write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)


def _mets_root(objid: str, label: str, schema_prefix: str) -> etree._Element:
    nsmap: dict[str | None, str] = {None: NS["mets"], **{
        k: NS[k] for k in ("xlink", "xsi", "csip", "sip")}}
    root = etree.Element(_q("mets", "mets"), nsmap=nsmap)
    root.set("OBJID", objid)
    if label:
        root.set("LABEL", label)
    root.set("TYPE", "Mixed")
    root.set(_q("csip", "CONTENTINFORMATIONTYPE"), "MIXED")
    root.set("PROFILE", PROFILE)
    root.set(_q("xsi", "schemaLocation"),
             f"http://www.loc.gov/METS/ {schema_prefix}schemas/mets1_12.xsd "
             f"http://www.w3.org/1999/xlink {schema_prefix}schemas/xlink.xsd")
    return root


def _hdr(root, created: str, agents: list[tuple[str, str, str, str]], alt_id: str | None):
    hdr = etree.SubElement(root, _q("mets", "metsHdr"), CREATEDATE=created, LASTMODDATE=created,
                           RECORDSTATUS="NEW")
    hdr.set(_q("csip", "OAISPACKAGETYPE"), "SIP")
    for typ, name, note_type, note in agents:
        a = etree.SubElement(hdr, _q("mets", "agent"), ROLE="CREATOR", TYPE=typ)
        if typ == "OTHER":
            a.set("OTHERTYPE", "SOFTWARE")
        etree.SubElement(a, _q("mets", "name")).text = name
        if note:
            n = etree.SubElement(a, _q("mets", "note"))
            n.set(_q("csip", "NOTETYPE"), note_type)
            n.text = note
    if alt_id:
        etree.SubElement(hdr, _q("mets", "altRecordID"), TYPE="SUBMISSIONAGREEMENT").text = alt_id
    return hdr


def _md_ref(parent, tag: str, base: Path, rel: str, mdtype: str, created: str) -> str:
    sha, size = _sha256(base / rel)
    sec_id = new_id()
    sec = etree.SubElement(parent, _q("mets", tag), ID=sec_id, CREATED=created)
    if tag == "dmdSec":
        sec.set("STATUS", "CURRENT")
    ref = etree.SubElement(sec, _q("mets", "mdRef"), LOCTYPE="URL", MDTYPE=mdtype,
                           MIMETYPE="application/xml", SIZE=str(size), CREATED=created,
                           CHECKSUM=sha, CHECKSUMTYPE="SHA-256")
    if mdtype == "DC":
        ref.set("MDTYPEVERSION", "1.0.0")
    ref.set(_q("xlink", "type"), "simple")
    ref.set(_q("xlink", "href"), rel)
    return sec_id


def _file(grp, base: Path, rel: str, mimetype: str, created: str) -> str:
    sha, size = _sha256(base / rel)
    fid = new_id("ID-")
    f = etree.SubElement(grp, _q("mets", "file"), ID=fid, MIMETYPE=mimetype, SIZE=str(size),
                         CREATED=created, CHECKSUM=sha, CHECKSUMTYPE="SHA-256")
    loc = etree.SubElement(f, _q("mets", "FLocat"), LOCTYPE="URL")
    loc.set(_q("xlink", "type"), "simple")
    loc.set(_q("xlink", "href"), rel)
    return fid


def _save(root, path: Path) -> None:
    _write(path, etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True))


def _schemas(pkg: Path) -> list[str]:
    """Copy the schema files into `schemas/`; returns their package-relative paths."""
    import metsrw

    mets_xsd = Path(metsrw.__file__).resolve().parent / "resources" / "mets.xsd"
    out = pkg / "schemas"
    out.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(mets_xsd, out / "mets1_12.xsd")
    for name in ("xlink.xsd", "ead.xsd", "ead_doc.xsd"):
        shutil.copyfile(SCHEMA_DIR / name, out / name)
    return [f"schemas/{n}" for n in ("mets1_12.xsd", "xlink.xsd", "ead.xsd", "ead_doc.xsd")]


def _premis(dossier: PackageDossier, documents: list[PackageDocument], data_rel: list[str],
            rep: Path, events: list[PackageEvent], software: str) -> bytes:
    p = lambda n: _q("premis", n)  # noqa: E731 - a short namer for this builder
    root = etree.Element(p("premis"), nsmap={"premis": NS["premis"], "xsi": NS["xsi"]},
                         version="3.0")
    ids: dict[str, str] = {}
    for d, rel in zip(documents, data_rel):
        sha, size = _sha256(rep / rel)
        obj = etree.SubElement(root, p("object"))
        obj.set(_q("xsi", "type"), "premis:file")
        ids[d.values["docId"]] = xml_id = "obj-" + d.values["docId"].replace(".", "-")
        obj.set("xmlID", xml_id)
        oid = etree.SubElement(obj, p("objectIdentifier"))
        etree.SubElement(oid, p("objectIdentifierType")).text = "Doc"
        etree.SubElement(oid, p("objectIdentifierValue")).text = d.values["docCode"]
        ch = etree.SubElement(obj, p("objectCharacteristics"))
        etree.SubElement(ch, p("compositionLevel")).text = "0"
        fx = etree.SubElement(ch, p("fixity"))
        etree.SubElement(fx, p("messageDigestAlgorithm")).text = "SHA-256"
        etree.SubElement(fx, p("messageDigest")).text = sha
        etree.SubElement(ch, p("size")).text = str(size)
        puid, name = PRONOM.get(d.pdfa, PRONOM["2b"])
        fmt = etree.SubElement(ch, p("format"))
        etree.SubElement(etree.SubElement(fmt, p("formatDesignation")), p("formatName")).text = \
            name + (" (signed)" if d.signed else "")
        reg = etree.SubElement(fmt, p("formatRegistry"))
        etree.SubElement(reg, p("formatRegistryName")).text = "PRONOM"
        etree.SubElement(reg, p("formatRegistryKey")).text = puid
        if d.original_name:
            etree.SubElement(obj, p("originalName")).text = d.original_name
    agents = {software: "software"}
    for e in events:
        agents.setdefault(e.agent, "person")
    for e in events:
        ev = etree.SubElement(root, p("event"))
        eid = etree.SubElement(ev, p("eventIdentifier"))
        etree.SubElement(eid, p("eventIdentifierType")).text = "UUID"
        etree.SubElement(eid, p("eventIdentifierValue")).text = new_id()
        etree.SubElement(ev, p("eventType")).text = e.event_type
        etree.SubElement(ev, p("eventDateTime")).text = iso(e.at)
        etree.SubElement(etree.SubElement(ev, p("eventDetailInformation")),
                         p("eventDetail")).text = e.detail
        etree.SubElement(etree.SubElement(ev, p("eventOutcomeInformation")),
                         p("eventOutcome")).text = e.outcome
        la = etree.SubElement(ev, p("linkingAgentIdentifier"))
        etree.SubElement(la, p("linkingAgentIdentifierType")).text = agents[e.agent]
        etree.SubElement(la, p("linkingAgentIdentifierValue")).text = e.agent
        etree.SubElement(la, p("linkingAgentRole")).text = "implementer"
        for doc_id in e.doc_ids:
            if doc_id in ids:
                lo = etree.SubElement(ev, p("linkingObjectIdentifier"))
                etree.SubElement(lo, p("linkingObjectIdentifierType")).text = "Doc"
                etree.SubElement(lo, p("linkingObjectIdentifierValue")).text = next(
                    d.values["docCode"] for d in documents if d.values["docId"] == doc_id)
    for name, kind in agents.items():
        ag = etree.SubElement(root, p("agent"))
        aid = etree.SubElement(ag, p("agentIdentifier"))
        etree.SubElement(aid, p("agentIdentifierType")).text = kind
        etree.SubElement(aid, p("agentIdentifierValue")).text = name
        etree.SubElement(ag, p("agentName")).text = name
        etree.SubElement(ag, p("agentType")).text = kind
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def write_package(out_dir: Path, dossier: PackageDossier, documents: list[PackageDocument],
                  events: list[PackageEvent], software: str = "digitize") -> Path:
    """Write the package into a new folder inside `out_dir` (named after its OBJID) and return
    it. Raises PackageError listing every missing mandatory value; nothing is left on failure."""
    missing = missing_values(dossier, documents)
    if missing:
        raise PackageError("missing mandatory values: " + ", ".join(missing))
    objid = new_id()
    out_dir.mkdir(parents=True, exist_ok=True)
    pkg = out_dir / objid
    tmp = out_dir / f".{objid}.partial"
    try:
        _build(tmp, objid, dossier, documents, events, software)
        os.replace(tmp, pkg)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return pkg


def _build(pkg: Path, objid: str, dossier: PackageDossier, documents: list[PackageDocument],
           events: list[PackageEvent], software: str) -> None:
    created = iso(_now())
    rep = pkg / "representations" / "rep1"
    _write(pkg / "metadata/descriptive/EAD.xml", _simpledc(dossier.values, DOSSIER_ELEMENTS))
    data_rel = []
    for d in documents:
        rel = f"data/{d.values['docId']}.pdf"
        (rep / "data").mkdir(parents=True, exist_ok=True)
        shutil.copyfile(d.pdf, rep / rel)
        data_rel.append(rel)
        _write(rep / f"metadata/descriptive/EAD_DOC_{d.values['docId']}.xml",
               _simpledc(d.values, DOCUMENT_ELEMENTS))
    _write(pkg / "metadata/preservation/PREMIS.xml",
           _premis(dossier, documents, data_rel, rep, events, software))
    schemas = _schemas(pkg)

    # representations/rep1/METS.xml
    r = _mets_root("rep1", dossier.values.get("title", ""), "../../")
    _hdr(r, created, [("INDIVIDUAL", dossier.actor or "digitize", "", "")], None)
    dmd_ids = [_md_ref(r, "dmdSec", rep, f"metadata/descriptive/EAD_DOC_{d.values['docId']}.xml",
                       "DC", created) for d in documents]
    etree.SubElement(r, _q("mets", "amdSec"), ID=new_id())
    grp = etree.SubElement(etree.SubElement(r, _q("mets", "fileSec"), ID=new_id()),
                           _q("mets", "fileGrp"), ID=new_id(), USE="Data")
    file_ids = [_file(grp, rep, rel, "application/pdf", created) for rel in data_rel]
    sm = etree.SubElement(r, _q("mets", "structMap"), ID=new_id(), TYPE="PHYSICAL", LABEL="CSIP")
    top = etree.SubElement(sm, _q("mets", "div"), ID=new_id(), LABEL="rep1", TYPE="ORIGINAL")
    data_div = etree.SubElement(top, _q("mets", "div"), ID=new_id(), LABEL="Data")
    for fid in file_ids:
        etree.SubElement(data_div, _q("mets", "fptr"), FILEID=fid)
    links = etree.SubElement(top, _q("mets", "div"), ID=new_id(), LABEL="MetadataLink")
    for dmd, fid in zip(dmd_ids, file_ids):
        link = etree.SubElement(links, _q("mets", "div"), ID=new_id(), LABEL="MetadataLink/File",
                                DMDID=dmd)
        etree.SubElement(link, _q("mets", "fptr"), FILEID=fid)
    _save(r, rep / "METS.xml")

    # METS.xml at the root
    m = _mets_root(objid, dossier.values.get("title", ""), "")
    agents = [("OTHER", software, "SOFTWARE VERSION", dossier.software_version)]
    if dossier.agency or dossier.fonds_code:
        agents.append(("ORGANIZATION", dossier.agency or dossier.fonds_code, "IDENTIFICATIONCODE",
                       dossier.fonds_code))
    _hdr(m, created, agents, dossier.values.get("fileCode"))
    dmd = _md_ref(m, "dmdSec", pkg, "metadata/descriptive/EAD.xml", "DC", created)
    amd = etree.SubElement(m, _q("mets", "amdSec"), ID=new_id())
    prov = _md_ref(amd, "digiprovMD", pkg, "metadata/preservation/PREMIS.xml", "PREMIS", created)
    fsec = etree.SubElement(m, _q("mets", "fileSec"), ID=new_id())
    sgrp = etree.SubElement(fsec, _q("mets", "fileGrp"), ID=new_id(), USE="Schemas")
    schema_ids = [_file(sgrp, pkg, rel, "application/octet-stream", created) for rel in schemas]
    rgrp_id = new_id()
    rgrp = etree.SubElement(fsec, _q("mets", "fileGrp"), ID=rgrp_id, USE="Representations/rep1")
    _file(rgrp, pkg, "representations/rep1/METS.xml", "application/xml", created)
    sm = etree.SubElement(m, _q("mets", "structMap"), ID=new_id(), TYPE="PHYSICAL", LABEL="CSIP")
    top = etree.SubElement(sm, _q("mets", "div"), ID=new_id(), LABEL=objid)
    etree.SubElement(top, _q("mets", "div"), ID=new_id(), LABEL="Metadata", DMDID=dmd,
                     ADMID=prov)
    sdiv = etree.SubElement(top, _q("mets", "div"), ID=new_id(), LABEL="Schemas")
    for fid in schema_ids:
        etree.SubElement(sdiv, _q("mets", "fptr"), FILEID=fid)
    rdiv = etree.SubElement(top, _q("mets", "div"), ID=new_id(), LABEL="Representations/rep1")
    mptr = etree.SubElement(rdiv, _q("mets", "mptr"), LOCTYPE="URL")
    mptr.set(_q("xlink", "type"), "simple")
    mptr.set(_q("xlink", "href"), "representations/rep1/METS.xml")
    mptr.set(_q("xlink", "title"), rgrp_id)
    _save(m, pkg / "METS.xml")


class _LocalXlink(etree.Resolver):
    """METS imports XLink from the Library of Congress's site: read it from the package."""

    def __init__(self, xlink: Path):
        super().__init__()
        self.xlink = xlink

    def resolve(self, url, pubid, context):
        if url == XLINK_REMOTE or url.endswith("/xlink.xsd"):
            return self.resolve_filename(str(self.xlink), context)
        return None


def _schema(xsd: Path, xlink: Path) -> etree.XMLSchema:
    parser = etree.XMLParser(no_network=True)
    parser.resolvers.add(_LocalXlink(xlink))
    return etree.XMLSchema(etree.parse(str(xsd), parser))


def validate_package(pkg: Path) -> list[str]:
    """Problems of the package at `pkg`: METS files against the METS schema, EAD files against the
    Circular's element sets, every referenced file present with the size and SHA-256 written, no
    file in `data/` left unreferenced, and PREMIS fixity matching the files. [] means valid."""
    problems: list[str] = []
    schemas = pkg / "schemas"
    try:
        mets_schema = _schema(schemas / "mets1_12.xsd", schemas / "xlink.xsd")
        ead = etree.XMLSchema(etree.parse(str(schemas / "ead.xsd")))
        ead_doc = etree.XMLSchema(etree.parse(str(schemas / "ead_doc.xsd")))
    except (OSError, etree.XMLSchemaParseError, etree.XMLSyntaxError) as e:
        return [f"schemas/: {e}"]
    referenced: set[Path] = set()
    for mets_path in (pkg / "METS.xml", pkg / "representations/rep1/METS.xml"):
        rel = mets_path.relative_to(pkg)
        try:
            doc = etree.parse(str(mets_path))
        except (OSError, etree.XMLSyntaxError) as e:
            problems.append(f"{rel}: {e}")
            continue
        if not mets_schema.validate(doc):
            problems += [f"{rel}:{err.line}: {err.message}" for err in mets_schema.error_log]
        base = mets_path.parent
        for el in doc.iter(_q("mets", "mdRef"), _q("mets", "FLocat")):
            href = el.get(_q("xlink", "href"))
            owner = el if el.tag.endswith("mdRef") else el.getparent()
            target = (base / href).resolve()
            referenced.add(target)
            if not target.is_file():
                problems.append(f"{rel}: {href} is missing")
                continue
            sha, size = _sha256(target)
            if owner.get("CHECKSUM") != sha or owner.get("SIZE") != str(size):
                problems.append(f"{rel}: {href} does not match its checksum or size")
    for path, schema in [(pkg / "metadata/descriptive/EAD.xml", ead)] + [
            (p, ead_doc) for p in sorted((pkg / "representations/rep1/metadata/descriptive")
                                         .glob("EAD_DOC_*.xml"))]:
        try:
            if not schema.validate(etree.parse(str(path))):
                problems += [f"{path.relative_to(pkg)}:{e.line}: {e.message}"
                             for e in schema.error_log]
        except (OSError, etree.XMLSyntaxError) as e:
            problems.append(f"{path.relative_to(pkg)}: {e}")
    for f in (pkg / "representations/rep1/data").glob("*"):
        if f.resolve() not in referenced:
            problems.append(f"{f.relative_to(pkg)} is not referenced by the METS")
    problems += _premis_problems(pkg)
    return problems


def _premis_problems(pkg: Path) -> list[str]:
    path = pkg / "metadata/preservation/PREMIS.xml"
    try:
        doc = etree.parse(str(path))
    except (OSError, etree.XMLSyntaxError) as e:
        return [f"metadata/preservation/PREMIS.xml: {e}"]
    out = []
    digests = {d.text for d in doc.iter(_q("premis", "messageDigest"))}
    for f in (pkg / "representations/rep1/data").glob("*"):
        if _sha256(f)[0] not in digests:
            out.append(f"PREMIS.xml has no fixity for {f.name}")
    for ev in doc.iter(_q("premis", "event")):
        for req in ("eventIdentifier", "eventType", "eventDateTime"):
            if ev.find(_q("premis", req)) is None:
                out.append(f"PREMIS.xml: an event without {req}")
    return out
