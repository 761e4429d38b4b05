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

Errors: connection refused, timeouts, 502/503/504 and rejected credentials raise
`BackendUnavailable`; an index whose mapping ``_meta`` names another `textnorm.NORM_VERSION` or
layout raises `IndexOutdated` on use until `rebuild()` or `clear()` (then a re-index).
"""
from __future__ import annotations

import functools
import logging
import time
from typing import Any, Callable, Iterable, TypeVar, cast

from elasticsearch import (ApiError, AuthenticationException, AuthorizationException,
                           Elasticsearch, NotFoundError, TransportError, helpers)

from . import textnorm as tn
from .base import BackendUnavailable, Hit, IndexDoc, IndexOutdated, Query, SearchResult

log = logging.getLogger(__name__)
F = TypeVar("F", bound=Callable[..., Any])
SCHEMA_VERSION = 2  # layout of the page documents; with NORM_VERSION in each index's _meta
_UNAVAILABLE_STATUS = {502, 503, 504}


def _guard(fn: F) -> F:
    """Turn the client's connection-level failures into `BackendUnavailable`."""
    @functools.wraps(fn)
    def wrapper(*args: Any, **kw: Any) -> Any:
        try:
            return fn(*args, **kw)
        except (AuthenticationException, AuthorizationException) as e:
            raise BackendUnavailable(f"Elasticsearch refused the credentials: {e}") from e
        except ApiError as e:
            if e.meta.status in _UNAVAILABLE_STATUS:
                raise BackendUnavailable(f"Elasticsearch is unavailable: {e}") from e
            raise
        except TransportError as e:  # connection refused/reset, timeout, TLS failure
            raise BackendUnavailable(f"cannot reach Elasticsearch: {e}") from e
        except helpers.BulkIndexError as e:
            if any(cast(dict, next(iter(i.values()), {})).get("status") in _UNAVAILABLE_STATUS
                   for i in e.errors):
                raise BackendUnavailable(f"Elasticsearch rejected a bulk request: {e}") from e
            raise
    return wrapper  # type: ignore[return-value]

_COMPAT = {"accept": "application/vnd.elasticsearch+json; compatible-with=8",
           "content-type": "application/vnd.elasticsearch+json; compatible-with=8"}
EXACT_BOOST = 10.0
PHRASE_BOOST = 5.0  # neighbouring query words that are neighbours on the page
FIELD_BOOST = 20.0  # the record's own document number is the query
_KW = {"type": "keyword"}
_WS = {"type": "text", "analyzer": "ws", "similarity": "BM25"}
MAPPINGS = {
    "dynamic": False,
    "_meta": {"norm_version": tn.NORM_VERSION, "schema_version": SCHEMA_VERSION},
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
CARDINALITY_EXACT = 40_000  # record counts are exact below this (cardinality precision)


class ElasticIndex:
    """SearchBackend on Elasticsearch; build it with `ElasticIndex.from_url`."""

    @_guard
    def __init__(self, client: Elasticsearch, index_prefix: str = "digitize",
                 fuzzy_below: int = 20, replicas: int = 1) -> None:
        self.es = client.options(headers=_COMPAT)
        self.prefix = index_prefix
        self.alias = f"{index_prefix}-pages"
        self.fuzzy_below = fuzzy_below
        self.replicas = replicas
        self._write = self.alias
        self._put_template()
        self.outdated: str | None = None
        if not self.es.indices.exists_alias(name=self.alias):
            first = self._new_index()
            self.es.indices.put_alias(index=first, name=self.alias)
        else:
            self.outdated = self._check_meta()

    def _put_template(self) -> None:
        self.es.indices.put_index_template(
            name=self.alias, index_patterns=[f"{self.alias}-*"], priority=500,
            template={"settings": {**SETTINGS, "number_of_replicas": self.replicas},
                      "mappings": MAPPINGS})

    def _check_meta(self) -> str | None:
        """Why the indexes behind the alias can't be used (None: they can)."""
        for name, m in self.es.indices.get_mapping(index=self.alias).body.items():
            meta = m.get("mappings", {}).get("_meta", {})
            if meta.get("norm_version") != tn.NORM_VERSION:
                return (f"{name} was built with text normalisation {meta.get('norm_version')}, "
                        f"this version uses {tn.NORM_VERSION}")
            if meta.get("schema_version") != SCHEMA_VERSION:
                return (f"{name} has layout {meta.get('schema_version', 1)}, this version uses "
                        f"{SCHEMA_VERSION}")
        return None

    def _ready(self) -> None:
        if self.outdated and self._write == self.alias:
            raise IndexOutdated(f"{self.outdated}; rebuild it (digitize reindex)")

    @classmethod
    def from_url(cls, url: str, api_key: str | None = None, username: str | None = None,
                 password: str | None = None, verify_certs: bool = True,
                 ca_certs: str | None = None, index_prefix: str = "digitize",
                 request_timeout: float = 30, **opts: Any) -> "ElasticIndex":
        """Connect with an API key or basic auth; TLS certificates are verified by default
        (`verify_certs=False` only for a test cluster; prefer `ca_certs` for a private CA).
        Raises `BackendUnavailable` when the cluster can't be reached or refuses the login."""
        kw: dict[str, Any] = {"verify_certs": verify_certs, "request_timeout": request_timeout,
                              "retry_on_timeout": True, "max_retries": 3,
                              "retry_on_status": (429, 502, 503, 504)}
        if ca_certs:
            kw["ca_certs"] = ca_certs
        if api_key:
            kw["api_key"] = api_key
        elif username:
            kw["basic_auth"] = (username, password or "")
        if (api_key or username) and url.lower().startswith("http://"):
            log.warning("sending Elasticsearch credentials over plain http to %s", url)
        if not verify_certs:
            log.warning("TLS certificate verification is off for %s", url)
        try:
            client = Elasticsearch(url, **kw)
        except ValueError as e:  # a malformed URL or option
            raise BackendUnavailable(f"cannot use Elasticsearch at {url!r}: {e}") from e
        return cls(client, index_prefix=index_prefix, **opts)

    def _new_index(self) -> str:
        name = f"{self.alias}-{time.strftime('%Y%m%d%H%M%S')}-{time.time_ns() % 10**6:06d}"
        self.es.indices.create(index=name)
        return name

    # ---- rebuild ---------------------------------------------------------------------------
    @_guard
    def begin_rebuild(self) -> str:
        """Create a fresh index (this version's mapping) and send upserts to it; searches keep
        using the alias. Writes by other processes during the rebuild go to the old index and
        are lost at the switch: rebuild while ingest is paused."""
        self._put_template()
        self._write = self._new_index()
        self.es.indices.put_settings(index=self._write, settings={"refresh_interval": "-1"})
        return self._write

    @_guard
    def finish_rebuild(self) -> None:
        """Point the alias at the rebuilt index atomically and delete the previous index."""
        new = self._write
        if new == self.alias:
            raise RuntimeError("finish_rebuild() without begin_rebuild()")
        self.es.indices.put_settings(index=new, settings={"refresh_interval": None})
        self.es.indices.refresh(index=new)
        old = list(self.es.indices.get_alias(name=self.alias).body)
        actions = [{"remove": {"index": o, "alias": self.alias}} for o in old]
        self.es.indices.update_aliases(actions=[*actions, {"add": {"index": new,
                                                                   "alias": self.alias}}])
        self._write = self.alias
        self.outdated = None
        for o in old:
            self.es.indices.delete(index=o, ignore_unavailable=True)

    @_guard
    def rebuild(self, docs: Iterable[IndexDoc]) -> None:
        """Re-index everything into a new index, then switch the alias (zero downtime); also
        the way out of `IndexOutdated`."""
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

    @_guard
    def upsert(self, docs: Iterable[IndexDoc], chunk: int = 200) -> None:
        """Replace each record's pages (bulk; 429s retried with back-off up to a minute);
        visible on return. Pages are overwritten in place (ids ``record_id#page``) and only
        then are pages beyond a record's new length removed, so a record never drops out of
        search while it is replaced. Not transactional: a failure mid-way can leave a record
        partly replaced until re-run."""
        self._ready()
        batch: list[IndexDoc] = []
        for d in docs:
            batch.append(d)
            if len(batch) >= chunk:
                self._upsert(batch)
                batch = []
        if batch:
            self._upsert(batch)
        if self._write == self.alias:  # a rebuild refreshes once, at the switch
            self.es.indices.refresh(index=self._write)

    def _upsert(self, docs: list[IndexDoc]) -> None:
        for ok, item in helpers.streaming_bulk(self.es, self._actions(docs), chunk_size=500,
                                               max_chunk_bytes=20 * 2**20, max_retries=6,
                                               initial_backoff=1, max_backoff=60,
                                               raise_on_error=True):
            if not ok:  # pragma: no cover - raise_on_error raises first
                raise RuntimeError(f"bulk indexing failed: {item}")
        stale = [{"bool": {"filter": [{"term": {"record_id": d.record_id}},
                                      {"range": {"page": {"gt": len(d.pages)}}}]}} for d in docs]
        self.es.delete_by_query(index=self._write, conflicts="proceed", refresh=False,
                                query={"bool": {"should": stale, "minimum_should_match": 1}})

    @_guard
    def delete(self, record_ids: Iterable[str], refresh: bool = True) -> None:
        """Remove every page of these records."""
        self._ready()
        ids = list(record_ids)
        if ids:
            self.es.delete_by_query(index=self._write, query={"terms": {"record_id": ids}},
                                    refresh=refresh, conflicts="proceed")

    @_guard
    def record_ids(self) -> set[str]:
        self._ready()
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

    @_guard
    def clear(self) -> None:
        """Empty the index: a new one with this version's mapping takes the alias (also the
        way out of `IndexOutdated`; re-index from the catalogue afterwards)."""
        self.begin_rebuild()
        self.finish_rebuild()

    @_guard
    def drop(self) -> None:
        """Delete every index behind the alias, and the template (tests, decommissioning)."""
        try:
            behind = list(self.es.indices.get_alias(name=self.alias).body)
        except NotFoundError:
            behind = []
        for name in behind + ([self._write] if self._write != self.alias else []):
            self.es.indices.delete(index=name, ignore_unavailable=True)
        try:
            self.es.indices.delete_index_template(name=self.alias)
        except NotFoundError:
            pass

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
            alts: list[dict] = [{"match_phrase": {"fo": " ".join(a)}}
                                for a in [u.folded, *u.alts, *u.relaxed]]
            if u.number and all(v.number for v in units):
                # numbers only: the record's own number field too, wherever OCR misread it
                alts.append({"term": {"number_n": {"value": u.folded[0], "boost": FIELD_BOOST}}})
            if fuzzy and u.fuzzy:
                alts.append({"match": {"fo": {"query": u.folded[0], "fuzziness": 1,
                                              "prefix_length": 0, "boost": 0.2}}})
            must.append({"bool": {"should": alts, "minimum_should_match": 1}})
            if marks and not u.number and u.exact != u.folded:
                should.append({"match_phrase": {"ex": {"query": " ".join(u.exact),
                                                       "boost": EXACT_BOOST}}})
        run: list[str] = []  # neighbouring query words that are neighbours on the page too
        for unit in [*units, None]:
            if unit is not None and not unit.number and len(unit.folded) == 1 and not unit.alts:
                run.append(unit.folded[0])
                continue
            if len(run) >= 2:
                should.append({"match_phrase": {"fo": {"query": " ".join(run),
                                                       "boost": PHRASE_BOOST}}})
            run = []
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
            # a list of fields is what the search API takes; the client's stubs want a mapping
            source=["record_id", "title", "fields", "text"],  # type: ignore[arg-type]
            track_total_hits=False).body

    @_guard
    def search(self, query: Query) -> SearchResult:
        """Same semantics as `EmbeddedIndex.search` (filters, phrases, tiers, facets)."""
        self._ready()
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
        # an ID or document number that matched pins the record: no need to widen the words
        if total >= self.fuzzy_below or not any(u.fuzzy for u in units) \
                or (total and any(u.number for u in units)):
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
                            facets=self._merge(out.facets, extra.facets),
                            total_exact=out.total_exact and extra.total_exact)

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
        total = aggs.get("records", {}).get("value", 0)
        return SearchResult(hits=hits, total=total, facets=facets,
                            total_exact=total < CARDINALITY_EXACT)
