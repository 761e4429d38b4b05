"""Benchmark `digitize ingest` against OCRmyPDF on the same pages, in one run.

    python scripts/bench_ingest.py [--levels light heavy] [--jobs 2] [--pages 12] [--json]
    python scripts/bench_ingest.py --input SCANS.pdf   (your own pages; no accuracy figures)

Pages: the born-digital documents of ../shared/corpus/real/born_digital (exact ground truth),
rendered at 300 DPI and degraded per level (see eval_ocr.LEVELS), bundled into one lossless
image-only PDF per level so that both tools read identical input. For each level it runs:
  - digitize ingest --jobs N
  - ocrmypdf -l vie --output-type pdfa --jobs N                      (plain)
  - ocrmypdf ... --deskew --clean --rotate-pages                    (with cleaning)
  - Tesseract recognition alone, one single-threaded recognizer per core (the floor)
  - the same recognizers on digitize's own prepared OCR copies (how much of digitize's time is
    recognition, and how much is everything else)
and prints pages per minute, peak resident memory per process, word F1, CER, PDF size per page,
and the ratios; for digitize also the marginal time per page (the first half of the pages run on
its own and subtracted), which sets aside start-up and the finishing of the last document.
With --rounds N, digitize (whole and half) and Tesseract alone run N times in turn and their
medians are compared: this machine's speed drifts by 10% and more between minutes.
Needs `scripts/setup.sh --bench` (OCRmyPDF, unpaper, ghostscript).
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import zlib
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

import eval_ocr  # noqa: E402
from ocr.pdfa import PdfPage, build_pdf  # noqa: E402

CORPUS = ROOT.parent / "shared" / "corpus" / "real" / "born_digital"
VENV_BIN = Path(sys.executable).parent


def children(pid: int) -> list[int]:
    """The processes `pid` started (from /proc; empty once it has ended)."""
    out: list[int] = []
    try:
        for task in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{task}/children") as f:
                out += [int(c) for c in f.read().split()]
    except OSError:
        pass
    return out


def rss_kb(pid: int) -> int:
    """Resident memory of `pid` in KB (0 once it has ended)."""
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


class PeakRss:
    """Samples the resident memory of a process tree every 0.1 s (from /proc)."""

    def __init__(self, pid: int):
        self.pid, self.peak_proc, self.peak_total = pid, 0, 0
        self._stop = threading.Event()
        self._t = threading.Thread(target=self._run, daemon=True)
        self._t.start()

    def _tree(self) -> list[int]:
        pids, todo = [], [self.pid]
        while todo:
            p = todo.pop()
            pids.append(p)
            todo.extend(children(p))
        return pids

    def _run(self) -> None:
        while not self._stop.is_set():
            sizes = [rss_kb(p) for p in self._tree()]
            self.peak_proc = max([self.peak_proc, *sizes])
            self.peak_total = max(self.peak_total, sum(sizes))
            time.sleep(0.1)

    def stop(self) -> None:
        self._stop.set()
        self._t.join()


def timed(cmd: list[str], env: dict | None = None) -> dict:
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    mon = PeakRss(proc.pid)
    out, err = proc.communicate()
    mon.stop()
    if proc.returncode != 0:
        raise RuntimeError(f"{cmd[0]} failed ({proc.returncode}): {err.decode()[-800:]}")
    return {"seconds": time.perf_counter() - t0, "peak_rss_mb": mon.peak_proc / 1024,
            "peak_total_mb": mon.peak_total / 1024, "stdout": out.decode()}


def make_input_pdf(pages: list, out: Path) -> None:
    """An image-only PDF of the pages, losslessly compressed, at each page's DPI."""
    pdf_pages = []
    for arr, dpi in pages:
        h, w = arr.shape[:2]
        colour = arr.ndim == 3
        raw = arr[:, :, ::-1].tobytes() if colour else arr.tobytes()
        pdf_pages.append(PdfPage(zlib.compress(raw, 6), w, h, dpi, colour, filter="FlateDecode"))
    with build_pdf(pdf_pages) as pdf:
        pdf.save(out)


def pdf_page_texts(pdf: Path, n: int) -> list[str]:
    return [subprocess.run(["pdftotext", "-f", str(i), "-l", str(i), str(pdf), "-"],
                           capture_output=True, text=True).stdout for i in range(1, n + 1)]


def accuracy(texts: list[str], gts: list[str]) -> dict:
    rows = [eval_ocr.score(t, g) for t, g in zip(texts, gts)]
    edits, chars = sum(r["edits"] for r in rows), sum(r["chars"] for r in rows)
    return {"word_f1": sum(r["word_f1"] for r in rows) / len(rows), "cer": edits / max(chars, 1)}


_ENGINE = None


def _recognise_only(args) -> tuple[float, str]:
    global _ENGINE
    from ocr.engine import EngineSettings, TesseractEngine
    from ocr.prepare import scale_to_dpi, to_grey
    arr, dpi, at_dpi, prepared = args
    if _ENGINE is None:  # Tesseract's own defaults (digitize turns line inversion off), or
        # digitize's settings for the pages it prepared
        _ENGINE = TesseractEngine(EngineSettings() if prepared else EngineSettings(invert=True))
    grey = to_grey(arr) if arr.ndim == 3 else arr
    if at_dpi and dpi > at_dpi:
        grey, dpi = scale_to_dpi(grey, dpi, at_dpi), at_dpi
    t0 = time.perf_counter()
    words = _ENGINE.recognize(grey, dpi)
    return time.perf_counter() - t0, " ".join(w.text for w in words)


def tesseract_floor(pages: list, jobs: int, at_dpi: float = 0, gts: list | None = None,
                    prepared: bool = False) -> dict:
    """Wall time for recognition alone: `jobs` single-threaded recognizers, models preloaded,
    images decoded beforehand; at the scan's resolution, or resampled to `at_dpi` first. Also
    what it read: characters per page and word F1, since on skewed, noisy pages Tesseract alone
    is quicker partly because it reads less of the text. `prepared`: `pages` are digitize's own
    OCR copies, read with digitize's engine settings (how much of digitize's time is
    recognition)."""
    args = [(arr, dpi, at_dpi, prepared) for arr, dpi in pages]
    with ProcessPoolExecutor(jobs) as pool:
        list(pool.map(_recognise_only, args[:jobs]))  # warm up: load models
        t0 = time.perf_counter()
        rows = list(pool.map(_recognise_only, args))
        wall = time.perf_counter() - t0
    texts = [text for _s, text in rows]
    return {"seconds": wall, "chars_per_page": sum(map(len, texts)) / len(texts),
            **(accuracy(texts, gts) if gts else {})}


def prepared_copies(pages: list) -> list:
    """digitize's OCR copy of each page, as its workers make it (upright pages assumed), with
    the DPI it is read at."""
    from dataclasses import replace
    from ocr.prepare import PrepareOptions, prepare_page
    from ocr.types import PageImage
    opts = replace(PrepareOptions(), orientation=False)
    out = []
    for i, (arr, dpi) in enumerate(pages):
        prep = prepare_page(PageImage("bench", i, arr, dpi), opts)
        out.append((prep.ocr_image, prep.dpi * prep.ocr_scale))
    return out


def run_level(level: str, items: list, jobs: int, work: Path, ocrmypdf: bool,
              repeat: int = 1, rounds: int = 1) -> dict:
    items = items * repeat  # each copy degraded with its own seed
    pages = [eval_ocr.degrade_page(img, level, seed=i, red_seal=(i % 3 == 0))
             for i, (_n, _gt, img) in enumerate(items)]
    gts = [gt for _n, gt, _img in items]
    n = len(pages)
    src = work / f"{level}.pdf"
    make_input_pdf(pages, src)
    res: dict = {"level": level, "pages": n}

    def ingest(pdf: Path, tag: str) -> dict:
        return timed([str(VENV_BIN / "python"), "-m", "digitize", "ingest", str(pdf), "--archive",
                      str(work / f"archive-{level}-{tag}"), "--jobs", str(jobs), "--json"])

    # digitize, its first half and Tesseract alone take turns, `rounds` times: on a shared
    # machine the speed drifts by 10% and more within minutes, and runs made side by side see
    # the same drift; the medians are reported
    half = n // 2
    if half >= jobs:
        make_input_pdf(pages[:half], work / f"{level}-half.pdf")
    full_runs, half_runs, floors, on_prep = [], [], [], []
    prepared = prepared_copies(pages)
    for k in range(rounds):
        full_runs.append(ingest(src, f"{k}"))
        if half >= jobs:
            half_runs.append(ingest(work / f"{level}-half.pdf", f"{k}h"))
        floors.append(tesseract_floor(pages, jobs, gts=gts))
        on_prep.append(tesseract_floor(prepared, jobs, gts=gts, prepared=True))
    r = sorted(full_runs, key=lambda x: x["seconds"])[len(full_runs) // 2]
    out = json.loads(r["stdout"].splitlines()[-1])
    rdir = Path(out["pdf"]).parent
    texts = [(rdir / "pages" / f"p{i:04d}.txt").read_text() for i in range(1, n + 1)]
    med = statistics.median([x["seconds"] for x in full_runs])
    res["digitize"] = {**_rate({**r, "seconds": med}, n), **accuracy(texts, gts),
                       "kb_per_page": Path(out["pdf"]).stat().st_size / 1024 / n,
                       "rounds": [x["seconds"] for x in full_runs]}
    # Per-page (marginal) cost: the same pages' first half ingested on its own, so that start-up
    # and the last document's finishing, paid once per run, cancel out.
    if half_runs:
        res["digitize"]["marginal_s_per_page"] = (
            (med - statistics.median([x["seconds"] for x in half_runs])) / (n - half))
    res["digitize"]["chars_per_page"] = sum(len(" ".join(t.split())) for t in texts) / n
    res["tesseract_alone"] = _median_round(floors)
    res["tesseract_alone_150dpi"] = tesseract_floor(pages, jobs, 150.0)
    res["tesseract_on_prepared"] = _median_round(on_prep)
    if ocrmypdf:
        base = [str(VENV_BIN / "ocrmypdf"), "-l", "vie", "--output-type", "pdfa", "--jobs",
                str(jobs), "-q"]
        for name, extra in (("ocrmypdf", []),
                            ("ocrmypdf_clean", ["--deskew", "--clean", "--rotate-pages"])):
            dst = work / f"{level}-{name}.pdf"
            env = dict(os.environ, OMP_THREAD_LIMIT="1")
            r = timed(base + extra + [str(src), str(dst)], env=env)
            res[name] = {**_rate(r, n), **accuracy(pdf_page_texts(dst, n), gts),
                         "kb_per_page": dst.stat().st_size / 1024 / n}
    d = res["digitize"]
    d["x_vs_tesseract_alone"] = d["seconds"] / res["tesseract_alone"]["seconds"]
    d["x_vs_tesseract_alone_150dpi"] = d["seconds"] / res["tesseract_alone_150dpi"]["seconds"]
    res["tesseract_on_prepared"]["x_vs_tesseract_alone"] = (
        res["tesseract_on_prepared"]["seconds"] / res["tesseract_alone"]["seconds"])
    if "marginal_s_per_page" in d:
        d["marginal_x_vs_tesseract_alone"] = (d["marginal_s_per_page"]
                                              / (res["tesseract_alone"]["seconds"] / n))
    for name in ("ocrmypdf", "ocrmypdf_clean"):
        if name in res:
            d[f"speedup_vs_{name}"] = res[name]["seconds"] / d["seconds"]
    return res


def _median_round(runs: list[dict]) -> dict:
    """One `tesseract_floor` result for several rounds: the median time, every round's time."""
    times = [r["seconds"] for r in runs]
    return {**runs[0], "seconds": statistics.median(times), "rounds": times}


def _rate(r: dict, n: int) -> dict:
    return {"seconds": r["seconds"], "pages_per_min": 60 * n / r["seconds"],
            "peak_rss_mb": r["peak_rss_mb"], "peak_total_mb": r["peak_total_mb"]}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--corpus", type=Path, default=CORPUS)
    ap.add_argument("--levels", nargs="+", default=["clean", "light", "heavy"])
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 2)
    ap.add_argument("--pages", type=int, default=12, help="at most this many pages per level")
    ap.add_argument("--repeat", type=int, default=1,
                    help="use each page this many times, each degraded differently")
    ap.add_argument("--rounds", type=int, default=1,
                    help="run digitize and Tesseract alone this many times, in turn, and report "
                         "the medians (the machine's speed drifts between runs)")
    ap.add_argument("--no-ocrmypdf", action="store_true", help="skip the anchor (faster)")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args(argv)
    if not args.no_ocrmypdf and not (VENV_BIN / "ocrmypdf").exists():
        ap.error("ocrmypdf not installed: run scripts/setup.sh --bench, or pass --no-ocrmypdf")
    work = Path(tempfile.mkdtemp(prefix="bench-ingest-"))
    try:
        (work / "render").mkdir()
        items = eval_ocr.collect_pages(args.corpus, work / "render", samples=3)[:args.pages]
        results = [run_level(lv, items, args.jobs, work, not args.no_ocrmypdf, args.repeat,
                             args.rounds) for lv in args.levels]
    finally:
        shutil.rmtree(work, ignore_errors=True)
    if args.json:
        print(json.dumps(results, indent=2))
        return 0
    for res in results:
        print(f"\n== level {res['level']}: {res['pages']} pages, jobs={args.jobs}")
        print(f"{'tool':<16}{'pages/min':>10}{'peak MB/proc':>14}{'word F1':>9}{'CER %':>8}"
              f"{'KB/page':>9}")
        for name in ("digitize", "ocrmypdf", "ocrmypdf_clean"):
            if name in res:
                r = res[name]
                print(f"{name:<16}{r['pages_per_min']:>10.1f}{r['peak_rss_mb']:>14.0f}"
                      f"{r['word_f1']:>9.3f}{100 * r['cer']:>8.2f}{r['kb_per_page']:>9.0f}")
        d = res["digitize"]
        print(f"tesseract recognition alone: {res['tesseract_alone']['seconds']:.1f}s at the "
              f"scan's DPI, {res['tesseract_alone_150dpi']['seconds']:.1f}s at 150 DPI; digitize "
              f"takes {d['x_vs_tesseract_alone']:.2f}x / {d['x_vs_tesseract_alone_150dpi']:.2f}x")
        t = res["tesseract_alone"]
        print(f"  Tesseract alone read {t['chars_per_page']:.0f} characters a page at word F1 "
              f"{t['word_f1']:.3f}; digitize {d['chars_per_page']:.0f} at {d['word_f1']:.3f}")
        p = res["tesseract_on_prepared"]
        print(f"  Tesseract on digitize's prepared pages alone: {p['seconds']:.1f}s "
              f"({p['x_vs_tesseract_alone']:.2f}x Tesseract alone), {p['chars_per_page']:.0f} "
              f"characters a page at word F1 {p['word_f1']:.3f}")
        if len(d["rounds"]) > 1:
            print(f"  rounds (s): digitize {d['rounds']}, Tesseract alone {t['rounds']}")
        if "marginal_x_vs_tesseract_alone" in d:
            print(f"per page once start-up and the last document's finishing are set aside "
                  f"(second half of the pages): {1000 * d['marginal_s_per_page']:.0f} ms, "
                  f"{d['marginal_x_vs_tesseract_alone']:.2f}x Tesseract alone")
        for name in ("ocrmypdf", "ocrmypdf_clean"):
            if f"speedup_vs_{name}" in d:
                print(f"speedup vs {name}: {d[f'speedup_vs_{name}']:.2f}x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
