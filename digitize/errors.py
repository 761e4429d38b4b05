"""Exit codes (a stable interface for scripts) and the errors the CLI maps onto them."""
from __future__ import annotations

EXIT_OK = 0
EXIT_FAILED_ITEMS = 1      # the command ran, but some documents failed or problems were found
EXIT_USAGE = 2             # bad arguments (click's own code)
EXIT_NOT_FOUND = 3         # a record, dossier or path that does not exist
EXIT_STORAGE = 4           # the archive cannot be written (disk full, permissions)
EXIT_BACKEND = 5           # the search backend is unreachable or refused


class DigitizeError(Exception):
    """Base of errors the CLI reports as one line and an exit code."""

    exit_code = EXIT_FAILED_ITEMS


class BadUsage(DigitizeError):
    """Arguments the command cannot use (an unknown field, a model that is not installed, an
    ambiguous record id): exit 2, as click's own usage errors."""

    exit_code = EXIT_USAGE


class NotFound(DigitizeError):
    exit_code = EXIT_NOT_FOUND


class StorageError(DigitizeError):
    exit_code = EXIT_STORAGE


class BackendError(DigitizeError):
    exit_code = EXIT_BACKEND


class OutputExists(DigitizeError):
    """An export would replace an existing file or folder (allowed only when forced), or
    write inside the archive itself."""

    exit_code = EXIT_USAGE
