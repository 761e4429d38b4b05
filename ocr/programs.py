"""External programs (poppler's pdftoppm, pdftotext and pdftocairo): the one place they run.

Every run has a timeout, a fixed environment (the C.UTF-8 locale, so messages and text output
do not change with the officer's settings) and no standard input; a zero exit status counts only
with some output. Failures are ProgramError, which callers turn into a line naming the file.
"""
from __future__ import annotations

import os
import shutil
import subprocess

from ocr.errors import OcrError

# program -> the Debian package that installs it (scripts/setup.sh installs them)
PROGRAMS = {"pdftoppm": "poppler-utils", "pdftotext": "poppler-utils",
            "pdftocairo": "poppler-utils"}
# Passed through: where programs are, and where fontconfig keeps its cache (without it, poppler
# rescans every font on each run).
_PASSED = ("PATH", "HOME", "TMPDIR", "XDG_CACHE_HOME", "FONTCONFIG_FILE", "FONTCONFIG_PATH")


class ProgramError(OcrError):
    """An external program is missing, ran past its time, failed or wrote nothing."""


class ProgramTimeout(ProgramError):
    """The program ran past its time limit (and was killed)."""


def missing_programs() -> list[str]:
    """The programs of PROGRAMS not found on PATH, as "NAME (Debian package PKG)"."""
    return [f"{name} (Debian package {pkg})" for name, pkg in PROGRAMS.items()
            if shutil.which(name) is None]


def run_program(args: list[str], timeout_s: float) -> bytes:
    """Run `args` (program first) and return what it wrote to standard output.

    Raises ProgramTimeout after `timeout_s` seconds, ProgramError when the program is missing,
    exits non-zero (with the end of its error output) or writes nothing."""
    name = args[0]
    env = {k: os.environ[k] for k in _PASSED if k in os.environ}
    env["LC_ALL"] = "C.UTF-8"
    try:
        done = subprocess.run(args, capture_output=True, timeout=timeout_s, env=env,
                              stdin=subprocess.DEVNULL, check=False)
    except FileNotFoundError as e:
        pkg = PROGRAMS.get(name, name)
        raise ProgramError(f"{name} is not installed (Debian package {pkg}; run "
                           "scripts/setup.sh)") from e
    except subprocess.TimeoutExpired as e:
        raise ProgramTimeout(f"{name} did not finish within {timeout_s:g} s") from e
    if done.returncode != 0:
        err = done.stderr.decode("utf-8", errors="replace").strip()
        raise ProgramError(f"{name} failed (exit status {done.returncode})"
                           + (f": {err[-200:]}" if err else ""))
    if not done.stdout:
        raise ProgramError(f"{name} wrote nothing")
    return done.stdout
