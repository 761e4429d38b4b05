"""What a newcomer does first: run the installed `digitize` command from the folder above a clone.

These drive the real console script in a subprocess (not click's runner): the OCR workers are
separate processes whose imports depend on the folder the command is run from.
"""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "samples" / "thong-bao-42.jpg"


def console_script() -> Path:
    """The `digitize` command installed beside this interpreter (scripts/setup.sh makes it)."""
    script = Path(sys.executable).parent / "digitize"
    if not script.exists():
        pytest.fail(f"{script} missing: run scripts/setup.sh")
    return script


@pytest.mark.parametrize("shadow", ["empty", "clone"])
def test_ingest_from_a_folder_holding_a_digitize_folder(tmp_path, shadow):
    """A `digitize/` folder in the working directory (the clone itself, or an empty folder) must
    not replace the installed package in the OCR workers; nor may `ocr/` or `storage/`."""
    here = tmp_path / "work"
    here.mkdir()
    if shadow == "empty":
        (here / "digitize").mkdir()
    else:
        (here / "digitize").symlink_to(ROOT, target_is_directory=True)
    (here / "ocr").mkdir()
    (here / "storage").mkdir()
    out = subprocess.run([str(console_script()), "ingest", str(SAMPLE), "--archive", "arch",
                          "--jobs", "1", "--json"], cwd=here, capture_output=True, text=True,
                         timeout=300)
    assert out.returncode == 0, out.stderr[-3000:]
    assert "Traceback" not in out.stderr and "ImportError" not in out.stderr, out.stderr[-3000:]
    rows = [json.loads(line) for line in out.stdout.splitlines() if line.startswith("{")]
    assert [r["status"] for r in rows] == ["stored"], out.stdout
    assert (here / "arch").is_dir()
