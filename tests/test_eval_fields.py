"""scripts/eval_fields.py's scoring of generated result documents (no OCR: truth and text-level
pages from the generator)."""
from __future__ import annotations

import copy

from digitize.fields.model import Field
from scripts import eval_fields as E
from scripts import eval_gen as G
from scripts.pagegen import results as R


def _truths(n: int = 6) -> list[dict]:
    return [R.generate(s, i, "dev")[0] for i, s in enumerate(R.seeds("dev", n))]


def _perfect(truth: dict) -> dict:
    """Fields an ideal extractor would return for `truth` (nothing flagged)."""
    h = truth["header"]
    f = {k: Field(k, h.get(k), 0.9) for k in ("number", "issued_date", "doc_type", "place",
                                               "subject", "signer_title", "signer_name")}
    f["issuer"] = Field("issuer", h["issuer"], 0.9)
    f["holders"] = Field("holders", [dict(p, needs_review=False, evidence={})
                                     for p in truth["holders"]], 0.9)
    f["organisations"] = Field("organisations", [dict(o, needs_review=False)
                                                 for o in truth["organisations"]], 0.9)
    f["objects"] = Field("objects", [dict(o, needs_review=False) for o in truth["objects"]], 0.9)
    return f


def test_a_perfect_extraction_scores_exact_everywhere():
    truths = _truths()
    rows = E.score_generated([(t, _perfect(t)) for t in truths])
    assert {"holder.name", "holder.id_number", "holder.birth_date", "issuer"} <= set(rows)
    for k, t in rows.items():
        assert t["exact"] == t["n"] and t["wrong_unflagged"] == 0, (k, t["misses"])
    q = G.queue_quality(rows)
    assert q["wrong"] == 0 and q["recall"] == 1.0


def test_tone_mark_counts_placement_does_not():
    t = _truths(1)[0]
    t = copy.deepcopy(t)
    t["holders"][0]["name"] = "Hoàng Minh Hòa"
    placement = _perfect(t)
    placement["holders"].value[0]["name"] = "Hoàng Minh Hoà"
    mark = _perfect(t)
    mark["holders"].value[0]["name"] = "Hoàng Minh Hóa"
    caps = _perfect(t)
    caps["holders"].value[0]["name"] = "HOÀNG MINH HÒA"
    rows = E.score_generated([(t, placement), (t, mark), (t, caps)])
    name = rows["holder.name"]
    assert name["n"] == 3 and name["exact"] == 1 and name["wrong_unflagged"] == 2


def test_missing_and_flagged_values():
    t = _truths(1)[0]
    none = _perfect(t)
    del none["holders"]          # an extractor without holders: not found, not flagged
    flagged = _perfect(t)
    flagged["holders"].value[0]["id_number"] = "000000000000"
    flagged["holders"].value[0]["evidence"] = {"id_number": {"needs_review": True}}
    rows = E.score_generated([(t, none), (t, flagged)])
    ids = rows["holder.id_number"]
    assert ids["exact"] == 0 and ids["wrong_unflagged"] == 1 and ids["wrong_flagged"] == 1
    q = G.queue_quality({"holder.id_number": ids})
    assert q["recall"] == 0.5 and q["precision"] == 1.0


def test_person_search_on_text_level_pages():
    """One query per holder with an ID (and per name), each counted once; whether the right
    record comes first is what the script measures (the search side's own tests hold the
    behaviour)."""
    from digitize.fields import extract_fields
    docs = []
    for t in _truths(6):
        pages = R.page_texts(t)
        docs.append((t, extract_fields(pages), pages))
    got = G.person_search(docs)
    holders = [p for t, _, _ in docs for p in t["holders"]]
    assert got["person_id"]["n"] == sum(bool(p["id_number"]) for p in holders)
    assert got["person"]["n"] == len(holders)
    for r in got.values():
        assert r["top1"] + len(r["misses"]) == r["n"]


def test_heldout_misses_are_hidden():
    t = _truths(1)[0]
    rows = E.score_generated([(t, {})])
    result = {"fields": rows, "search": {"person_id": {"top1": 0, "n": 1, "misses": ["x"]}}}
    E._hide_misses(result)
    shown = [m for r in result["fields"].values() for m in r["misses"]]
    assert shown and all(m.endswith("hidden)") for m in shown)
    assert result["search"]["person_id"]["misses"] == ["(1 hidden)"]
    assert t["holders"][0]["name"] not in str(result)
