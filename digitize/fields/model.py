"""The shape of an extracted field: value plus the evidence a person needs to check it."""
from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

FIELD_NAMES = (
    "issuer_parent", "issuer", "number", "place", "issued_date", "doc_type", "subject",
    "recipients", "signer_title", "signer_name", "urgency", "confidentiality", "persons",
    "number_seq", "number_type_code", "number_issuer_code", "distribution",
    "holders", "organisations", "objects",
)
# Fields whose value is a list (empty when nothing was found); `digitize set` takes them as JSON.
LIST_FIELDS = ("recipients", "distribution", "persons", "holders", "organisations", "objects")


@dataclass
class Field:
    """One field. `value` is a str, or a dict/list for structured fields (number parts, persons).
    `page` is 1-based; `box` is [x0, y0, x1, y1] in that page's pixels; `confidence` is 0..1.
    `original` is what OCR read where the value differs from it (a mended mark, a vocabulary
    spelling), so a person sees both; `alternatives` are other readings worth a look (a second
    reading of a handwritten number, names of known places the reading is close to)."""

    name: str
    value: Any
    confidence: float
    page: int | None = None
    box: list[int] | None = None
    needs_review: bool = False
    evidence: str = ""
    source: str = "extracted"  # or "corrected" after `digitize set`
    original: str | None = None
    alternatives: list[str] | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "Field":
        kwargs: dict[str, Any] = {k: d.get(k) for k in cls.__dataclass_fields__ if k in d}
        return cls(**kwargs)
