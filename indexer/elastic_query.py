"""Elasticsearch query bodies for the embedded backend's matching and ranking rules.

Plain dicts only (no client here). Every page document carries its folded tokens (``fo``) and
exact tokens (``ex``), made by `indexer.textnorm` in our code and indexed with the whitespace
analyzer, so both backends see the same tokens. Scores are not BM25: like the embedded backend,
a page scores 1 for matching, plus fixed bonuses (each a ``constant_score`` clause):

* EXACT_BONUS per query unit the page also has with the query's diacritics ("Hòa" above "Hóa"),
* PHRASE_BONUS per pair of neighbouring query words that are neighbours on the page,
* EXACT_PAIR_BONUS per pair of such words neighbours with the query's diacritics,
* FIELD_BONUS when the query names the record's own document number or person ID,
* NAME_BONUS when a run of query words is the name of one of the record's persons.

A record's score is its best page's; ties go to the newest record (ingested, then issued).
With ``person``, the person tier (see `person_clauses`) is added times TIER, so it orders the
results first and the text bonuses order records within a tier, as in the embedded backend.
"""
from __future__ import annotations

from typing import Any

from . import textnorm as tn
from .base import Query

EXACT_BONUS = 10.0
PHRASE_BONUS = 5.0
EXACT_PAIR_BONUS = 5.0
FIELD_BONUS = 10.0
NAME_BONUS = 10.0
NAME_WORDS_MAX = 5  # as the embedded backend: longer runs of query words are not names
TIER = 1000.0  # person tiers (0..3) outweigh any sum of text bonuses

NEWEST = [{"issued": {"order": "desc", "missing": "_last"}},
          {"ingested": {"order": "desc", "missing": "_last"}},
          {"seq": {"order": "desc", "missing": "_last"}}, {"page": "asc"}]
BEST = [{"_score": "desc"}, {"ingested": {"order": "desc", "missing": "_last"}},
        {"seq": {"order": "desc", "missing": "_last"}}, {"page": "asc"}]


def _const(q: dict, boost: float) -> dict:
    return {"constant_score": {"filter": q, "boost": boost}}


def _phrase(field: str, toks: list[str]) -> dict:
    return {"match_phrase": {field: " ".join(toks)}}


def filters(q: Query) -> list[dict]:
    """Filter clauses for the query's filters (not scored)."""
    f: list[dict] = []
    if q.doc_type:
        f.append({"term": {"doc_type_f": tn.fold(q.doc_type)}})
    if q.issuer:
        f.append(_phrase("issuer_f", tn.folded_tokens(q.issuer, extras=False)))
    if q.number:
        f.append({"term": {"number_n": tn.norm_number(q.number)}})
    if q.date_from or q.date_to:
        rng = {"gte": q.date_from} if q.date_from else {}
        if q.date_to:
            rng["lte"] = q.date_to + "\uffff"
        f.append({"range": {"issued": rng}})
    if q.dossier:
        f.append({"term": {"dossiers": tn.norm_number(q.dossier)}})
    if q.person_id:  # in the record's fields, or printed on this page
        pid = tn.norm_id(q.person_id)
        f.append({"bool": {"should": [{"term": {"person_ids": pid}},
                                      {"term": {"text_ids": pid}}],
                           "minimum_should_match": 1}})
    if q.person:
        fo = tn.folded_tokens(q.person, extras=False)
        if fo:
            f.append({"bool": {"should": [_phrase("persons_fo", fo), _phrase("fo", fo)],
                               "minimum_should_match": 1}})
    return f


def person_clauses(name: str) -> list[dict]:
    """Scoring clauses for `Query.person`, whose sum is the embedded backend's tier: 2 when the
    name stands as typed (its marks, tone placement aside) in the record's persons or on the
    page, plus 1 when it is among the record's persons at all (diacritics aside)."""
    ex = tn.exact_tokens(name, extras=False)
    fo = tn.fold_tokens(ex)
    if not fo:
        return []
    out = [_const(_phrase("persons_fo", fo), TIER)]
    if tn.has_marks(name):
        out.append({"dis_max": {"queries": [_const(_phrase("persons_ex", ex), 2 * TIER),
                                            _const(_phrase("ex", ex), 2 * TIER)]}})
    return out


def text_query(units: list[tn.QueryUnit], marks: bool, fuzzy: bool) -> dict:
    """Every unit must match (any of its forms; one-letter OCR typos too with `fuzzy`);
    the bonuses of the module doc as constant-score clauses."""
    must, should = [], []
    numbers_only = all(u.number for u in units)
    for u in units:
        alts: list[dict] = [_phrase("fo", a) for a in [u.folded, *u.alts, *u.relaxed]]
        if u.number and numbers_only:  # the record's own number, wherever OCR misread it
            alts.append({"term": {"number_n": u.folded[0]}})
        if fuzzy and u.fuzzy:
            alts.append({"match": {"fo": {"query": u.folded[0], "fuzziness": 1,
                                          "prefix_length": 1, "max_expansions": 16}}})
        must.append({"bool": {"should": alts, "minimum_should_match": 1}})
        if marks and not u.number and u.exact != u.folded:
            should.append(_const({"bool": {"filter": [{"term": {"ex": t}} for t in u.exact]}},
                                 EXACT_BONUS))
    runs = tn.word_runs(units, as_units=True)
    for run in runs:
        for a, b in zip(run, run[1:]):
            should.append(_const(_phrase("fo", [a.folded[0], b.folded[0]]), PHRASE_BONUS))
    phrases = [u.exact for u in units if len(u.exact) > 1 and not u.number]
    phrases += [[u.exact[0] for u in run] for run in runs]
    for ph in phrases:
        if marks and tn.fold_tokens(ph) != ph:
            should.append(_const(_phrase("ex", ph), EXACT_PAIR_BONUS * (len(ph) - 1)))
    keys = [u.folded[0] for u in units if u.number]
    if keys:
        should.append(_const({"bool": {"should": [{"terms": {"number_n": keys}},
                                                  {"terms": {"person_ids": keys}}]}},
                             FIELD_BONUS))
    names = [(u.folded, u.exact) for u in units if len(u.exact) > 1 and not u.number]
    names += [([u.folded[0] for u in r], [u.exact[0] for u in r]) for r in runs]
    for fo, ex in names:
        if len(fo) > NAME_WORDS_MAX:  # a subject or a sentence, not a name
            continue
        exact = marks and tn.has_marks(" ".join(ex))
        should.append(_const(_phrase("persons_ex" if exact else "persons_fo",
                                     ex if exact else fo), NAME_BONUS))
    base = _const({"bool": {"filter": must}}, 1.0)
    return {"bool": {"must": [base], "should": should}}


def search_body(query: dict, filt: list[dict], frm: int, size: int, sort: list,
                facets: bool, exclude: list[str] | None = None,
                person: list[dict] | None = None) -> dict[str, Any]:
    """One collapsed search: a hit per record (its best page), the matching pages as inner
    hits, the number of records, and facets counted in records."""
    must = [query]
    if person:
        must = [{"bool": {"must": [query], "should": person}}]
    q: dict[str, Any] = {"bool": {"must": must, "filter": filt}}
    if exclude:
        q["bool"]["must_not"] = [{"terms": {"record_id": exclude}}]
    aggs: dict[str, Any] = {"records": {"cardinality": {"field": "record_id",
                                                        "precision_threshold": 40000}}}
    if facets:
        per = {"recs": {"cardinality": {"field": "record_id", "precision_threshold": 40000}}}
        aggs |= {k: {"terms": {"field": k, "size": 200}, "aggs": per}
                 for k in ("doc_type", "issuer", "year")}
    return {"query": q, "from_": frm, "size": size, "sort": sort, "aggs": aggs,
            "collapse": {"field": "record_id", "inner_hits": {
                "name": "pages", "size": 100, "_source": ["page"],
                "sort": [{"_score": "desc"}, {"page": "asc"}]}},
            "source": ["record_id", "title", "fields", "text", "page"],
            "track_total_hits": False}
