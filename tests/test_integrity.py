"""Issue 19: the record folder is the archive. Every layer verified, the catalogue and index
rebuilt from the records, curation as a transaction that a crash at any step leaves whole
(faults injected through storage.archive.step_hook, the seam production calls at each step)."""
from __future__ import annotations

import json
import multiprocessing
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from archive_helpers import small_doc
from conftest import run_cli
from storage.archive import Archive

ROOT = Path(__file__).resolve().parent.parent
DOSSIER = "H15.50.05.13-261008-0975"


@pytest.fixture(scope="session")
def stored(tmp_path_factory):
    """Two one-page records, ingested once per session."""
    d = tmp_path_factory.mktemp("integrity")
    small_doc(d / "in" / "a.png", 11)
    small_doc(d / "in" / "b.png", 12)
    res = run_cli("ingest", str(d / "in"), "--archive", str(d / "ar"), "--json", "-j", "2")
    assert res.code == 0, res.output
    return d / "ar", sorted(o["record_id"] for o in res.objects())


@pytest.fixture
def archive(stored, tmp_path):
    src, ids = stored
    shutil.copytree(src, tmp_path / "ar")
    return tmp_path / "ar", ids


def _verify(ar):
    res = run_cli("verify", "--archive", str(ar), "--json")
    return res.code, res.objects()[0]


def _kinds(ar):
    return sorted({p["kind"] for p in _verify(ar)[1]["problems"]})


def _show(ar, rid):
    return run_cli("show", rid, "--archive", str(ar), "--json").objects()[0]


def _state(ar, rid):
    """What each layer says of the record: metadata.json, catalogue, index."""
    a = Archive(ar, create=False)
    meta = a.read_metadata(rid)
    db = sqlite3.connect(ar / "catalogue.sqlite3")
    cat = json.loads(db.execute("SELECT doc FROM records WHERE id=?", (rid,)).fetchone()[0])
    history = [json.loads(d) | {"action": act} for act, d in db.execute(
        "SELECT action, detail FROM events WHERE record_id=? ORDER BY n", (rid,))]
    links = [r[0] for r in db.execute("SELECT dossier FROM dossier_links WHERE record_id=?",
                                      (rid,))]
    db.close()
    idx = sqlite3.connect(ar / "index" / "search.sqlite3")
    row = idx.execute("SELECT fields FROM records WHERE record_id=?", (rid,)).fetchone()
    idx.close()
    return meta, cat, history, links, json.loads(row[0]) if row else None


# ---- verify every layer, repair, rebuild -------------------------------------------------------
def test_a_value_changed_inside_the_catalogue_is_found_and_repaired(archive):
    ar, ids = archive
    db = sqlite3.connect(ar / "catalogue.sqlite3")
    doc = json.loads(db.execute("SELECT doc FROM records WHERE id=?", (ids[0],)).fetchone()[0])
    doc["fields"]["number"]["value"] = "999/QĐ-XX"
    db.execute("UPDATE records SET doc=? WHERE id=?", (json.dumps(doc), ids[0]))
    db.commit()
    db.close()
    code, report = _verify(ar)
    assert code == 1 and [(p["kind"], p["record_id"]) for p in report["problems"]] == [
        ("catalogue-differs", ids[0])]
    assert "digitize repair" in report["problems"][0]["repair"]
    res = run_cli("repair", "--archive", str(ar))
    assert res.code == 0, res.output
    meta, cat, *_ = _state(ar, ids[0])
    assert cat == meta and _verify(ar)[0] == 0


def test_deleted_index_is_reported_search_says_so_and_repair_rebuilds(archive):
    ar, ids = archive
    shutil.rmtree(ar / "index")
    assert _kinds(ar) == ["no-index"]
    res = run_cli("search", "hồ sơ", "--archive", str(ar))
    assert res.code == 5 and "index is missing" in res.output
    assert "no matching record" not in res.output
    assert run_cli("repair", "--archive", str(ar)).code == 0
    hits = run_cli("search", "hồ sơ", "--archive", str(ar), "--json").objects()[0]
    assert hits["total"] == 2 and _verify(ar)[0] == 0


def test_index_extra_missing_and_stale_entries_are_found(archive):
    ar, ids = archive
    idx = sqlite3.connect(ar / "index" / "search.sqlite3")
    idx.execute("UPDATE records SET fields=json_set(fields, '$._digest', 'x') WHERE record_id=?",
                (ids[0],))
    idx.commit()
    idx.close()
    db = sqlite3.connect(ar / "catalogue.sqlite3")
    db.execute("DELETE FROM records WHERE id=?", (ids[1],))
    db.commit()
    db.close()
    kinds = _kinds(ar)
    assert kinds == ["index-extra", "index-stale", "not-catalogued"]
    assert run_cli("repair", "--archive", str(ar)).code == 0
    assert _verify(ar)[0] == 0


def test_catalogue_deleted_is_rebuilt_from_records_with_history_corrections_links(archive):
    ar, ids = archive
    rid = ids[0]
    assert run_cli("set", rid, "signer_name", "Trần Thị Bình", "--archive", str(ar)).code == 0
    assert run_cli("link", rid, "--dossier", DOSSIER, "--archive", str(ar)).code == 0
    assert run_cli("link", rid, "--dossier", "H15.50.05.13-261008-0976",
                   "--archive", str(ar)).code == 0
    assert run_cli("unlink", rid, "--dossier", "H15.50.05.13-261008-0976",
                   "--archive", str(ar)).code == 0
    assert run_cli("verify", "--archive", str(ar)).code == 0
    db = sqlite3.connect(ar / "catalogue.sqlite3")
    before = {t: db.execute(f"SELECT * FROM {t} ORDER BY 1, 2").fetchall()
              for t in ("records", "events", "corrections", "dossier_links")}
    db.close()
    for p in ar.glob("catalogue.sqlite3*"):
        p.unlink()
    res = run_cli("rebuild", "--archive", str(ar))
    assert res.code == 0, res.output
    db = sqlite3.connect(ar / "catalogue.sqlite3")
    after = {t: db.execute(f"SELECT * FROM {t} ORDER BY 1, 2").fetchall() for t in before}
    db.close()
    assert after == before
    shown = _show(ar, rid)
    assert [e["action"] for e in shown["history"]] == ["ingested", "corrected", "linked",
                                                       "linked", "unlinked"]
    assert shown["dossiers"] == [DOSSIER]
    assert shown["fields"]["signer_name"]["value"] == "Trần Thị Bình"


def test_export_refuses_to_write_onto_the_catalogue_or_into_the_archive(archive):
    ar, ids = archive
    cat = ar / "catalogue.sqlite3"
    before = cat.read_bytes()
    res = run_cli("export", str(cat), "--format", "csv", "--archive", str(ar))
    assert res.code != 0 and "inside the archive" in res.output
    assert cat.read_bytes() == before
    res = run_cli("export", str(ar / "objects" / "x.jsonl"), "--archive", str(ar))
    assert res.code != 0 and not (ar / "objects" / "x.jsonl").exists()
    assert _verify(ar)[0] == 0


def test_set_refuses_a_record_that_fails_fixity(archive):
    ar, ids = archive
    a = Archive(ar, create=False)
    page = a.file(ids[0], "pages/p0001.txt")
    data = bytearray(page.read_bytes())
    data[0] ^= 1
    page.write_bytes(bytes(data))
    inventory = (a.record_dir(ids[0]) / "inventory.json").read_bytes()
    res = run_cli("set", ids[0], "signer_name", "X", "--archive", str(ar))
    assert res.code != 0 and "fixity" in res.output
    assert (a.record_dir(ids[0]) / "inventory.json").read_bytes() == inventory
    assert "altered" in _kinds(ar)  # still reported: not laundered into a new version


def test_unlink_and_record_files_are_not_world_readable(archive):
    ar, ids = archive
    assert run_cli("link", ids[1], "--dossier", DOSSIER, "--archive", str(ar)).code == 0
    res = run_cli("unlink", ids[1], "--dossier", DOSSIER, "--archive", str(ar))
    assert res.code == 0 and "unlinked" in res.output
    assert "was not linked" in run_cli("unlink", ids[1], "--dossier", DOSSIER,
                                       "--archive", str(ar)).output
    assert _show(ar, ids[1])["dossiers"] == []
    a = Archive(ar, create=False)
    for p in a.record_dir(ids[1]).rglob("*"):
        assert p.stat().st_mode & 0o007 == 0, p


def test_record_id_prefix_with_wildcards_is_not_found(archive):
    ar, ids = archive
    assert run_cli("show", "____", "--archive", str(ar)).code == 3
    assert run_cli("show", ids[0][:4] + "%", "--archive", str(ar)).code == 3


def test_reconcile_copies_a_record_the_catalogue_lost_instead_of_dropping_its_index_entry(
        archive):
    from digitize.config import from_env
    from digitize.store import Store
    ar, ids = archive
    db = sqlite3.connect(ar / "catalogue.sqlite3")
    db.execute("DELETE FROM records WHERE id=?", (ids[0],))  # a commit caught midway
    db.commit()
    db.close()
    store = Store(from_env(archive=ar))
    try:
        store.reconcile()
        assert store.catalogue.has(ids[0]) and ids[0] in store.index.record_ids()
    finally:
        store.close()


# ---- concurrency and crashes ---------------------------------------------------------------
def test_concurrent_set_set_link_on_one_record_lose_nothing(archive):
    ar, ids = archive
    rid = ids[0]
    cmds = [["set", rid, "signer_name", "Lê Văn Cường"], ["set", rid, "place", "Huế"],
            ["link", rid, "--dossier", DOSSIER], ["set", rid, "signer_title", "CHỦ TỊCH"]]
    procs = [subprocess.Popen([sys.executable, "-m", "digitize", *c, "--archive", str(ar)],
                              cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for c in cmds]
    outs = [p.communicate(timeout=120) for p in procs]
    assert [p.returncode for p in procs] == [0] * 4, outs
    meta, cat, history, links, indexed = _state(ar, rid)
    assert meta == cat
    f = meta["fields"]
    assert (f["signer_name"]["value"], f["place"]["value"], f["signer_title"]["value"]) == (
        "Lê Văn Cường", "Huế", "CHỦ TỊCH")
    assert links == [DOSSIER] and meta["dossiers"] == [DOSSIER]
    assert sorted(h["action"] for h in history).count("corrected") == 3
    assert indexed["signer_name"] == "Lê Văn Cường" and indexed["dossiers"] == [DOSSIER]
    assert Archive(ar, create=False).inventory(rid).head == "v5"
    assert _verify(ar)[0] == 0


def _crash_at(step: str, argv: list[str]) -> None:
    """In a child process: run the command, and die by SIGKILL when it reaches `step`."""
    import storage.archive as archive_mod

    def hook(name: str) -> None:
        if name == step:
            os.kill(os.getpid(), signal.SIGKILL)
    archive_mod.step_hook = hook
    run_cli(*argv)
    os._exit(0)


def _run_crashing(step: str, argv: list[str]) -> int:
    ctx = multiprocessing.get_context("fork")
    p = ctx.Process(target=_crash_at, args=(step, argv))
    p.start()
    p.join(120)
    return p.exitcode


SET_STEPS = ["staged", "version-renamed", "inventory-written", "event-appended",
             "catalogue-written", "index-written"]


@pytest.mark.parametrize("step", SET_STEPS)
def test_set_killed_at_each_step_leaves_old_or_new_and_the_next_command_finishes(archive,
                                                                                 step):
    ar, ids = archive
    rid = ids[0]
    old = _state(ar, rid)[0]["fields"].get("signer_name", {}).get("value")
    code = _run_crashing(step, ["set", rid, "signer_name", "Phạm Thị Dung", "--archive",
                                str(ar)])
    assert code == -signal.SIGKILL
    # the next command on the record finishes (after the commit point) or undoes it
    assert run_cli("link", rid, "--dossier", DOSSIER, "--archive", str(ar)).code == 0
    meta, cat, history, links, indexed = _state(ar, rid)
    value = meta["fields"]["signer_name"]["value"]
    committed = step != "staged"
    assert value == ("Phạm Thị Dung" if committed else old)
    assert cat == meta and indexed.get("signer_name") == value
    assert [h["action"] for h in history].count("corrected") == int(committed)
    assert links == [DOSSIER]
    assert not list((ar / "staging").iterdir())
    assert _verify(ar)[0] == 0, _verify(ar)[1]


@pytest.mark.parametrize("step", SET_STEPS)
def test_link_killed_at_each_step_then_repair(archive, step):
    ar, ids = archive
    rid = ids[1]
    assert _run_crashing(step, ["link", rid, "--dossier", DOSSIER, "--archive",
                                str(ar)]) == -signal.SIGKILL
    res = run_cli("repair", "--archive", str(ar))
    assert res.code == 0, res.output
    meta, cat, history, links, indexed = _state(ar, rid)
    linked = step != "staged"
    assert meta["dossiers"] == cat["dossiers"] == links == ([DOSSIER] if linked else [])
    assert indexed["dossiers"] == links
    assert _verify(ar)[0] == 0


@pytest.mark.parametrize("step", ["reindex-start", "reindex-done"])
def test_reindex_killed_never_leaves_fewer_records(archive, step):
    ar, ids = archive
    assert _run_crashing(step, ["reindex", "--archive", str(ar)]) == -signal.SIGKILL
    hits = run_cli("search", "hồ sơ", "--archive", str(ar), "--json").objects()[0]
    assert hits["total"] == 2
    assert _verify(ar)[0] == 0


@pytest.mark.parametrize("step", ["catalogue-record", "catalogue-rebuilt"])
def test_rebuild_killed_keeps_a_whole_catalogue(archive, step):
    ar, ids = archive
    assert run_cli("set", ids[0], "place", "Đà Nẵng", "--archive", str(ar)).code == 0
    assert _run_crashing(step, ["rebuild", "--archive", str(ar)]) == -signal.SIGKILL
    assert _verify(ar)[0] == 0
    assert _show(ar, ids[0])["fields"]["place"]["value"] == "Đà Nẵng"


# ---- migration of the layout before OCFL ---------------------------------------------------
OLD_SCHEMA = """
CREATE TABLE records (id TEXT PRIMARY KEY, title TEXT NOT NULL DEFAULT '', page_count INTEGER
    NOT NULL, created_at TEXT NOT NULL, updated_at TEXT NOT NULL, doc TEXT NOT NULL);
CREATE TABLE events (seq INTEGER PRIMARY KEY AUTOINCREMENT, record_id TEXT NOT NULL, at TEXT
    NOT NULL, actor TEXT NOT NULL, action TEXT NOT NULL, outcome TEXT NOT NULL, detail TEXT NOT
    NULL DEFAULT '{}');
CREATE TABLE corrections (record_id TEXT NOT NULL, field TEXT NOT NULL, value TEXT NOT NULL,
    at TEXT NOT NULL, actor TEXT NOT NULL, PRIMARY KEY (record_id, field));
CREATE TABLE dossier_links (dossier TEXT NOT NULL, record_id TEXT NOT NULL, at TEXT NOT NULL,
    PRIMARY KEY (dossier, record_id));
CREATE TABLE source_files (sha256 TEXT NOT NULL, record_id TEXT NOT NULL,
    PRIMARY KEY (sha256, record_id));
"""


def _legacy_archive(src: Path, ids: list[str], dst: Path) -> None:
    """The same records in the layout before OCFL: folders with manifest.json, and history,
    corrections and links only in the catalogue (written as the old code wrote them)."""
    from storage.files import sha256_file
    a = Archive(src, create=False)
    dst.mkdir(parents=True)
    db = sqlite3.connect(dst / "catalogue.sqlite3")
    db.executescript(OLD_SCHEMA)
    for rid in ids:
        rdir = dst / "records" / rid[:2] / rid
        files = []
        for lp, f in sorted(a.current_files(rid).items()):
            (rdir / lp).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(f, rdir / lp)
            files.append({"path": lp, "size": f.stat().st_size, "sha256": sha256_file(f)})
        (rdir / "manifest.json").write_text(json.dumps({
            "record_id": rid, "algorithm": "sha256", "created": "2026-01-01T00:00:00+0000",
            "files": files}))
        doc = a.read_metadata(rid)
        db.execute("INSERT INTO records VALUES (?,?,?,?,?,?)", (
            rid, doc.get("title", ""), doc["page_count"], "2026-01-01", "2026-01-02",
            json.dumps(doc)))
        db.execute("INSERT INTO events(record_id, at, actor, action, outcome, detail) VALUES "
                   "(?, '2026-01-01T00:00:00+0000', 'clerk', 'ingested', 'success', '{}')",
                   (rid,))
    rid = ids[0]
    db.execute("INSERT INTO events(record_id, at, actor, action, outcome, detail) VALUES (?, "
               "'2026-01-02T00:00:00+0000', 'officer', 'corrected', 'success', ?)",
               (rid, json.dumps({"field": "place", "old": None, "new": "Hà Nội"})))
    db.execute("INSERT INTO corrections VALUES (?, 'place', '\"Hà Nội\"', '2026-01-02', "
               "'officer')", (rid,))
    db.execute("INSERT INTO corrections VALUES (?, 'signer_title', '\"CHỦ TỊCH\"', "
               "'2026-01-03', 'officer')", (rid,))  # a correction with no event of its own
    db.execute("INSERT INTO events(record_id, at, actor, action, outcome, detail) VALUES (?, "
               "'2026-01-04T00:00:00+0000', 'officer', 'linked', 'success', ?)",
               (rid, json.dumps({"dossier": DOSSIER})))
    db.execute("INSERT INTO dossier_links VALUES (?, ?, '2026-01-04')", (DOSSIER, rid))
    db.execute("INSERT INTO events(record_id, at, actor, action, outcome, detail) VALUES (?, "
               "'2026-01-05T00:00:00+0000', 'officer', 'verified', 'success', '{}')", (rid,))
    db.commit()
    db.close()


def test_migrate_converts_the_old_layout_losing_nothing(stored, tmp_path):
    src, ids = stored
    ar = tmp_path / "old"
    _legacy_archive(src, ids, ar)
    refused = run_cli("search", "hồ sơ", "--archive", str(ar))
    assert refused.code != 0 and "digitize migrate" in refused.output
    res = run_cli("migrate", "--archive", str(ar), "--json")
    assert res.code == 0, res.output
    out = res.objects()[0]
    assert sorted(out["migrated"]) == ids and out["catalogued"] == 2 and out["indexed"] == 2
    assert not (ar / "records").exists() and (ar / "catalogue.legacy.sqlite3").is_file()
    shown = _show(ar, ids[0])
    assert [e["action"] for e in shown["history"]] == ["ingested", "corrected", "linked",
                                                       "corrected", "migrated"]
    assert [e["action"] for e in shown["access"]] == ["verified"]
    assert shown["dossiers"] == [DOSSIER]
    db = sqlite3.connect(ar / "catalogue.sqlite3")
    assert dict(db.execute("SELECT field, value FROM corrections WHERE record_id=?",
                           (ids[0],))) == {"place": '"Hà Nội"', "signer_title": '"CHỦ TỊCH"'}
    db.close()
    a = Archive(ar, create=False)
    for rid in ids:  # every file, byte for byte
        for lp, f in Archive(src, create=False).current_files(rid).items():
            if lp != "metadata.json":
                assert a.file(rid, lp).read_bytes() == f.read_bytes()
    assert _verify(ar)[0] == 0
    hits = run_cli("search", "--dossier", DOSSIER, "--archive", str(ar), "--json").objects()[0]
    assert [h["record_id"] for h in hits["hits"]] == [ids[0]]
