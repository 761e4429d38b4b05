"""Elasticsearch backend: the same contract as `EmbeddedIndex`, on a cluster.

One ES document per page (id ``record_id#page``) carrying the record's filter fields; results are
collapsed on ``record_id`` with the matching pages as inner hits (best first). Text is
normalised by `indexer.textnorm` in our code, and indexed pre-tokenised with a whitespace
analyzer: ``fo`` (folded tokens, positions: phrases, fuzziness) and ``ex`` (exact tokens,
boosted, so an exact-diacritic match ranks first). Fuzzy (edit distance 1) matching is only
added when the strict query finds fewer than ``fuzzy_below`` records, as in the embedded backend.

Writes go to the alias ``<prefix>-pages``. A full re-index builds a new concrete index and
switches the alias atomically::

    ix.begin_rebuild()          # new empty index; upserts now go there (searches: old one)
    ix.upsert(all_docs)
    ix.finish_rebuild()         # alias swap in one call, old index deleted
    # or: ix.rebuild(all_docs)

Works with 8.x and 9.x servers (the client is asked for REST compatibility with 8).
"""
from __future__ import annotations

import time
from typing import Any, Iterable

from elasticsearch import Elasticsearch, helpers

from . import textnorm as tn
from .base import Hit, IndexDoc, Query, SearchResult

_COMPAT = {"accept": "application/vnd.elasticsearch+json; compatible-with=8",
           "content-type": "application/vnd.elasticsearch+json; compatible-with=8"}
EXACT_BOOST = 10.0
_KW = {"type": "keyword"}
_WS = {"type": "text", "analyzer": "ws", "similarity": "BM25"}
MAPPINGS = {
    "dynamic": False,
    "properties": {
        "record_id": _KW, "page": {"type": "integer"}, "title": {"type": "keyword", "index": False},
        "fo": {**_WS, "index_options": "positions"}, "ex": {**_WS, "index_options": "positions"},
        "text": {"type": "text", "index": False},
        "doc_type": _KW, "doc_type_f": _KW, "issuer": _KW, "issuer_f": {"type": "text",
                                                                        "analyzer": "ws"},
        "number_n": _KW, "issued": _KW, "year": _KW,
        "dossiers": _KW, "person_ids": _KW, "person_words": _KW,
        "fields": {"type": "object", "enabled": False},
    },
}
SETTINGS = {"analysis": {"analyzer": {"ws": {"type": "custom", "tokenizer": "whitespace"}}},
            "number_of_shards": 1}


class ElasticIndex:
    """SearchBackend on Elasticsearch; build it with `ElasticIndex.from_url`."""

    def __init__(self, client: Elasticsearch, index_prefix: str = "digitize",
                 fuzzy_below: int = 20, replicas: int = 1) -> None:
        self.es = client.options(headers=_COMPAT)
        self.prefix = index_prefix
        self.alias = f"{index_prefix}-pages"
        self.fuzzy_below = fuzzy_below
        self._write = self.alias
        self.es.indices.put_index_template(
            name=f"{index_prefix}-pages", index_patterns=[f"{index_prefix}-pages-*"],
            template={"settings": {**SETTINGS, "number_of_replicas": replicas},
                      "mappings": MAPPINGS})
        if not self.es.indices.exists_alias(name=self.alias):
            first = self._new_index()
            self.es.indices.put_alias(index=first, name=self.alias)

    @classmethod
    def from_url(cls, url: str, api_key: str | None = None, username: str | None = None,
                 password: str | None = None, verify_certs: bool = True,
                 ca_certs: str | None = None, index_prefix: str = "digitize",
                 **opts: Any) -> "ElasticIndex":
        """Connect with an API key or basic auth; TLS certificates are verified by default."""
        kw: dict[str, Any] = {"verify_certs": verify_certs, "request_timeout": 60,
                              "retry_on_timeout": True, "max_retries": 3}
        if ca_certs:
            kw["ca_certs"] = ca_certs
        if api_key:
            kw["api_key"] = api_key
        elif username:
            kw["basic_auth"] = (username, password or "")
        return cls(Elasticsearch(url, **kw), index_prefix=index_prefix, **opts)

    def _new_index(self) -> str:
        name = f"{self.alias}-{time.strftime('%Y%m%d%H%M%S')}-{time.time_ns() % 10**6:06d}"
        self.es.indices.create(index=name)
        return name

    # ---- rebuild ---------------------------------------------------------------------------
    def begin_rebuild(self) -> str:
        """Create a fresh index and send upserts to it; searches keep using the alias."""
        self._write = self._new_index()
        return self._write

    def finish_rebuild(self) -> None:
        """Point the alias at the rebuilt index atomically and delete the previous index."""
        new = self._write
        if new == self.alias:
            raise RuntimeError("finish_rebuild() without begin_rebuild()")
        self.es.indices.refresh(index=new)
        old = list(self.es.indices.get_alias(name=self.alias).body)
        actions = [{"remove": {"index": o, "alias": self.alias}} for o in old]
        self.es.indices.update_aliases(actions=[*actions, {"add": {"index": new,
                                                                   "alias": self.alias}}])
        self._write = self.alias
        for o in old:
            self.es.indices.delete(index=o, ignore_unavailable=True)

    def rebuild(self, docs: Iterable[IndexDoc]) -> None:
        """Re-index everything into a new index, then switch the alias (zero downtime)."""
        self.begin_rebuild()
        try:
            self.upsert(docs)
        except BaseException:
            self.es.indices.delete(index=self._write, ignore_unavailable=True)
            self._write = self.alias
            raise
        self.finish_rebuild()

    # ---- writing ---------------------------------------------------------------------------
    def _actions(self, docs: list[IndexDoc]) -> Iterable[dict]:
        for d in docs:
            f = d.fields or {}
            issued = str(f.get("issued_date") or "")
            common = {
                "record_id": d.record_id, "title": tn.nfc(d.title or ""), "fields": f,
                "doc_type": f.get("doc_type"), "doc_type_f": tn.fold(str(f.get("doc_type") or "")),
                "issuer": f.get("issuer"),
                "issuer_f": " ".join(tn.folded_tokens(str(f.get("issuer") or ""), extras=False)),
                "number_n": tn.norm_number(str(f.get("number") or "")), "issued": issued,
                "year": issued[:4] or None,
                "dossiers": [tn.norm_number(str(x)) for x in f.get("dossiers") or []],
                "person_ids": [tn.norm_id(str(x)) for x in f.get("person_ids") or []],
                "person_words": sorted({w for p in f.get("persons") or []
                                        for w in tn.folded_tokens(str(p), extras=False)}),
            }
            for p in d.pages:
                text = tn.nfc(p.text)
                ex = tn.exact_tokens(text)
                yield {"_index": self._write, "_id": f"{d.record_id}#{p.page}",
                       "_source": {**common, "page": p.page, "text": text,
                                   "ex": " ".join(ex), "fo": " ".join(tn.fold_tokens(ex))}}

    def upsert(self, docs: Iterable[IndexDoc], chunk: int = 200) -> None:
        """Replace each record's pages (bulk, retried with back-off on 429s); visible on return.
        Not transactional: a failure mid-way can leave a record partly indexed until re-run."""
        batch: list[IndexDoc] = []
        for d in docs:
            batch.append(d)
            if len(batch) >= chunk:
                self._upsert(batch)
                batch = []
        if batch:
            self._upsert(batch)
        self.es.indices.refresh(index=self._write)

    def _upsert(self, docs: list[IndexDoc]) -> None:
        self.delete([d.record_id for d in docs], refresh=False)
        for ok, item in helpers.streaming_bulk(self.es, self._actions(docs), chunk_size=500,
                                               max_retries=6, initial_backoff=1, max_backoff=60,
                                               raise_on_error=True):
            if not ok:  # pragma: no cover - raise_on_error raises first
                raise RuntimeError(f"bulk indexing failed: {item}")

    def delete(self, record_ids: Iterable[str], refresh: bool = True) -> None:
        """Remove every page of these records."""
        ids = list(record_ids)
        if ids:
            self.es.delete_by_query(index=self._write, query={"terms": {"record_id": ids}},
                                    refresh=refresh, conflicts="proceed")

    def record_ids(self) -> set[str]:
        out: set[str] = set()
        after = None
        while True:
            comp = {"size": 1000, "sources": [{"r": {"terms": {"field": "record_id"}}}]}
            if after:
                comp["after"] = after
            res = self.es.search(index=self.alias, size=0, aggs={"ids": {"composite": comp}})
            agg = res["aggregations"]["ids"]
            out |= {b["key"]["r"] for b in agg["buckets"]}
            after = agg.get("after_key")
            if not agg["buckets"] or not after:
                return out

    def clear(self) -> None:
        """Delete every index behind the alias and the template."""
        for name in list(self.es.indices.get_alias(name=self.alias).body):
            self.es.indices.delete(index=name, ignore_unavailable=True)
        if self._write != self.alias:
            self.es.indices.delete(index=self._write, ignore_unavailable=True)
        self.es.indices.delete_index_template(name=self.alias)

    def close(self) -> None:
        self.es.close()

    # ---- reading ---------------------------------------------------------------------------
    def _filters(self, q: Query) -> list[dict]:
        f: list[dict] = []
        if q.doc_type:
            f.append({"term": {"doc_type_f": tn.fold(q.doc_type)}})
        if q.issuer:
            f.append({"match_phrase": {"issuer_f": " ".join(tn.folded_tokens(q.issuer, False))}})
        if q.number:
            f.append({"term": {"number_n": tn.norm_number(q.number)}})
        if q.date_from or q.date_to:
            rng = {k: v for k, v in (("gte", q.date_from), ("lte", (q.date_to or "") + "\uffff"))
                   if v and v != "\uffff"}
            f.append({"range": {"issued": rng}})
        if q.dossier:
            f.append({"term": {"dossiers": tn.norm_number(q.dossier)}})
        if q.person_id:
            f.append({"term": {"person_ids": tn.norm_id(q.person_id)}})
        for w in tn.folded_tokens(q.person or "", extras=False):
            f.append({"term": {"person_words": w}})
        return f

    def _text_query(self, units: list[tn.QueryUnit], marks: bool, fuzzy: bool) -> dict:
        must, should = [], []
        for u in units:
            alts: list[dict] = [{"match_phrase": {"fo": " ".join(a)}} for a in [u.folded, *u.alts]]
            if fuzzy and u.fuzzy:
                alts.append({"match": {"fo": {"query": u.folded[0], "fuzziness": 1,
                                              "prefix_length": 0, "boost": 0.2}}})
            must.append({"bool": {"should": alts, "minimum_should_match": 1}})
            if marks and not u.number and u.exact != u.folded:
                should.append({"match_phrase": {"ex": {"query": " ".join(u.exact),
                                                       "boost": EXACT_BOOST}}})
        return {"bool": {"must": must, "should": should}}

    def _run(self, query: dict, filters: list[dict], frm: int, size: int, sort: list,
             facets: bool, exclude: list[str] | None = None) -> dict:
        body_q = {"bool": {"must": [query], "filter": filters,
                           "must_not": [{"terms": {"record_id": exclude}}] if exclude else []}}
        aggs: dict[str, Any] = {"records": {"cardinality": {"field": "record_id",
                                                            "precision_threshold": 40000}}}
        if facets:
            per = {"recs": {"cardinality": {"field": "record_id"}}}
            aggs |= {k: {"terms": {"field": k, "size": 50}, "aggs": per}
                     for k in ("doc_type", "issuer", "year")}
        return self.es.search(
            index=self.alias, query=body_q, from_=frm, size=size, sort=sort, aggs=aggs,
            collapse={"field": "record_id", "inner_hits": {
                "name": "pages", "size": 50, "_source": ["page"], "sort": [{"_score": "desc"},
                                                                          {"page": "asc"}]}},
            source=["record_id", "title", "fields", "text"], track_total_hits=True).body

    def search(self, query: Query) -> SearchResult:
        """Same semantics as `EmbeddedIndex.search` (filters, phrases, tiers, facets)."""
        units, marks = tn.query_units(query.text or "")
        filters = self._filters(query)
        if not units:
            res = self._run({"match_all": {}}, filters, query.offset, query.limit,
                            [{"issued": "desc"}, {"page": "asc"}], query.facets)
            return self._result(res, [], query, text=False)
        sort = ["_score", {"issued": "desc"}]
        res = self._run(self._text_query(units, marks, False), filters, query.offset,
                        query.limit, sort, query.facets)
        total = res["aggregations"]["records"]["value"]
        if total >= self.fuzzy_below or not any(u.fuzzy for u in units):
            return self._result(res, units, query)
        # few strict matches: list them all, then the fuzzy-only records after them
        strict = self._run(self._text_query(units, marks, False), filters, 0, max(total, 1),
                           sort, query.facets)
        strict_ids = [h["_source"]["record_id"] for h in strict["hits"]["hits"]]
        more = self._run(self._text_query(units, marks, True), filters, 0,
                         query.offset + query.limit, sort, query.facets,
                         exclude=strict_ids or None)
        out = self._result(strict, units, query)
        extra = self._result(more, units, query)
        hits = (out.hits + extra.hits)[query.offset:query.offset + query.limit]
        return SearchResult(hits=hits, total=out.total + extra.total,
                            facets=self._merge(out.facets, extra.facets))

    @staticmethod
    def _merge(a: dict, b: dict) -> dict:
        out = {k: dict(v) for k, v in a.items()}
        for k, v in b.items():
            for key, n in v.items():
                out.setdefault(k, {})[key] = out.get(k, {}).get(key, 0) + n
        return out

    def _result(self, res: dict, units: list[tn.QueryUnit], q: Query,
                text: bool = True) -> SearchResult:
        ex_terms = {t for u in units for t in u.exact}
        fo_terms = {t for u in units for t in u.folded + [x for a in u.alts for x in a]}
        hits = []
        for h in res["hits"]["hits"]:
            src = h["_source"]
            inner = h["inner_hits"]["pages"]["hits"]["hits"]
            pages = [i["_source"]["page"] for i in inner] if text else []
            snip = tn.snippet(src.get("text", ""), ex_terms, fo_terms) if text else \
                " ".join(src.get("text", "").split()[:24])
            hits.append(Hit(record_id=src["record_id"], score=float(h.get("_score") or 0.0),
                            title=src.get("title", ""), pages=pages, snippet=snip,
                            fields=src.get("fields") or {}))
        aggs = res.get("aggregations", {})
        facets = {k: {b["key"]: b["recs"]["value"] for b in aggs[k]["buckets"]}
                  for k in ("doc_type", "issuer", "year") if k in aggs} if q.facets else {}
        return SearchResult(hits=hits, total=aggs.get("records", {}).get("value", 0),
                            facets=facets)
