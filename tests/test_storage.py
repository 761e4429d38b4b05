"""The archive's storage layer on its own: atomic files, manifests, commit, retries, locks."""
from __future__ import annotations

import errno
import json
import os
import sqlite3
import subprocess
import sys

import pytest

from storage.archive import Archive, staging_owner_alive
from storage.catalogue import Catalogue
from storage.files import StorageFull, atomic_write_bytes, sha256_file
from storage.retry import RetryPolicy, is_transient, retry
from storage.verify import check_pdfa_bytes, verify_archive


def _stage(archive: Archive, rid: str, files: dict[str, bytes]):
    st = archive.new_staging(rid)
    for name, data in files.items():
        (st / name).parent.mkdir(parents=True, exist_ok=True)
        (st / name).write_bytes(data)
    return st


def test_atomic_write_replaces_whole_file_and_leaves_no_temp(tmp_path):
    p = tmp_path / "a" / "f.bin"
    atomic_write_bytes(p, b"one")
    atomic_write_bytes(p, b"two")
    assert p.read_bytes() == b"two"
    assert [x.name for x in p.parent.iterdir()] == ["f.bin"]


def test_atomic_write_disk_full_is_storagefull_and_keeps_old(tmp_path, monkeypatch):
    p = tmp_path / "f.bin"
    atomic_write_bytes(p, b"old")
    real_fsync = os.fsync

    def full(fd):
        raise OSError(errno.ENOSPC, "No space left on device")
    monkeypatch.setattr(os, "fsync", full)
    with pytest.raises(StorageFull):
        atomic_write_bytes(p, b"new")
    monkeypatch.setattr(os, "fsync", real_fsync)
    assert p.read_bytes() == b"old"
    assert [x.name for x in tmp_path.iterdir()] == ["f.bin"]


def test_commit_writes_manifest_with_sha256_and_size(tmp_path):
    archive = Archive(tmp_path / "ar")
    st = _stage(archive, "abcd1234", {"document.pdf": b"%PDF-", "pages/p0001.txt": b"x\n"})
    final = archive.commit(st, "abcd1234")
    manifest = json.loads((final / "manifest.json").read_text())
    assert manifest["record_id"] == "abcd1234" and manifest["algorithm"] == "sha256"
    entries = {e["path"]: e for e in manifest["files"]}
    assert entries["pages/p0001.txt"]["size"] == 2
    assert entries["pages/p0001.txt"]["sha256"] == sha256_file(final / "pages/p0001.txt")
    assert not any(archive.staging.iterdir())
    assert archive.verify_record("abcd1234") == []


def test_commit_replaces_a_leftover_folder_without_leaving_old(tmp_path):
    archive = Archive(tmp_path / "ar")
    archive.commit(_stage(archive, "abcd1234", {"a.txt": b"1"}), "abcd1234")
    final = archive.commit(_stage(archive, "abcd1234", {"b.txt": b"2"}), "abcd1234")
    assert sorted(p.name for p in final.iterdir()) == ["b.txt", "manifest.json"]
    assert not any(archive.staging.iterdir())


def test_verify_record_finds_altered_missing_and_unlisted(tmp_path):
    archive = Archive(tmp_path / "ar")
    final = archive.commit(_stage(archive, "abcd1234", {"a.txt": b"1", "b.txt": b"2"}),
                           "abcd1234")
    (final / "a.txt").write_bytes(b"9")
    (final / "b.txt").unlink()
    (final / "c.txt").write_bytes(b"3")
    kinds = sorted(p.kind for p in archive.verify_record("abcd1234"))
    assert kinds == ["altered", "missing", "unlisted"]


def test_clean_staging_keeps_live_writers_and_removes_dead_ones(tmp_path):
    archive = Archive(tmp_path / "ar")
    mine = archive.new_staging("aaaa")
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True).stdout.strip()
    gone = archive.staging / f"bbbb.{dead}.12345678"
    gone.mkdir()
    stray = archive.staging / "cccc.old.1234"
    stray.mkdir()
    assert staging_owner_alive(mine) and not staging_owner_alive(gone)
    assert archive.clean_staging() == 2
    assert [p.name for p in archive.staging.iterdir()] == [mine.name]


def test_retry_retries_transient_errors_only():
    calls = []
    policy = RetryPolicy(attempts=4, first_delay_s=0.01, sleep=lambda s: calls.append(s))

    def busy_twice():
        if len(calls) < 2:
            raise sqlite3.OperationalError("database is locked")
        return "ok"
    assert retry(busy_twice, policy) == "ok" and len(calls) == 2
    assert is_transient(OSError(errno.ENOSPC, "full"))
    assert not is_transient(ValueError("bad"))
    with pytest.raises(ValueError):
        retry(lambda: (_ for _ in ()).throw(ValueError("permanent")), policy)
    assert len(calls) == 2  # no sleep for a permanent error


def test_commit_lock_serialises_processes(tmp_path):
    archive = Archive(tmp_path / "ar")
    code = ("import sys, time; sys.path.insert(0, %r); from storage.archive import Archive; "
            "a = Archive(%r)\nwith a.commit_lock():\n    print('got', flush=True)")
    with archive.commit_lock():
        proc = subprocess.Popen([sys.executable, "-c", code % (os.getcwd(), str(archive.root))],
                                stdout=subprocess.PIPE, text=True)
        with pytest.raises(subprocess.TimeoutExpired):
            proc.wait(timeout=1.0)
    assert proc.communicate(timeout=30)[0].strip() == "got"



def test_check_pdfa_bytes_rejects_non_pdfa_and_active_content(tmp_path):
    xmp = b"<x:xmpmeta><pdfaid:part>2</pdfaid:part><pdfaid:conformance>B</pdfaid:conformance>"
    good = tmp_path / "good.pdf"
    good.write_bytes(b"%PDF-1.5\n" + xmp + b"\n%%EOF\n")
    assert check_pdfa_bytes(good, "2b") is None
    assert "1b" in check_pdfa_bytes(good, "1b")
    js = tmp_path / "js.pdf"
    js.write_bytes(b"%PDF-1.5\n" + xmp + b"/OpenAction << /S /JavaScript >>\n%%EOF\n")
    assert "active content" in check_pdfa_bytes(js, "2b")
    trunc = tmp_path / "t.pdf"
    trunc.write_bytes(b"%PDF-1.5\n" + xmp)
    assert "truncated" in check_pdfa_bytes(trunc, "2b")


def test_verify_archive_cross_checks_catalogue_and_folders(tmp_path):
    archive = Archive(tmp_path / "ar")
    cat = Catalogue(archive.catalogue_path)
    archive.commit(_stage(archive, "orphan01", {"a.txt": b"1"}), "orphan01")
    cat.put({"id": "nofolder", "page_count": 1})
    (archive.staging / "dddd.999999999.abcdef12").mkdir()
    report = verify_archive(archive, cat)
    assert sorted(p.kind for p in report.problems) == ["no-folder", "orphaned", "stray-staging"]
    cat.close()
