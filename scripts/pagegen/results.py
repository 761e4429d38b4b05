"""Generate result documents ("kết quả giải quyết TTHC") printed like the official forms, with truth.

    python scripts/pagegen/results.py OUT --split dev|heldout --count N [--text-only] [--dpi 200]

writes, per document, OUT/<doc_id>.json (the truth, see the holders contract in the brief) and,
unless --text-only, OUT/<doc_id>_p1.jpg ... (the degraded page scans; PNG when clean). The truth also carries
"lines" (printed lines per page) and "words" (per page, OCR-shaped words with boxes from the font
metrics: [text, [x0, y0, x1, y1], line, block]) and "size" [width, height, dpi], so text-level
work can run without OCR (see `page_texts`).

Kinds (KINDS): household business and enterprise registration certificates, building permit,
birth / marriage / death record extracts, marital status confirmation, land-use right certificate,
land allocation / lease / recovery decisions, social-allowance decision, conditional business
licence (with vehicles for transport), certified copy. Each kind has several wordings and layouts
(labelled lines, two labels on a line, two columns, tables, running text, names in capitals) and
every document draws a font, a degradation level and the old or new tone placement.

The split is frozen: document seeds are 0, 1, 2, ...; a seed is held-out when the SHA-256 of
"results-split-v1:<seed>" falls in the lower 30% (`split_of`). `--split dev --count N` takes the
first N dev seeds. Held-out also draws wordings and layouts that never appear in dev (the variants
whose name ends in "*", and the font "schola"): the marriage extract as a single two-column label
table, the birth extract's holder block as a label|value table, the social-allowance decision's
"chi trả ... cho bà (ông) X (CCCD: ...)" wording, the land recovery decision naming the household
as "hộ bà (ông)", and the land-use certificate with the holders in a table. People tuning on dev
do not need to read those variants (and must not read held-out output).
"""
from __future__ import annotations

import argparse
import hashlib
import json
import random
import sys
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from scripts.pagegen import forms_business as FB  # noqa: E402
from scripts.pagegen import forms_civil as FC  # noqa: E402
from scripts.pagegen import forms_land as FL  # noqa: E402
from scripts.pagegen import vndata as V  # noqa: E402
from scripts.pagegen.forms import Ctx  # noqa: E402
from scripts.pagegen.layout import (Header, available_families, layout, lines_of,  # noqa: E402
                                    words_of)

SPLIT_SALT = "results-split-v1"
HELDOUT_SHARE = 0.30
DEV_FONTS = ("termes", "freeserif", "notoserif", "pagella")
HELDOUT_FONTS = DEV_FONTS + ("schola",)
DEGRADATIONS = {
    "clean": {},
    "light": {"skew": 0.6, "noise": 4, "jpeg_quality": 85},
    "medium": {"skew": -1.4, "blur": 0.6, "noise": 8, "jpeg_quality": 70, "red_seal": True},
    "heavy": {"skew": 2.2, "blur": 0.9, "noise": 11, "jpeg_quality": 55, "speckle": 0.002,
              "shade": 0.3, "red_seal": True},
}


def split_of(seed: int) -> str:
    """'heldout' or 'dev', fixed forever by the seed."""
    h = int(hashlib.sha256(f"{SPLIT_SALT}:{seed}".encode()).hexdigest()[:8], 16)
    return "heldout" if h / 0xFFFFFFFF < HELDOUT_SHARE else "dev"


def seeds(split: str, count: int) -> list[int]:
    out, s = [], 0
    while len(out) < count:
        if split_of(s) == split:
            out.append(s)
        s += 1
    return out


KINDS = {
    "household_business": FB.k_household, "enterprise": FB.k_enterprise,
    "building_permit": FB.k_building, "birth_extract": FC.k_birth,
    "marriage_extract": FC.k_marriage, "death_extract": FC.k_death,
    "marital_status": FC.k_marital, "land_certificate": FL.k_land_cert,
    "land_allocation": FL.k_land_allocation, "land_lease": FL.k_land_lease,
    "land_recovery": FL.k_land_recovery, "social_allowance": FC.k_allowance,
    "business_licence": FB.k_licence, "certified_copy": FC.k_certified_copy,
}


# ------------------------------------------------------------------------------- documents
def _old(x):
    if isinstance(x, str):
        return V.old_tones(x)
    if isinstance(x, list):
        return [_old(v) for v in x]
    if isinstance(x, tuple):
        return tuple(_old(v) for v in x)
    if isinstance(x, dict):
        return {k: _old(v) for k, v in x.items()}
    return x


def _number_of(line: str | None) -> str | None:
    if not line:
        return None
    return line.split(":", 1)[1].strip() if ":" in line else line


def generate(seed: int, index: int, split: str | None = None, dpi: int = 200,
             families: list[str] | None = None) -> tuple[dict, object]:
    """The truth of document `seed` (kind chosen by `index` so a set covers every kind) and its
    layout (`scripts.pagegen.layout.Laid`)."""
    split = split or split_of(seed)
    rng = random.Random(f"results:{seed}")
    kind = list(KINDS)[index % len(KINDS)]
    ctx = Ctx(rng, split == "heldout", rng.random() < 0.25)
    made = KINDS[kind](ctx)
    h: Header = made["header"]
    old = rng.random() < 0.35
    fams = [f for f in (HELDOUT_FONTS if ctx.heldout else DEV_FONTS)
            if f in (families or available_families())]
    family = rng.choice(fams)
    degradation = rng.choice(("clean", "light", "light", "medium", "medium", "heavy"))
    people = [p.truth() for p in made["holders"]]
    truth_header = {
        "issuer": " ".join(h.issuer), "number": made.get("number") or _number_of(h.number),
        "issued_date": None, "doc_type": h.doc_type,
        "place": None, "subject": " ".join(h.subject) or None,
        "signer_title": " ".join(h.signer_title) or None, "signer_name": h.signer_name}
    pd = h.place_date or h.date_at_bottom
    if pd:
        truth_header["place"] = pd.split(",", 1)[0]
        import re
        m = re.search(r"ngày (\d+) tháng (\d+) năm (\d{4})", pd)
        truth_header["issued_date"] = f"{m[3]}-{int(m[2]):02d}-{int(m[1]):02d}"
    body = made["body"]
    orgs, objects = made["orgs"], made["objects"]
    if old:
        h = Header(*(_old(getattr(h, f)) for f in h.__dataclass_fields__))
        body = _old(body)
        people, orgs, objects = _old(people), _old(orgs), _old(objects)
        truth_header = {k: (v if k in ("number", "issued_date") else _old(v))
                        for k, v in truth_header.items()}
    size = {"termes": 13.0, "freeserif": 13.0, "notoserif": 12.0, "pagella": 12.5,
            "schola": 12.0}[family]
    laid = layout(h, body, family, dpi, size)
    doc_id = f"{split[0]}{seed:05d}-{kind}"
    truth = {"doc_id": doc_id, "kind": kind, "split": split, "layout": made["layout"],
             "font": family, "degradation": degradation, "tone_placement": "old" if old else "new",
             "header": truth_header, "holders": people, "organisations": orgs,
             "objects": objects,
             "pages": [f"{doc_id}_p{i}.{'png' if degradation == 'clean' else 'jpg'}"
                       for i in range(1, len(laid.pages) + 1)],
             "lines": lines_of(laid), "words": words_of(laid),
             "size": [laid.width, laid.height, dpi]}
    return truth, laid


def render(truth: dict, laid, seed: int) -> list:
    """The page images of a generated document, degraded as its truth says (the JPEG step of
    a degradation is left to `save_pages`, which writes the scan as that JPEG)."""
    from scripts.pagegen.layout import draw
    from scripts.pagegen.render import degrade
    opts = {k: v for k, v in DEGRADATIONS[truth["degradation"]].items() if k != "jpeg_quality"}
    return [degrade(img, seed=seed * 7 + i, **opts) for i, img in enumerate(draw(laid))]


def save_pages(truth: dict, laid, seed: int, out: Path) -> None:
    """Write the document's page scans into `out`: PNG when clean, else the JPEG a scanner would
    have written at the degradation's quality."""
    dpi = truth["size"][2]
    quality = DEGRADATIONS[truth["degradation"]].get("jpeg_quality", 85)
    for name, img in zip(truth["pages"], render(truth, laid, seed)):
        if name.endswith(".jpg"):
            img.save(out / name, "JPEG", quality=quality, dpi=(dpi, dpi))
        else:
            img.save(out / name, dpi=(dpi, dpi))


def page_texts(truth: dict):
    """The truth's words as `ocr.types.PageText` pages (confidence 95), for text-level runs of the
    extractor without OCR."""
    from ocr.types import Box, PageText, Word
    w, h, dpi = truth["size"]
    pages = []
    for n, words in enumerate(truth["words"], 1):
        ws = [Word(t, Box(*b), 95.0, ln, bl) for t, b, ln, bl in words]
        pages.append(PageText(n, w, h, dpi, ws, "ocr", 95.0))
    return pages


def write_set(out: Path, split: str, count: int, text_only: bool = False, dpi: int = 200
              ) -> list[Path]:
    """Generate `count` documents of `split` into `out`; returns the truth files. Existing
    files are rewritten (generation is deterministic)."""
    out.mkdir(parents=True, exist_ok=True)
    paths = []
    for i, seed in enumerate(seeds(split, count)):
        truth, laid = generate(seed, i, split, dpi)
        if not text_only:
            save_pages(truth, laid, seed, out)
        p = out / f"{truth['doc_id']}.json"
        p.write_text(json.dumps(truth, ensure_ascii=False, indent=1))
        paths.append(p)
    return paths


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="Generate result documents (pages + truth JSON).")
    ap.add_argument("out", type=Path, help="output folder")
    ap.add_argument("--split", choices=("dev", "heldout"), default="dev")
    ap.add_argument("--count", type=int, default=len(KINDS))
    ap.add_argument("--text-only", action="store_true", help="truth JSON only, no page images")
    ap.add_argument("--dpi", type=int, default=200)
    args = ap.parse_args(argv)
    if args.count < 1:
        ap.error("--count must be at least 1")
    paths = write_set(args.out, args.split, args.count, args.text_only, args.dpi)
    print(f"{len(paths)} documents ({args.split}) in {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
