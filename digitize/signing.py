"""The agency signs a record's digitised copy, and the signatures an archive holds are checked.

    key = load_key(SignOptions(key_file=Path("agency.p12"), password=b"..."))
    info = sign_record(store, record_id, key, SignOptions(agency="UBND XÃ AN PHÚ"))

Signing is a curation step (digitize.store.Store.curate): a new version of the record adds
`document.signed.pdf`, the PDF/A signed as an incremental update (storage.signature), with its
checksum in the record's inventory and a "signed" event carrying the certificate's subject, serial
and the signing time. The unsigned PDF/A stays beside it. A record already signed is refused, and
so is one that fails its fixity check (curate refuses those).

Originals that arrive digitally signed (born-digital PDFs) are kept byte for byte; their
signatures are described in the record's metadata at ingest (`source_files[].signatures`) and
checked again by `verify`.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from digitize.errors import DigitizeError
from storage.events import new_event

SIGNED_PDF = "document.signed.pdf"


@dataclass
class SignOptions:
    """Where the key is and what the stamp says. The password never comes from a flag."""

    key_file: Path | None = None  # PKCS#12
    password: bytes | None = None
    pkcs11_module: Path | None = None
    token_label: str | None = None
    key_label: str | None = None
    pin: str | None = None
    agency: str = ""
    tsa_url: str | None = None
    long_term: bool = False
    trust: list[Path] | None = None


def load_key(opts: SignOptions):
    """The signing key the options name (PKCS#12 file or PKCS#11 token), checked valid now."""
    from storage.signature import SigningError, load_pkcs11, load_pkcs12
    try:
        if opts.pkcs11_module:
            if not opts.token_label:
                raise DigitizeError("--token-label names the PKCS#11 token to sign with")
            return load_pkcs11(opts.pkcs11_module, opts.token_label, opts.pin, opts.key_label)
        if not opts.key_file:
            raise DigitizeError("give the agency's key: --key FILE.p12 or --pkcs11-module LIB")
        return load_pkcs12(opts.key_file, opts.password)
    except SigningError as e:
        raise DigitizeError(str(e)) from None


def sign_record(store, record_id: str, key, opts: SignOptions, actor: str = "") -> dict[str, Any]:
    """Sign one record's PDF/A as a new version of the record; returns the signature's info."""
    from storage.signature import SigningError, sign_pdf
    if not opts.agency.strip():
        raise DigitizeError("--agency: the agency's name is printed on the signature")
    current = store.archive.current_files(record_id)
    if SIGNED_PDF in current:
        raise DigitizeError(f"record {record_id} is already signed; a signed copy is never "
                            "signed again")

    def decide(doc: dict[str, Any], folder: Path):
        from digitize.store import Change
        out = folder / SIGNED_PDF
        try:
            info = sign_pdf(store.archive.file(record_id, "document.pdf"), out, key,
                            opts.agency.strip(), tsa_url=opts.tsa_url, long_term=opts.long_term,
                            trust_roots=opts.trust)
        except SigningError as e:
            raise DigitizeError(f"record {record_id}: {e}") from None
        detail = {"subject": info.subject, "serial": info.serial,
                  "signing_time": info.signing_time, "level": info.level,
                  "agency": opts.agency.strip(), "file": SIGNED_PDF}
        doc["signature"] = detail
        return Change(doc, new_event("signed", detail, actor), {SIGNED_PDF: out}, detail)

    return store.curate(record_id, decide)


def unsigned_records(store) -> list[str]:
    """Every record that has no signed copy yet."""
    return [rid for rid in store.catalogue.ids()
            if SIGNED_PDF not in store.archive.current_files(rid)]


def original_signatures(path: Path) -> list[dict[str, Any]] | None:
    """The signatures a digitally signed original PDF carries, as checked at ingest (intact,
    valid, who, when); None for a file that is not a signed PDF (the cheap test first)."""
    try:
        with open(path, "rb") as f:
            if f.read(5) != b"%PDF-":
                return None
            f.seek(0)
            if b"/ByteRange" not in f.read():
                return None
    except OSError:
        return None
    from storage.signature import SigningError, check_signatures
    try:
        return [{k: v for k, v in c.to_dict().items() if k != "trusted"}
                for c in check_signatures(path)]
    except SigningError as e:
        return [{"problem": str(e)}]


def signature_problems(pdf: Path, trust: list[Path] | None) -> list[str]:
    """What is wrong with the signatures of `pdf`: changed bytes, invalid, and (with a trust
    store) a chain that leads to none of its anchors."""
    from storage.signature import SigningError, check_signatures
    try:
        checks = check_signatures(pdf, trust_roots=trust)
    except SigningError as e:
        return [str(e)]
    out = []
    for c in checks:
        if c.problem:
            out.append(f"signature {c.field}: {c.problem}")
        elif trust and not c.trusted:
            out.append(f"signature {c.field} of {c.subject}: not trusted by the configured "
                       "trust store")
    if not checks:
        out.append("no signature found in the signed copy")
    return out
