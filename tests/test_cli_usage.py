"""What the CLI says to an officer who types something it cannot use (issue 20): dates as they
are written in Vietnam, a mistyped --archive, a short record id, a page past the end, an empty
folder, a model that is not installed, dossier codes. Exit codes as the README lists them."""
from __future__ import annotations

from types import SimpleNamespace

import pytest

from conftest import run_cli
from digitize import service, validate
from digitize.errors import BadUsage, NotFound
from scripts.pagegen.render import DocSpec, render_page


@pytest.fixture(scope="module")
def archive(tmp_path_factory):
    """Two one-page decisions, issued in 2019 and in 2025."""
    d = tmp_path_factory.mktemp("usage")
    (d / "scans").mkdir()
    for n, day in enumerate(("ngày 12 tháng 3 năm 2019", "ngày 05 tháng 02 năm 2025")):
        spec = DocSpec(number=f"Số: {17 + n}/QĐ-UBND", place_date=f"Quảng Ngãi, {day}",
                       subject=[f"Về việc giải quyết hồ sơ số {40 + n}"])
        render_page(spec, dpi=150).save(d / "scans" / f"doc{n}.png", dpi=(150, 150))
    a = d / "archive"
    res = run_cli("ingest", str(d / "scans"), "--archive", str(a), "--json", "-j", "1")
    assert res.code == 0, res.output
    assert [o["status"] for o in res.objects()] == ["stored", "stored"]
    return a


def found(archive, *args) -> set[str]:
    res = run_cli("search", *args, "--archive", str(archive), "--json")
    assert res.code == 0, res.output
    return {h["fields"]["issued_date"] for h in res.objects()[0]["hits"]}


@pytest.mark.parametrize("args, dates", [
    (("--to", "31/12/2020"), {"2019-03-12"}),
    (("--to", "2020"), {"2019-03-12"}),
    (("--from", "2025"), {"2025-02-05"}),
    (("--from", "1/2/2025"), {"2025-02-05"}),
    (("--from", "2025-02-06"), set()),
    (("--from", "03/2019", "--to", "12/3/2019"), {"2019-03-12"}),
    (("--from", "2019-03-13", "--to", "5.2.2025"), {"2025-02-05"}),
])
def test_search_dates_as_officers_type_them(archive, args, dates):
    assert found(archive, *args) == dates


@pytest.mark.parametrize("args, option", [
    (("--from", "2025-13-01"), "--from"), (("--to", "31/02/2024"), "--to"),
    (("--to", "tomorrow"), "--to"), (("--from", "2025", "--to", "2019"), "--from")])
def test_search_refuses_dates_that_do_not_exist(archive, args, option):
    res = run_cli("search", *args, "--archive", str(archive))
    assert res.code == 2 and option in res.output, res.output


@pytest.mark.parametrize("argv", [
    ["search", "x"], ["show", "abcd"], ["review"], ["dossier", "000.00.15.H55-250207-0001"],
    ["export", "-"], ["verify"], ["set", "abcd", "number", "1/QĐ"], ["reindex"],
    ["link", "abcd", "--dossier", "000.00.15.H55-250207-0001"]])
def test_a_mistyped_archive_is_not_created(tmp_path, argv):
    typo = tmp_path / "archvie"
    res = run_cli(*argv, "--archive", str(typo))
    assert res.code == 3 and f"no archive at {typo}" in res.output, res.output
    assert not typo.exists()


def test_offset_past_the_end_says_how_many(archive):
    res = run_cli("search", "--offset", "100", "--archive", str(archive))
    assert res.code == 0 and "2 record(s) match; --offset 100 is past the last one" in res.output


def test_ingesting_an_empty_folder_says_so(tmp_path):
    (tmp_path / "empty").mkdir()
    res = run_cli("ingest", str(tmp_path / "empty"), "--archive", str(tmp_path / "a"))
    assert res.code == 3 and "nothing to ingest in" in res.output, res.output
    assert not (tmp_path / "a").exists()


def test_a_model_that_is_not_installed_is_named_before_any_worker_starts(tmp_path, monkeypatch):
    import digitize.pipeline
    monkeypatch.setattr(digitize.pipeline, "start_forkserver", lambda: pytest.fail("started"))
    scan = tmp_path / "in" / "p.png"
    scan.parent.mkdir()
    render_page(DocSpec(), dpi=72).save(scan)
    res = run_cli("ingest", str(scan), "--lang", "xyz", "--archive", str(tmp_path / "a"))
    assert res.code == 2 and "'xyz' is not installed" in res.output and "vie" in res.output
    assert "Traceback" not in res.output and not (tmp_path / "a").exists()


def test_watch_says_it_started(tmp_path):
    (tmp_path / "in").mkdir()
    res = run_cli("watch", str(tmp_path / "in"), "--once", "--settle", "0",
                  "--archive", str(tmp_path / "a"))
    assert res.code == 0 and "looking once at" in res.output, res.output


def test_dossier_codes(archive):
    rid = run_cli("search", "--archive", str(archive), "--json").objects()[0]["hits"][0]["record_id"]
    for empty in ("", "   "):
        res = run_cli("link", rid, "--dossier", empty, "--archive", str(archive))
        assert res.code == 2 and "cannot be empty" in res.output, res.output
    res = run_cli("link", rid, "--dossier", " 000.00.15.H55-250207-0001 ", "--archive", str(archive))
    assert res.code == 0 and "warning" not in res.output, res.output
    listed = run_cli("dossier", "000.00.15.H55-250207-0001", "--archive", str(archive), "--json")
    assert [r["record_id"] for r in listed.objects()[0]["records"]] == [rid]
    res = run_cli("link", rid, "--dossier", "HS-2025/17", "--archive", str(archive))
    assert res.code == 0 and "warning" in res.output and "000.00.15.H55" in res.output
    res = run_cli("dossier", "000.00.15.H55-250207-0002", "--archive", str(archive))
    assert res.code == 3 and "holds no record" in res.output
    res = run_cli("dossier", "", "--archive", str(archive))
    assert res.code == 2


def test_set_usage_errors_exit_2_and_dates_as_typed(archive):
    rid = run_cli("search", "--archive", str(archive), "--json").objects()[0]["hits"][0]["record_id"]
    assert run_cli("set", rid, "colour", "red", "--archive", str(archive)).code == 2
    assert run_cli("set", rid, "issued_date", "2025", "--archive", str(archive)).code == 2
    assert run_cli("set", rid, "persons", "{not json", "--archive", str(archive)).code == 2
    assert run_cli("set", "ffffffffffff", "number", "1/QĐ", "--archive", str(archive)).code == 3
    res = run_cli("set", rid, "issued_date", "5/2/2025", "--archive", str(archive))
    assert res.code == 0 and '"2025-02-05"' in res.output, res.output


def _store(ids: list[str]):
    cat = SimpleNamespace(has=lambda r: r in ids, ids=lambda: ids,
                          find_prefix=lambda p: [i for i in ids if i.startswith(p)][:3],
                          get=lambda r: {"title": f"QUYẾT ĐỊNH {r[:3]}"})
    return SimpleNamespace(catalogue=cat, archive=SimpleNamespace(root="A"))


def test_a_short_id_shared_by_several_records_lists_them():
    ids = ["5a" + "0" * 14, "5b" + "1" * 14, "5c" + "2" * 14, "77" + "3" * 14]
    with pytest.raises(BadUsage) as e:
        service._resolve(_store(ids), "5")
    assert e.value.exit_code == 2 and "3 records start with '5'" in str(e.value)
    assert all(i in str(e.value) for i in ids[:3]) and ids[3] not in str(e.value)
    assert service._resolve(_store(ids), "7") == ids[3]
    with pytest.raises(NotFound):
        service._resolve(_store(ids), "9")
    wild = _store(ids)
    wild.catalogue.find_prefix = lambda p: ids[:2]  # what SQL LIKE '5_%' finds
    with pytest.raises(NotFound):
        service._resolve(wild, "5_")


@pytest.mark.parametrize("code, ok", [
    ("000.00.15.H55-250207-0001", True), ("000.00.00.G12-231130-0123", True),
    ("H15.50.05.13-261008-0975", False), ("000.00.15.H55-251307-0001", False),
    ("000.00.15.H55-250207-01", False)])
def test_dossier_code_format_of_the_national_portal(code, ok):
    clean, problem = validate.dossier_code(code)
    assert clean == code and (problem is None) == ok


def test_date_bounds():
    assert validate.date_bound("2024", end=True) == "2024-12-31"
    assert validate.date_bound("2/2024", end=True) == "2024-02-29"
    assert validate.date_bound(" 9/3/2019 ") == "2019-03-09"
    for bad in ("2025-13-01", "31/4/2024", "0/1/2024", "2024-00", "20240101", "1/1/24"):
        with pytest.raises(ValueError):
            validate.date_bound(bad)


def test_show_tells_what_a_correction_changed_and_keeps_reads_apart(archive, tmp_path):
    rid = run_cli("search", "--archive", str(archive), "--json").objects()[0]["hits"][0]["record_id"]
    old = run_cli("show", rid, "--archive", str(archive), "--json").objects()[0]
    was = old["fields"]["subject"]["value"]
    assert run_cli("set", rid, "subject", "Về việc cấp phép", "--user", "officer7",
                   "--archive", str(archive)).code == 0
    assert run_cli("export", str(tmp_path / "x.jsonl"), "--archive", str(archive)).code == 0
    assert run_cli("verify", "--archive", str(archive)).code == 0
    text = run_cli("show", rid, "--archive", str(archive)).output
    history = text.split("\nhistory:\n")[1].split("\nexports and fixity checks:\n")
    assert len(history) == 2, text
    changed = [line for line in history[0].splitlines() if "corrected subject" in line]
    assert len(changed) == 1 and "officer7" in changed[0], text
    assert f'"{was}" → "Về việc cấp phép"' in changed[0]
    assert "exported" not in history[0] and "verified" not in history[0]
    assert "exported 1 time(s)" in history[1] and "verified 1 time(s)" in history[1]
    doc = run_cli("show", rid, "--archive", str(archive), "--json").objects()[0]
    assert {e["action"] for e in doc["access"]} == {"exported", "verified"}
    assert doc["history"][-1]["detail"]["new"] == "Về việc cấp phép"
