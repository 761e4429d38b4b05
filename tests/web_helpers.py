"""An archive for the web tests: the bundled sample, a page whose text holds markup, and one account
of each role (officer lan, archivist minh, admin quan), made through the real CLI."""
from __future__ import annotations

from pathlib import Path

import pikepdf
from click.testing import CliRunner

from conftest import run_cli
from digitize.cli import main

PASSWORD = "một-mật-khẩu-dài"
ROOT = Path(__file__).resolve().parent.parent


def markup_pdf(path: Path) -> Path:
    """A page whose text says <script>alert(1)</script> <img src=x onerror=...> and a citizen."""
    pdf = pikepdf.new()
    font = pdf.make_indirect(pikepdf.Dictionary(Type=pikepdf.Name.Font, Subtype=pikepdf.Name.Type1,
                                                BaseFont=pikepdf.Name.Helvetica))
    text = (b"BT /F1 18 Tf 60 760 Td (THONG BAO) Tj 0 -30 Td "
            b"(<script>alert\\(1\\)</script> <img src=x onerror=alert\\(2\\)>) Tj 0 -30 Td "
            b"(Ong Nguyen Van Tam, so dinh danh ca nhan 001090012345) Tj ET")
    page = pikepdf.Dictionary(Type=pikepdf.Name.Page, MediaBox=[0, 0, 595, 842],
                              Resources=pikepdf.Dictionary(Font=pikepdf.Dictionary(F1=font)),
                              Contents=pdf.make_stream(text))
    pdf.pages.append(pikepdf.Page(page))
    pdf.save(path)
    return path


def make_web_archive(d: Path) -> Path:
    arch = d / "archive"
    r = run_cli("ingest", str(ROOT / "samples"), str(markup_pdf(d / "markup.pdf")), "--archive",
                str(arch), "--jobs", "1", "--json")
    assert r.code == 0, r.output
    for name, role in (("lan", "officer"), ("minh", "archivist"), ("quan", "admin")):
        res = CliRunner().invoke(main, ["user", "add", name, "--role", role, "--archive",
                                        str(arch)], env={"DIGITIZE_USER_PASSWORD": PASSWORD})
        assert res.exit_code == 0, res.output
    return arch
