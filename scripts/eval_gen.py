"""The generated result documents in scripts/eval_fields.py: making the sets, scoring holders,
organisations and objects against their truth, and `search --person-id` on an embedded index.

Comparison rules (the holders contract): NFC, tone placement normalised (hoà = hòa), whitespace
collapsed; a different tone mark is a different value; names compared case-sensitively as
printed; ID numbers without spaces and dots, upper case. A field the extractor does not produce
(yet) counts as not found.
"""
from __future__ import annotations

import hashlib
import json
import sys
import tempfile
import unicodedata
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RENDER_FILES = ("layout.py", "render.py")  # what draws the pages from their truth
HEADER_KEYS = ("issuer", "number", "issued_date", "doc_type", "place", "subject", "signer_title",
               "signer_name")
HOLDER_ATTRS = ("name", "id_number", "birth_date", "sex", "address", "role")
OBJECT_ATTRS = {"parcel": ("parcel", "map_sheet", "area", "address"), "business": ("name", "code"),
                "enterprise": ("name", "code"), "building": ("address", "area"),
                "vehicle": ("plate",)}
ORG_ATTRS = ("name", "tax_code", "address")


def gen_tag(dpi: int) -> str:
    """Changes whenever the drawing of pages changes (layout, renderer, degradations), so stale
    pages are never used. A change of content shows in the truth instead (`make_set`)."""
    import inspect

    from scripts.pagegen import results as R
    h = hashlib.sha256()
    for name in RENDER_FILES:
        h.update((ROOT / "scripts/pagegen" / name).read_bytes())
    for fn in (R.render, R.save_pages):
        h.update(inspect.getsource(fn).encode())
    h.update(repr(R.DEGRADATIONS).encode())
    return f"{h.hexdigest()[:10]}-{dpi}"


def truth_key(truth_text: str) -> str:
    """A short hash of a document's truth: its pages' OCR is cached under it."""
    return hashlib.sha256(truth_text.encode()).hexdigest()[:8]


def _text(truth: dict) -> str:
    return json.dumps(truth, ensure_ascii=False)


def _make(job: tuple[int, int, str, str, int]) -> str:
    seed, index, split, out, dpi = job
    from scripts.pagegen import results as R
    truth, laid = R.generate(seed, index, split, dpi)
    out_dir = Path(out)
    R.save_pages(truth, laid, seed, out_dir)
    p = out_dir / f"{truth['doc_id']}.json"
    tmp = p.with_suffix(".tmp")
    tmp.write_text(_text(truth))
    tmp.replace(p)  # the truth last: a document with its truth file is complete
    return str(p)


def make_set(root: Path, split: str, count: int, dpi: int = 200, workers: int = 2
             ) -> list[Path]:
    """`count` documents of `split` under root/<gen_tag>/<split>; the truth files in order. A
    document is drawn again only when its truth differs from the stored one (a generator change
    redraws the documents it changed, not the others)."""
    from scripts.pagegen import results as R
    out = root / gen_tag(dpi) / split
    out.mkdir(parents=True, exist_ok=True)
    jobs, paths = [], []
    for i, seed in enumerate(R.seeds(split, count)):
        truth = R.generate(seed, i, split, dpi)[0]
        p = out / f"{truth['doc_id']}.json"
        if p.exists() and p.read_text() == _text(truth):
            paths.append(p)
        else:
            jobs.append((seed, i, split, str(out), dpi))
            paths.append(None)
    if jobs:
        print(f"generating {len(jobs)} {split} documents into {out} ...", file=sys.stderr)
        with ProcessPoolExecutor(workers) as ex:
            made = iter(ex.map(_make, jobs))
            paths = [p or Path(next(made)) for p in paths]
    return paths


# ------------------------------------------------------------------------------- comparing
def canon(v, case: bool = True) -> str:
    from indexer.textnorm import canonical_tones
    s = "" if v is None else unicodedata.normalize("NFC", str(v))
    s = canonical_tones(s).replace("Ð", "Đ").replace("–", "-").replace("—", "-")
    s = " ".join(s.split())
    return s if case else s.lower()


def canon_id(v) -> str:
    return "".join(ch for ch in str(v or "") if ch.isalnum()).upper()


def same(attr: str, got, want) -> bool:
    if attr in ("id_number", "tax_code", "code", "plate", "parcel", "map_sheet"):
        return canon_id(got) == canon_id(want)
    if attr == "area":
        return canon(got).replace(" ", "") == canon(want).replace(" ", "")
    if attr in ("address", "role", "sex"):
        return canon(got, case=False).rstrip(".") == canon(want, case=False).rstrip(".")
    return canon(got) == canon(want)


def _fold(s) -> str:
    from indexer.textnorm import fold
    return " ".join(fold(str(s or "")).split())


def _value(fields: dict, name: str) -> tuple[list, bool]:
    f = fields.get(name)
    if f is None:
        return [], False
    v = f.value if hasattr(f, "value") else f.get("value")
    review = f.needs_review if hasattr(f, "needs_review") else f.get("needs_review", False)
    return (v if isinstance(v, list) else []), bool(review)


def _match(truths: list[dict], got: list[dict], keys: tuple[str, ...]) -> list[dict | None]:
    """Pair each truth item with an extracted one: same key value (first key first), else by
    folded name, else the next unused item of the same kind in order."""
    got = [g for g in got if isinstance(g, dict)]
    used: set[int] = set()
    out: list[dict | None] = []
    for t in truths:
        pick = None
        for k in keys:
            if t.get(k):
                for i, g in enumerate(got):
                    if i not in used and g.get(k) and (
                            canon_id(g[k]) == canon_id(t[k]) if k != "name"
                            else _fold(g[k]) == _fold(t[k])):
                        pick = i
                        break
            if pick is not None:
                break
        if pick is None:
            pick = next((i for i, g in enumerate(got) if i not in used
                         and g.get("kind", t.get("kind")) == t.get("kind")
                         and not any(g.get(k) for k in keys if k != "name")), None)
        if pick is not None:
            used.add(pick)
        out.append(got[pick] if pick is not None else None)
    return out


def _flag(item: dict | None, attr: str, field_review: bool) -> bool:
    if item is None:
        return field_review
    ev = (item.get("evidence") or {}).get(attr) or {}
    return bool(item.get("needs_review") or ev.get("needs_review"))


class Table:
    """Per field: n, exact, sent to review, confidently wrong (wrong and not flagged), misses."""

    def __init__(self) -> None:
        self.rows: dict[str, dict] = {}

    def add(self, field: str, ok: bool, flagged: bool, doc: str, got, want,
            offered: bool = False) -> None:
        """`offered`: the right value is among the alternatives the review queue shows."""
        t = self.rows.setdefault(field, {"n": 0, "exact": 0, "review": 0, "wrong_unflagged": 0,
                                         "wrong_flagged": 0, "offered": 0, "misses": []})
        t["n"] += 1
        t["exact"] += ok
        t["offered"] += ok or offered
        t["review"] += flagged
        if not ok:
            t["wrong_unflagged" if not flagged else "wrong_flagged"] += 1
            t["misses"].append(f"{doc}: got {got!r} (review={flagged}) want {want!r}")


def score_doc(table: Table, truth: dict, fields: dict, header_got: dict, header_review: dict,
              norm) -> None:
    """Add one document's header (compared with `norm`, the header fields' rule), holders,
    organisations and objects to `table`."""
    doc = truth["doc_id"]
    for k in HEADER_KEYS:
        want = truth["header"].get(k)
        if want is None:
            continue
        got = header_got.get(k)
        f = fields.get(k)
        alts = (getattr(f, "alternatives", None) or []) if f is not None else []
        table.add(k, norm(got) == norm(want), bool(header_review.get(k)), doc, got, want,
                  any(norm(a) == norm(want) for a in alts))
    holders, rev = _value(fields, "holders")
    for t, g in zip(truth["holders"], _match(truth["holders"], holders, ("id_number", "name"))):
        for a in HOLDER_ATTRS:
            if t.get(a) is not None:
                got = g.get(a) if g else None
                table.add(f"holder.{a}", g is not None and same(a, got, t[a]),
                          _flag(g, a, rev), doc, got, t[a])
    orgs, rev = _value(fields, "organisations")
    for t, g in zip(truth["organisations"], _match(truth["organisations"], orgs,
                                                   ("tax_code", "name"))):
        for a in ORG_ATTRS:
            if t.get(a) is not None:
                got = g.get(a) if g else None
                table.add(f"org.{a}", g is not None and same(a, got, t[a]), _flag(g, a, rev),
                          doc, got, t[a])
    objects, rev = _value(fields, "objects")
    for kind, attrs in OBJECT_ATTRS.items():
        want = [o for o in truth["objects"] if o["kind"] == kind]
        if not want:
            continue
        have = [o for o in objects if isinstance(o, dict) and o.get("kind") == kind]
        key = {"parcel": ("parcel",), "vehicle": ("plate",)}.get(kind, ("code", "name"))
        for t, g in zip(want, _match(want, have, key)):
            oks = []
            for a in attrs:
                if t.get(a) is not None:
                    got = g.get(a) if g else None
                    ok = g is not None and same(a, got, t[a])
                    oks.append(ok if a != "address" else True)
                    table.add(f"{kind}.{a}", ok, _flag(g, a, rev), doc, got, t[a])
            if kind == "parcel":  # number, sheet and area all right
                flagged = _flag(g, "parcel", rev) or any(_flag(g, a, rev) for a in attrs)
                table.add("parcel", all(oks), flagged, doc, g and {a: g.get(a) for a in attrs},
                          {a: t.get(a) for a in attrs})


def field_order(keys) -> list[str]:
    """Header fields first, then holders, parcels, organisations and the other objects."""
    keys = list(dict.fromkeys(keys))
    rank = [*HEADER_KEYS, *(f"holder.{a}" for a in HOLDER_ATTRS), "parcel",
            *(f"parcel.{a}" for a in OBJECT_ATTRS["parcel"]), *(f"org.{a}" for a in ORG_ATTRS)]
    return sorted(keys, key=lambda k: (rank.index(k) if k in rank else len(rank), k))


def queue_quality(rows: dict) -> dict:
    """The review queue over every scored field: recall = wrong and flagged / wrong, precision =
    wrong and flagged / flagged."""
    wrong = sum(t["n"] - t["exact"] for t in rows.values())
    wf = sum(t.get("wrong_flagged", t["n"] - t["exact"] - t["wrong_unflagged"])
             for t in rows.values())
    flagged = sum(t["review"] for t in rows.values())
    return {"wrong": wrong, "flagged": flagged, "wrong_flagged": wf,
            "recall": wf / wrong if wrong else 1.0,
            "precision": wf / flagged if flagged else 1.0}


# ------------------------------------------------------------------------------- searching
def _same_person(attr: str, a, b) -> bool:
    if attr == "name":
        return bool(a) and canon(a, case=False) == canon(b, case=False)
    return same(attr, a, b)


def person_search(docs: list[tuple[dict, dict, list]]) -> dict:
    """Index every record of a set in a fresh embedded index (digitize.record.index_doc, as
    production) and query each holder's ID (`--person-id`) and name (`--person`): how often the
    right record comes first. A first hit counts as right when it is a record about that person:
    its truth holds that ID, or that very name (tone marks included) for a name query, since two
    records may be about people of one name."""
    from digitize.record import index_doc, title_of
    from indexer.base import Query
    from indexer.embedded import EmbeddedIndex
    with tempfile.TemporaryDirectory(prefix="eval-index-") as tmp:
        index = EmbeddedIndex(Path(tmp) / "index.sqlite")
        try:
            idocs = []
            for n, (truth, fields, pages) in enumerate(docs):
                doc = {"id": truth["doc_id"], "title": title_of(fields, pages),
                       "fields": {k: f.to_dict() for k, f in fields.items()},
                       "dossiers": [], "ingested_at": f"2026-01-01T00:{n // 60:02d}:{n % 60:02d}Z"}
                idocs.append(index_doc(doc, pages))
            index.upsert(idocs)
            about = {t["doc_id"]: t["holders"] for t, _, _ in docs}
            out = {"person_id": [0, 0, []], "person": [0, 0, []]}
            for truth, _, _ in docs:
                for p in truth["holders"]:
                    for key, attr in (("person_id", "id_number"), ("person", "name")):
                        if not p.get(attr):
                            continue
                        typed = p[attr].title() if attr == "name" else p[attr]  # as a clerk types
                        q = Query(**{key: typed}, limit=5)
                        hits = index.search(q).hits
                        first = hits[0].record_id if hits else None
                        out[key][1] += 1
                        if first == truth["doc_id"] or any(
                                _same_person(attr, h[attr], p[attr]) for h in about.get(first, [])):
                            out[key][0] += 1
                        else:
                            out[key][2].append(f"{truth['doc_id']}: {p[attr]!r} -> {first}")
        finally:
            index.close()
    return {k: {"top1": v[0], "n": v[1], "misses": v[2]} for k, v in out.items()}
