"""PAdES signatures on the archive's PDF/A files: the agency signs a record's copy, and `verify`
checks every signature a PDF carries (ours and those of digitally signed originals).

This module is the only pyHanko user. Decree 30/2020 (Art. 25-26) gives a scanned copy the value of
the original once the agency signs it; Circular 05/2025/TT-BNV puts the visible signature at the top
right of the first page: the agency's name and the signing time (ISO 8601, +07:00), Times New Roman
10 pt, regular, black, no image of the seal. Times New Roman is not free software; Liberation Serif is
metric-compatible with it and is embedded instead (then TeX Gyre Termes, then FreeSerif).

    key = load_pkcs12(Path("agency.p12"), password)      # refuses an expired / not yet valid cert
    info = sign_pdf(src, dst, key, "UBND XÃ AN PHÚ")     # PAdES B-B; tsa_url= gives B-T
    for check in check_signatures(dst, trust_roots=[Path("ca.pem")]):
        print(check.valid, check.trusted, check.signing_time)

Signing is an incremental update: the PDF/A bytes before it are kept as they are, so the file stays
the PDF/A it was (convert first, then sign; never the other way round).
"""
from __future__ import annotations

import functools
import io
import logging
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

logging.getLogger("pyhanko").setLevel(logging.ERROR)
logging.getLogger("pyhanko_certvalidator").setLevel(logging.ERROR)

VN_TZ = timezone(timedelta(hours=7), "+07:00")
FIELD_NAME = "DigitizeAgencySignature"
FONT_SIZE = 10
STAMP_FONTS = (
    "/usr/share/fonts/truetype/liberation2/LiberationSerif-Regular.ttf",
    "/usr/share/fonts/truetype/liberation/LiberationSerif-Regular.ttf",
    "/usr/share/texmf/fonts/opentype/public/tex-gyre/texgyretermes-regular.otf",
    "/usr/share/fonts/truetype/freefont/FreeSerif.ttf",
)


class SigningError(Exception):
    """A key that cannot sign (bad password, expired certificate, no token) or a PDF that must
    not be signed (already signed, unreadable)."""


@dataclass(frozen=True)
class SigningKey:
    """A loaded signing key with what the record's history keeps about its certificate."""

    signer: Any  # pyhanko.sign.signers.Signer
    subject: str
    serial: str
    not_before: datetime
    not_after: datetime


@dataclass(frozen=True)
class SignatureInfo:
    """What a new signature is: kept in the record's history event."""

    field: str
    subject: str
    serial: str
    signing_time: str  # ISO 8601 with +07:00
    level: str  # "B-B", "B-T" or "B-LT"

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class SignatureCheck:
    """One signature found in a PDF, as checked now."""

    field: str
    subject: str
    serial: str
    signing_time: str | None
    intact: bool  # the signed bytes are unchanged
    valid: bool  # intact and the cryptographic signature checks
    trusted: bool  # the chain leads to a trust anchor the user configured
    whole_file: bool  # nothing was added after it but what signatures may add (timestamps, DSS)
    timestamped: bool
    problem: str | None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @property
    def ok(self) -> bool:
        return self.valid and self.problem is None


def stamp_font() -> str:
    """The serif font the visible signature is drawn in (metric-compatible Times New Roman)."""
    for p in STAMP_FONTS:
        if Path(p).exists():
            return p
    raise SigningError("no serif font for the signature stamp; install fonts-liberation2")


def _pdfa_classes():
    """pyHanko's incremental writer and stamp font, adjusted so a signed PDF/A stays PDF/A.

    - The archive's XMP (written by pikepdf and checked by PDFBox Preflight) is kept as it is:
      pyHanko re-serialises it with the dc namespace declared on child elements, which Preflight
      rejects (7.3 "Schema is not set"), and an incremental signature needs no metadata change.
    - The stamp font is scaled to 1000 units per em first: pyHanko writes glyph widths and
      positions in font units, which PDF reads as thousandths of an em (Liberation Serif has
      2048: letters spaced twice too wide, Preflight 3.1.6 "width inconsistent").
    - The stamp's subset font gets the /CIDSet that PDF/A-1 requires of a composite subset font
      (Preflight 3.1.11), and no object stream (PDF/A-1 is PDF 1.4).
    Checked by the tests with Preflight and pdfsig; pyHanko is pinned to a minor range for this.
    """
    from pyhanko.pdf_utils import generic
    from pyhanko.pdf_utils.font.opentype import GlyphAccumulator, GlyphAccumulatorFactory
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

    class KeepMetadataWriter(IncrementalPdfFileWriter):
        def _update_meta(self):  # noqa: D401 - see above
            return None

    class CidSetGlyphs(GlyphAccumulator):
        def prepare_write(self):
            done = self._write_prepared
            super().prepare_write()
            if done:
                return
            cids = {0} | {cid for cid, _ in self._glyphs.values()}
            bits = bytearray(max(cids) // 8 + 1)
            for cid in cids:
                bits[cid // 8] |= 0x80 >> (cid % 8)
            stream = generic.StreamObject(stream_data=bytes(bits))
            self.cidfont_obj._font_descriptor[generic.pdf_name("/CIDSet")] = \
                self.writer.add_object(stream)

    class CidSetFontFactory(GlyphAccumulatorFactory):
        def create_font_engine(self, writer, obj_stream=None):
            return CidSetGlyphs(writer=writer, font_handle=io.BytesIO(_em1000(self.font_file)),
                                font_size=self.font_size, obj_stream=None)

    return KeepMetadataWriter, CidSetFontFactory


@functools.lru_cache(maxsize=2)
def _em1000(font_path: str) -> bytes:
    """The font's bytes with its design grid scaled to 1000 units per em."""
    from fontTools import ttLib
    from fontTools.ttLib.scaleUpem import scale_upem

    tt = ttLib.TTFont(font_path)
    if tt["head"].unitsPerEm != 1000:
        scale_upem(tt, 1000)
    buf = io.BytesIO()
    tt.save(buf)
    return buf.getvalue()


def text_width(text: str, font_path: str, size: float = FONT_SIZE) -> float:
    """Width in points of `text` set in the font at `path` (advance widths, no kerning)."""
    from fontTools import ttLib

    with ttLib.TTFont(font_path, lazy=True) as tt:
        cmap, hmtx = tt.getBestCmap(), tt["hmtx"]
        units = tt["head"].unitsPerEm
        return sum(hmtx[cmap.get(ord(c), ".notdef")][0] for c in text) * size / units


def _cert_key(cert, signer, now: datetime | None) -> SigningKey:
    nb = cert.not_valid_before.replace(tzinfo=timezone.utc) if cert.not_valid_before.tzinfo is None \
        else cert.not_valid_before
    na = cert.not_valid_after.replace(tzinfo=timezone.utc) if cert.not_valid_after.tzinfo is None \
        else cert.not_valid_after
    subject = cert.subject.human_friendly
    now = now or datetime.now(timezone.utc)
    if now < nb:
        raise SigningError(f"the certificate of {subject} is not valid before {nb.isoformat()}")
    if now > na:
        raise SigningError(f"the certificate of {subject} expired on {na.isoformat()}")
    return SigningKey(signer, subject, format(cert.serial_number, "X"), nb, na)


def load_pkcs12(path: Path, password: bytes | None, now: datetime | None = None) -> SigningKey:
    """The key and certificate chain of a PKCS#12 file. Raises SigningError for a wrong password,
    a file that holds no key, or a certificate that has expired or is not yet valid."""
    from pyhanko.sign import signers

    try:
        data = Path(path).read_bytes()
    except OSError as e:
        raise SigningError(f"{path}: cannot read the key file ({e.strerror})") from None
    try:
        signer = signers.SimpleSigner.load_pkcs12_data(data, other_certs=(), passphrase=password)
    except (ValueError, TypeError) as e:
        raise SigningError(f"{path}: cannot open the key file (wrong password?): {e}") from None
    if signer is None or signer.signing_cert is None:
        raise SigningError(f"{path}: no key and certificate in the key file (wrong password?)")
    return _cert_key(signer.signing_cert, signer, now)


def load_pkcs11(module: Path, token_label: str, pin: str | None, key_label: str | None = None,
                now: datetime | None = None) -> SigningKey:
    """The key on a PKCS#11 token (the USB tokens Vietnamese agencies sign with): `module` is the
    token's PKCS#11 library (e.g. the vendor's .so), `token_label` the token's label, `key_label`
    the label its key and certificate share. The session stays open for the signing process."""
    try:
        from pyhanko.config.pkcs11 import TokenCriteria
        from pyhanko.sign import pkcs11 as p11
    except ImportError:
        raise SigningError("PKCS#11 signing needs python-pkcs11: pip install 'digitize[token]'") \
            from None
    try:
        session = p11.open_pkcs11_session(str(module), token_criteria=TokenCriteria(
            label=token_label), user_pin=pin)
        signer = p11.PKCS11Signer(session, cert_label=key_label, key_label=key_label)
        cert = signer.signing_cert
    except Exception as e:  # the token library raises its own error types
        raise SigningError(f"PKCS#11 token {token_label!r} via {module}: {e}") from None
    return _cert_key(cert, signer, now)


def signature_fields(pdf: Path) -> list[str]:
    """Names of the signature fields that hold a signature in `pdf`."""
    from pyhanko.pdf_utils.reader import PdfFileReader

    with open(pdf, "rb") as f:
        try:
            r = PdfFileReader(f, strict=False)
            return [str(s.field_name) for s in r.embedded_signatures]
        except Exception as e:  # a PDF pyHanko cannot parse
            raise SigningError(f"{pdf}: cannot read the PDF's signatures: {e}") from None


def _first_page_box(writer) -> tuple[float, float, float, float]:
    node = writer.root["/Pages"]
    while "/Kids" in node:
        node = node["/Kids"][0].get_object()
    box, n = None, node
    while box is None and n is not None:  # the boxes are inherited from the page tree
        box = n.get("/CropBox") or n.get("/MediaBox")
        n = n.get("/Parent").get_object() if "/Parent" in n else None
    if box is None:
        raise SigningError("the PDF's first page has no size")
    x0, y0, x1, y1 = (float(v) for v in box)
    return x0, y0, x1, y1


def stamp_box(page_box: tuple[float, float, float, float], widths: list[float]
              ) -> tuple[int, int, int, int]:
    """Where the visible signature goes: the top right corner of the first page, as wide as its
    longest line at 10 pt, so the text is drawn at its size (the stamp shrinks what does not fit)."""
    x0, y0, x1, y1 = page_box
    pad = 10  # pyHanko's text box padding on each side
    width = int(max(widths)) + 2 * pad + 4
    height = int(FONT_SIZE * 1.0 * len(widths)) + 2 * pad + 2
    margin = 14
    right, top = int(x1) - margin, int(y1) - margin
    return max(int(x0), right - width), top - height, right, top


def sign_pdf(src: Path, dst: Path, key: SigningKey, agency: str, *, tsa_url: str | None = None,
             long_term: bool = False, trust_roots: list[Path] | None = None,
             when: datetime | None = None) -> SignatureInfo:
    """Sign the PDF/A `src` into `dst` with a PAdES baseline signature and the Circular 05/2025
    visible stamp. B-B by default; B-T with a time-stamp authority's URL; B-LT (`long_term`) embeds
    the chain's revocation data, which must then be fetchable. Refuses an already signed PDF."""
    from pyhanko.pdf_utils.text import TextBoxStyle
    from pyhanko.sign import fields, signers, timestamps
    from pyhanko.stamp import TextStampStyle

    if signature_fields(src):
        raise SigningError(f"{src}: already signed; a signed copy is never signed again")
    when = (when or datetime.now(VN_TZ)).astimezone(VN_TZ).replace(microsecond=0)
    time_text = when.isoformat()
    lines = [agency, time_text]
    data = Path(src).read_bytes()
    writer_cls, font_factory = _pdfa_classes()
    writer = writer_cls(io.BytesIO(data), strict=False)
    font = stamp_font()
    box = stamp_box(_first_page_box(writer), [text_width(t, font) for t in lines])
    style = TextStampStyle(
        stamp_text="%(agency)s\n%(signed_at)s",
        text_box_style=TextBoxStyle(font=font_factory(font, font_size=FONT_SIZE,
                                                      create_objstream_if_needed=False),
                                    font_size=FONT_SIZE, leading=FONT_SIZE),
        border_width=0, background=None)
    vc = None
    if long_term:
        from pyhanko.keys import load_certs_from_pemder
        from pyhanko_certvalidator import ValidationContext

        roots = list(load_certs_from_pemder([str(p) for p in trust_roots or []]))
        vc = ValidationContext(trust_roots=roots or None, allow_fetching=True)
    meta = signers.PdfSignatureMetadata(
        field_name=FIELD_NAME, subfilter=fields.SigSeedSubFilter.PADES, name=agency,
        embed_validation_info=long_term, validation_context=vc, md_algorithm="sha256")
    stamper = timestamps.HTTPTimeStamper(tsa_url) if tsa_url else None
    pdf_signer = signers.PdfSigner(
        meta, signer=key.signer, timestamper=stamper, stamp_style=style,
        new_field_spec=fields.SigFieldSpec(FIELD_NAME, on_page=0, box=box))
    out = io.BytesIO()
    try:
        pdf_signer.sign_pdf(writer, output=out,
                            appearance_text_params={"agency": agency, "signed_at": time_text})
    except Exception as e:  # network (TSA, revocation) or key errors, of many types
        raise SigningError(f"{src}: signing failed: {e}") from None
    Path(dst).write_bytes(out.getvalue())
    level = "B-LT" if long_term else "B-T" if tsa_url else "B-B"
    return SignatureInfo(FIELD_NAME, key.subject, key.serial, time_text, level)


def check_signatures(pdf: Path, trust_roots: list[Path] | None = None) -> list[SignatureCheck]:
    """Every signature in `pdf`, checked: the signed bytes intact, the signature valid, the chain
    leading to one of `trust_roots` (PEM or DER certificates the user configures; without them no
    signature counts as trusted), the signing time, and whether it covers the file."""
    from pyhanko.keys import load_certs_from_pemder
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko_certvalidator import ValidationContext

    roots = list(load_certs_from_pemder([str(p) for p in trust_roots or []]))
    vc = ValidationContext(trust_roots=roots, allow_fetching=False, revocation_mode="soft-fail")
    out: list[SignatureCheck] = []
    with open(pdf, "rb") as f:
        try:
            reader = PdfFileReader(f, strict=False)
            sigs = list(reader.embedded_signatures)
        except Exception as e:
            raise SigningError(f"{pdf}: cannot read the PDF's signatures: {e}") from None
        for sig in sigs:
            out.append(_check_one(sig, vc))
    return out


def _check_one(sig, vc) -> SignatureCheck:
    from pyhanko.sign.validation import validate_pdf_signature

    cert = sig.signer_cert
    name = str(sig.field_name)  # a pyHanko string object that holds the open file: plain str
    subject = str(cert.subject.human_friendly) if cert is not None else "?"
    serial = format(cert.serial_number, "X") if cert is not None else "?"
    try:
        st = validate_pdf_signature(sig, vc)
    except Exception as e:  # malformed signature dictionaries and CMS blobs
        return SignatureCheck(name, subject, serial, None, False, False, False, False,
                              False, f"cannot be checked: {e}")
    when = st.signer_reported_dt
    ts = st.timestamp_validity
    if ts is not None and ts.timestamp is not None:
        when = ts.timestamp
    signing_time = when.astimezone(VN_TZ).isoformat() if when else None
    coverage = getattr(st, "coverage", None)
    whole = coverage is not None and coverage.name in ("ENTIRE_FILE", "ENTIRE_REVISION") and (
        coverage.name == "ENTIRE_FILE" or _only_safe_after(st))
    problem = None
    if not st.intact:
        problem = "the signed bytes were changed"
    elif not st.valid:
        problem = "the signature does not match the signed bytes"
    elif not whole:
        problem = "content was changed after signing"
    return SignatureCheck(name, subject, serial, signing_time, bool(st.intact),
                          bool(st.valid), bool(st.trusted), whole, ts is not None, problem)


def _only_safe_after(status) -> bool:
    """Changes after the signature are of the kinds signatures themselves add (another
    signature, document time-stamps, validation data), not content."""
    level = getattr(status, "modification_level", None)
    return level is not None and level.name in ("NONE", "LTA_UPDATES", "FORM_FILLING")
