"""Kill-and-resume test: SIGKILL `digitize` at random moments of ingest, set, link and reindex,
with searches running alongside, let the next command finish or undo what was cut, then check
that nothing was lost and every layer agrees.

    python scripts/crash_test.py --kills 100           # the figure for issue 19
    python scripts/crash_test.py --kills 3 --docs 2 --mix ingest=2,set=1 --json

The batch is rendered here (small pages at 100 DPI, so OCR is quick). Kills are spread over
rounds by `--mix` (kills per round of each command). Each round starts a fresh archive and:

  ingest   runs the batch, killed at random moments (the whole process group, like a power cut,
           or only the main process, leaving its OCR workers orphaned), then to the end;
  set/link corrects fields and links dossiers (each change a new value), some runs killed at a
           random moment and then run again as a person would, plus three changes of one record
           at once (set, set, link); every change that reported success must be there;
  reindex  rebuilds the index, killed midway: the index must never hold fewer records;
  searches run all along (from the end of the ingest): each must answer with every record;
  checks   `digitize verify` on every layer; then the catalogue is deleted outright and
           `digitize rebuild` must restore every history event, correction and link.

Totals: records lost, updates lost, index shrank, search failures, inconsistencies left
(catalogue/index/staging findings), verify findings, and the share of events, corrections and
links `rebuild` restored. Goal: 0 of each, 100% restored.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import signal
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
import threading
from dataclasses import asdict, dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from scripts.pagegen.render import DocSpec, render_page  # noqa: E402

ORPHAN_KINDS = {"not-catalogued", "no-folder", "stray-staging", "pending-change"}
LAYER_KINDS = ORPHAN_KINDS | {"catalogue-differs", "not-indexed", "index-extra", "index-stale",
                              "no-index", "no-catalogue"}
SET_FIELDS = ("signer_name", "place", "signer_title")
QUERY = "hồ sơ"  # in every document of the batch


@dataclass
class Totals:
    runs: int = 0
    kills: int = 0
    kills_by_command: dict = field(default_factory=dict)
    rounds: int = 0
    documents_expected: int = 0
    documents_stored: int = 0
    missing: int = 0              # records lost
    duplicates: int = 0
    orphans: int = 0
    updates_done: int = 0         # set/link runs that reported success
    updates_lost: int = 0         # ... whose change is not in the record, catalogue or index
    index_shrank: int = 0         # a killed reindex left fewer records in the index
    searches: int = 0
    search_failures: int = 0      # a search that failed or found fewer than every record
    inconsistencies: int = 0      # catalogue/index/staging findings of verify
    verify_problems: int = 0      # every finding of verify
    rebuild_events: list = field(default_factory=lambda: [0, 0])       # restored, expected
    rebuild_corrections: list = field(default_factory=lambda: [0, 0])
    rebuild_links: list = field(default_factory=lambda: [0, 0])
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


def _cmd(*args: str) -> list[str]:
    return [sys.executable, "-m", "digitize", *args]


def _ingest_cmd(batch: Path, archive: Path, jobs: int) -> list[str]:
    return _cmd("ingest", str(batch), "--archive", str(archive), "--json", "--jobs", str(jobs))


def run_killed_cmd(cmd: list[str], rng: random.Random, max_wait_s: float,
                   main_only: float = 0.3, rc: list[int] | None = None) -> bool:
    """Start a command and SIGKILL it after a random delay. False if it finished first (its
    exit status then goes into `rc`)."""
    proc = subprocess.Popen(cmd, cwd=ROOT, start_new_session=True,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        code = proc.wait(timeout=rng.uniform(0.05, max_wait_s))
        if rc is not None:
            rc.append(code)
        return False
    except subprocess.TimeoutExpired:
        pass
    if rng.random() >= main_only:
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


def run_killed(batch: Path, archive: Path, jobs: int, rng: random.Random,
               max_wait_s: float) -> bool:
    """Start an ingest and SIGKILL it after a random delay. False if it finished first."""
    return run_killed_cmd(_ingest_cmd(batch, archive, jobs), rng, max_wait_s)


def run_to_end(batch: Path, archive: Path, jobs: int) -> int:
    out = subprocess.run(_ingest_cmd(batch, archive, jobs), cwd=ROOT, capture_output=True,
                         text=True, timeout=900)
    return out.returncode


def _run(*args: str, timeout: float = 600) -> subprocess.CompletedProcess:
    return subprocess.run(_cmd(*args), cwd=ROOT, capture_output=True, text=True,
                          timeout=timeout)


def check_records(archive: Path, expected: dict[str, list[str]]) -> dict[str, int]:
    """Records stored, lost and duplicated, against the batch."""
    db = sqlite3.connect(archive / "catalogue.sqlite3")
    stored = db.execute("SELECT count(*) FROM records").fetchone()[0]
    by_hash: dict[str, set[str]] = {}
    for sha, rid in db.execute("SELECT json_extract(f.value, '$.sha256'), r.id FROM records r, "
                               "json_each(r.doc, '$.source_files') f"):
        by_hash.setdefault(sha, set()).add(rid)
    db.close()
    missing = sum(1 for hs in expected.values() if not all(h in by_hash for h in hs))
    dup_inputs = sum(1 for hs in expected.values() for h in hs if len(by_hash.get(h, ())) > 1)
    return {"documents_stored": stored, "missing": missing,
            "duplicates": dup_inputs + max(0, stored - len(expected))}


def check_layers(archive: Path) -> dict[str, int]:
    """`digitize verify` on every layer."""
    out = _run("verify", "--archive", str(archive), "--json")
    problems = json.loads(out.stdout)["problems"]
    return {"orphans": sum(p["kind"] in ORPHAN_KINDS for p in problems),
            "inconsistencies": sum(p["kind"] in LAYER_KINDS for p in problems),
            "verify_problems": len(problems)}


class Searcher(threading.Thread):
    """Searches all along; each must answer with every record."""

    def __init__(self, archive: Path, records: int):
        super().__init__(daemon=True)
        self.archive, self.records = archive, records
        self.stop = threading.Event()
        self.runs = self.failures = 0
        self.why: list[str] = []

    def run(self) -> None:
        while not self.stop.is_set():
            out = _run("search", QUERY, "--archive", str(self.archive), "--json", timeout=120)
            self.runs += 1
            try:
                total = json.loads(out.stdout.splitlines()[-1])["total"]
            except (ValueError, IndexError, KeyError):
                total = -1
            if out.returncode != 0 or total < self.records:
                self.failures += 1
                self.why.append(f"rc={out.returncode} total={total} {out.stderr[-200:]}")
            self.stop.wait(0.3)


def curate(archive: Path, ids: list[str], kills: dict[str, int], rng: random.Random,
           t: Totals, serial: list[int], op_time: float) -> list[tuple]:
    """set and link runs, some killed at a random moment and then run again; then three
    changes of one record at once. Returns the changes that reported success."""
    done: list[tuple] = []
    plan = [("set", k < kills.get("set", 0)) for k in range(max(2, kills.get("set", 0) + 1))]
    plan += [("link", k < kills.get("link", 0)) for k in range(max(1, kills.get("link", 0) + 1))]
    rng.shuffle(plan)
    for command, kill in plan:
        serial[0] += 1
        rid = rng.choice(ids)
        if command == "set":
            change = ("set", rid, rng.choice(SET_FIELDS), f"Giá trị {serial[0]} Đặng")
            args = ["set", rid, change[2], change[3], "--archive", str(archive)]
        else:
            change = ("link", rid, f"H15.50.05.13-261008-{serial[0]:04d}")
            args = ["link", rid, "--dossier", change[2], "--archive", str(archive)]
        wait = op_time
        for _attempt in range(10):  # killed ones are run again, as a person would
            t.runs += 1
            if kill:
                rc: list[int] = []
                if run_killed_cmd(_cmd(*args), rng, wait, main_only=0.0, rc=rc):
                    t.kills += 1
                    t.kills_by_command[command] = t.kills_by_command.get(command, 0) + 1
                    kill = False
                    continue
                wait *= 0.7  # it finished first: aim earlier next time
                if rc == [0]:
                    done.append(change)
                    if command == "link":  # linked already: a new code, so the kill lands
                        serial[0] += 1
                        change = (*change[:2], f"H15.50.05.13-261008-{serial[0]:04d}")
                        args[3] = change[2]
                    else:
                        change = (*change[:3], change[3] + "+")
                        args[3] = change[3]
                continue
            out = _run(*args)
            if out.returncode == 0:
                done.append(change)
                break
    rid = rng.choice(ids)  # three changes of one record at once
    serial[0] += 1
    changes = [("set", rid, "signer_name", f"Cùng lúc {serial[0]} A"),
               ("set", rid, "place", f"Cùng lúc {serial[0]} B"),
               ("link", rid, f"H15.50.05.13-261008-{serial[0]:04d}")]
    procs = []
    for c in changes:
        args = (["set", rid, c[2], c[3]] if c[0] == "set" else ["link", rid, "--dossier", c[2]])
        procs.append(subprocess.Popen(_cmd(*args, "--archive", str(archive)), cwd=ROOT,
                                      stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
    for c, p in zip(changes, procs):
        t.runs += 1
        if p.wait(timeout=300) == 0:
            done.append(c)
    return done


def updates_lost(archive: Path, done: list[tuple]) -> int:
    """Changes that reported success but are not in the record, its history, the catalogue
    or the index (a field's last successful value must be the one there)."""
    sys.path.insert(0, str(ROOT))
    from storage.archive import Archive
    a = Archive(archive, create=False)
    db = sqlite3.connect(archive / "catalogue.sqlite3")
    idx = sqlite3.connect(archive / "index" / "search.sqlite3")
    last: dict[tuple[str, str], str] = {}
    for c in done:
        if c[0] == "set":
            last[(c[1], c[2])] = c[3]
    lost = 0
    for c in done:
        rid = c[1]
        meta = a.read_metadata(rid)
        cat = json.loads(db.execute("SELECT doc FROM records WHERE id=?", (rid,)).fetchone()[0])
        fields = json.loads(idx.execute("SELECT fields FROM records WHERE record_id=?",
                                        (rid,)).fetchone()[0])
        events = [(act, json.loads(d)) for act, d in db.execute(
            "SELECT action, detail FROM events WHERE record_id=?", (rid,))]
        if c[0] == "set":
            logged = any(act == "corrected" and d.get("field") == c[2] and d.get("new") == c[3]
                         for act, d in events)
            value = last[(rid, c[2])]
            ok = (logged and meta["fields"][c[2]]["value"] == value ==
                  cat["fields"][c[2]]["value"] == fields.get(c[2]))
        else:
            links = {r[0] for r in db.execute(
                "SELECT dossier FROM dossier_links WHERE record_id=?", (rid,))}
            ok = (c[2] in meta["dossiers"] and c[2] in cat["dossiers"] and c[2] in links
                  and c[2] in fields.get("dossiers", []))
        lost += not ok
    db.close()
    idx.close()
    return lost


def reindex_killed(archive: Path, kills: int, rng: random.Random, t: Totals,
                   records: int, op_time: float) -> None:
    landed, wait = 0, op_time
    for _attempt in range(kills * 6):
        if landed == kills:
            break
        t.runs += 1
        if run_killed_cmd(_cmd("reindex", "--archive", str(archive)), rng, wait, 0.0):
            landed += 1
            t.kills += 1
            t.kills_by_command["reindex"] = t.kills_by_command.get("reindex", 0) + 1
        else:
            wait *= 0.8
        idx = sqlite3.connect(archive / "index" / "search.sqlite3")
        n = idx.execute("SELECT count(*) FROM records").fetchone()[0]
        idx.close()
        t.index_shrank += n < records
    t.runs += 1
    _run("reindex", "--archive", str(archive))


def rebuild_restores(archive: Path, work: Path, t: Totals) -> None:
    """Delete the catalogue outright; `digitize rebuild` must restore every event, correction
    and link."""
    copy = work / "rebuild-check"
    shutil.rmtree(copy, ignore_errors=True)
    shutil.copytree(archive, copy)
    queries = {"events": "SELECT record_id, n, at, actor, action, outcome, detail, hash "
                         "FROM events",
               "corrections": "SELECT record_id, field, value, at, actor FROM corrections",
               "links": "SELECT dossier, record_id, at FROM dossier_links"}
    db = sqlite3.connect(copy / "catalogue.sqlite3")
    before = {k: set(db.execute(q).fetchall()) for k, q in queries.items()}
    db.close()
    for p in copy.glob("catalogue.sqlite3*"):
        p.unlink()
    _run("rebuild", "--archive", str(copy))
    db = sqlite3.connect(copy / "catalogue.sqlite3")
    after = {k: set(db.execute(q).fetchall()) for k, q in queries.items()}
    db.close()
    for k, total in (("events", t.rebuild_events), ("corrections", t.rebuild_corrections),
                     ("links", t.rebuild_links)):
        total[0] += len(before[k] & after[k])
        total[1] += len(before[k])
    shutil.rmtree(copy, ignore_errors=True)


def _mix(text: str) -> dict[str, int]:
    out = {}
    for part in text.split(","):
        name, _, n = part.partition("=")
        if name.strip() not in ("ingest", "set", "link", "reindex"):
            raise SystemExit(f"--mix: unknown command {name!r}")
        out[name.strip()] = int(n or 1)
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--kills", type=int, default=100, help="SIGKILLs in all (default 100)")
    ap.add_argument("--mix", default="ingest=4,set=3,link=2,reindex=2",
                    help="kills per round of each command (default ingest=4,set=3,link=2,"
                         "reindex=2)")
    ap.add_argument("--docs", type=int, default=4, help="documents in the batch")
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--max-wait", type=float, default=0.0,
                    help="latest ingest kill moment in seconds (default: a clean run's)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--workdir", type=Path, help="keep batch and archives here")
    ap.add_argument("--json", action="store_true", help="print the totals as one JSON object")
    args = ap.parse_args(argv)

    mix = _mix(args.mix)
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
    op_time = reindex_time = 0.0
    serial = [0]
    while t.kills < args.kills:
        t.rounds += 1
        archive = work / f"archive-{t.rounds:03d}"
        for _ in range(mix.get("ingest", 0)):
            if t.kills >= args.kills:
                break
            t.runs += 1
            if run_killed(batch, archive, args.jobs, rng, max_wait):
                t.kills += 1
                t.kills_by_command["ingest"] = t.kills_by_command.get("ingest", 0) + 1
                max_wait *= 1.05
            else:  # finished before the kill: aim earlier, so kills land inside the batch
                max_wait = max(0.5, max_wait * 0.8)
        run_to_end(batch, archive, args.jobs)
        t.runs += 1
        found = check_records(archive, expected)
        ids = [r for r in _ids(archive)]
        searcher = Searcher(archive, len(ids))
        searcher.start()
        if not op_time:  # calibrate: how long one set takes here
            t0 = time.monotonic()
            _run("set", ids[0], "signer_name", "Hiệu chuẩn", "--archive", str(archive))
            op_time = (time.monotonic() - t0) * 1.2
            t0 = time.monotonic()
            _run("reindex", "--archive", str(archive))
            reindex_time = (time.monotonic() - t0) * 1.2
        left = args.kills - t.kills
        kills = {k: min(v, left) for k, v in mix.items() if k in ("set", "link")}
        done = curate(archive, ids, kills, rng, t, serial, op_time)
        if mix.get("reindex") and t.kills < args.kills:
            reindex_killed(archive, min(mix["reindex"], args.kills - t.kills), rng, t,
                           len(ids), reindex_time)
        searcher.stop.set()
        searcher.join()
        t.searches += searcher.runs
        t.search_failures += searcher.failures
        if searcher.why and not args.json:
            print(f"  search failures: {searcher.why[:3]}", file=sys.stderr)
        t.updates_done += len(done)
        t.updates_lost += updates_lost(archive, done)
        found.update(check_layers(archive))
        rebuild_restores(archive, work, t)
        t.documents_expected += len(expected)
        for k, v in found.items():
            setattr(t, k, getattr(t, k) + v)
        if not args.json:
            print(f"round {t.rounds}: kills so far {t.kills} {t.kills_by_command}, {found}, "
                  f"updates {t.updates_done} lost {t.updates_lost}", file=sys.stderr)
    t.seconds = round(time.monotonic() - started, 1)
    if args.json:
        print(json.dumps(asdict(t)))
    else:
        for k, v in asdict(t).items():
            print(f"{k.replace('_', ' '):<20} {v}")
    ok = (t.missing == t.duplicates == t.orphans == t.verify_problems == t.updates_lost ==
          t.index_shrank == t.search_failures == t.inconsistencies == 0 and
          all(x[0] == x[1] for x in (t.rebuild_events, t.rebuild_corrections, t.rebuild_links)))
    return 0 if ok else 1


def _ids(archive: Path) -> list[str]:
    db = sqlite3.connect(archive / "catalogue.sqlite3")
    ids = [r[0] for r in db.execute("SELECT id FROM records ORDER BY id")]
    db.close()
    return ids


if __name__ == "__main__":
    sys.exit(main())
