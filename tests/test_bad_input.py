"""Bad input gets a one-line error naming the file; the batch goes on; nothing half-written."""
from __future__ import annotations

import io

import pikepdf
from PIL import Image

from storage.archive import Archive
from conftest import run_cli


def _make_bad_files(d):
    d.mkdir()
    (d / "empty.png").write_bytes(b"")
    (d / "random.pdf").write_bytes(b"%PDF-1.4 this is not really a pdf \x00\x01\x02" * 10)
    (d / "notes.txt").write_text("not a scan")
    buf = io.BytesIO()
    Image.new("L", (400, 400), 255).save(buf, "PNG")
    (d / "truncated.png").write_bytes(buf.getvalue()[: len(buf.getvalue()) // 2])
    pdf = pikepdf.new()
    pdf.add_blank_page()
    pdf.save(d / "encrypted.pdf", encryption=pikepdf.Encryption(owner="o", user="u"))
    # a 40,000 x 40,000 bi-level PNG is a few hundred KB on disk but 1.6 Gpx decoded
    Image.new("1", (40000, 40000), 1).save(d / "bomb.png")


def test_bad_files_fail_one_by_one_and_good_one_is_stored(tmp_path, decision_page):
    bad = tmp_path / "bad"
    _make_bad_files(bad)
    archive = tmp_path / "archive"
    res = run_cli("ingest", str(bad), str(bad / "notes.txt"), str(decision_page),
                  str(tmp_path / "missing.png"), "--archive", str(archive), "--json", "-j", "2")
    assert res.code == 1
    outs = {o["name"]: o for o in res.objects()}
    for name in ("empty.png", "random.pdf", "truncated.png", "encrypted.pdf", "bomb.png",
                 "notes.txt"):
        o = outs[name]
        assert o["status"] == "failed", o
        assert name in o["error"] and "\n" not in o["error"]
    assert "empty" in outs["empty.png"]["error"]
    assert "encrypted" in outs["encrypted.pdf"]["error"]
    assert "bomb" in outs["bomb.png"]["error"]
    assert any(o["status"] == "failed" and "missing.png" in o["error"] for o in outs.values())
    assert outs["decision.png"]["status"] == "stored"
    assert len(Archive(archive, create=False).record_ids_on_disk()) == 1
    assert not any((archive / "staging").iterdir())


def test_file_changed_while_ingested_fails_and_nothing_is_stored(tmp_path, decision_page,
                                                                 monkeypatch):
    """The originals are copied while the pages are read and checked against the hash the
    record id was made from: a file rewritten in between must not be stored under that id."""
    import digitize.pipeline as pipeline

    real = pipeline.sha256_file
    monkeypatch.setattr(pipeline, "sha256_file", lambda p: "0" * 64 if p.name == "decision.png"
                        else real(p))  # as if the bytes had changed since they were hashed
    archive = tmp_path / "archive"
    res = run_cli("ingest", str(decision_page), "--archive", str(archive), "--json", "-j", "1")
    assert res.code == 1
    (o,) = res.objects()
    assert o["status"] == "failed"
    assert "decision.png" in o["error"] and "changed while it was being ingested" in o["error"]
    assert not Archive(archive, create=False).record_ids_on_disk()
    assert not any((archive / "staging").iterdir())
