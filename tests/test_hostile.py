"""Hostile input, made here by the tests: each file gets a clear one-line error or is processed,
in bounded time and memory, and nothing active from a hostile PDF reaches our PDF/A."""
from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pikepdf
import pytest
from PIL import Image

from archive_helpers import small_doc
from storage.archive import Archive
from conftest import run_cli
from storage.verify import check_pdfa_bytes

ROOT = Path(__file__).resolve().parent.parent


def _truncated(fmt: str) -> bytes:
    buf = io.BytesIO()
    Image.effect_noise((300, 300), 60).convert("L").save(buf, fmt)
    data = buf.getvalue()
    return data[: len(data) // 2]


def _hostile_pdf(path: Path, scan: Path) -> None:
    """A scan-as-PDF that also carries JavaScript, an attachment and a link with an action."""
    Image.open(scan).convert("L").save(path, "PDF", resolution=100.0)
    with pikepdf.open(path, allow_overwriting_input=True) as pdf:
        js = pdf.make_indirect(pikepdf.Dictionary(S=pikepdf.Name.JavaScript,
                                                  JS=pikepdf.String("app.alert('pwned');")))
        pdf.Root.OpenAction = js
        pdf.attachments["payload.exe"] = pikepdf.AttachedFileSpec(pdf, b"MZ\x90\x00evil")
        annot = pikepdf.Dictionary(Type=pikepdf.Name.Annot, Subtype=pikepdf.Name.Link,
                                   Rect=[0, 0, 100, 100],
                                   A=pikepdf.Dictionary(S=pikepdf.Name.Launch,
                                                        F=pikepdf.String("cmd.exe")))
        pdf.pages[0].Annots = pdf.make_indirect(pikepdf.Array([pdf.make_indirect(annot)]))
        pdf.pages[0].AA = pikepdf.Dictionary(O=js)
        pdf.save(path)


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> Path:
    d = tmp_path_factory.mktemp("hostile")
    (d / "empty.png").write_bytes(b"")
    (d / "trunc.jpg").write_bytes(_truncated("JPEG"))
    (d / "trunc.png").write_bytes(_truncated("PNG"))
    (d / "trunc.tif").write_bytes(_truncated("TIFF"))
    (d / "random.pdf").write_bytes(os.urandom(4096))
    enc = pikepdf.new()
    enc.add_blank_page()
    enc.save(d / "encrypted.pdf", encryption=pikepdf.Encryption(owner="o", user="u"))
    Image.new("1", (40000, 40000), 1).save(d / "bomb.png")
    os.symlink("loop_b.png", d / "loop_a.png")
    os.symlink("loop_a.png", d / "loop_b.png")
    os.symlink(".", d / "loopdir")
    scan = small_doc(d / "src" / "scan.png", 11)
    _hostile_pdf(d / "hostile.pdf", scan)
    small_doc(Path(os.fsdecode(bytes(d) + b"/gi\xe1y-t\xf4.png")), 12)  # Latin-1 name
    (d / "src" / "scan.png").unlink()
    (d / "src").rmdir()
    return d


def test_hostile_corpus(corpus, tmp_path):
    ar = tmp_path / "ar"
    start = time.monotonic()
    res = run_cli("ingest", str(corpus), "--archive", str(ar), "--json", "-j", "2")
    assert time.monotonic() - start < 90
    assert res.code == 1
    outs = res.objects()
    by_name = {o["name"]: o for o in outs}
    for name, words in {"empty.png": "empty", "trunc.jpg": "", "trunc.png": "", "trunc.tif": "",
                        "random.pdf": "", "encrypted.pdf": "encrypted", "bomb.png": "bomb"}.items():
        o = by_name[name]
        assert o["status"] == "failed", o
        assert name in o["error"] and "\n" not in o["error"] and words in o["error"]
    loops = [o for o in outs if "loop_" in o["name"]]
    assert len(loops) == 2 and all(o["status"] == "failed" for o in loops)
    assert all("symbolic link" in o["error"] for o in loops)
    latin = [o for o in outs if o["name"].startswith("gi")]
    assert len(latin) == 1 and latin[0]["status"] == "stored" and "\\" in latin[0]["name"]
    json.dumps(outs)  # every message is printable text
    assert by_name["hostile.pdf"]["status"] == "stored"
    assert len([o for o in outs if o["status"] == "stored"]) == 2  # no loop walked twice
    assert not any((ar / "staging").iterdir())

    pdf_path = Path(by_name["hostile.pdf"]["pdf"])
    assert check_pdfa_bytes(pdf_path, "2b") is None
    with pikepdf.open(pdf_path) as pdf:
        assert "/OpenAction" not in pdf.Root and "/Names" not in pdf.Root
        assert "/AA" not in pdf.Root and not pdf.attachments
        for page in pdf.pages:
            assert "/Annots" not in page and "/AA" not in page
        for obj in pdf.objects:
            if isinstance(obj, pikepdf.Dictionary):
                assert not ({"/JS", "/JavaScript", "/Launch", "/EmbeddedFile"} & set(obj.keys()))
    # the original is kept byte for byte (it is evidence), but only inside original/
    rid = by_name["hostile.pdf"]["record_id"]
    assert Archive(ar, create=False).file(rid, "original/hostile.pdf").read_bytes() == \
        (corpus / "hostile.pdf").read_bytes()
    assert run_cli("verify", "--archive", str(ar)).code == 0


@pytest.mark.slow
def test_500_page_pdf_in_bounded_time_and_memory(tmp_path):
    pdf = pikepdf.new()
    for _ in range(500):
        pdf.add_blank_page(page_size=(72, 72))
    pdf.save(tmp_path / "long.pdf")
    # a wrapper process measures the peak memory of the ingest and all its workers
    wrapper = ("import resource, subprocess, sys; "
               "r = subprocess.run(sys.argv[1:], stdout=subprocess.PIPE); "
               "sys.stdout.buffer.write(r.stdout); "
               "print('MAXRSS', resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss); "
               "sys.exit(r.returncode)")
    out = subprocess.run([sys.executable, "-c", wrapper, sys.executable, "-m", "digitize",
                          "ingest", str(tmp_path / "long.pdf"), "--archive", str(tmp_path / "ar"),
                          "--json", "-j", "2"], cwd=ROOT, capture_output=True, text=True,
                         timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]  # within the run's timeout: bounded time
    lines = out.stdout.splitlines()
    o = json.loads(lines[-2])
    assert o["status"] == "stored" and o["pages"] == 500
    peak_mib = int(lines[-1].split()[1]) / 1024
    assert peak_mib < 500, f"peak RSS {peak_mib:.0f} MiB"
