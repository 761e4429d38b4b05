"""The Circular 05/2025/TT-BNV package (`export --format tt05`): a dossier of real ingests written as
METS + EAD + PREMIS + PDF/A that validates (METS schema, the Circular's element sets, checksums),
every missing mandatory value listed, records that fail fixity refused."""
from __future__ import annotations

import zipfile
from pathlib import Path

import pytest
from lxml import etree

from archive_helpers import small_doc
from conftest import run_cli
from digitize.tt05 import number_parts, type_code
from storage.tt05 import DOCUMENT_ELEMENTS, DOSSIER_ELEMENTS, validate_package

OPTIONS = ["--file-code", "H55.01.12.2025.07", "--title", "Kết quả giải quyết TTHC năm 2025",
           "--retention", "01", "--access", "02", "--paper-code", "H55.K1.H3.07",
           "--sheets", "2", "--fonds", "P_UBND_XA", "--agency", "UBND xã Thử Nghiệm"]


@pytest.fixture(scope="module")
def archive(tmp_path_factory) -> Path:
    d = tmp_path_factory.mktemp("tt05")
    scans = [small_doc(d / "in" / f"doc{n}.png", n) for n in (1, 2)]
    arch = d / "archive"
    r = run_cli("ingest", *map(str, scans), "--archive", str(arch), "--jobs", "1", "--json")
    assert r.code == 0, r.output
    for obj in r.objects():
        assert run_cli("link", obj["record_id"], "--dossier", "H55-TEST-0001",
                       "--archive", str(arch)).code == 0
    return arch


def test_package_validates_with_every_element(archive, tmp_path):
    r = run_cli("export", str(tmp_path / "out"), "--format", "tt05", "--dossier",
                "H55-TEST-0001", "--archive", str(archive), *OPTIONS)
    assert r.code == 0, r.output
    [pkg] = list((tmp_path / "out").iterdir())
    assert pkg.name.startswith("uuid-") and pkg.name[5:] == pkg.name[5:].upper()
    assert validate_package(pkg) == []
    ead = etree.parse(str(pkg / "metadata/descriptive/EAD.xml")).getroot()
    assert [e.tag for e in ead] == list(DOSSIER_ELEMENTS)
    assert ead.findtext("totalDoc") == "2" and ead.findtext("confidenceLevel") == "02"
    docs = sorted((pkg / "representations/rep1/metadata/descriptive").glob("EAD_DOC_*.xml"))
    assert len(docs) == 2
    doc = etree.parse(str(docs[0])).getroot()
    assert [e.tag for e in doc] == list(DOCUMENT_ELEMENTS)
    assert doc.findtext("typeName") == "02" and doc.findtext("codeNotation") == "QĐ-UBND"
    assert doc.findtext("docCode") == "H55.01.12.2025.07.0000001"
    mets = (pkg / "METS.xml").read_text(encoding="utf-8")
    assert "+07:00" in mets and 'OAISPACKAGETYPE="SIP"' in mets
    premis = (pkg / "metadata/preservation/PREMIS.xml").read_text(encoding="utf-8")
    assert premis.count("<premis:messageDigest>") == 2 and "transfer" in premis
    assert "metadata extraction" in premis


def test_tampering_is_found_by_the_validator(archive, tmp_path):
    r = run_cli("export", str(tmp_path / "out"), "--format", "tt05", "--dossier",
                "H55-TEST-0001", "--archive", str(archive), *OPTIONS)
    assert r.code == 0, r.output
    [pkg] = list((tmp_path / "out").iterdir())
    pdf = next((pkg / "representations/rep1/data").iterdir())
    pdf.write_bytes(pdf.read_bytes() + b"%")
    problems = validate_package(pkg)
    assert any("checksum" in p for p in problems) and any("fixity" in p for p in problems)


def test_missing_values_are_listed_in_one_error(archive, tmp_path):
    r = run_cli("export", str(tmp_path / "out"), "--format", "tt05", "--dossier",
                "H55-TEST-0001", "--archive", str(archive), "--title", "T")
    assert r.code == 1
    for name in ("fileCode", "maintenance", "mode", "numberOfPaper", "paperFileCode"):
        assert name in r.output
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())
    bad = run_cli("export", str(tmp_path / "o2"), "--format", "tt05", "--dossier",
                  "H55-TEST-0001", "--archive", str(archive), *OPTIONS[:6], "--retention", "09")
    assert bad.code == 1 and "--retention" in bad.output


def test_zip_holds_the_package_folder(archive, tmp_path):
    r = run_cli("export", str(tmp_path / "out"), "--format", "tt05", "--dossier",
                "H55-TEST-0001", "--archive", str(archive), *OPTIONS, "--zip")
    assert r.code == 0, r.output
    [z] = list((tmp_path / "out").iterdir())
    assert z.suffix == ".zip" and z.stem == z.stem.lower()
    names = zipfile.ZipFile(z).namelist()
    assert any(n.endswith("/METS.xml") and n.count("/") == 1 for n in names)


def test_record_failing_fixity_is_refused(archive, tmp_path):
    pdf = next(archive.glob("objects/*/*/*/*/v1/content/document.pdf"))
    data = pdf.read_bytes()
    try:
        pdf.write_bytes(data[:-10] + b"0123456789")
        r = run_cli("export", str(tmp_path / "out"), "--format", "tt05", "--dossier",
                    "H55-TEST-0001", "--archive", str(archive), *OPTIONS)
        assert r.code == 1 and "fail verify" in r.output
    finally:
        pdf.write_bytes(data)


@pytest.mark.parametrize("doc_type, code", [("QUYẾT ĐỊNH", "02"), ("Thông báo", "07"),
                                            ("GIẤY CHỨNG NHẬN", "32"), ("BIÊN BẢN", "20"),
                                            (None, "32")])
def test_type_codes(doc_type, code):
    assert type_code(doc_type) == code


def test_number_parts():
    assert number_parts({"number": {"value": "15/QĐ-UBND"}}) == ("15", "QĐ-UBND")
    assert number_parts({}) == ("", "")
