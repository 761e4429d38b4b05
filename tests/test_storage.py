"""The archive's storage layer on its own: atomic files, OCFL objects and versions (checked by
ocfl-py's validator), event logs, staging locks, retries, the catalogue."""
from __future__ import annotations

import errno
import os
import signal
import sqlite3
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from storage import events as ev
from storage.archive import Archive
from storage.events import new_event
from storage.ocfl import validate_object
from storage.catalogue import Catalogue
from storage.files import StorageFull, atomic_write_bytes
from storage.retry import RetryPolicy, is_transient, retry
from storage.verify import check_pdfa_bytes, verify_archive


def _stage(archive: Archive, rid: str, files: dict[str, bytes]):
    st = archive.new_staging(rid)
    for name, data in files.items():
        (st / name).parent.mkdir(parents=True, exist_ok=True)
        (st / name).write_bytes(data)
    return st


def _new(archive: Archive, rid: str, files: dict[str, bytes]):
    return archive.commit_new(_stage(archive, rid, files), rid,
                              [new_event("ingested", {}, "tester")], "ingested", "tester")[0]


def _ocfl_py_valid(path) -> tuple[bool, str]:
    """ocfl-py's validator (the OCFL reference implementation) on an object or storage root."""
    import ocfl.validator
    from ocfl.storage_root import StorageRoot
    if (path / "0=ocfl_1.1").is_file():
        root = StorageRoot(root=str(path))
        ok = root.validate(validate_objects=True, check_digests=True)
        ok = ok and root.good_objects == root.num_objects > 0
        return ok, f"{root.log} {root.errors}"
    v = ocfl.validator.Validator(log_warnings=False)
    return v.validate_object(str(path)), str(v)


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


def test_new_record_is_an_ocfl_object_that_ocfl_py_validates(tmp_path):
    archive = Archive(tmp_path / "ar")
    final = _new(archive, "abcd1234", {"document.pdf": b"%PDF-", "pages/p0001.txt": b"x\n",
                                       "metadata.json": b'{"id": "abcd1234"}'})
    assert final == archive.record_dir("abcd1234")
    assert final.relative_to(archive.objects).as_posix() == ocfl_py_path("abcd1234")
    assert _ocfl_py_valid(final)[0], _ocfl_py_valid(final)[1]
    assert _ocfl_py_valid(archive.objects)[0]
    files = archive.current_files("abcd1234")
    assert files["pages/p0001.txt"].read_bytes() == b"x\n"
    assert validate_object(final) == []
    assert not any(archive.staging.iterdir())
    assert stat.S_IMODE(files["document.pdf"].stat().st_mode) & 0o007 == 0  # not world-readable
    events, problems = archive.events("abcd1234")
    assert [e["action"] for e in events] == ["ingested"] and problems == []


def ocfl_py_path(rid: str) -> str:
    from ocfl.layout_0003_hash_and_id_n_tuple import _id_to_path
    return _id_to_path(rid, "sha256", 3, 3)


def test_a_change_is_a_new_version_holding_only_what_changed(tmp_path):
    archive = Archive(tmp_path / "ar")
    final = _new(archive, "abcd1234", {"a.txt": b"1", "b.txt": b"2"})
    with archive.record_lock("abcd1234"):
        txn = archive.begin_txn("abcd1234")
        (txn / "new" / "b.txt").write_bytes(b"two")
        (txn / "new" / "c.txt").write_bytes(b"1")  # same bytes as a.txt: referenced, not copied
        stored = archive.commit_version("abcd1234", txn, {"b.txt": txn / "new" / "b.txt",
                                                          "c.txt": txn / "new" / "c.txt"},
                                        new_event("corrected", {"field": "x"}, "tester"))
        archive.finish_txn("abcd1234")
    assert stored["version"] == "v2"
    assert sorted(p.relative_to(final / "v2").as_posix() for p in (final / "v2").rglob("*")
                  if p.is_file()) == ["content/b.txt", "inventory.json", "inventory.json.sha512"]
    files = archive.current_files("abcd1234")
    assert files["b.txt"].read_bytes() == b"two" and files["c.txt"] == files["a.txt"]
    assert _ocfl_py_valid(final)[0], _ocfl_py_valid(final)[1]
    assert [e["action"] for e in archive.events("abcd1234")[0]] == ["ingested", "corrected"]


def test_validate_object_finds_altered_missing_and_unlisted(tmp_path):
    archive = Archive(tmp_path / "ar")
    final = _new(archive, "abcd1234", {"a.txt": b"1", "b.txt": b"2"})
    (final / "v1/content/a.txt").write_bytes(b"9")
    (final / "v1/content/b.txt").unlink()
    (final / "v1/content/c.txt").write_bytes(b"3")
    assert sorted(k for k, _ in validate_object(final)) == ["altered", "missing", "unlisted"]


def test_event_log_chain_detects_changed_and_missing_events_and_cuts_a_torn_tail(tmp_path):
    archive = Archive(tmp_path / "ar")
    final = _new(archive, "abcd1234", {"a.txt": b"1"})
    for i in range(3):
        ev.append(final, [new_event("verified", {"i": i}, "tester")])
    log = final / ev.LOG
    lines = log.read_bytes().splitlines(keepends=True)
    assert ev.read(final)[1] == []
    log.write_bytes(b"".join(lines[:2] + lines[3:]))  # one event removed
    assert any("does not follow" in p for p in ev.read(final)[1])
    log.write_bytes(b"".join(lines).replace(b'"i":1', b'"i":7'))  # one event changed
    assert any("does not follow" in p for p in ev.read(final)[1])
    log.write_bytes(b"".join(lines) + b'{"torn')
    assert "torn" in ev.read(final)[1][0]
    assert ev.cut_torn_tail(final) and ev.read(final)[1] == []


def test_clean_staging_keeps_live_writers_and_removes_dead_ones(tmp_path):
    archive = Archive(tmp_path / "ar")
    mine = archive.new_staging("aaaa").parent
    code = ("import sys, time; sys.path.insert(0, %r); from storage.archive import Archive; "
            "a = Archive(%r); print(a.new_staging('bbbb'), flush=True); time.sleep(60)")
    other = subprocess.Popen([sys.executable, "-c", code % (os.getcwd(), str(archive.root))],
                             stdout=subprocess.PIPE, text=True)
    theirs = Path(other.stdout.readline().strip()).parent
    stray = archive.staging / "cccc.old.1234"
    stray.mkdir()
    try:
        assert archive.clean_staging() == 1  # only the folder nobody holds
        assert mine.is_dir() and theirs.is_dir() and not stray.exists()
    finally:
        os.kill(other.pid, signal.SIGKILL)
        other.wait()
    assert archive.clean_staging() == 1 and not theirs.exists() and mine.is_dir()


def test_record_id_prefix_takes_underscore_and_percent_literally(tmp_path):
    cat = Catalogue(tmp_path / "c.sqlite3")
    for rid in ("5a1b", "5a2b", "5_9z"):
        cat.sync({"id": rid, "page_count": 1}, [], "v1")
    assert cat.find_prefix("5_") == ["5_9z"]
    assert cat.find_prefix("5%") == []
    assert cat.find_prefix("5a") == ["5a1b", "5a2b"]
    cat.close()


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


def test_verify_archive_cross_checks_catalogue_and_records(tmp_path):
    archive = Archive(tmp_path / "ar")
    cat = Catalogue(archive.catalogue_path)
    _new(archive, "orphan01", {"metadata.json": b'{"id": "orphan01"}', "document.pdf": b"%PDF"})
    cat.sync({"id": "nofolder", "page_count": 1}, [], "v1")
    (archive.staging / "dddd.999999999.abcdef12").mkdir()
    report = verify_archive(archive, cat, check_pdf=lambda p, f: None)
    assert sorted(p.kind for p in report.problems) == ["no-folder", "not-catalogued",
                                                        "stray-staging"]
    assert all(p.repair for p in report.problems)
    cat.close()
