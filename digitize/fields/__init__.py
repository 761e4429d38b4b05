"""Key fields of Decree 30/2020 administrative documents, extracted from OCR words."""
from digitize.fields.model import Field, FIELD_NAMES

__all__ = ["Field", "FIELD_NAMES", "extract_fields", "number_parts"]


def number_parts(number: str) -> dict:
    """See `digitize.fields.number.number_parts`: {"seq", "type_code", "issuer_code"}."""
    from digitize.fields.number import number_parts as _parts
    return _parts(number)


def extract_fields(pages, reread=None, reread_text=None):
    """See `digitize.fields.extract.extract_fields`."""
    from digitize.fields.extract import extract_fields as _extract
    return _extract(pages, reread, reread_text)
