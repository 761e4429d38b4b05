"""Shared fixtures: rendered Vietnamese pages (no files from outside the repo) and a CLI runner."""
from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

from digitize.cli import main
from scripts.pagegen.render import DocSpec, degrade, render_page

JARS = ["preflight", "pdfbox2", "xmpbox", "fontbox2", "commons-logging", "javax.activation",
        "jaxb-api"]


@pytest.fixture(scope="session")
def decision_page(tmp_path_factory) -> Path:
    """A Decree-30 decision rendered at 200 DPI, skewed 2° and noised, saved as PNG."""
    d = tmp_path_factory.mktemp("scans")
    img = degrade(render_page(DocSpec(), dpi=200), skew=2.0, noise=6, seed=7)
    p = d / "decision.png"
    img.save(p, dpi=(200, 200))
    return p


def run_cli(*args: str) -> "CliResultJson":
    result = CliRunner().invoke(main, list(args), catch_exceptions=False)
    return CliResultJson(result.exit_code, result.output)


class CliResultJson:
    def __init__(self, code: int, output: str):
        self.code, self.output = code, output

    def objects(self) -> list[dict]:
        return [json.loads(line) for line in self.output.splitlines() if line.startswith("{")]


def preflight_1b(pdf: Path) -> tuple[bool, str]:
    """Validate with Apache PDFBox Preflight (Debian libpdfbox2-java)."""
    java = shutil.which("java")
    jars = [Path(f"/usr/share/java/{j}.jar") for j in JARS]
    if not java or not all(j.exists() for j in jars):
        pytest.fail("PDFBox Preflight not installed: run scripts/setup.sh --test")
    out = subprocess.run([java, "-cp", ":".join(map(str, jars)),
                          "org.apache.pdfbox.preflight.Validator_A1b", str(pdf)],
                         capture_output=True, text=True, timeout=120)
    return out.returncode == 0 and "is a valid PDF/A-1b" in out.stdout, out.stdout + out.stderr
