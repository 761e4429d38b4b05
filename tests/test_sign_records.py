"""`digitize sign` / `ingest --sign` / `verify --trust` on real ingests: the signed copy joins the
record as a new version with a "signed" event, re-signing and expired keys are refused, verify
checks the signature (and its chain against the trust store), and an original that arrived signed
keeps a record of its signature."""
from __future__ import annotations

import io
import json

import pytest
from click.testing import CliRunner

from archive_helpers import small_doc
from digitize.cli import main
from ocr.pdfa import PdfPage, write_pdfa
from scripts.pagegen.render import DocSpec, render_page
from signing_helpers import PASSWORD, make_pki
from storage.signature import load_pkcs12, sign_pdf

AGENCY = "ỦY BAN NHÂN DÂN XÃ THỬ NGHIỆM"


def cli(*args, env=None):
    r = CliRunner().invoke(main, list(map(str, args)), env={"DIGITIZE_SIGN_PASSWORD":
                                                            PASSWORD.decode(), **(env or {})})
    return r.exit_code, r.output


@pytest.fixture(scope="module")
def pki(tmp_path_factory):
    return make_pki(tmp_path_factory.mktemp("pki"))


@pytest.fixture(scope="module")
def archive(tmp_path_factory):
    d = tmp_path_factory.mktemp("signrec")
    code, out = cli("ingest", small_doc(d / "a.png", 31), small_doc(d / "b.png", 32),
                    "--archive", d / "ar", "--jobs", "1", "--json")
    assert code == 0, out
    return d / "ar", [json.loads(line)["record_id"] for line in out.splitlines()
                      if line.startswith("{")]


def test_sign_adds_a_version_and_verify_checks_it(archive, pki, tmp_path):
    ar, (rid, other) = archive
    code, out = cli("sign", rid, "--key", pki.p12, "--agency", AGENCY, "--archive", ar)
    assert code == 0 and "signed" in out and rid in out, out
    code, out = cli("show", rid, "--archive", ar, "--json")
    doc = json.loads(out)
    assert "document.signed.pdf" in doc["files"] and doc["signature"]["level"] == "B-B"
    signed = [e for e in doc["history"] if e["action"] == "signed"]
    assert signed and signed[0]["detail"]["serial"] and "Thử Nghiệm" in signed[0]["detail"][
        "subject"]
    code, out = cli("verify", "--archive", ar, "--trust", pki.ca_pem)
    assert code == 0, out
    # a trust store the certificate does not lead to: said, exit 1
    other_ca = make_pki(tmp_path / "other").ca_pem
    code, out = cli("verify", "--archive", ar, "--trust", other_ca)
    assert code == 1 and "not trusted" in out, out
    # signing again is refused; the other record is still unsigned
    code, out = cli("sign", rid, "--key", pki.p12, "--agency", AGENCY, "--archive", ar)
    assert code == 1 and "already signed" in out, out
    code, out = cli("sign", "--all-unsigned", "--key", pki.p12, "--agency", AGENCY, "--archive",
                    ar, "--json")
    assert code == 0 and [json.loads(line)["record_id"] for line in out.splitlines()
                          if line.startswith("{")] == [other], out


def test_expired_key_and_missing_agency_refused(archive, pki):
    ar, (rid, _) = archive
    code, out = cli("sign", rid, "--key", pki.expired_p12, "--agency", AGENCY, "--archive", ar)
    assert code == 1 and "expired" in out, out
    code, out = cli("sign", rid, "--key", pki.p12, "--archive", ar)
    assert code == 2 and "--agency" in out, out


def test_ingest_sign(pki, tmp_path):
    code, out = cli("ingest", small_doc(tmp_path / "c.png", 33), "--archive", tmp_path / "ar",
                    "--jobs", "1", "--json", "--sign", "--key", pki.p12, "--agency", AGENCY)
    assert code == 0, out
    o = json.loads(out.splitlines()[-1])
    assert o["status"] == "stored" and o["signature"]["subject"]
    code, out = cli("verify", "--archive", tmp_path / "ar", "--trust", pki.ca_pem)
    assert code == 0, out


def test_signed_original_is_described_and_checked(pki, tmp_path):
    img = render_page(DocSpec(), dpi=100).convert("L")
    buf = io.BytesIO()
    img.save(buf, "JPEG", quality=80)
    plain = tmp_path / "plain.pdf"
    write_pdfa([PdfPage(buf.getvalue(), img.width, img.height, 100, False)], plain, "2b")
    signed = tmp_path / "signed-original.pdf"
    sign_pdf(plain, signed, load_pkcs12(pki.p12, PASSWORD), "SỞ THỬ NGHIỆM")
    code, out = cli("ingest", signed, "--archive", tmp_path / "ar", "--jobs", "1", "--json")
    assert code == 0, out
    rid = json.loads(out.splitlines()[-1])["record_id"]
    doc = json.loads(cli("show", rid, "--archive", tmp_path / "ar", "--json")[1])
    [sig] = doc["source_files"][0]["signatures"]
    assert sig["valid"] and sig["intact"] and "Thử Nghiệm" in sig["subject"]
    code, out = cli("verify", "--archive", tmp_path / "ar", "--trust", pki.ca_pem)
    assert code == 0, out


def test_tt05_package_hands_over_the_signed_copy(pki, tmp_path):
    from storage.tt05 import validate_package
    ar = tmp_path / "ar"
    code, out = cli("ingest", small_doc(tmp_path / "d.png", 34), "--archive", ar, "--jobs", "1",
                    "--json", "--sign", "--key", pki.p12, "--agency", AGENCY)
    assert code == 0, out
    rid = json.loads(out.splitlines()[-1])["record_id"]
    code, out = cli("export", tmp_path / "pkg", "--format", "tt05", "--record", rid,
                    "--archive", ar, "--file-code", "H55.01.2025.09", "--title", "Hồ sơ ký số",
                    "--retention", "01", "--access", "01", "--paper-code", "H55.K1.09",
                    "--sheets", "1")
    assert code == 0, out
    [pkg] = list((tmp_path / "pkg").iterdir())
    assert validate_package(pkg) == []
    premis = (pkg / "metadata/preservation/PREMIS.xml").read_text(encoding="utf-8")
    assert "(signed)" in premis and "digital signature generation" in premis
    [pdf] = list((pkg / "representations/rep1/data").iterdir())
    assert b"/ByteRange" in pdf.read_bytes()
