"""Batches that survive: kill-and-resume, two ingests at once, a full disk, manifests, reports,
exact and probable duplicates."""
from __future__ import annotations

import csv
import json
import subprocess
import sys
from pathlib import Path


from archive_helpers import small_doc
from conftest import run_cli
from digitize.fields.model import Field
from storage.files import StorageFull

ROOT = Path(__file__).resolve().parent.parent


def _verify_ok(ar: Path) -> dict:
    res = run_cli("verify", "--archive", str(ar), "--json")
    report = res.objects()[0]
    assert res.code == 0 and report["ok"], report
    return report


def test_sigkill_at_random_points_then_resume(tmp_path):
    """A few kills here (ingest and set); `scripts/crash_test.py --kills 100` is the full
    measurement over ingest, set, link and reindex."""
    out = subprocess.run([sys.executable, "scripts/crash_test.py", "--kills", "3", "--docs", "2",
                          "--mix", "ingest=2,set=1", "--max-wait", "4", "--jobs", "2",
                          "--workdir", str(tmp_path), "--json", "--seed", "7"],
                         cwd=ROOT, capture_output=True, text=True, timeout=400)
    totals = json.loads(out.stdout.strip().splitlines()[-1])
    assert out.returncode == 0, (totals, out.stderr[-2000:])
    assert totals["kills"] == 3 and totals["documents_stored"] == totals["documents_expected"]
    assert totals["missing"] == totals["duplicates"] == totals["orphans"] == 0
    assert totals["updates_lost"] == totals["inconsistencies"] == totals["verify_problems"] == 0
    assert totals["search_failures"] == 0 and totals["searches"] > 0
    assert totals["rebuild_events"][0] == totals["rebuild_events"][1] > 0


def test_two_ingests_at_once_finish_consistently(tmp_path):
    batch = tmp_path / "batch"
    for n in range(3):
        small_doc(batch / f"d{n}.png", n)
    ar = tmp_path / "ar"
    cmd = [sys.executable, "-m", "digitize", "ingest", str(batch), "--archive", str(ar),
           "--json", "-j", "1"]
    procs = [subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True) for _ in range(2)]
    outs = [p.communicate(timeout=180) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], [o[1][-1000:] for o in outs]
    results = [json.loads(line) for o in outs for line in o[0].splitlines()]
    stored = [r for r in results if r["status"] == "stored"]
    assert sorted(r["name"] for r in stored) == ["d0.png", "d1.png", "d2.png"]
    assert all(r["status"] in ("stored", "duplicate") for r in results)
    assert _verify_ok(ar)["records_checked"] == 3


def test_full_disk_stops_cleanly_and_rerun_completes(tmp_path, monkeypatch):
    batch = tmp_path / "batch"
    for n in range(3):
        small_doc(batch / f"d{n}.png", n)
    ar = tmp_path / "ar"
    import digitize.record as record
    real = record.copy_durable
    calls = []

    def fills_up(src, dst):
        calls.append(src)
        if len(calls) >= 2:
            raise StorageFull(28, f"disk full while writing {dst}")
        return real(src, dst)
    monkeypatch.setattr(record, "copy_durable", fills_up)
    res = run_cli("ingest", str(batch), "--archive", str(ar), "--json", "-j", "1")
    assert res.code == 4
    assert "disk full" in res.output and "run the same command again" in res.output
    assert not any((ar / "staging").iterdir())
    _verify_ok(ar)
    monkeypatch.setattr(record, "copy_durable", real)
    res = run_cli("ingest", str(batch), "--archive", str(ar), "--json", "-j", "1")
    assert res.code == 0
    assert sorted(o["status"] for o in res.objects()) == ["duplicate", "stored", "stored"]
    assert _verify_ok(ar)["records_checked"] == 3


def test_manifest_batch_with_bad_rows_and_report(tmp_path):
    batch = tmp_path / "batch"
    small_doc(batch / "scans" / "qd_a.png", 1)
    small_doc(batch / "scans" / "qd_b.png", 2)
    small_doc(batch / "scans" / "tb.png", 3)
    small_doc(tmp_path / "outside.png", 4)
    manifest = batch / "manifest.csv"
    with open(manifest, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["file", "document", "page", "fonds", "box", "dossier", "retention", "notes"])
        w.writerow(["scans/qd_b.png", "QD-1", "2", "UBND-QN", "12", "HS-001", "vĩnh viễn", ""])
        w.writerow(["scans/qd_a.png", "QD-1", "1", "UBND-QN", "12", "HS-001", "vĩnh viễn", ""])
        w.writerow(["scans/tb.png", "TB-2", "", "UBND-QN", "13", "HS-002", "10 năm", "ố vàng"])
        w.writerow(["scans/missing.png", "X-3", "", "UBND-QN", "13", "", "", ""])
        w.writerow(["../outside.png", "X-4", "", "UBND-QN", "13", "", "", ""])
    ar, report = tmp_path / "ar", tmp_path / "report.csv"
    res = run_cli("ingest", "--manifest", str(manifest), "--archive", str(ar), "--json",
                  "--report", str(report), "-j", "2")
    assert res.code == 1
    outs = {o["name"]: o for o in res.objects()}
    assert outs["QD-1"]["status"] == "stored" and outs["QD-1"]["pages"] == 2
    assert outs["TB-2"]["status"] == "stored"
    assert "no such file" in outs["X-3"]["error"] and "row 5" in outs["X-3"]["error"]
    assert "outside the batch" in outs["X-4"]["error"]
    shown = run_cli("show", outs["QD-1"]["record_id"], "--archive", str(ar), "--json")
    doc = shown.objects()[0]
    assert doc["archive_metadata"] == {"fonds": "UBND-QN", "box": "12", "dossier": "HS-001",
                                       "retention": "vĩnh viễn"}
    assert [f["name"].split("-", 1)[1] for f in doc["source_files"]] == ["qd_a.png", "qd_b.png"]
    rows = list(csv.DictReader(open(report, encoding="utf-8")))
    assert len(rows) == 5
    by_input = {r["input"]: r for r in rows}
    assert by_input["scans/missing.png"]["status"] == "failed"
    assert by_input["scans/missing.png"]["error"]
    assert sum(r["status"] == "stored" for r in rows) == 3
    hits = run_cli("search", "", "--archive", str(ar), "--json").objects()[0]["hits"]
    assert any(h["fields"].get("fonds") == "UBND-QN" for h in hits)
    exported = tmp_path / "e.csv"
    run_cli("export", str(exported), "--format", "csv", "--archive", str(ar))
    assert "UBND-QN" in exported.read_text(encoding="utf-8")
    # the same batch again: nothing new, everything reported as already done
    res = run_cli("ingest", "--manifest", str(manifest), "--archive", str(ar), "--json")
    assert {o["name"]: o["status"] for o in res.objects()}["QD-1"] == "duplicate"


def test_rescan_is_flagged_and_linked_as_probable_duplicate(tmp_path, monkeypatch):
    import digitize.pipeline as pipeline

    def fields(pages, reread=None, reread_text=None):
        return {"number": Field("number", "15/QĐ-UBND", 0.9),
                "issued_date": Field("issued_date", "2025-02-05", 0.9)}
    monkeypatch.setattr(pipeline, "extract_fields", fields)
    first, rescan = tmp_path / "a" / "first.png", tmp_path / "b" / "rescan.png"
    small_doc(first, 7, dpi=100)
    small_doc(rescan, 7, dpi=110)
    ar = tmp_path / "ar"
    one = run_cli("ingest", str(first), "--archive", str(ar), "--json", "-j", "1").objects()[0]
    two = run_cli("ingest", str(rescan), "--archive", str(ar), "--json", "-j", "1").objects()[0]
    assert two["status"] == "stored" and two["duplicate_of"] == one["record_id"]
    again = run_cli("ingest", str(first), "--archive", str(ar), "--json", "-j", "1").objects()[0]
    assert again["status"] == "duplicate" and again["record_id"] == one["record_id"]
    for rid, key in ((one["record_id"], "probable_duplicate"),
                     (two["record_id"], "probable_duplicate_of")):
        history = run_cli("show", rid, "--archive", str(ar), "--json").objects()[0]["history"]
        linked = [e for e in history if e["action"] == "linked"]
        assert linked and key in linked[0]["detail"]
    shown = run_cli("show", two["record_id"], "--archive", str(ar), "--json").objects()[0]
    assert shown["probable_duplicate_of"]["record_id"] == one["record_id"]


def _children(pid: int) -> list[int]:
    """The processes whose parent is `pid` (from /proc)."""
    out = []
    for d in Path("/proc").iterdir():
        if d.name.isdigit():
            try:
                if int((d / "stat").read_text().rsplit(")", 1)[1].split()[1]) == pid:
                    out.append(int(d.name))
            except (OSError, IndexError, ValueError):
                continue
    return out


def test_killed_ocr_worker_fails_one_document_and_the_batch_goes_on(tmp_path):
    """The kernel's OOM killer or a crash in Tesseract takes a worker down mid-batch: the page it
    held fails its document with a one-line error, every other document is stored, and a rerun
    stores the rest."""
    import os
    import signal
    import time
    batch = tmp_path / "batch"
    for n in range(6):
        small_doc(batch / f"d{n}.png", n, dpi=150)
    ar = tmp_path / "ar"
    cmd = [sys.executable, "-m", "digitize", "ingest", str(batch), "--archive", str(ar),
           "--json", "-j", "2"]
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)
    killed = None
    deadline = time.monotonic() + 60
    while killed is None and time.monotonic() < deadline and proc.poll() is None:
        # the OCR pool's workers are forked by the forkserver, the ingest's own child
        workers = [w for c in _children(proc.pid) for w in _children(c)]
        if workers:
            time.sleep(0.5)
            try:
                os.kill(workers[-1], signal.SIGKILL)
                killed = workers[-1]
            except ProcessLookupError:
                pass
        time.sleep(0.05)
    out, err = proc.communicate(timeout=240)
    assert killed is not None, "no worker to kill"
    assert "Traceback" not in err, err[-600:]
    results = [json.loads(line) for line in out.splitlines()]
    assert sorted(r["name"] for r in results) == [f"d{n}.png" for n in range(6)]
    failed = [r for r in results if r["status"] == "failed"]
    assert all("crashed" in r["error"] and "\n" not in r["error"] for r in failed), failed
    assert proc.returncode == (1 if failed else 0)
    rerun = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=240)
    assert rerun.returncode == 0, rerun.stderr[-2000:]
    assert _verify_ok(ar)["records_checked"] == 6
