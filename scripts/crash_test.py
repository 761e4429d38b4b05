"""Kill-and-resume test: SIGKILL `digitize ingest` at random points of a batch, re-run until it
finishes, then check that the archive is whole.

    python scripts/crash_test.py --kills 50            # the figure the README quotes
    python scripts/crash_test.py --kills 3 --docs 3 --json

The batch is rendered here (small pages at 100 DPI, so OCR is quick). Kills are spread over
rounds: each round starts a fresh archive, ingests the batch killing it `--kills-per-round`
times at a random moment (the whole process group, like a power cut, or only the main process,
leaving its OCR workers orphaned), then lets one run finish. After every round it checks:

    documents expected   documents in the batch
    documents stored     records in the catalogue
    missing              batch documents with no record
    duplicates           inputs found in more than one record, or records beyond the batch
    orphans              record folders without catalogue row, rows without folder, stray staging
    verify problems      everything `digitize verify` reports (checksums, manifests, PDF/A)

and prints the totals. Goal: 0 missing, 0 duplicates, 0 orphans, 0 verify problems.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from scripts.pagegen.render import DocSpec, render_page  # noqa: E402

ORPHAN_KINDS = {"orphaned", "no-folder", "stray-staging"}


@dataclass
class Totals:
    runs: int = 0
    kills: int = 0
    rounds: int = 0
    documents_expected: int = 0
    documents_stored: int = 0
    missing: int = 0
    duplicates: int = 0
    orphans: int = 0
    verify_problems: int = 0
    seconds: float = 0.0


def make_batch(folder: Path, docs: int, dpi: int = 100) -> dict[str, list[str]]:
    """Render `docs` documents (every third one has two pages). Returns document → sha256s."""
    folder.mkdir(parents=True, exist_ok=True)
    expected: dict[str, list[str]] = {}
    for i in range(docs):
        spec = DocSpec(number=f"Số: {100 + i}/QĐ-UBND",
                       subject=[f"Về việc giải quyết hồ sơ số {1000 + i}",
                                f"của công dân thứ {i + 1}"])
        pages = 2 if i % 3 == 2 else 1
        hashes = []
        for n in range(1, pages + 1):
            name = f"doc{i:03d}_p{n}.png" if pages > 1 else f"doc{i:03d}.png"
            path = folder / name
            render_page(spec, dpi=dpi).save(path, dpi=(dpi, dpi))
            hashes.append(hashlib.sha256(path.read_bytes()).hexdigest())
        expected[f"doc{i:03d}"] = hashes
    return expected


def _ingest_cmd(batch: Path, archive: Path, jobs: int) -> list[str]:
    return [sys.executable, "-m", "digitize", "ingest", str(batch), "--archive", str(archive),
            "--json", "--jobs", str(jobs)]


def run_killed(batch: Path, archive: Path, jobs: int, rng: random.Random,
               max_wait_s: float) -> bool:
    """Start an ingest and SIGKILL it after a random delay. False if it finished first."""
    proc = subprocess.Popen(_ingest_cmd(batch, archive, jobs), cwd=ROOT, start_new_session=True,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        proc.wait(timeout=rng.uniform(0.05, max_wait_s))
        return False
    except subprocess.TimeoutExpired:
        pass
    if rng.random() < 0.7:
        os.killpg(proc.pid, signal.SIGKILL)       # power cut: everything dies at once
    else:
        os.kill(proc.pid, signal.SIGKILL)         # only the main process: workers orphaned
    proc.wait()
    time.sleep(0.05)
    try:
        os.killpg(proc.pid, signal.SIGKILL)       # reap orphaned workers before the next run
    except ProcessLookupError:
        pass
    return True


def run_to_end(batch: Path, archive: Path, jobs: int) -> int:
    out = subprocess.run(_ingest_cmd(batch, archive, jobs), cwd=ROOT, capture_output=True,
                         text=True, timeout=900)
    return out.returncode


def check(archive: Path, expected: dict[str, list[str]]) -> dict[str, int]:
    """Compare the archive with the batch; run `digitize verify` on it."""
    db = sqlite3.connect(archive / "catalogue.sqlite3")
    stored = db.execute("SELECT count(*) FROM records").fetchone()[0]
    by_hash: dict[str, set[str]] = {}
    for sha, rid in db.execute("SELECT sha256, record_id FROM source_files"):
        by_hash.setdefault(sha, set()).add(rid)
    db.close()
    missing = sum(1 for hs in expected.values() if not all(h in by_hash for h in hs))
    dup_inputs = sum(1 for hs in expected.values() for h in hs if len(by_hash.get(h, ())) > 1)
    duplicates = dup_inputs + max(0, stored - len(expected))
    out = subprocess.run([sys.executable, "-m", "digitize", "verify", "--archive", str(archive),
                          "--json"], cwd=ROOT, capture_output=True, text=True, timeout=600)
    report = json.loads(out.stdout)
    problems = report["problems"]
    orphans = sum(1 for p in problems if p["kind"] in ORPHAN_KINDS)
    return {"documents_stored": stored, "missing": missing, "duplicates": duplicates,
            "orphans": orphans, "verify_problems": len(problems)}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--kills", type=int, default=50, help="SIGKILLs in all (default 50)")
    ap.add_argument("--kills-per-round", type=int, default=5)
    ap.add_argument("--docs", type=int, default=6, help="documents in the batch")
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--max-wait", type=float, default=0.0,
                    help="latest kill moment in seconds (default: a clean run's duration)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--workdir", type=Path, help="keep batch and archives here")
    ap.add_argument("--json", action="store_true", help="print the totals as one JSON object")
    args = ap.parse_args(argv)

    rng = random.Random(args.seed)
    work = args.workdir or Path(tempfile.mkdtemp(prefix="digitize-crash-"))
    batch = work / "batch"
    expected = make_batch(batch, args.docs)
    t = Totals()
    started = time.monotonic()
    max_wait = args.max_wait
    if not max_wait:  # calibrate: kills land anywhere from start-up to the last commit
        t0 = time.monotonic()
        run_to_end(batch, work / "calibrate", args.jobs)
        max_wait = time.monotonic() - t0
        t.runs += 1
    while t.kills < args.kills:
        t.rounds += 1
        archive = work / f"archive-{t.rounds:03d}"
        for _ in range(min(args.kills_per_round, args.kills - t.kills)):
            t.runs += 1
            if run_killed(batch, archive, args.jobs, rng, max_wait):
                t.kills += 1
                max_wait *= 1.05
            else:  # finished before the kill: aim earlier, so kills land inside the batch
                max_wait = max(0.5, max_wait * 0.8)
        run_to_end(batch, archive, args.jobs)
        t.runs += 1
        found = check(archive, expected)
        t.documents_expected += len(expected)
        for k, v in found.items():
            setattr(t, k, getattr(t, k) + v)
        if not args.json:
            print(f"round {t.rounds}: kills so far {t.kills}, {found}", file=sys.stderr)
    t.seconds = round(time.monotonic() - started, 1)
    if args.json:
        print(json.dumps(asdict(t)))
    else:
        for k, v in asdict(t).items():
            print(f"{k.replace('_', ' '):<20} {v}")
    ok = t.missing == t.duplicates == t.orphans == t.verify_problems == 0
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
