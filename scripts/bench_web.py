#!/usr/bin/env python3
"""Server time of the web page's search (issue 18): N concurrent logged-in clients against
`digitize serve`, on an archive whose index holds synthetic records (bench_search's generator).

    python scripts/bench_web.py [--pages 100000] [--clients 8] [--requests 480] [--keep DIR]

The archive is made through the library (an empty catalogue and the embedded index filled with
synthetic IndexDocs: the search page reads only the index), the server runs as `digitize serve`
in its own process, and each client thread holds its own session (login first) and a keep-alive
connection. Reported: p50/p95/p99 of the whole search page (query, ranking, facets and HTML) per
query kind and overall, and the rate. Loopback only; the run is bounded by --requests.
"""
from __future__ import annotations

import argparse
import json
import os
import random
import re
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from scripts import webserver  # noqa: E402
from scripts.bench_search import make_records, query_mix  # noqa: E402

PASSWORD = "bench-password-123"


def build_archive(folder: Path, pages: int) -> tuple[int, float]:
    """An archive at `folder` whose index holds `pages` pages of synthetic records."""
    from digitize import service
    from digitize.config import from_env
    from storage.users import Users

    settings = from_env(archive=folder)
    t0 = time.monotonic()
    n = 0
    with service.open_store(settings, create=True) as store:
        batch = []
        for doc in make_records(pages):
            batch.append(doc)
            n += 1
            if len(batch) == 2000:
                store.index.upsert(batch)
                batch = []
        store.index.upsert(batch)
    users = Users(folder)
    users.add("bench", "officer", PASSWORD)
    users.close()
    return n, time.monotonic() - t0


def _client(base: str, queries: list[tuple[str, str]], out: list, errors: list) -> None:
    import httpx2 as httpx

    with httpx.Client(base_url=base, follow_redirects=False, timeout=60) as c:
        token = re.search(r'name="csrf" value="([^"]+)"', c.get("/login").text).group(1)
        r = c.post("/login", data={"name": "bench", "password": PASSWORD, "csrf": token,
                                   "next": "/"})
        if r.status_code != 303:
            errors.append(f"login: {r.status_code}")
            return
        for kind, q in queries:
            params = {"person_id": q} if kind == "id" else {"q": q}
            t0 = time.perf_counter()
            r = c.get("/", params=params)
            dt = time.perf_counter() - t0
            if r.status_code != 200:
                errors.append(f"{kind} {q!r}: {r.status_code}")
            out.append((kind, dt * 1000))


def _pct(v: list[float], p: float) -> float:
    v = sorted(v)
    return v[min(len(v) - 1, int(round(p / 100 * (len(v) - 1))))]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--pages", type=int, default=100000)
    ap.add_argument("--clients", type=int, default=8)
    ap.add_argument("--requests", type=int, default=480, help="in all, spread over the clients")
    ap.add_argument("--keep", type=Path, help="build (or reuse) the archive here")
    ap.add_argument("--workers", type=int, default=os.cpu_count() or 1,
                    help="server processes (digitize serve --workers)")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    folder = args.keep or Path(tempfile.mkdtemp(prefix="bench-web-"))
    if (folder / "access" / "users.sqlite3").exists():
        records, build_s = -1, 0.0
    else:
        records, build_s = build_archive(folder, args.pages)
        print(f"archive: {records} records, {args.pages} pages, built in {build_s:.0f} s",
              file=sys.stderr)
    docs = list(make_records(min(args.pages, 20000)))  # queries aim at records that exist
    rnd = random.Random(11)
    mix = query_mix(docs, rnd, n=args.requests)
    server, base = webserver.start(folder, workers=args.workers)
    try:
        results: list[tuple[str, float]] = []
        errors: list[str] = []
        warm: list = []
        _client(base, mix[:16], warm, errors)  # first queries open the index's pages
        shares = [mix[i::args.clients] for i in range(args.clients)]
        threads = [threading.Thread(target=_client, args=(base, s, results, errors))
                   for s in shares]
        t0 = time.monotonic()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        wall = time.monotonic() - t0
    finally:
        webserver.stop(server)  # by the PID started here
    by_kind: dict[str, list[float]] = {}
    for kind, ms in results:
        by_kind.setdefault(kind, []).append(ms)
    allms = [ms for _, ms in results]
    report = {
        "pages": args.pages, "records": records, "clients": args.clients, "workers": args.workers,
        "requests": len(results), "errors": errors[:5], "error_count": len(errors),
        "rate_per_s": round(len(results) / wall, 1),
        "p50_ms": round(statistics.median(allms), 1), "p95_ms": round(_pct(allms, 95), 1),
        "p99_ms": round(_pct(allms, 99), 1),
        "by_kind": {k: {"p50_ms": round(statistics.median(v), 1),
                        "p95_ms": round(_pct(v, 95), 1), "n": len(v)}
                    for k, v in sorted(by_kind.items())},
    }
    if args.json:
        print(json.dumps(report, ensure_ascii=False))
        return
    print(f"{report['requests']} search pages, {args.clients} clients, {report['rate_per_s']}/s; "
          f"p50 {report['p50_ms']} ms, p95 {report['p95_ms']} ms, p99 {report['p99_ms']} ms "
          f"(goal p95 < 150 ms); errors {len(errors)}")
    for k, v in report["by_kind"].items():
        print(f"  {k:<16} p50 {v['p50_ms']:>7} ms   p95 {v['p95_ms']:>7} ms   n={v['n']}")


if __name__ == "__main__":
    main()
