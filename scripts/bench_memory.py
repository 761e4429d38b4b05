"""Memory over a long batch: peak resident memory per process, and whether it stays flat.

    python scripts/bench_memory.py [--pages 500] [--pages-per-doc 10] [--jobs 2] [--dpi 300]

Renders 20 distinct A4 pages at --dpi (Vietnamese text from ../shared/corpus/text where present),
degraded like scans (skew, noise, dark borders, a red seal on every third), stored as colour JPEG
as scanners write them, and bundles them into documents of --pages-per-doc pages, each a different
selection, so none is a duplicate of another. `digitize ingest` then reads the whole batch while
/proc is sampled every 0.2 s. Reported for the parent and for the OCR workers: peak RSS, and RSS
over the first and the last fifth of the run (medians); "flat" means the last is within 10% (and
50 MB) of the first. Workers are replaced after 200 pages each (`max_tasks_per_child`), which the
figures include. Issue 3's goal: under 600 MB per worker on 300 DPI A4 pages, flat over 500 pages.
"""
from __future__ import annotations

import argparse
import io
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

from scripts.pagegen.render import DocSpec, degrade, random_text_lines, render_page  # noqa: E402
from bench_ingest import children, rss_kb  # noqa: E402
from ocr.pdfa import PdfPage, build_pdf  # noqa: E402

TEXTS = ROOT.parent / "shared" / "corpus" / "text"
VENV_BIN = Path(sys.executable).parent
BASE_PAGES = 20


def base_pages(dpi: int) -> list[tuple[bytes, int, int]]:
    """(JPEG bytes, width, height) of BASE_PAGES distinct degraded pages."""
    text = " ".join(p.read_text(encoding="utf-8") for p in sorted(TEXTS.glob("*.txt"))) \
        if TEXTS.is_dir() else ""
    out = []
    for i in range(BASE_PAGES):
        body = random_text_lines(text, 22, seed=i) if text else DocSpec().body
        spec = DocSpec(number=f"Số: {100 + i}/QĐ-UBND", body=body)
        img = degrade(render_page(spec, dpi=dpi), skew=(i % 7 - 3) * 0.6, noise=5,
                      border=dpi // 10 if i % 4 == 0 else 0, red_seal=True, seed=i)
        buf = io.BytesIO()
        img.convert("RGB").save(buf, "JPEG", quality=85)
        out.append((buf.getvalue(), img.width, img.height))
    return out


def make_batch(folder: Path, pages: int, per_doc: int, dpi: int) -> int:
    """Write the batch's PDFs into `folder`; returns the number of pages written."""
    folder.mkdir(parents=True, exist_ok=True)
    base = base_pages(dpi)
    seen: set[tuple[int, ...]] = set()
    written, i = 0, 0
    while written < pages:
        n = min(per_doc, pages - written)
        pick = tuple(random.Random(i).sample(range(BASE_PAGES), n))
        i += 1
        if pick in seen:
            continue
        seen.add(pick)
        pdf_pages = [PdfPage(base[k][0], base[k][1], base[k][2], dpi, True) for k in pick]
        with build_pdf(pdf_pages) as pdf:
            pdf.save(folder / f"doc-{i:04d}.pdf")
        written += n
    return written


class Sampler:
    """RSS of the ingest process and of its pool's workers (the forkserver's children)."""

    def __init__(self, pid: int, every: float = 0.2):
        self.pid, self.every = pid, every
        self.samples: list[tuple[float, float, list[float]]] = []  # (t, parent, workers)
        self._stop = threading.Event()
        self._t = threading.Thread(target=self._run, daemon=True)
        self._t.start()

    def _run(self) -> None:
        t0 = time.monotonic()
        while not self._stop.is_set():
            workers = [rss_kb(w) / 1024 for c in children(self.pid) for w in children(c)]
            self.samples.append((time.monotonic() - t0, rss_kb(self.pid) / 1024,
                                 [w for w in workers if w]))
            time.sleep(self.every)

    def stop(self) -> None:
        self._stop.set()
        self._t.join()


def summarise(samples: list[tuple[float, float, list[float]]]) -> dict:
    busy = [s for s in samples if s[2]]  # while the pool is up
    n = len(busy)
    if n < 10:
        raise RuntimeError("too few samples: the batch ran too short")
    first, last = busy[: n // 5], busy[-(n // 5):]

    def med(rows, role):
        vals = [r[1] if role == "parent" else max(r[2]) for r in rows]
        return statistics.median(vals)
    out = {}
    for role in ("parent", "worker"):
        peak = max(r[1] if role == "parent" else max(r[2]) for r in busy)
        a, b = med(first, role), med(last, role)
        out[role] = {"peak_mb": round(peak, 1), "first_fifth_mb": round(a, 1),
                     "last_fifth_mb": round(b, 1),
                     "flat": b <= max(a * 1.10, a + 50)}
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pages", type=int, default=500)
    ap.add_argument("--pages-per-doc", type=int, default=10)
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 2)
    ap.add_argument("--dpi", type=int, default=300)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args(argv)
    work = Path(tempfile.mkdtemp(prefix="bench-memory-"))
    try:
        pages = make_batch(work / "batch", args.pages, args.pages_per_doc, args.dpi)
        t0 = time.perf_counter()
        proc = subprocess.Popen([str(VENV_BIN / "python"), "-m", "digitize", "ingest",
                                 str(work / "batch"), "--archive", str(work / "archive"),
                                 "--jobs", str(args.jobs), "--json"],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        sampler = Sampler(proc.pid)
        out, err = proc.communicate()
        sampler.stop()
        seconds = time.perf_counter() - t0
        if proc.returncode != 0:
            raise SystemExit(f"ingest failed ({proc.returncode}): {err[-800:]}")
        stored = sum(json.loads(line)["status"] == "stored" for line in out.splitlines())
        res = {"pages": pages, "documents_stored": stored, "dpi": args.dpi, "jobs": args.jobs,
               "seconds": round(seconds, 1), "pages_per_min": round(60 * pages / seconds, 1),
               **summarise(sampler.samples)}
    finally:
        shutil.rmtree(work, ignore_errors=True)
    if args.json:
        print(json.dumps(res, indent=2))
        return 0
    print(f"{res['pages']} pages at {res['dpi']} DPI in {res['documents_stored']} documents, "
          f"jobs={res['jobs']}: {res['seconds']}s ({res['pages_per_min']} pages/min)")
    for role in ("worker", "parent"):
        r = res[role]
        print(f"{role:<7} peak {r['peak_mb']:7.1f} MB; first fifth {r['first_fifth_mb']:7.1f} MB, "
              f"last fifth {r['last_fifth_mb']:7.1f} MB: {'flat' if r['flat'] else 'GROWING'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
