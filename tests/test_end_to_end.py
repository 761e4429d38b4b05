"""Scans in, PDF/A out, found again by search: the whole road through the real CLI."""
from __future__ import annotations

import subprocess
import unicodedata

from storage.archive import Archive
from conftest import preflight_1b, run_cli


def _pdftotext(pdf) -> str:
    return subprocess.run(["pdftotext", "-enc", "UTF-8", str(pdf), "-"], capture_output=True,
                          text=True, check=True).stdout


def test_ingest_pdfa1b_text_layer_and_search(tmp_path, decision_page):
    archive = tmp_path / "archive"
    res = run_cli("ingest", str(decision_page), "--archive", str(archive), "--pdfa", "1b",
                  "--json", "--jobs", "1")
    assert res.code == 0, res.output
    [out] = res.objects()
    assert out["status"] == "stored" and out["pages"] == 1
    pdf = out["pdf"]

    ok, report = preflight_1b(pdf)
    assert ok, report

    text = unicodedata.normalize("NFC", _pdftotext(pdf))
    for word in ("QUYẾT", "ĐỊNH", "Nguyễn", "Văn", "quyền", "đất", "Điều", "038085001234"):
        assert word in text, f"{word!r} missing from the PDF text layer"
    stored = Archive(archive, create=False).file(out["record_id"], "pages/p0001.txt").read_text()
    # same words, diacritics intact (pdftotext may order the two header columns differently)
    assert sorted(unicodedata.normalize("NFC", stored).split()) == sorted(text.split())

    res = run_cli("search", "nguyen van an", "--archive", str(archive), "--json")
    hits = res.objects()[0]["hits"]
    assert hits and hits[0]["record_id"] == out["record_id"]
    assert 1 in hits[0]["pages"]

    res = run_cli("search", "quyen su dung dat", "--archive", str(archive), "--json")
    assert res.objects()[0]["hits"][0]["record_id"] == out["record_id"]


def test_reingest_is_a_duplicate_and_show_export(tmp_path, decision_page):
    archive = tmp_path / "archive"
    first = run_cli("ingest", str(decision_page), "--archive", str(archive), "--json", "-j", "1")
    rid = first.objects()[0]["record_id"]
    again = run_cli("ingest", str(decision_page), "--archive", str(archive), "--json", "-j", "1")
    assert again.code == 0
    assert again.objects()[0]["status"] == "duplicate"
    assert again.objects()[0]["record_id"] == rid

    shown = run_cli("show", rid[:8], "--archive", str(archive), "--json").objects()[0]
    assert shown["id"] == rid and shown["page_count"] == 1
    fields = {k: v["value"] for k, v in shown["fields"].items()}
    assert fields["number"] == "15/QĐ-UBND" and fields["issued_date"] == "2025-02-05"
    assert fields["doc_type"] == "QUYẾT ĐỊNH" and fields["signer_name"] == "Trần Thị Bình"
    assert [e["action"] for e in shown["history"]] == ["ingested"]
    original = shown["source_files"][0]
    assert original["sha256"]

    out = tmp_path / "export.jsonl"
    assert run_cli("export", str(out), "--archive", str(archive)).code == 0
    import json
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert len(rows) == 1 and rows[0]["id"] == rid and "Nguyễn Văn An" in rows[0]["text"]


def test_blank_back_of_sheet_is_reported_and_kept(tmp_path):
    from scripts.pagegen.render import bleed_through_page, render_page
    scans = tmp_path / "box1"
    scans.mkdir()
    render_page(dpi=150).save(scans / "letter_p1.png", dpi=(150, 150))
    bleed_through_page(dpi=150).save(scans / "letter_p2.png", dpi=(150, 150))
    res = run_cli("ingest", str(scans), "--archive", str(tmp_path / "a"), "--json", "-j", "2")
    assert res.code == 0, res.output
    [out] = res.objects()
    assert out["pages"] == 2 and out["blank_pages"] == [2]
    info = subprocess.run(["pdfinfo", out["pdf"]], capture_output=True, text=True).stdout
    assert "Pages:           2" in info
