"""Exports never replace what exists without --force, never write into the archive, and a bag
refuses records that fail `verify`."""
from __future__ import annotations

from pathlib import Path

from conftest import run_cli
from storage.bag import BagRecord, copy_problems, validate_bag, write_bag
from test_verify import _files, archive, stored_archive  # noqa: F401 (fixtures)


def _export(ar, out, *extra):
    return run_cli("export", str(out), "--archive", str(ar), *extra)


def test_bag_refuses_a_record_that_fails_verify(archive, tmp_path):
    ar, ids = archive
    page = _files(ar, ids[1])["pages/p0001.txt"]
    page.write_text(page.read_text() + "x")  # a flipped byte the manifest knows nothing of
    out = tmp_path / "bag"
    res = _export(ar, out, "--format", "bagit")
    assert res.code == 1
    assert "fail verify" in res.output and ids[1] in res.output and "p0001.txt" in res.output
    assert ids[0] not in res.output
    assert not out.exists() and not list(tmp_path.glob(".bag*"))
    # the sound record alone can still go
    res = _export(ar, out, "--format", "bagit", "--record", ids[0])
    assert res.code == 0 and validate_bag(out) is None


def test_bag_checks_its_copy_against_the_digests(tmp_path):
    folder = tmp_path / "rec"
    (folder / "pages").mkdir(parents=True)
    (folder / "pages" / "p0001.txt").write_text("text\n")
    import hashlib
    digest = hashlib.sha256(b"text\n").hexdigest()
    assert copy_problems(folder, {"pages/p0001.txt": digest}) == []
    (folder / "extra.bin").write_bytes(b"?")
    assert copy_problems(folder, {"pages/p0001.txt": "0" * 64}) == [
        "pages/p0001.txt altered", "extra.bin not listed"]
    out = tmp_path / "bag"
    try:
        write_bag(out, [BagRecord("r1", folder, {}, [], {"pages/p0001.txt": digest})], {})
    except Exception as e:
        assert "r1" in str(e) and "extra.bin" in str(e)
    else:
        raise AssertionError("a record with an unlisted file was bagged")
    assert not out.exists()


def test_exports_never_replace_without_force(archive, tmp_path):
    ar, ids = archive
    for fmt, name in (("jsonl", "out.jsonl"), ("csv", "out.csv")):
        out = tmp_path / name
        out.write_text("precious\n")
        res = _export(ar, out, "--format", fmt)
        assert res.code == 2 and "already exists" in res.output and "--force" in res.output
        assert out.read_text() == "precious\n"
        assert _export(ar, out, "--format", fmt, "--force").code == 0
        assert ids[0] in out.read_text()
        assert not list(tmp_path.glob(f".{name}.partial*"))
    folder = tmp_path / "keep"
    folder.mkdir()
    (folder / "notes.txt").write_text("mine")
    res = _export(ar, folder, "--format", "bagit")
    assert res.code == 2 and (folder / "notes.txt").read_text() == "mine"
    assert _export(ar, folder, "--format", "bagit", "--force").code == 0
    assert validate_bag(folder) is None and not (folder / "notes.txt").exists()
    empty = tmp_path / "empty"
    empty.mkdir()
    assert _export(ar, empty, "--format", "bagit").code == 0  # an empty folder is fine


def test_export_into_the_archive_is_refused_even_with_force(archive):
    ar, _ids = archive
    catalogue = ar / "catalogue.sqlite3"
    before = catalogue.read_bytes()
    for extra in ((), ("--force",)):
        res = _export(ar, catalogue, "--format", "csv", *extra)
        assert res.code == 2 and "inside the archive" in res.output
        res = _export(ar, Path(ar) / "objects" / "new.jsonl", *extra)
        assert res.code == 2
    assert catalogue.read_bytes() == before
    assert run_cli("verify", "--archive", str(ar)).code == 0
