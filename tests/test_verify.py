"""`digitize verify` and `export --format bagit` through the real CLI, on a real small archive."""
from __future__ import annotations

import csv
import json
import shutil
import sqlite3

import pytest

from archive_helpers import small_doc
from conftest import run_cli
from storage.archive import Archive
from storage.bag import validate_bag


@pytest.fixture(scope="session")
def stored_archive(tmp_path_factory):
    """An archive holding two one-page records (ingested once per test session)."""
    d = tmp_path_factory.mktemp("verify")
    small_doc(d / "in" / "a.png", 1)
    small_doc(d / "in" / "b.png", 2)
    res = run_cli("ingest", str(d / "in"), "--archive", str(d / "ar"), "--json", "-j", "2")
    assert res.code == 0, res.output
    by_name = {o["name"]: o["record_id"] for o in res.objects()}
    return d / "ar", [by_name["a.png"], by_name["b.png"]]


@pytest.fixture
def archive(stored_archive, tmp_path):
    src, ids = stored_archive
    shutil.copytree(src, tmp_path / "ar")
    return tmp_path / "ar", ids


def _verify(ar, *extra):
    res = run_cli("verify", "--archive", str(ar), "--json", *extra)
    return res.code, res.objects()[0]


def _rdir(ar, rid):
    return Archive(ar, create=False).record_dir(rid)


def _files(ar, rid):
    """The record's current files (logical path -> file), through its OCFL inventory."""
    return Archive(ar, create=False).current_files(rid)


def test_clean_archive_verifies_and_records_an_event(archive):
    ar, ids = archive
    code, report = _verify(ar)
    assert code == 0 and report["ok"] and report["records_checked"] == 2
    assert report["files_checked"] >= 2 * 5
    access = run_cli("show", ids[0], "--archive", str(ar), "--json").objects()[0]["access"]
    assert [e["action"] for e in access][-1] == "verified"  # kept apart from the history
    assert access[-1]["outcome"] == "success" and access[-1]["actor"]


def test_altered_missing_and_bad_pdf_are_reported(archive):
    ar, ids = archive
    files = _files(ar, ids[0])
    files["pages/p0001.txt"].write_text("tampered\n")
    next(f for lp, f in files.items() if lp.startswith("original/")).unlink()
    pdf = files["document.pdf"]
    pdf.write_bytes(pdf.read_bytes()[:-200])  # truncated
    code, report = _verify(ar)
    assert code == 1 and not report["ok"]
    kinds = {p["kind"] for p in report["problems"]}
    assert {"altered", "missing", "bad-pdf"} <= kinds, kinds
    assert all(p["record_id"] == ids[0] for p in report["problems"])
    access = run_cli("show", ids[0], "--archive", str(ar), "--json").objects()[0]["access"]
    assert access[-1]["action"] == "verified" and access[-1]["outcome"] == "failure"


def test_rows_without_record_records_without_row_and_stray_staging(archive):
    ar, ids = archive
    shutil.rmtree(_rdir(ar, ids[0]))
    db = sqlite3.connect(ar / "catalogue.sqlite3")
    db.execute("DELETE FROM records WHERE id=?", (ids[1],))
    db.commit()
    db.close()
    (ar / "staging" / "eeee.999999999.abcd1234").mkdir()
    code, report = _verify(ar)
    kinds = sorted(p["kind"] for p in report["problems"])
    assert code == 1 and kinds == ["index-extra", "no-folder", "not-catalogued", "stray-staging"]
    text = run_cli("verify", "--archive", str(ar))
    assert "not-catalogued" in text.output and "4 problem(s)" in text.output
    assert "repair: digitize repair" in text.output


def test_damaged_inventory_and_sample(archive):
    ar, ids = archive
    (_rdir(ar, ids[1]) / "inventory.json").write_text("{not json")
    code, report = _verify(ar, "--sample", "1")
    assert report["records_checked"] == 1
    code, report = _verify(ar)
    assert code == 1 and [p["kind"] for p in report["problems"]] == ["bad-inventory"]


def test_missing_archive_is_not_found(tmp_path):
    assert run_cli("verify", "--archive", str(tmp_path / "none")).code == 3


def test_reingest_repairs_a_record_whose_folder_was_lost(archive, stored_archive, tmp_path):
    ar, ids = archive
    shutil.rmtree(_rdir(ar, ids[0]))
    assert _verify(ar)[0] == 1
    src = tmp_path / "again"
    small_doc(src / "a.png", 1)
    res = run_cli("ingest", str(src), "--archive", str(ar), "--json", "-j", "1")
    assert res.objects()[0]["status"] == "stored" and res.objects()[0]["record_id"] == ids[0]
    assert _verify(ar)[0] == 0


def test_export_bagit_validates_and_carries_history(archive, tmp_path):
    ar, ids = archive
    out = tmp_path / "bag"
    res = run_cli("export", str(out), "--format", "bagit", "--archive", str(ar))
    assert res.code == 0, res.output
    assert validate_bag(out) is None
    for rid in ids:
        rec = out / "data" / "records" / rid
        assert (rec / "inventory.json").is_file() and (rec / "v1" / "content").is_dir()
        history = json.loads((rec / "history.json").read_text())
        assert history[0]["action"] == "ingested"
    rows = list(csv.DictReader(open(out / "data" / "records.csv", encoding="utf-8")))
    assert sorted(r["id"] for r in rows) == sorted(ids)
    assert "Payload-Oxum" in (out / "bag-info.txt").read_text()
    assert (out / "manifest-sha256.txt").is_file()
    db = sqlite3.connect(ar / "catalogue.sqlite3")
    assert db.execute("SELECT count(*) FROM events WHERE action='exported'").fetchone()[0] == 2
    for rid in ids:  # the export is in each record's own event log too
        assert "exported" in (_rdir(ar, rid) / "logs" / "events.jsonl").read_text()
    # a damaged bag no longer validates; an existing OUT is refused
    next((out / "data" / "records").rglob("*.txt")).write_text("changed")
    assert validate_bag(out) is not None
    assert run_cli("export", str(out), "--format", "bagit", "--archive", str(ar)).code == 2
