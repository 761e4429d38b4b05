"""ruff and mypy stay clean (settings in pyproject.toml): run here too, so a full test run catches
what scripts/test.sh would refuse."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _tool(name: str) -> str:
    exe = Path(sys.executable).parent / name
    if not exe.exists():
        pytest.fail(f"{exe} missing: run scripts/setup.sh --test")
    return str(exe)


def test_ruff_is_clean():
    out = subprocess.run([_tool("ruff"), "check", "--output-format", "concise", "."], cwd=ROOT,
                         capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stdout[-4000:] + out.stderr[-2000:]


def test_mypy_is_clean():
    out = subprocess.run([_tool("mypy")], cwd=ROOT, capture_output=True, text=True, timeout=900)
    assert out.returncode == 0, out.stdout[-4000:] + out.stderr[-2000:]
