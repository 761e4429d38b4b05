"""`digitize watch`: settled documents are ingested once, moved out of the way, bad files do
not stop it, and a restart picks up where it left off."""
from __future__ import annotations

import shutil

from archive_helpers import small_doc
from conftest import run_cli


def _watch(in_dir, ar, *extra):
    return run_cli("watch", str(in_dir), "--archive", str(ar), "--once", "--json", "-j", "1",
                   *extra)


def test_watch_once_ingests_moves_and_restarts(tmp_path):
    in_dir, ar = tmp_path / "in", tmp_path / "ar"
    small_doc(in_dir / "a.png", 1)
    small_doc(in_dir / "box1" / "b.png", 2)
    (in_dir / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n garbage")
    (in_dir / "empty.jpg").write_bytes(b"")

    res = _watch(in_dir, ar, "--settle", "0")
    assert res.code == 1
    status = {o["name"]: o["status"] for o in res.objects()}
    assert status == {"a.png": "stored", "b.png": "stored", "broken.png": "failed",
                      "empty.jpg": "failed"}
    assert (in_dir / ".done" / "a.png").is_file()
    assert (in_dir / ".done" / "box1" / "b.png").is_file()
    assert (in_dir / ".failed" / "broken.png").is_file()
    assert "broken.png" in (in_dir / ".failed" / "broken.png.error.txt").read_text()
    assert not (in_dir / "a.png").exists()

    again = _watch(in_dir, ar, "--settle", "0")  # a restart: nothing left to do
    assert again.code == 0 and again.objects() == []

    # a crash after storing but before moving: the input is still there; a restart finds it
    # archived already (same content hash) and moves it without storing it twice
    shutil.copy(in_dir / ".done" / "a.png", in_dir / "a.png")
    res = _watch(in_dir, ar, "--settle", "0")
    assert [o["status"] for o in res.objects()] == ["duplicate"]
    assert not (in_dir / "a.png").exists()
    assert run_cli("verify", "--archive", str(ar), "--json").objects()[0]["records_checked"] == 2


def test_watch_waits_for_files_to_settle(tmp_path):
    in_dir, ar = tmp_path / "in", tmp_path / "ar"
    small_doc(in_dir / "fresh.png", 3)
    res = _watch(in_dir, ar, "--settle", "3600")
    assert res.code == 0 and res.objects() == []
    assert (in_dir / "fresh.png").exists()


def test_watch_missing_folder_is_not_found(tmp_path):
    assert run_cli("watch", str(tmp_path / "nope"), "--once").code in (2, 3)
