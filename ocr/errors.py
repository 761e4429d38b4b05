"""Exceptions raised by the `ocr` package. The CLI maps them to exit codes."""


class OcrError(Exception):
    """A page could not be turned into text."""


class OcrTimeout(OcrError):
    """Recognition ran past its time limit."""


class InputError(Exception):
    """An input file cannot be read as a scan: corrupt, empty, encrypted, too large, wrong type."""
