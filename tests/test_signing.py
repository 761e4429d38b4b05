"""The agency's PAdES signature on the record's PDF/A (storage.signature): valid for pyHanko and for
poppler's pdfsig, the PDF/A still PDF/A (PDFBox Preflight for 1b, pikepdf's check for 2b),
refused keys and already signed files, tampering found."""
from __future__ import annotations

import io
import shutil
import subprocess
from pathlib import Path

import pytest
from PIL import Image

from conftest import preflight_1b
from ocr.pdfa import PdfPage, pdfa_problem, write_pdfa
from scripts.pagegen.render import DocSpec, render_page
from signing_helpers import PASSWORD, make_pki, make_tsa
from storage.signature import (SigningError, check_signatures, load_pkcs12, sign_pdf,
                               signature_fields)

AGENCY = "ỦY BAN NHÂN DÂN XÃ PHỔ PHONG"


@pytest.fixture(scope="module")
def pki(tmp_path_factory):
    return make_pki(tmp_path_factory.mktemp("pki"))


@pytest.fixture(scope="module")
def pdfa(tmp_path_factory) -> dict[str, Path]:
    """A one-page PDF/A-2b and PDF/A-1b of a rendered decision (image only: no OCR needed)."""
    d = tmp_path_factory.mktemp("pdfa")
    img = render_page(DocSpec(), dpi=100).convert("L")
    buf = io.BytesIO()
    img.save(buf, "JPEG", quality=80)
    page = PdfPage(buf.getvalue(), img.width, img.height, 100, False)
    out = {}
    for flavour in ("2b", "1b"):
        out[flavour] = d / f"doc-{flavour}.pdf"
        write_pdfa([page], out[flavour], flavour)
    return out


def _pdfsig(pdf: Path) -> str:
    if not shutil.which("pdfsig"):
        pytest.fail("pdfsig not installed: run scripts/setup.sh --test (poppler-utils)")
    return subprocess.run(["pdfsig", str(pdf)], capture_output=True, text=True, timeout=60).stdout


@pytest.mark.parametrize("flavour", ["2b", "1b"])
def test_signed_pdfa_is_valid_everywhere(pki, pdfa, tmp_path, flavour):
    key = load_pkcs12(pki.p12, PASSWORD)
    out = tmp_path / "signed.pdf"
    info = sign_pdf(pdfa[flavour], out, key, AGENCY)
    assert info.level == "B-B" and info.signing_time.endswith("+07:00")
    assert out.read_bytes().startswith(pdfa[flavour].read_bytes())  # an incremental update
    [check] = check_signatures(out, trust_roots=[pki.ca_pem])
    assert check.ok and check.intact and check.trusted and check.whole_file, check
    assert "Thử Nghiệm" in check.subject and check.serial == info.serial
    [untrusted] = check_signatures(out)  # no trust store configured: valid, not trusted
    assert untrusted.valid and not untrusted.trusted
    report = _pdfsig(out)
    assert "Signature is Valid" in report and "Total document signed" in report, report
    if flavour == "1b":
        ok, text = preflight_1b(out)
        assert ok, text
    else:  # pikepdf's checker does not look into files with forms (a signature is a form field)
        import pikepdf.pdfa

        report = pikepdf.pdfa.validate_written(out, "2b")
        assert [f.kind for f in report.findings] == ["unsupported"], report.findings
        assert "/AcroForm" in report.findings[0].message
        assert pdfa_problem(pdfa["2b"], "2b") is None  # and the signed revision is a valid PDF/A


def test_visible_stamp_top_right_of_first_page(pki, pdfa, tmp_path):
    out = tmp_path / "signed.pdf"
    sign_pdf(pdfa["2b"], out, load_pkcs12(pki.p12, PASSWORD), AGENCY)
    text = subprocess.run(["pdftotext", "-f", "1", "-l", "1", "-layout", str(out), "-"],
                          capture_output=True, text=True, timeout=60).stdout
    assert AGENCY in text and "+07:00" in text
    def raster(pdf: Path) -> Image.Image:
        stem = tmp_path / pdf.stem
        subprocess.run(["pdftoppm", "-r", "50", "-f", "1", "-l", "1", "-gray", "-png",
                        "-singlefile", str(pdf), str(stem)], check=True, timeout=60)
        return Image.open(f"{stem}.png").convert("L")

    before, after = raster(pdfa["2b"]), raster(out)
    w, h = after.size
    changed = [(x, y) for y in range(h) for x in range(w)
               if abs(after.getpixel((x, y)) - before.getpixel((x, y))) > 60]
    assert changed  # the stamp's ink, and nothing else: top right of the page
    assert min(x for x, _ in changed) > w // 2 and max(y for _, y in changed) < h // 8


def test_already_signed_and_bad_keys_refused(pki, pdfa, tmp_path):
    key = load_pkcs12(pki.p12, PASSWORD)
    once = tmp_path / "once.pdf"
    sign_pdf(pdfa["2b"], once, key, AGENCY)
    assert signature_fields(once) and not signature_fields(pdfa["2b"])
    with pytest.raises(SigningError, match="already signed"):
        sign_pdf(once, tmp_path / "twice.pdf", key, AGENCY)
    with pytest.raises(SigningError, match="expired"):
        load_pkcs12(pki.expired_p12, PASSWORD)
    with pytest.raises(SigningError, match="not valid before"):
        load_pkcs12(pki.future_p12, PASSWORD)
    with pytest.raises(SigningError, match="wrong password"):
        load_pkcs12(pki.p12, b"not the password")


def test_tampering_is_found(pki, pdfa, tmp_path):
    out = tmp_path / "signed.pdf"
    sign_pdf(pdfa["2b"], out, load_pkcs12(pki.p12, PASSWORD), AGENCY)
    data = bytearray(out.read_bytes())
    i = data.index(b"/Type /Page") if b"/Type /Page" in data else len(data) // 3
    data[i + 1] ^= 0x01  # one byte of the signed content
    out.write_bytes(bytes(data))
    checks = check_signatures(out, trust_roots=[pki.ca_pem])
    assert checks and not checks[0].ok and checks[0].problem


def test_b_t_with_a_time_stamp_authority(pki, pdfa, tmp_path):
    url, tsa_root, stop = make_tsa(tmp_path)
    try:
        info = sign_pdf(pdfa["2b"], tmp_path / "bt.pdf", load_pkcs12(pki.p12, PASSWORD), AGENCY,
                        tsa_url=url)
    finally:
        stop()
    assert info.level == "B-T"
    [check] = check_signatures(tmp_path / "bt.pdf", trust_roots=[pki.ca_pem, tsa_root])
    assert check.ok and check.timestamped and check.trusted, check


def test_pkcs11_token_signs(pki, pdfa, tmp_path):
    """A key on a PKCS#11 token (SoftHSM2 standing in for an agency's USB token) signs too."""
    from signing_helpers import SOFTHSM, TOKEN_PIN, make_token
    from storage.signature import load_pkcs11

    if not Path(SOFTHSM).exists():
        pytest.fail("SoftHSM2 is not installed: run scripts/setup.sh --test")
    token, key_label = make_token(tmp_path / "hsm", pki.ca_pem.parent)
    key = load_pkcs11(Path(SOFTHSM), token, TOKEN_PIN, key_label)
    assert "token" in key.subject
    out = tmp_path / "signed.pdf"
    sign_pdf(pdfa["2b"], out, key, AGENCY)
    [check] = check_signatures(out, trust_roots=[pki.ca_pem])
    assert check.ok and check.trusted, check
    with pytest.raises(SigningError, match="PKCS#11"):
        load_pkcs11(Path(SOFTHSM), token, "000000", key_label)  # wrong PIN
