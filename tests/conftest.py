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


# ---- Elasticsearch: scripts/test.sh starts a node and sets DIGITIZE_ES_URL ------------------
ROOT = Path(__file__).resolve().parents[1]


def es_url_or_skip() -> str:
    """The live cluster's URL (DIGITIZE_ES_URL), else skip, saying why: not set, or (from
    scripts/test.sh, DIGITIZE_ES_SKIP) the distribution could not be fetched."""
    import os
    url = os.environ.get("DIGITIZE_ES_URL")
    if not url:
        pytest.skip(os.environ.get("DIGITIZE_ES_SKIP") or "DIGITIZE_ES_URL not set "
                    "(scripts/test.sh starts a node)")
    return url


def es_options() -> dict:
    """Connection options for the test cluster, from the same environment the CLI reads."""
    import os
    import uuid
    return {"api_key": os.environ.get("DIGITIZE_ES_API_KEY"),
            "username": os.environ.get("DIGITIZE_ES_USER"),
            "password": os.environ.get("DIGITIZE_ES_PASSWORD"),
            "ca_certs": os.environ.get("DIGITIZE_ES_CA"),
            "index_prefix": f"digitize-test-{uuid.uuid4().hex[:8]}"}


class EsNode:
    """A node of our own, started by scripts/es.sh and stopped by the PID it wrote (tests of
    failures that need their own node: one to stop, a tiny write queue)."""

    def __init__(self, name: str, *settings: str, keep: bool = False) -> None:
        import os
        self.name = f"{name}-{os.getpid()}"
        self.version = os.environ.get("DIGITIZE_ES_VERSION", "8.19.21")
        args = ["bash", str(ROOT / "scripts" / "es.sh"), "start", "--version", self.version,
                "--name", self.name, "--heap", "256m"] + (["--keep"] if keep else [])
        for s in settings:
            args += ["--setting", s]
        out = subprocess.run(args, capture_output=True, text=True, timeout=300)
        if out.returncode == 3:
            pytest.skip(f"Elasticsearch {self.version}: {out.stderr.strip().splitlines()[-1]}")
        if out.returncode != 0:
            raise RuntimeError(f"es.sh start failed: {out.stderr[-2000:]}")
        self.url = out.stdout.strip().splitlines()[-1]

    def stop(self, keep: bool = False) -> None:
        """Stop the node by its PID; `keep`: leave its data and port for a restart."""
        subprocess.run(["bash", str(ROOT / "scripts" / "es.sh"), "stop", "--name", self.name]
                       + (["--keep"] if keep else []), capture_output=True, text=True,
                       timeout=120)
