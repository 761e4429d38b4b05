"""Review, correction, dossier links and exports through the real CLI."""
from __future__ import annotations

import csv
import io
import subprocess

import pytest

from conftest import run_cli


@pytest.fixture(scope="module")
def archive(tmp_path_factory, decision_page):
    a = tmp_path_factory.mktemp("cur") / "archive"
    res = run_cli("ingest", str(decision_page), "--archive", str(a), "--json", "-j", "1")
    assert res.code == 0, res.output
    return a, res.objects()[0]["record_id"]


def test_set_field_goes_to_history_index_and_pdf(archive):
    a, rid = archive
    res = run_cli("set", rid, "number", "16/QĐ-UBND", "--archive", str(a), "--user", "officer1")
    assert res.code == 0, res.output
    doc = run_cli("show", rid, "--archive", str(a), "--json").objects()[0]
    assert doc["fields"]["number"]["value"] == "16/QĐ-UBND"
    assert doc["fields"]["number_seq"]["value"] == "16"
    ev = doc["history"][-1]
    assert ev["action"] == "corrected" and ev["actor"] == "officer1"
    assert ev["detail"]["new"] == "16/QĐ-UBND"
    hits = run_cli("search", "--number", "16/QD-UBND", "--archive", str(a), "--json").objects()
    assert [h["record_id"] for h in hits[0]["hits"]] == [rid]
    info = subprocess.run(["pdfinfo", doc["pdf"]], capture_output=True, text=True).stdout
    assert "16/QĐ-UBND" in info
    assert run_cli("verify", "--archive", str(a)).code == 0
    bad = run_cli("set", rid, "issued_date", "2025-02-30", "--archive", str(a))
    assert bad.code == 2 and "no day 30" in bad.output


def test_link_dossier_and_person_search(archive):
    a, rid = archive
    res = run_cli("link", rid, "--dossier", "H15.50.05.13-261008-0975", "--archive", str(a))
    assert res.code == 0 and "linked" in res.output
    listed = run_cli("dossier", "H15.50.05.13-261008-0975", "--archive", str(a), "--json")
    assert [r["record_id"] for r in listed.objects()[0]["records"]] == [rid]
    hits = run_cli("search", "--dossier", "H15.50.05.13-261008-0975", "--archive", str(a),
                   "--json").objects()[0]["hits"]
    assert [h["record_id"] for h in hits] == [rid]
    warn = run_cli("link", rid, "--dossier", "not-a-code", "--archive", str(a))
    assert "warning" in warn.output
    doc = run_cli("show", rid, "--archive", str(a), "--json").objects()[0]
    assert "linked" in [e["action"] for e in doc["history"]]


def test_export_csv_with_circular_05_names(archive, tmp_path):
    a, rid = archive
    out = tmp_path / "tt05.csv"
    assert run_cli("export", str(out), "--format", "csv", "--names", "tt05",
                   "--archive", str(a)).code == 0
    rows = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8-sig"))))
    assert rows[0]["Identifier"] == rid
    assert rows[0]["TypeName"] == "QUYẾT ĐỊNH"
    assert rows[0]["PageAmount"] == "1"
    assert rows[0]["Language"] == "Tiếng Việt"


def test_export_chosen_records_by_id_and_dossier(archive, tmp_path):
    a, rid = archive
    run_cli("link", rid, "--dossier", "H15.50.05.13-261008-0976", "--archive", str(a))
    out = tmp_path / "one.jsonl"
    assert run_cli("export", str(out), "--record", rid[:6], "--archive", str(a)).code == 0
    assert [l for l in out.read_text().splitlines() if l] and rid in out.read_text()
    bag = tmp_path / "bag"
    res = run_cli("export", str(bag), "--format", "bagit", "--dossier",
                  "H15.50.05.13-261008-0976", "--archive", str(a))
    assert res.code == 0 and (bag / "bagit.txt").exists()
    missing = run_cli("export", str(tmp_path / "x.jsonl"), "--record", "ffffffffffff",
                      "--archive", str(a))
    assert missing.code == 3 and "ffffffffffff" in missing.output
    empty = run_cli("export", str(tmp_path / "y.jsonl"), "--dossier", "NO-SUCH",
                    "--archive", str(a))
    assert empty.code == 3 and "NO-SUCH" in empty.output


def test_review_lists_what_to_check_and_why(tmp_path):
    from scripts.pagegen.render import DocSpec, render_page
    scan = tmp_path / "unsigned.png"
    render_page(DocSpec(signer_name=""), dpi=200).save(scan, dpi=(200, 200))  # no signer's name
    a = tmp_path / "archive"
    rid = run_cli("ingest", str(scan), "--archive", str(a), "--json",
                  "-j", "1").objects()[0]["record_id"]
    items = run_cli("review", "--archive", str(a), "--json").objects()
    assert "signer_name" in [it["field"] for it in items]
    assert all(it["record_id"] == rid and it["why"] for it in items)
    text = run_cli("review", "--archive", str(a)).output
    assert all("(why: " in line for line in text.splitlines() if line.startswith(rid))
    missing = run_cli("review", "--archive", str(tmp_path / "new"))  # a mistyped --archive
    assert missing.code == 3 and "no archive at" in missing.output
    assert not (tmp_path / "new").exists()


@pytest.mark.parametrize("evidence,why", [
    ("Số: đ@ /CT-UBND [re-read 08 vs None (not digits: 'đ@')]", "re-read 08 vs None (not digits: 'đ@')"),
    ("a / b [line read again: 'x' -> 'y z'] [low confidence: b]",
     "line read again: 'x' -> 'y z'; low confidence: b"),
    ("rần Ngọc Căng", "rần Ngọc Căng"),
])
def test_review_reason_prefers_the_notes(evidence, why):
    from digitize.curation import review_reason
    assert review_reason(evidence) == why
