"""Measure field extraction against labels.

Per field: exact, sent to review, confidently wrong (wrong and not flagged), and "or-alt": exact,
or the right value is among the alternatives the review queue shows beside it; per set, the
review queue's recall (wrong fields flagged) and precision (flagged fields wrong).

Three sets: the born-digital documents read through their text layer, the same documents OCR'd from
their page raster, and the real scans (labels in scripts/labels/scanned_fields.json). Pages are
OCR'd exactly as production does (ocr.images.load_page -> ocr.prepare.prepare_page -> recognise the
red-ink-suppressed OCR copy), and handwritten digits get the pipeline's digits-only re-read. OCR
results and re-reads are cached (default /tmp/eval_cache, keyed by PREP_TAG) so reruns only re-run
the extractor.

    python scripts/eval_fields.py [--corpus /work/shared/corpus/real] [--json] [-v]
    python scripts/eval_fields.py --archive ARCHIVE   (also what `digitize ingest` stored there)
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


def _ocr_page(job: tuple[str, int, str]) -> str:
    """OCR one page into the cache exactly as production does (digitize/worker.py): load, prepare
    (orientation, deskew, red-ink dropout ...), recognise the OCR copy, scale boxes back to the
    display image. The display image is kept as the JPEG the pipeline stages, for re-reads."""
    from dataclasses import replace

    from ocr.images import load_page
    from ocr.prepare import encode_jpeg, is_colour, prepare_page, to_grey
    pdf, page_no, out = job
    if Path(out).exists():
        return out
    eng = _engine()
    page = load_page(Path(pdf), "pdf", page_no - 1)
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
    jobs = [(str(p), n, str(cache_path(cache, p, n))) for p in pdfs
            for n in range(1, page_count(p) + 1) if not cache_path(cache, p, n).exists()]
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

    def __init__(self, pdf: Path, cache: Path):
        self.pdf, self.cache = pdf, cache
        self.file = cache / f"{pdf.stem}.{PREP_TAG}.{READER_TAG}.rereads.json"
        self.known = json.loads(self.file.read_text()) if self.file.exists() else {}

    def _read(self, kind: str, page_no: int, box: Box):
        key = f"{kind}{page_no}:{','.join(map(str, box.as_list()))}"
        if key not in self.known:
            from digitize import pipeline
            from ocr.images import load_image_file
            cp = cache_path(self.cache, self.pdf, page_no)
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
    pages = []
    for n in range(1, page_count(pdf) + 1):
        d = json.loads(cache_path(cache, pdf, n).read_text())
        words = _words_from_json(d["words"])
        mean = sum(w.conf for w in words) / len(words) if words else 0.0
        pages.append(PageText(n, d["width"], d["height"], d.get("dpi", DPI), words, "ocr", mean))
    return pages


def mended_pages(pdf: Path, cache: Path) -> list[PageText]:
    """`ocr_pages` with the pipeline's compound-word mending (digitize.fields.mend)."""
    from digitize.fields.mend import mend_document
    return mend_document(ocr_pages(pdf, cache))[0]


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
    vals["persons"] = [p["name"] for p in vals.get("persons") or []]
    return vals


def score(rows: list[tuple[str, dict, dict]]) -> dict:
    """rows: (doc, expected, fields) -> per field {n, exact, review, wrong_unflagged}."""
    table: dict[str, dict] = {}
    for doc, exp, fields in rows:
        got = got_values(fields)
        review = {k: f.needs_review for k, f in fields.items()}
        review["issuer"] = review.get("issuer") or review.get("issuer_parent", False)
        review["number_symbol"] = (fields["number_issuer_code"].needs_review
                                  or fields["number_type_code"].needs_review)
        if "number" in exp:
            exp = dict(exp, number_symbol=exp["number"].split("/", 1)[1])
        alts = {k: f.alternatives or [] for k, f in fields.items()}
        for k, v in exp.items():
            t = table.setdefault(k, {"n": 0, "exact": 0, "review": 0, "wrong_unflagged": 0,
                                     "offered": 0, "misses": []})
            ok = norm(got.get(k)) == norm(v)
            t["n"] += 1
            t["exact"] += ok
            # the value, or one of the readings shown beside it in the review queue
            t["offered"] += ok or any(norm(a) == norm(v) for a in alts.get(k, []))
            t["review"] += bool(review.get(k))
            if not ok and not review.get(k):
                t["wrong_unflagged"] += 1
            if not ok:
                t["misses"].append(f"{doc}: got {got.get(k)!r} (review={review.get(k)}) want {v!r}")
    return table


def queue(table: dict) -> dict:
    """The review queue over every field scored: recall (wrong fields that are flagged) and
    precision (flagged fields that are wrong)."""
    n = sum(t["n"] for t in table.values())
    wrong = sum(t["n"] - t["exact"] for t in table.values())
    flagged = sum(t["review"] for t in table.values())
    missed = sum(t["wrong_unflagged"] for t in table.values())
    caught = wrong - missed
    return {"fields": n, "wrong": wrong, "flagged": flagged, "wrong_unflagged": missed,
            "recall": caught / wrong if wrong else 1.0,
            "precision": caught / flagged if flagged else 1.0}


def print_table(name: str, table: dict, verbose: bool) -> None:
    print(f"\n== {name}")
    q = queue({k: t for k, t in table.items() if not k.startswith("_")})
    print(f"review queue: {q['flagged']} of {q['fields']} fields flagged, {q['wrong']} wrong, "
          f"{q['wrong_unflagged']} wrong and not flagged; recall {q['recall']:.0%}, "
          f"precision {q['precision']:.0%}")
    print(f"{'field':16} {'n':>3} {'exact':>7} {'review':>7} {'conf-wrong':>10} {'or-alt':>7}")
    for k, t in table.items():
        n = t["n"]
        print(f"{k:16} {n:3d} {t['exact'] / n:7.0%} {t['review'] / n:7.0%} "
              f"{t['wrong_unflagged'] / n:10.0%} {t['offered'] / n:7.0%}")
        if verbose:
            for m in t["misses"]:
                print(f"      {m}")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--corpus", type=Path, default=Path("/work/shared/corpus/real"))
    ap.add_argument("--cache", type=Path, default=Path("/tmp/eval_cache"))
    ap.add_argument("--labels", type=Path, default=ROOT / "scripts/labels/scanned_fields.json")
    ap.add_argument("--json", action="store_true")
    ap.add_argument("-v", "--verbose", action="store_true", help="list every miss")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--archive", type=Path,
                    help="also score what `digitize ingest` stored in this archive for the real "
                         "scans (the production path end to end, not the cache)")
    args = ap.parse_args(argv)
    from digitize.fields.extract import extract_fields

    bd = args.corpus / "born_digital"
    gt = json.loads((bd / "gt_fields.json").read_text())
    bd_pdfs = [bd / f"{k}.pdf" for k in gt]
    labels = json.loads(args.labels.read_text())["docs"]
    sc_pdfs = [args.corpus / "scanned" / f"{k}.pdf" for k in labels]
    build_cache(bd_pdfs + sc_pdfs, args.cache, args.workers)

    results = {}
    rows = [(p.stem, expected_born_digital(gt[p.stem]), extract_fields(text_layer_pages(p)))
            for p in bd_pdfs]
    results["born_digital_text_layer"] = score(rows)
    rows = [(p.stem, expected_born_digital(gt[p.stem]),
             _extract(extract_fields, mended_pages(p, args.cache), Rereader(p, args.cache)))
            for p in bd_pdfs]
    results["born_digital_ocr"] = score(rows)
    rows = [(p.stem, labels[p.stem],
             _extract(extract_fields, mended_pages(p, args.cache), Rereader(p, args.cache)))
            for p in sc_pdfs]
    results["real_scans_ocr"] = score(rows)
    if args.archive:
        stored = archived_fields(args.archive)
        missing = [k for k in labels if k not in stored]
        if missing:
            raise SystemExit(f"{args.archive}: no record of {', '.join(missing)}: ingest "
                             f"{args.corpus / 'scanned'} into it first")
        results["real_scans_archive"] = score([(k, labels[k], stored[k]) for k in labels])
    if args.json:
        print(json.dumps(results, ensure_ascii=False, indent=1))
    else:
        for name, table in results.items():
            print_table(name, table, args.verbose)
    return 0


if __name__ == "__main__":
    sys.exit(main())
