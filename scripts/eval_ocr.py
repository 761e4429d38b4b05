"""Score OCR against ground truth: character error rate and order-free word F1.

    python scripts/eval_ocr.py /work/shared/corpus/real/born_digital [--json] [--ocrmypdf]

Pages: every `<doc>.pdf` in DIR with ground truth `gt_text/<doc>.p<N>.txt` (rendered with
`pdftoppm -r 300 -gray`), plus pages rendered by `scripts.pagegen.render`; each degraded at the levels
clean / light / heavy (heavy: skew up to 4 degrees, blur, noise, JPEG, dark borders, punch holes,
uneven light, 200 DPI). Each page is read with and without `ocr.prepare.prepare_page`, by each
model in --langs. `score()` is the reusable part (the bench imports it).
"""
from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
import unicodedata
from collections import Counter
from concurrent.futures import ProcessPoolExecutor
from dataclasses import replace
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

os.environ.setdefault("OMP_THREAD_LIMIT", "1")

TONES = "\u0300\u0301\u0303\u0309\u0323"
_AFTER = r"(?![^\W\d_]|[\u0300-\u036f])"  # end of word: no letter or combining mark follows
_OLD_STYLE = [  # "hoà" / "hòa", "thuỷ" / "thủy": canonical form puts the tone on the first vowel
    (re.compile(rf"([oO])([aAeE])([{TONES}]){_AFTER}"), r"\1\3\2"),
    (re.compile(rf"(?<![qQ])([uU])([yY])([{TONES}]){_AFTER}"), r"\1\3\2"),
]
_PUNCT = "\"'.,:;!?()[]{}«»“”‘’…-–—*"


def normalise(text: str) -> str:
    """NFC, one tone placement for oa/oe/uy, single spaces (lines joined)."""
    t = unicodedata.normalize("NFD", text)
    for pat, rep in _OLD_STYLE:
        t = pat.sub(rep, t)
    t = unicodedata.normalize("NFC", t)
    return " ".join(t.split())


def words(text: str) -> list[str]:
    """Tokens for word F1: whitespace split, surrounding punctuation stripped, case kept."""
    out = []
    for w in normalise(text).split():
        w = w.strip(_PUNCT)
        if w:
            out.append(w)
    return out


def score(ocr_text: str, gt_text: str) -> dict:
    """CER (edit distance / ground-truth characters, order-sensitive) and bag-of-words F1
    (order-free, so the two-column header's reading order does not count)."""
    from rapidfuzz.distance import Levenshtein

    a, b = normalise(ocr_text), normalise(gt_text)
    edits = Levenshtein.distance(a, b)
    wa, wb = Counter(words(ocr_text)), Counter(words(gt_text))
    hit = sum((wa & wb).values())
    n_ocr, n_gt = sum(wa.values()), sum(wb.values())
    p = hit / n_ocr if n_ocr else 0.0
    r = hit / n_gt if n_gt else 0.0
    f1 = 2 * p * r / (p + r) if p + r else 0.0
    return {"cer": edits / max(1, len(b)), "edits": edits, "chars": len(b), "word_f1": f1,
            "word_hits": hit, "ocr_words": n_ocr, "gt_words": n_gt}


# ---- step 4 (measured, not in the pipeline): mend tokens that are no Vietnamese syllable ----

_LEXICON: set[str] | None = None


def syllable_lexicon() -> set[str]:
    """Lower-case words of the installed `vie` model's dictionary (dawg2wordlist), cached."""
    global _LEXICON
    if _LEXICON is None:
        from ocr.engine import find_tessdata

        cache = Path(tempfile.gettempdir()) / "vie_words.txt"
        if not cache.exists():
            with tempfile.TemporaryDirectory() as td:
                subprocess.run(["combine_tessdata", "-u", f"{find_tessdata('vie')}/vie.traineddata",
                                f"{td}/vie."], check=True, capture_output=True, timeout=120)
                subprocess.run(["dawg2wordlist", f"{td}/vie.lstm-unicharset",
                                f"{td}/vie.lstm-word-dawg", str(cache)], check=True,
                               capture_output=True, timeout=120)
        _LEXICON = {unicodedata.normalize("NFC", w.strip().lower())
                    for w in cache.read_text("utf-8").split() if w.strip()}
    return _LEXICON


def _base(w: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFD", w) if not unicodedata.combining(c))


def correct_text(text: str) -> str:
    """Replace each all-letter token that is not in the lexicon by its only neighbour at edit
    distance 1 (preferring one with the same letters without marks); numbers, codes such as
    04/QD-UBND and anything ambiguous are left alone. Case is kept."""
    from rapidfuzz import process
    from rapidfuzz.distance import Levenshtein

    lex = syllable_lexicon()
    lex_list = sorted(lex)
    out_lines = []
    for line in text.split("\n"):
        toks = []
        for tok in line.split(" "):
            core = tok.strip(_PUNCT)
            if len(core) < 2 or not core.isalpha() or core.lower() in lex:
                toks.append(tok)
                continue
            low = core.lower()
            cands = [c for c, d, _ in process.extract(low, lex_list, scorer=Levenshtein.distance,
                                                       score_cutoff=1, limit=60)]
            if len(cands) > 1:
                same = [c for c in cands if _base(c) == _base(low)]
                cands = same if len(same) == 1 else cands
            if len(cands) != 1:
                toks.append(tok)
                continue
            new = cands[0]
            new = new.upper() if core.isupper() else new.capitalize() if core[0].isupper() else new
            toks.append(tok.replace(core, new, 1))
        out_lines.append(" ".join(toks))
    return "\n".join(out_lines)


# ---- test pages ----

LEVELS = {
    "clean": {},
    "light": dict(skew=1.2, blur=0.6, noise=6, jpeg_quality=80),
    "heavy": dict(skew=3.7, blur=1.0, noise=14, jpeg_quality=45, border=60, punch_holes=2,
                  shade=0.35, dpi=200),
}


def render_pdf_pages(pdf: Path, cache: Path) -> list[Path]:
    out = cache / pdf.stem
    pages = sorted(cache.glob(f"{pdf.stem}-*.png"))
    if not pages:
        subprocess.run(["pdftoppm", "-r", "300", "-gray", "-png", str(pdf), str(out)], check=True,
                       timeout=300)
        pages = sorted(cache.glob(f"{pdf.stem}-*.png"))
    return pages


def collect_pages(corpus: Path, cache: Path, samples: int) -> list[tuple[str, str, object]]:
    """(name, ground truth, PIL page at 300 DPI) for the corpus and the rendered samples."""
    from PIL import Image

    from scripts.pagegen.render import DocSpec, render_page

    items = []
    for pdf in sorted(corpus.glob("*.pdf")):
        for i, png in enumerate(render_pdf_pages(pdf, cache), start=1):
            gt = corpus / "gt_text" / f"{pdf.stem}.p{i}.txt"
            if gt.exists():
                items.append((f"{pdf.stem[:14]}.p{i}", gt.read_text("utf-8"), Image.open(png)))
    specs = [DocSpec(), DocSpec(number="Số: 42/TB-UBND", doc_type="THÔNG BÁO",
                                subject=["Kết quả giải quyết thủ tục hành chính"]),
             DocSpec(issuer="HUYỆN SƠN TỊNH", number="Số: 04/QĐ-UBND",
                     signer_name="Nguyễn Thị Thủy")][:samples]
    for k, spec in enumerate(specs):
        from scripts.pagegen.render import expected_words
        items.append((f"sample{k}", " ".join(expected_words(spec)), render_page(spec, dpi=300)))
    return items


def degrade_page(img, level: str, seed: int, red_seal: bool):
    from PIL import Image

    from scripts.pagegen.render import degrade

    kw = dict(LEVELS[level])
    dpi = kw.pop("dpi", 300)
    if "skew" in kw:
        kw["skew"] *= (-1) ** seed * (0.6 + 0.4 * ((seed * 7) % 5) / 4)
    out = degrade(img.convert("L"), red_seal=red_seal and level != "clean", seed=seed, **kw)
    if dpi != 300:
        out = out.resize((round(out.width * dpi / 300), round(out.height * dpi / 300)),
                         Image.LANCZOS)
    arr = np.asarray(out)
    if arr.ndim == 3:
        arr = np.ascontiguousarray(arr[:, :, ::-1])  # RGB -> BGR
    return arr, dpi


# ---- OCR workers ----

_ENGINES: dict = {}


def _engine(lang: str):
    from ocr.engine import EngineSettings, TesseractEngine

    if lang not in _ENGINES:
        _ENGINES[lang] = TesseractEngine(EngineSettings(lang=lang))
    return _ENGINES[lang]


def _variants(prep_names: list[str]):
    from ocr.prepare import PrepareOptions

    base = PrepareOptions()
    table = {"prep": base, "prep_up300": replace(base, ocr_min_dpi=300.0),
             "prep_nodespeckle": replace(base, despeckle=False),
             "prep_noflat": replace(base, flat_field=False),
             "prep_ocr200": replace(base, ocr_max_dpi=200.0),
             "prep_ocr240": replace(base, ocr_max_dpi=240.0),
             "prep_ocr150": replace(base, ocr_max_dpi=150.0)}
    return {n: table[n] for n in prep_names if n != "none"}


def run_item(args) -> list[dict]:
    """OCR one degraded page in every configuration; returns one row per configuration."""
    name, gt, arr, dpi, level, langs, preps, correct = args
    from ocr.prepare import prepare_page
    from ocr.types import PageImage, words_to_text

    rows = []
    page = PageImage(name, 0, arr, dpi)
    images = {}
    if "none" in preps:
        images["none"] = (arr if arr.ndim == 2 else arr, dpi, {}, [])
    for pname, opts in _variants(preps).items():
        t = time.perf_counter()
        pp = prepare_page(page, opts, orient=_engine("vie").detect_orientation)
        t = time.perf_counter() - t
        pp.timings["total"] = t
        images[pname] = (pp.ocr_image, dpi * pp.ocr_scale, pp.timings, pp.notes)
    for lang in langs:
        eng = _engine(lang)
        for pname, (img, d, timings, notes) in images.items():
            t = time.perf_counter()
            text = words_to_text(eng.recognize(img, d))
            ocr_s = time.perf_counter() - t
            row = {"page": name, "level": level, "lang": lang, "prep": pname, "ocr_s": ocr_s,
                   "prep_timings": timings, "notes": notes, **score(text, gt)}
            rows.append(row)
            if correct:
                rows.append({**row, "prep": pname + "+vncorr",
                             **score(correct_text(text), gt)})
    return rows


def run_ocrmypdf(name: str, gt: str, arr: np.ndarray, dpi: float, level: str) -> dict:
    from PIL import Image

    with tempfile.TemporaryDirectory() as td:
        src, out = Path(td) / "in.png", Path(td) / "out.pdf"
        im = Image.fromarray(arr if arr.ndim == 2 else arr[:, :, ::-1])
        im.save(src, dpi=(dpi, dpi))
        t = time.perf_counter()
        exe = str(Path(sys.executable).parent / "ocrmypdf")
        subprocess.run([exe, "-q", "-l", "vie", "--output-type", "pdfa", "--deskew", "--clean",
                        "--rotate-pages", "--jobs", "2", "--image-dpi", str(int(dpi)), str(src),
                        str(out)], check=True, timeout=600, capture_output=True)
        el = time.perf_counter() - t
        text = subprocess.run(["pdftotext", "-layout", str(out), "-"], check=True,
                              capture_output=True, text=True, timeout=60).stdout
    return {"page": name, "level": level, "lang": "vie", "prep": "ocrmypdf", "ocr_s": el,
            **score(text, gt)}


# ---- report ----

def summarise(rows: list[dict]) -> list[dict]:
    groups: dict[tuple, list[dict]] = {}
    for r in rows:
        groups.setdefault((r["level"], r["prep"], r["lang"]), []).append(r)
    order = {k: i for i, k in enumerate(LEVELS)}
    out = []
    for (level, prep, lang), rs in sorted(groups.items(), key=lambda kv: (order[kv[0][0]],
                                                                          kv[0][1], kv[0][2])):
        edits, chars = sum(r["edits"] for r in rs), sum(r["chars"] for r in rs)
        hits = sum(r["word_hits"] for r in rs)
        n_ocr, n_gt = sum(r["ocr_words"] for r in rs), sum(r["gt_words"] for r in rs)
        p, rc = hits / max(1, n_ocr), hits / max(1, n_gt)
        out.append({"level": level, "prep": prep, "lang": lang, "pages": len(rs),
                    "cer": edits / max(1, chars), "word_f1": 2 * p * rc / max(1e-9, p + rc),
                    "ocr_s_per_page": statistics.mean(r["ocr_s"] for r in rs)})
    return out


def prep_timing_table(rows: list[dict]) -> dict[str, float]:
    acc: dict[str, list[float]] = {}
    seen = set()
    for r in rows:
        key = (r["page"], r["level"], r["prep"])
        if not r.get("prep_timings") or key in seen:
            continue
        seen.add(key)
        for k, v in r["prep_timings"].items():
            acc.setdefault(k, []).append(v * 1000)
    return {k: round(statistics.mean(v), 1) for k, v in acc.items()}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("dir", type=Path, help="folder with born-digital PDFs and gt_text/")
    ap.add_argument("--cache", type=Path, default=Path(tempfile.gettempdir()) / "eval_ocr_pages")
    ap.add_argument("--levels", default="clean,light,heavy")
    ap.add_argument("--langs", default="vie,Vietnamese,vie+Vietnamese")
    ap.add_argument("--preps", default="none,prep",
                    help="none,prep,prep_up300,prep_nodespeckle,prep_noflat")
    ap.add_argument("--samples", type=int, default=3, help="rendered Decree-30 pages to add")
    ap.add_argument("--max-pages", type=int, default=0)
    ap.add_argument("--repeat", type=int, default=1,
                    help="use each page this many times, each degraded differently (less noise)")
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--ocrmypdf", action="store_true", help="also run OCRmyPDF (slow)")
    ap.add_argument("--correct", action="store_true", help="also score Vietnamese correction")
    ap.add_argument("--per-page", action="store_true")
    ap.add_argument("--json", action="store_true", help="print rows and summary as JSON")
    a = ap.parse_args(argv)

    a.cache.mkdir(parents=True, exist_ok=True)
    pages = collect_pages(a.dir, a.cache, a.samples)
    if a.max_pages:
        pages = pages[:a.max_pages]
    langs, preps = a.langs.split(","), a.preps.split(",")
    work = []
    for level in a.levels.split(","):
        for seed, (name, gt, img) in enumerate(pages * a.repeat):
            arr, dpi = degrade_page(img, level, seed, red_seal=name.startswith("sample"))
            copy = seed // len(pages)
            work.append((f"{name}#{copy}" if copy else name, gt, arr, dpi, level, langs, preps,
                         a.correct))
    t0 = time.perf_counter()
    rows: list[dict] = []
    with ProcessPoolExecutor(a.jobs) as ex:
        for rs in ex.map(run_item, work):
            rows.extend(rs)
            print(f"  {rs[0]['level']:5} {rs[0]['page']:18} done", file=sys.stderr)
    if a.ocrmypdf:
        for name, gt, arr, dpi, level, *_ in work:
            rows.append(run_ocrmypdf(name, gt, arr, dpi, level))
    summary = summarise(rows)
    timing = prep_timing_table(rows)
    if a.json:
        print(json.dumps({"summary": summary, "prep_ms": timing, "rows": rows}, ensure_ascii=False,
                         indent=1))
        return 0
    print(f"{len(pages)} pages x {len(a.levels.split(','))} levels, "
          f"{time.perf_counter() - t0:.0f} s")
    print(f"{'level':6} {'prep':18} {'lang':15} {'pages':>5} {'CER %':>7} {'word F1':>8} "
          f"{'s/page':>7}")
    for s in summary:
        print(f"{s['level']:6} {s['prep']:18} {s['lang']:15} {s['pages']:5} "
              f"{100 * s['cer']:7.2f} {s['word_f1']:8.4f} {s['ocr_s_per_page']:7.2f}")
    if a.per_page:
        for r in rows:
            print(f"{r['level']:6} {r['page']:18} {r['prep']:18} {r['lang']:15} "
                  f"{100 * r['cer']:7.2f} {r['word_f1']:8.4f} {'; '.join(r.get('notes', []))}")
    print("prepare, mean ms per step:", timing)
    return 0


if __name__ == "__main__":
    sys.exit(main())
