"""A throwaway certificate authority and agency key for the signing tests (made with
`cryptography` on every run; no real key is ever in the repository)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

PASSWORD = b"throwaway-test-password"


@dataclass
class TestPki:
    ca_pem: Path
    p12: Path
    expired_p12: Path
    future_p12: Path


def _name(cn: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COUNTRY_NAME, "VN"),
                      x509.NameAttribute(NameOID.ORGANIZATION_NAME, "UBND xã Thử Nghiệm"),
                      x509.NameAttribute(NameOID.COMMON_NAME, cn)])


def _key():
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _leaf(ca_key, ca_name, cn: str, start: datetime, end: datetime):
    key = _key()
    cert = (x509.CertificateBuilder().subject_name(_name(cn)).issuer_name(ca_name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(start).not_valid_after(end)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.KeyUsage(True, True, False, False, False, False, False, False,
                                         False), critical=True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.EMAIL_PROTECTION]),
                           critical=False)
            .sign(ca_key, hashes.SHA256()))
    return key, cert


def _root(cn: str, days: int):
    """A self-signed CA certificate and its key, valid from a day ago for `days` days."""
    now = datetime.now(timezone.utc)
    key, name = _key(), _name(cn)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - timedelta(days=1)).not_valid_after(now + timedelta(days=days))
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(x509.KeyUsage(True, False, False, False, False, True, True, False,
                                         False), critical=True)
            .sign(key, hashes.SHA256()))
    return key, cert


def make_pki(folder: Path) -> TestPki:
    """A CA (PEM) and three PKCS#12 agency keys: valid now, expired, and not yet valid."""
    folder.mkdir(parents=True, exist_ok=True)
    now = datetime.now(timezone.utc)
    ca_key, ca = _root("Digitize Test Root CA", 3650)
    ca_name = ca.subject
    ca_pem = folder / "ca.pem"
    ca_pem.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    (folder / "ca.key").write_bytes(ca_key.private_bytes(  # for make_token's certificate
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption()))
    out = {}
    for label, start, end in (("valid", now - timedelta(days=1), now + timedelta(days=365)),
                              ("expired", now - timedelta(days=400), now - timedelta(days=35)),
                              ("future", now + timedelta(days=10), now + timedelta(days=400))):
        key, cert = _leaf(ca_key, ca_name, f"UBND xã Thử Nghiệm ({label})", start, end)
        p = folder / f"agency-{label}.p12"
        p.write_bytes(pkcs12.serialize_key_and_certificates(
            b"agency", key, cert, [ca], serialization.BestAvailableEncryption(PASSWORD)))
        out[label] = p
    return TestPki(ca_pem, out["valid"], out["expired"], out["future"])


def make_tsa(folder: Path):
    """A time-stamp authority on 127.0.0.1 (pyHanko's test TSA behind http.server), certified by
    its own throwaway root; returns (url, root PEM path, stop function)."""
    import http.server
    import threading

    from asn1crypto import keys as akeys
    from asn1crypto import tsp
    from asn1crypto import x509 as ax509
    from pyhanko.sign.timestamps.dummy_client import DummyTimeStamper

    now = datetime.now(timezone.utc)
    root_key, root = _root("Digitize Test TSA Root", 30)
    root_name = root.subject
    tsa_key = _key()
    tsa = (x509.CertificateBuilder().subject_name(_name("Digitize Test TSA")).issuer_name(root_name)
           .public_key(tsa_key.public_key()).serial_number(x509.random_serial_number())
           .not_valid_before(now - timedelta(days=1)).not_valid_after(now + timedelta(days=30))
           .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.TIME_STAMPING]), critical=True)
           .sign(root_key, hashes.SHA256()))
    root_pem = folder / "tsa-root.pem"
    root_pem.write_bytes(root.public_bytes(serialization.Encoding.PEM))
    stamper = DummyTimeStamper(
        tsa_cert=ax509.Certificate.load(tsa.public_bytes(serialization.Encoding.DER)),
        tsa_key=akeys.PrivateKeyInfo.load(tsa_key.private_bytes(
            serialization.Encoding.DER, serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption())),
        certs_to_embed=[ax509.Certificate.load(root.public_bytes(serialization.Encoding.DER))])

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 - http.server's name
            req = tsp.TimeStampReq.load(self.rfile.read(int(self.headers["Content-Length"])))
            body = stamper.request_tsa_response(req).dump()
            self.send_response(200)
            self.send_header("Content-Type", "application/timestamp-reply")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return f"http://127.0.0.1:{server.server_port}/", root_pem, server.shutdown


SOFTHSM = "/usr/lib/softhsm/libsofthsm2.so"
TOKEN_PIN = "123456"


def make_token(folder: Path, ca_p12_dir: Path) -> tuple[str, str]:
    """A SoftHSM2 token (Debian softhsm2) holding an agency key made on the token and its
    certificate from the throwaway CA of make_pki (whose key is in `ca_p12_dir`): returns
    (token label, key label). Sets SOFTHSM2_CONF for this process."""
    import os
    import subprocess

    import pkcs11
    from pkcs11 import Attribute, CertificateType, KeyType, ObjectClass

    tokens = folder / "tokens"
    tokens.mkdir(parents=True, exist_ok=True)
    conf = folder / "softhsm2.conf"
    conf.write_text(f"directories.tokendir = {tokens}\nobjectstore.backend = file\n")
    os.environ["SOFTHSM2_CONF"] = str(conf)
    label, key_label = "digitize-test", "agency"
    subprocess.run(["softhsm2-util", "--init-token", "--free", "--label", label, "--pin",
                    TOKEN_PIN, "--so-pin", "654321"], check=True, capture_output=True, timeout=60)
    lib = pkcs11.lib(SOFTHSM)
    token = lib.get_token(token_label=label)
    ca_key = serialization.load_pem_private_key((ca_p12_dir / "ca.key").read_bytes(), None)
    ca = x509.load_pem_x509_certificate((ca_p12_dir / "ca.pem").read_bytes())
    with token.open(rw=True, user_pin=TOKEN_PIN) as session:
        pub, _ = session.generate_keypair(KeyType.RSA, 2048, store=True, label=key_label,
                                          id=b"\x01")
        numbers = rsa.RSAPublicNumbers(int.from_bytes(pub[Attribute.PUBLIC_EXPONENT], "big"),
                                       int.from_bytes(pub[Attribute.MODULUS], "big"))
        now = datetime.now(timezone.utc)
        name = _name("UBND xã Thử Nghiệm (token)")
        cert = (x509.CertificateBuilder().subject_name(name).issuer_name(ca.subject)
                .public_key(numbers.public_key()).serial_number(x509.random_serial_number())
                .not_valid_before(now - timedelta(days=1)).not_valid_after(now + timedelta(days=90))
                .add_extension(x509.KeyUsage(True, True, False, False, False, False, False, False,
                                             False), critical=True)
                .sign(ca_key, hashes.SHA256()))
        session.create_object({
            Attribute.CLASS: ObjectClass.CERTIFICATE, Attribute.CERTIFICATE_TYPE:
            CertificateType.X_509, Attribute.TOKEN: True, Attribute.LABEL: key_label,
            Attribute.ID: b"\x01", Attribute.VALUE: cert.public_bytes(serialization.Encoding.DER),
            Attribute.SUBJECT: name.public_bytes()})
    return label, key_label
