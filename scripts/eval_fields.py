"""Measure field extraction against labels.

Per field: exact, sent to review, confidently wrong (wrong and not flagged), and "or-alt": exact,
or the right value is among the alternatives the review queue shows beside it; per set, the
review queue's recall (wrong fields flagged) and precision (flagged fields wrong).

Five sets: the born-digital documents read through their text layer, the same documents OCR'd from
their page raster, the real scans (labels in scripts/labels/scanned_fields.json), and the generated
result documents (scripts/pagegen/results.py), development and held-out side by side, scored on
the header, the holders, organisations and objects, with `search --person-id` / `--person` top-1
on an embedded index of each generated set. Pages are OCR'd exactly as production does
(ocr.images.load_page -> ocr.prepare.prepare_page -> recognise the red-ink-suppressed OCR copy),
and handwritten digits get the pipeline's digits-only re-read. OCR
results and re-reads are cached (default /tmp/eval_cache, keyed by PREP_TAG) so reruns only re-run
the extractor.

    python scripts/eval_fields.py [--corpus /work/shared/corpus/real] [--json] [-v]
    python scripts/eval_fields.py --archive ARCHIVE   (also what `digitize ingest` stored there)
    python scripts/eval_fields.py --gen-count 20      (smaller generated sets; 0: none)
    python scripts/eval_fields.py --split dev         (only the development split: for tuning)
    python scripts/eval_fields.py --no-real --split dev --text-level   (no OCR: seconds)

Generated pages go to --gen-dir (default /tmp/eval_gen, keyed by a hash of the generator), their
OCR to the cache; neither ever into the repository.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from ocr.types import Box, PageText, Word  # noqa: E402

DPI = 300
GT_KEYS = {  # born-digital label key -> our field
    "co_quan_ban_hanh": "issuer", "so_ky_hieu": "number", "ngay_ban_hanh": "issued_date",
    "loai_van_ban": "doc_type", "trich_yeu": "subject", "quyen_han_chuc_vu": "signer_title",
    "nguoi_ky": "signer_name",
}


def page_count(pdf: Path) -> int:
    out = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, timeout=60,
                         check=True).stdout
    return int(next(l.split()[-1] for l in out.splitlines() if l.startswith("Pages:")))


OCR_DPI = float(os.environ.get("EVAL_OCR_DPI", "150"))
# Preparation options to compare, e.g. EVAL_PREP="remove_rules=0" (default: production's)
PREP_OVERRIDES = {k: bool(int(v)) for k, v in (kv.split("=") for kv in
                                               os.environ.get("EVAL_PREP", "").split(",") if kv)}
# OCR through ocr.prepare.prepare_page (OCR copy at <= OCR_DPI), as digitize/worker.py does
PREP_TAG = f"prep4-ocr{OCR_DPI:g}" + "".join(f"-{k}{int(v)}" for k, v in PREP_OVERRIDES.items())
READER_TAG = "hand4"  # change when the re-read (digitize.pipeline.read_blank) changes


def _words_to_json(words: list[Word]) -> list[list]:
    return [[w.text, w.box.as_list(), w.conf, w.line, w.block] for w in words]


def _words_from_json(rows) -> list[Word]:
    return [Word(t, Box(*b), c, ln, bl) for t, b, c, ln, bl in rows]


_ENGINE = None


def _engine():
    global _ENGINE
    if _ENGINE is None:
        from ocr.engine import EngineSettings, TesseractEngine
        _ENGINE = TesseractEngine(EngineSettings(lang="vie"))
    return _ENGINE


def _ocr_page(job: tuple[str, str, int, str]) -> str:
    """OCR one page into the cache exactly as production does (digitize/worker.py): load, prepare
    (orientation, deskew, red-ink dropout ...), recognise the OCR copy, scale boxes back to the
    display image. The display image is kept as the JPEG the pipeline stages, for re-reads."""
    from dataclasses import replace

    from ocr.images import load_page
    from ocr.prepare import encode_jpeg, is_colour, prepare_page, to_grey
    src, kind, index, out = job
    if Path(out).exists():
        return out
    eng = _engine()
    page = load_page(Path(src), kind, index)
    from ocr.prepare import PrepareOptions
    prep = prepare_page(page, PrepareOptions(ocr_max_dpi=OCR_DPI, **PREP_OVERRIDES),
                        orient=eng.detect_orientation)
    words: list[Word] = []
    if not prep.blank:
        words = eng.recognize(prep.ocr_image, prep.dpi * prep.ocr_scale)
        if prep.ocr_scale != 1.0:
            s = 1.0 / prep.ocr_scale
            words = [replace(w, box=Box(int(w.box.x0 * s), int(w.box.y0 * s),
                                        int(round(w.box.x1 * s)), int(round(w.box.y1 * s))))
                     for w in words]
    disp = prep.display
    if disp.ndim == 3 and not is_colour(disp):
        disp = to_grey(disp)
    Path(out).with_suffix(".jpg").write_bytes(encode_jpeg(disp, 80))
    h, w = prep.display.shape[:2]
    Path(out).write_text(json.dumps({"width": w, "height": h, "dpi": prep.dpi,
                                     "words": _words_to_json(words), "notes": prep.notes},
                                    ensure_ascii=False))
    return out


def cache_path(cache: Path, pdf: Path, page_no: int) -> Path:
    return cache / f"{pdf.stem}.p{page_no}.{PREP_TAG}.json"


def build_cache(pdfs: list[Path], cache: Path, workers: int = 2) -> None:
    cache.mkdir(parents=True, exist_ok=True)
    run_ocr([(str(p), "pdf", n - 1, str(cache_path(cache, p, n))) for p in pdfs
             for n in range(1, page_count(p) + 1)], cache, workers)


def run_ocr(jobs: list[tuple[str, str, int, str]], cache: Path, workers: int = 2) -> None:
    """OCR (source, "pdf"|"image", 0-based page, cache file) jobs whose cache file is missing."""
    cache.mkdir(parents=True, exist_ok=True)
    jobs = [j for j in jobs if not Path(j[3]).exists()]
    if not jobs:
        return
    print(f"OCR of {len(jobs)} pages into {cache} ...", file=sys.stderr)
    with ProcessPoolExecutor(workers) as ex:
        for i, out in enumerate(ex.map(_ocr_page, jobs), 1):
            print(f"  [{i}/{len(jobs)}] {Path(out).name}", file=sys.stderr)


class Rereader:
    """The pipeline's re-reads (digitize/pipeline.py `_rereaders`) on the cached display JPEGs:
    called, a digits-only reading; `.text`, text. Answers are cached too, so reruns
    stay fast."""

    def __init__(self, pdf: Path, cache: Path, page_files: list[Path] | None = None):
        """`page_files`: the cached OCR of each page (default: the PDF's, by cache_path)."""
        self.pdf, self.cache = pdf, cache
        self.page_files = page_files
        self.file = cache / f"{pdf.stem}.{PREP_TAG}.{READER_TAG}.rereads.json"
        self.known = json.loads(self.file.read_text()) if self.file.exists() else {}

    def _read(self, kind: str, page_no: int, box: Box):
        key = f"{kind}{page_no}:{','.join(map(str, box.as_list()))}"
        if key not in self.known:
            from digitize import pipeline
            from ocr.images import load_image_file
            cp = (self.page_files[page_no - 1] if self.page_files
                  else cache_path(self.cache, self.pdf, page_no))
            dpi = json.loads(cp.read_text()).get("dpi", DPI)
            grey = load_image_file(cp.with_suffix(".jpg"), grey=True)
            got = (pipeline.read_blank(_engine(), grey, box, dpi) if not kind else
                   pipeline.read_region(_engine(), grey, box, dpi, sparse=kind == "S"))
            self.known[key] = list(got) if got else None
            self.file.write_text(json.dumps(self.known, ensure_ascii=False))
        got = self.known[key]
        return tuple(got) if got else None

    def __call__(self, page_no: int, box: Box):
        return self._read("", page_no, box)

    def text(self, page_no: int, box: Box, sparse: bool = False):
        return self._read("S" if sparse else "L", page_no, box)


def _extract(extract_fields, pages: list[PageText], rereader: Rereader):
    return extract_fields(pages, reread=rereader, reread_text=rereader.text)


def archived_fields(archive: Path) -> dict:
    """Document name (without .pdf) -> the fields `digitize ingest` stored for it."""
    from digitize.fields.model import Field
    out = {}
    for meta in sorted(archive.glob("records/*/*/metadata.json")):
        doc = json.loads(meta.read_text(encoding="utf-8"))
        out[doc["name"].removesuffix(".pdf")] = {k: Field(**v) for k, v in doc["fields"].items()}
    return out


def ocr_pages(pdf: Path, cache: Path) -> list[PageText]:
    return cached_pages([cache_path(cache, pdf, n) for n in range(1, page_count(pdf) + 1)])


def cached_pages(files: list[Path]) -> list[PageText]:
    """Pages from their cached OCR files, in order."""
    pages = []
    for n, f in enumerate(files, 1):
        d = json.loads(f.read_text())
        words = _words_from_json(d["words"])
        mean = sum(w.conf for w in words) / len(words) if words else 0.0
        pages.append(PageText(n, d["width"], d["height"], d.get("dpi", DPI), words, "ocr", mean))
    return pages


def mended_pages(pdf: Path, cache: Path) -> list[PageText]:
    """`ocr_pages` with the pipeline's compound-word mending (digitize.fields.mend)."""
    from digitize.fields.mend import mend_document
    return mend_document(ocr_pages(pdf, cache))[0]


def _safe_extract(extract_fields, pages, rereader) -> dict:
    """As the pipeline does: an extractor error loses no document (fields then all missing)."""
    try:
        if rereader is None:
            return extract_fields(pages)
        return _extract(extract_fields, pages, rereader)
    except Exception as e:  # noqa: BLE001 - counted, shown, and the run goes on
        print(f"extract_fields failed: {type(e).__name__}: {e}", file=sys.stderr)
        return {}


def text_layer_pages(pdf: Path) -> list[PageText]:
    from ocr.pdftext import text_layer_words
    pages = []
    out = subprocess.run(["pdfinfo", "-f", "1", "-l", "999", str(pdf)], capture_output=True,
                         text=True, timeout=60, check=True).stdout
    sizes = [l.split(":", 1)[1].split()[:3:2] for l in out.splitlines()
             if l.startswith("Page") and "size:" in l]
    for n, (wpt, hpt) in enumerate(sizes, 1):
        w, h = int(round(float(wpt) / 72 * DPI)), int(round(float(hpt) / 72 * DPI))
        words = text_layer_words(pdf, n, w, h)
        pages.append(PageText(n, w, h, DPI, words, "text-layer", 100.0))
    return pages


def norm(v) -> str:
    from indexer.textnorm import canonical_tones
    if isinstance(v, list):  # recipients, persons' names: the same items in any order
        return " | ".join(sorted(norm(x) for x in v))
    s = "" if v is None else str(v)
    s = canonical_tones(s).replace("Ð", "Đ").replace("–", "-").replace("—", "-")
    return " ".join(s.split()).lower()


def expected_born_digital(gt: dict) -> dict:
    exp = {GT_KEYS[k]: v for k, v in gt.items() if k in GT_KEYS}
    if exp.get("doc_type", "").startswith("CÔNG VĂN"):
        exp["doc_type"] = "CÔNG VĂN"
    return exp


def got_values(fields) -> dict:
    vals = {k: f.value for k, f in fields.items()}
    vals["issuer"] = " ".join(v for v in (vals.get("issuer_parent"), vals.get("issuer")) if v) or None
    num = vals.get("number") or ""
    vals["number_symbol"] = num.split("/", 1)[1] if "/" in num else None
    vals["persons"] = [p["name"] for p in vals.get("persons") or [] if isinstance(p, dict)]
    return vals


def review_flags(fields) -> dict:
    review = {k: f.needs_review for k, f in fields.items()}
    review["issuer"] = review.get("issuer") or review.get("issuer_parent", False)
    review["number_symbol"] = any(fields[k].needs_review for k in
                                  ("number_issuer_code", "number_type_code") if k in fields)
    return review


def score(rows: list[tuple[str, dict, dict]]) -> dict:
    """rows: (doc, expected, fields) -> per field {n, exact, review, wrong_unflagged,
    wrong_flagged, misses}."""
    from scripts.eval_gen import Table
    table = Table()
    for doc, exp, fields in rows:
        got, review = got_values(fields), review_flags(fields)
        if "number" in exp:
            exp = dict(exp, number_symbol=exp["number"].split("/", 1)[1])
        alts = {k: getattr(f, "alternatives", None) or [] for k, f in fields.items()}
        for k, v in exp.items():
            # offered: the value, or one of the readings shown beside it in the review queue
            table.add(k, norm(got.get(k)) == norm(v), bool(review.get(k)), doc, got.get(k), v,
                      any(norm(a) == norm(v) for a in alts.get(k, [])))
    return table.rows


def score_generated(docs: list[tuple[dict, dict]]) -> dict:
    """docs: (truth, fields) of generated result documents -> per field rows (header, holder.*,
    org.*, parcel.*, business.*, enterprise.*, building.*, vehicle.*)."""
    from scripts.eval_gen import Table, score_doc
    table = Table()
    for truth, fields in docs:
        score_doc(table, truth, fields, got_values(fields), review_flags(fields), norm)
    return table.rows


def generated_set(split: str, args, extract_fields) -> dict:
    """Generate (once), OCR (once, cached) and extract one split; its table, queue and search."""
    from scripts import eval_gen as G
    from scripts.pagegen import results as R
    if args.text_level:  # the printed words with font-metric boxes, no rendering, no OCR
        docs = [R.generate(s, i, split, args.gen_dpi)[0]
                for i, s in enumerate(R.seeds(split, args.gen_count))]
        scored = []
        for t in docs:
            pages = R.page_texts(t)
            scored.append((t, _safe_extract(extract_fields, pages, None), pages))
    else:
        scored = _ocr_generated(G, split, args, extract_fields)
        docs = [t for t, _, _ in scored]
    rows = score_generated([(t, f) for t, f, _ in scored])
    out = {"fields": rows, "queue": G.queue_quality(rows), "documents": len(docs)}
    if not args.no_search:
        out["search"] = G.person_search(scored)
    return out


def _ocr_generated(G, split: str, args, extract_fields) -> list[tuple[dict, dict, list]]:
    """Generate (once) and OCR (once, cached) a split's pages; (truth, fields, pages) each."""
    truths = G.make_set(args.gen_dir, split, args.gen_count, args.gen_dpi, args.workers)
    cache = args.cache / "results" / G.gen_tag(args.gen_dpi)
    texts = [p.read_text() for p in truths]
    docs = [json.loads(t) for t in texts]
    keys = {t["doc_id"]: G.truth_key(x) for t, x in zip(docs, texts)}  # a changed truth: new OCR
    files = {t["doc_id"]: [cache / f"{Path(n).stem}.{keys[t['doc_id']]}.{PREP_TAG}.json"
                           for n in t["pages"]] for t in docs}
    run_ocr([(str(p.parent / n), "image", 0, str(f)) for p, t in zip(truths, docs)
             for n, f in zip(t["pages"], files[t["doc_id"]])], cache, args.workers)
    from digitize.fields.mend import mend_document
    scored = []
    for t in docs:
        pages = mend_document(cached_pages(files[t["doc_id"]]))[0]
        fields = _safe_extract(extract_fields, pages,
                               Rereader(Path(f"{t['doc_id']}.{keys[t['doc_id']]}"), cache,
                                        files[t["doc_id"]]))
        scored.append((t, fields, pages))
    return scored


def _hide_misses(result: dict) -> None:
    """Held-out values stay out of the output (they are its truth): only the counts remain."""
    for t in result["fields"].values():
        t["misses"] = [] if not t["misses"] else [f"({len(t['misses'])} hidden)"]
    for r in result.get("search", {}).values():
        r["misses"] = [] if not r["misses"] else [f"({len(r['misses'])} hidden)"]


def print_table(name: str, table: dict, verbose: bool) -> None:
    from scripts.eval_gen import queue_quality
    print(f"\n== {name}")
    print(f"{'field':22} {'n':>4} {'exact':>7} {'review':>7} {'conf-wrong':>10} {'or-alt':>7}")
    for k, t in table.items():
        n = t["n"]
        print(f"{k:22} {n:4d} {t['exact'] / n:7.1%} {t['review'] / n:7.1%} "
              f"{t['wrong_unflagged'] / n:10.1%} {t['offered'] / n:7.1%}")
        if verbose:
            for m in t["misses"]:
                print(f"      {m}")
    q = queue_quality(table)
    print(f"review queue: recall {q['recall']:.1%} ({q['wrong_flagged']}/{q['wrong']} wrong "
          f"flagged), precision {q['precision']:.1%} ({q['wrong_flagged']}/{q['flagged']} "
          f"flagged are wrong)")


def print_side_by_side(sets: dict, verbose: bool) -> None:
    """The generated splits in adjacent columns: exact / review / confidently wrong."""
    names = list(sets)
    sizes = ", ".join(f"{k}: {v['documents']} documents" for k, v in sets.items())
    print(f"\n== generated result documents ({sizes})")
    head = "".join(f" | {k:^28}" for k in names)
    print(f"{'field':24}{head}")
    print(f"{'':24}" + " | {:>4} {:>7} {:>6} {:>8}".format("n", "exact", "review", "cwrong")
          * len(names))
    from scripts.eval_gen import field_order
    keys = field_order(k for v in sets.values() for k in v["fields"])
    for k in keys:
        cells = ""
        for name in names:
            t = sets[name]["fields"].get(k)
            if not t:
                cells += f" | {'-':>28}"
                continue
            n = t["n"]
            cells += (f" | {n:4d} {t['exact'] / n:7.1%} {t['review'] / n:6.0%} "
                      f"{t['wrong_unflagged'] / n:8.1%}")
        print(f"{k:24}{cells}")
    line = lambda label, f: print(f"{label:24}" + "".join(  # noqa: E731
        f" | {f(sets[n]):>28}" for n in names))
    line("review recall", lambda s: f"{s['queue']['recall']:.1%} "
                                    f"({s['queue']['wrong_flagged']}/{s['queue']['wrong']})")
    line("review precision", lambda s: f"{s['queue']['precision']:.1%} "
                                       f"({s['queue']['wrong_flagged']}/{s['queue']['flagged']})")
    if all("search" in s for s in sets.values()):
        for key, label in (("person_id", "search --person-id top1"), ("person", "search --person top1")):
            line(label, lambda s, key=key: f"{s['search'][key]['top1'] / max(1, s['search'][key]['n']):.1%} "
                                  f"({s['search'][key]['top1']}/{s['search'][key]['n']})")
    if verbose:
        for name in names:
            print(f"\n-- misses, {name}")
            for k, t in sets[name]["fields"].items():
                for m in t["misses"]:
                    print(f"  {k}: {m}")
            for key, r in sets[name].get("search", {}).items():
                for m in r["misses"]:
                    print(f"  search {key}: {m}")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter,
                                 epilog="\n".join(__doc__.splitlines()[1:]))
    ap.add_argument("--corpus", type=Path, default=Path("/work/shared/corpus/real"))
    ap.add_argument("--cache", type=Path, default=Path("/tmp/eval_cache"))
    ap.add_argument("--labels", type=Path, default=ROOT / "scripts/labels/scanned_fields.json")
    ap.add_argument("--json", action="store_true")
    ap.add_argument("-v", "--verbose", action="store_true", help="list every miss")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--archive", type=Path,
                    help="also score what `digitize ingest` stored in this archive for the real "
                         "scans (the production path end to end, not the cache)")
    ap.add_argument("--gen-count", type=int, default=60,
                    help="generated documents per split (default 60; 0: no generated sets)")
    ap.add_argument("--split", choices=("dev", "heldout", "both"), default="both",
                    help="generated splits to run (tune on dev only; report both)")
    ap.add_argument("--gen-dir", type=Path, default=Path("/tmp/eval_gen"),
                    help="where generated pages and truth are kept (outside the repository)")
    ap.add_argument("--gen-dpi", type=int, default=200)
    ap.add_argument("--text-level", action="store_true",
                    help="generated sets from their printed words (font-metric boxes) instead "
                         "of OCR: the extractor alone, in seconds")
    ap.add_argument("--show-heldout-misses", action="store_true",
                    help="also list the held-out split's misses (its truth: never while tuning)")
    ap.add_argument("--no-real", action="store_true",
                    help="skip the born-digital and real-scan sets")
    ap.add_argument("--no-search", action="store_true",
                    help="skip the person search on the generated sets")
    args = ap.parse_args(argv)
    if args.gen_count < 0:
        ap.error("--gen-count must be 0 or more")
    from digitize.fields.extract import extract_fields

    results = {}
    labels = {}
    if not args.no_real:
        bd = args.corpus / "born_digital"
        gt = json.loads((bd / "gt_fields.json").read_text())
        bd_pdfs = [bd / f"{k}.pdf" for k in gt]
        labels = json.loads(args.labels.read_text())["docs"]
        sc_pdfs = [args.corpus / "scanned" / f"{k}.pdf" for k in labels]
        build_cache(bd_pdfs + sc_pdfs, args.cache, args.workers)
        rows = [(p.stem, expected_born_digital(gt[p.stem]), extract_fields(text_layer_pages(p)))
                for p in bd_pdfs]
        results["born_digital_text_layer"] = score(rows)
        rows = [(p.stem, expected_born_digital(gt[p.stem]),
                 _safe_extract(extract_fields, mended_pages(p, args.cache),
                               Rereader(p, args.cache)))
                for p in bd_pdfs]
        results["born_digital_ocr"] = score(rows)
        rows = [(p.stem, labels[p.stem],
                 _safe_extract(extract_fields, mended_pages(p, args.cache),
                               Rereader(p, args.cache)))
                for p in sc_pdfs]
        results["real_scans_ocr"] = score(rows)
    if args.archive:
        stored = archived_fields(args.archive)
        missing = [k for k in labels if k not in stored]
        if missing:
            raise SystemExit(f"{args.archive}: no record of {', '.join(missing)}: ingest "
                             f"{args.corpus / 'scanned'} into it first")
        results["real_scans_archive"] = score([(k, labels[k], stored[k]) for k in labels])
    generated = {}
    if args.gen_count:
        for split in (("dev", "heldout") if args.split == "both" else (args.split,)):
            generated[split] = generated_set(split, args, extract_fields)
    if "heldout" in generated and not args.show_heldout_misses:
        _hide_misses(generated["heldout"])
    if args.json:
        from scripts.eval_gen import queue_quality
        out = {k: {"fields": v, "queue": queue_quality(v)} for k, v in results.items()}
        if generated:
            out["generated"] = generated
        print(json.dumps(out, ensure_ascii=False, indent=1))
    else:
        for name, table in results.items():
            print_table(name, table, args.verbose)
        if generated:
            print_side_by_side(generated, args.verbose)
    return 0


if __name__ == "__main__":
    sys.exit(main())
