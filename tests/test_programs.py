"""The runner every external program goes through (ocr.programs): timeout, fixed environment,
errors that say which program and why."""
from __future__ import annotations

import time

import pytest

from ocr.programs import ProgramError, ProgramTimeout, missing_programs, run_program


def test_output_and_fixed_environment(monkeypatch):
    monkeypatch.setenv("DIGITIZE_ES_URL", "http://user:secret@es:9200")
    out = run_program(["sh", "-c", 'echo "$LC_ALL|$DIGITIZE_ES_URL"'], 10).decode()
    assert out.strip() == "C.UTF-8|"  # the locale is ours; nothing else of ours leaks


def test_a_program_past_its_time_is_stopped():
    t = time.monotonic()
    with pytest.raises(ProgramTimeout, match="sleep did not finish within 0.3 s"):
        run_program(["sleep", "10"], 0.3)
    assert time.monotonic() - t < 5


def test_failures_name_the_program_and_say_why():
    with pytest.raises(ProgramError, match=r"sh failed \(exit status 3\): broken"):
        run_program(["sh", "-c", "echo broken >&2; exit 3"], 10)
    with pytest.raises(ProgramError, match="true wrote nothing"):
        run_program(["true"], 10)
    with pytest.raises(ProgramError, match="no-such-program-xyz is not installed"):
        run_program(["no-such-program-xyz"], 10)


def test_poppler_is_installed():
    assert missing_programs() == []
