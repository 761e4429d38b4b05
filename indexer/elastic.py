"""Elasticsearch backend: the same contract and the same answers as `EmbeddedIndex`, on a cluster.

One ES document per page (id ``record_id#page``) carrying the record's filter fields; results are
collapsed on ``record_id`` with the matching pages as inner hits (best first). Text is
normalised by `indexer.textnorm` in our code and indexed pre-tokenised with the built-in
whitespace analyzer (``fo`` folded tokens, ``ex`` exact tokens); scoring follows the embedded
backend's bonuses (see `indexer.elastic_query`). Person IDs printed in a page's text
(`textnorm.id_mentions`) are kept per page (``text_ids``), so ``--person-id`` finds them and the
page they are on. Only core Elasticsearch features are used (no delete-by-query, no scripts,
no plugins), so any 8.x or 9.x cluster serves, including Elastic's minimal test distribution.

Writes go to the alias ``<prefix>-pages``. A full re-index builds a new concrete index and
switches the alias atomically: searches see the old index until the new one is complete::

    ix.rebuild(all_docs)   # or begin_rebuild(); upsert(...); finish_rebuild()

Bulk writes are retried with back-off when the cluster pushes back (429, rejected execution)
and fail loudly (`BackendUnavailable`) rather than lose a page. Errors: connection refused,
timeouts, 502/503/504 and rejected credentials raise `BackendUnavailable` with one line naming
the cluster (credentials masked); an index whose mapping ``_meta`` names another
`textnorm.NORM_VERSION` or layout raises `IndexOutdated` on use until `rebuild()` or `clear()`.
"""
from __future__ import annotations

import functools
import logging
import re
import time
from typing import Any, Callable, Iterable, Iterator, TypeVar

from elasticsearch import (ApiError, AuthenticationException, AuthorizationException,
                           Elasticsearch, NotFoundError, TransportError, helpers)

from . import elastic_query as eq
from . import textnorm as tn
from .base import (BackendUnavailable, Hit, IndexDoc, IndexOutdated, LineMatch, Query,
                   SearchResult)

log = logging.getLogger(__name__)
# The client logs every failed attempt with a traceback; we report the outcome in one line.
logging.getLogger("elastic_transport").setLevel(logging.CRITICAL)
F = TypeVar("F", bound=Callable[..., Any])
SCHEMA_VERSION = 3  # 3: text_ids, persons_fo/_ex, seq, built-in whitespace analyzer
_UNAVAILABLE_STATUS = {429, 502, 503, 504}
CARDINALITY_EXACT = 40_000  # record counts are exact below this (cardinality precision)
BULK_RETRIES = 8  # rounds of back-off for rejected bulk items (1, 2, 4 ... 30 s)


def mask_url(url: str) -> str:
    """The URL with any password replaced by ***, for messages (also when malformed)."""
    return re.sub(r"(//[^/@:]*):[^@/]*@", r"\1:***@", url)


def _guard(fn: F) -> F:
    """Turn the client's connection-level failures into `BackendUnavailable` (one line)."""
    @functools.wraps(fn)
    def wrapper(*args: Any, **kw: Any) -> Any:
        where = getattr(args[0], "where", "Elasticsearch") if args else "Elasticsearch"
        try:
            return fn(*args, **kw)
        except (AuthenticationException, AuthorizationException) as e:
            raise BackendUnavailable(f"Elasticsearch at {where} refused the credentials "
                                     f"({e.meta.status}): check the API key or user and "
                                     "password") from e
        except ApiError as e:
            if e.meta.status in _UNAVAILABLE_STATUS:
                raise BackendUnavailable(f"Elasticsearch at {where} is unavailable "
                                         f"({e.meta.status}): try again later") from e
            raise
        except TransportError as e:  # connection refused/reset, timeout, TLS failure
            why = str(e.message if hasattr(e, "message") else e).splitlines()[0][:160]
            raise BackendUnavailable(
                f"cannot reach Elasticsearch at {where} ({type(e).__name__}: {why}): start it, "
                "or point --es-url / DIGITIZE_ES_URL at a running cluster") from e
    return wrapper  # type: ignore[return-value]


_KW = {"type": "keyword"}
_WS = {"type": "text", "analyzer": "whitespace", "norms": False}
MAPPINGS = {
    "dynamic": False,
    "_meta": {"norm_version": tn.NORM_VERSION, "schema_version": SCHEMA_VERSION},
    "_source": {"excludes": ["fo", "ex", "persons_fo", "persons_ex"]},  # derived from text
    "properties": {
        "record_id": _KW, "page": {"type": "integer"}, "seq": {"type": "long"},
        "title": {"type": "keyword", "index": False},
        "fo": _WS, "ex": _WS, "text": {"type": "text", "index": False},
        "doc_type": _KW, "doc_type_f": _KW, "issuer": _KW, "issuer_f": _WS,
        "number_n": _KW, "issued": _KW, "year": _KW, "ingested": _KW,
        "dossiers": _KW, "person_ids": _KW, "text_ids": _KW,
        "persons_fo": _WS, "persons_ex": _WS,
        "fields": {"type": "object", "enabled": False},
    },
}
SETTINGS = {"number_of_shards": 1, "auto_expand_replicas": "0-1"}


class ElasticIndex:
    """SearchBackend on Elasticsearch; build it with `ElasticIndex.from_url`."""

    def __init__(self, client: Elasticsearch, index_prefix: str = "digitize",
                 fuzzy_below: int = 20, where: str = "Elasticsearch") -> None:
        self.es = client
        self.where = where
        self.alias = f"{index_prefix}-pages"
        self.fuzzy_below = fuzzy_below
        self._write = self.alias
        self.outdated: str | None = None
        self._open()

    @_guard
    def _open(self) -> None:
        # the template is only written when an index is made: a key that may only read and
        # write documents can use an existing index
        if not self.es.indices.exists_alias(name=self.alias):
            first = self._new_index()
            try:
                self.es.indices.put_alias(index=first, name=self.alias)
            except ApiError:  # another process created it first
                self.es.indices.delete(index=first, ignore_unavailable=True)
                if not self.es.indices.exists_alias(name=self.alias):
                    raise
        self.outdated = self._check_meta()

    @classmethod
    def from_url(cls, url: str, api_key: str | None = None, username: str | None = None,
                 password: str | None = None, verify_certs: bool = True,
                 ca_certs: str | None = None, index_prefix: str = "digitize",
                 request_timeout: float = 30, **opts: Any) -> "ElasticIndex":
        """Connect with an API key (``id:key`` or its base64 form) or user and password; TLS
        certificates are verified (against `ca_certs` for a private CA). Raises
        `BackendUnavailable` when the cluster can't be reached or refuses the login."""
        where = mask_url(url)
        kw: dict[str, Any] = {"verify_certs": verify_certs, "request_timeout": request_timeout,
                              "retry_on_timeout": True, "max_retries": 2,
                              "retry_on_status": (502, 503, 504)}
        if ca_certs:
            kw["ca_certs"] = ca_certs
        if api_key:
            kw["api_key"] = tuple(api_key.split(":", 1)) if ":" in api_key else api_key
        elif username:
            kw["basic_auth"] = (username, password or "")
        if (api_key or username) and url.lower().startswith("http://"):
            log.warning("sending Elasticsearch credentials over plain http to %s", where)
        if not verify_certs:
            log.warning("TLS certificate verification is off for %s", where)
        try:
            client = Elasticsearch(url, **kw)
        except (ValueError, TypeError) as e:  # a malformed URL or option: never echo secrets
            raise BackendUnavailable(f"cannot use the Elasticsearch URL {where}: "
                                     f"{str(e).replace(url, where)}") from None
        return cls(client, index_prefix=index_prefix, where=where, **opts)

    def _put_template(self) -> None:
        self.es.indices.put_index_template(
            name=self.alias, index_patterns=[f"{self.alias}-*"], priority=500,
            template={"settings": SETTINGS, "mappings": MAPPINGS})

    def _new_index(self) -> str:
        self._put_template()
        name = f"{self.alias}-{time.strftime('%Y%m%d%H%M%S')}-{time.time_ns() % 10**6:06d}"
        self.es.indices.create(index=name)
        return name

    def _check_meta(self) -> str | None:
        """Why the indexes behind the alias can't be used (None: they can)."""
        for name, m in self.es.indices.get_mapping(index=self.alias).body.items():
            meta = m.get("mappings", {}).get("_meta", {})
            if meta.get("norm_version") != tn.NORM_VERSION:
                return (f"index {name} was built with text normalisation "
                        f"{meta.get('norm_version')}, this version uses {tn.NORM_VERSION}")
            if meta.get("schema_version") != SCHEMA_VERSION:
                return (f"index {name} has layout "
                        f"{meta.get('schema_version', 1)}, this version uses {SCHEMA_VERSION}")
        return None

    def _ready(self) -> None:
        if self.outdated and self._write == self.alias:
            raise IndexOutdated(f"{self.outdated}; rebuild it: digitize reindex --backend es")

    # ---- rebuild ---------------------------------------------------------------------------
    @_guard
    def begin_rebuild(self) -> str:
        """Create a fresh index (this version's mapping) and send upserts to it; searches keep
        using the alias. Writes by other processes meanwhile go to the old index and are lost
        at the switch: rebuild while ingest is paused."""
        self._write = self._new_index()
        self.es.indices.put_settings(index=self._write, settings={"refresh_interval": "-1"})
        return self._write

    @_guard
    def finish_rebuild(self) -> None:
        """Point the alias at the rebuilt index in one atomic call, then delete the old one."""
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
        """Re-index everything into a new index, then switch the alias (searches never see an
        empty or partial index); also the way out of `IndexOutdated`."""
        self.begin_rebuild()
        try:
            self.upsert(docs)
        except BaseException:
            try:
                self.es.indices.delete(index=self._write, ignore_unavailable=True)
            except Exception:  # the cluster went away: the half-built index stays unused
                pass
            self._write = self.alias
            raise
        self.finish_rebuild()

    # ---- writing ---------------------------------------------------------------------------
    def _actions(self, docs: list[IndexDoc]) -> Iterator[dict]:
        seq = time.time_ns() // 1000
        for i, d in enumerate(docs):
            f = d.fields or {}
            issued = str(f.get("issued_date") or "") or None
            persons = [tn.nfc(str(p)) for p in f.get("persons") or []]
            common = {
                "record_id": d.record_id, "title": tn.nfc(d.title or ""), "fields": f,
                "seq": seq + i, "ingested": d.ingested_at or None,
                "doc_type": f.get("doc_type"), "doc_type_f": tn.fold(str(f.get("doc_type") or "")),
                "issuer": f.get("issuer"),
                "issuer_f": " ".join(tn.folded_tokens(str(f.get("issuer") or ""), extras=False)),
                "number_n": tn.norm_number(str(f.get("number") or "")) or None,
                "issued": issued, "year": issued[:4] if issued else None,
                "dossiers": [tn.norm_number(str(x)) for x in f.get("dossiers") or []],
                "person_ids": [tn.norm_id(str(x)) for x in f.get("person_ids") or []],
                "persons_ex": [" ".join(tn.exact_tokens(p, extras=False)) for p in persons],
                "persons_fo": [" ".join(tn.folded_tokens(p, extras=False)) for p in persons],
            }
            for p in d.pages:
                text = tn.nfc(p.text)
                ex = tn.exact_tokens(text)
                yield {"_index": self._write, "_id": f"{d.record_id}#{p.page}",
                       "_source": {**common, "page": p.page, "text": text,
                                   "text_ids": sorted({m.value for m in tn.id_mentions(text)}),
                                   "ex": " ".join(ex), "fo": " ".join(tn.fold_tokens(ex))}}

    @_guard
    def upsert(self, docs: Iterable[IndexDoc], chunk: int = 200) -> None:
        """Replace each record's pages; visible to searches on return. Pages are overwritten in
        place (ids ``record_id#page``), then pages beyond a record's new length removed, so a
        record never drops out of search while it is replaced. Pushed-back bulk items are
        retried with back-off; any item still failing raises (nothing is silently lost)."""
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
        latest = list({d.record_id: d for d in docs}.values())
        self._bulk(self._actions(latest))
        if self._write == self.alias:  # a new index (rebuild) holds no stale pages
            stale = [{"bool": {"filter": [{"term": {"record_id": d.record_id}},
                                          {"range": {"page": {"gt": len(d.pages)}}}]}}
                     for d in latest]
            self._delete_matching({"bool": {"should": stale, "minimum_should_match": 1}})

    def _bulk(self, actions: Iterable[dict]) -> None:
        """Send bulk requests; items the cluster rejects for load (429) are retried with
        exponential back-off by the client's helper; anything else, or a 429 that outlasts the
        retries, raises."""
        errors: list[dict] = []
        for ok, item in helpers.streaming_bulk(
                self.es, actions, chunk_size=500, max_chunk_bytes=10 * 2**20,
                max_retries=BULK_RETRIES, initial_backoff=1, max_backoff=30,
                raise_on_error=False, raise_on_exception=True):
            if not ok:
                errors.append(item)
        if errors:
            first: dict[str, Any] = next(iter(errors[0].values()), {})
            status = first.get("status")
            msg = (f"Elasticsearch at {self.where} did not store {len(errors)} page(s) "
                   f"(first: {status} {str(first.get('error'))[:200]})")
            if status in _UNAVAILABLE_STATUS:
                raise BackendUnavailable(msg)
            raise RuntimeError(msg)

    def _delete_matching(self, query: dict) -> None:
        """Delete the page documents matching `query` (ids found by search, then bulk delete:
        works without the delete-by-query module)."""
        while True:
            res = self.es.search(index=self._write, query=query, size=1000, source=False,
                                 track_total_hits=False)
            hits = res["hits"]["hits"]
            if not hits:
                return
            self._bulk({"_op_type": "delete", "_index": h["_index"], "_id": h["_id"]}
                       for h in hits)
            self.es.indices.refresh(index=self._write)

    @_guard
    def delete(self, record_ids: Iterable[str]) -> None:
        """Remove every page of these records."""
        self._ready()
        ids = list(record_ids)
        for i in range(0, len(ids), 500):
            self._delete_matching({"terms": {"record_id": ids[i:i + 500]}})
        if ids:
            self.es.indices.refresh(index=self._write)

    @_guard
    def record_ids(self) -> set[str]:
        self._ready()
        out: set[str] = set()
        after = None
        while True:
            comp: dict[str, Any] = {"size": 5000,
                                    "sources": [{"r": {"terms": {"field": "record_id"}}}]}
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

    @_guard
    def size_bytes(self) -> int:
        """Disk size of the indexes behind the alias (primaries), for benchmarks."""
        st = self.es.indices.stats(index=self.alias, metric="store")
        return int(st["_all"]["primaries"]["store"]["size_in_bytes"])

    def close(self) -> None:
        self.es.close()

    # ---- reading ---------------------------------------------------------------------------
    def _run(self, **body: Any) -> dict:
        return self.es.search(index=self.alias, **body).body

    @_guard
    def search(self, query: Query) -> SearchResult:
        """Same semantics as `EmbeddedIndex.search` (filters, tiers, bonuses, facets)."""
        self._ready()
        units, marks = tn.query_units(query.text or "")
        filt = eq.filters(query)
        person = eq.person_clauses(query.person) if query.person else None
        if not units:
            sort = ([{"_score": "desc"}] if person else []) + eq.NEWEST
            res = self._run(**eq.search_body({"match_all": {}}, filt, query.offset, query.limit,
                                             sort, query.facets, person=person))
            return self._result(res, [], query, listing=True)
        body = functools.partial(eq.search_body, filt=filt, sort=eq.BEST, facets=query.facets,
                                 person=person)
        res = self._run(**body(eq.text_query(units, marks, False), frm=query.offset,
                               size=query.limit))
        total = res["aggregations"]["records"]["value"]
        if total == 0 and any(u.relaxed for u in units):
            units = [tn.QueryUnit(u.exact, u.folded, u.alts + u.relaxed, u.fuzzy, u.number)
                     for u in units]
            res = self._run(**body(eq.text_query(units, marks, False), frm=query.offset,
                                   size=query.limit))
            total = res["aggregations"]["records"]["value"]
        named = any(u.number for u in units) and total > 0
        if total >= self.fuzzy_below or not any(u.fuzzy for u in units) or named:
            return self._result(res, units, query)
        # few strict matches: list them all, then the records found with one-letter typos
        strict = self._run(**body(eq.text_query(units, marks, False), frm=0,
                                  size=max(total, 1)))
        strict_ids = [h["_source"]["record_id"] for h in strict["hits"]["hits"]]
        more = self._run(**body(eq.text_query(units, marks, True), frm=0,
                                size=query.offset + query.limit, exclude=strict_ids or None))
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

    def _page_texts(self, record_id: str) -> dict[int, str]:
        res = self.es.search(index=self.alias, query={"term": {"record_id": record_id}},
                             size=1000, source_includes=["page", "text"],
                             sort=[{"page": "asc"}])
        return {h["_source"]["page"]: h["_source"].get("text", "")
                for h in res["hits"]["hits"]}

    def _locate(self, record_id: str, q: Query, first: list[int]
                ) -> tuple[LineMatch, str] | None:
        """Where the record's text shows the person the query asks for (as the embedded
        backend does): the line, and a snippet marking it."""
        texts = self._page_texts(record_id)
        order = list(dict.fromkeys([p for p in first if p in texts] + sorted(texts)))
        if q.person_id:
            want = tn.norm_id(q.person_id)
            for p in order:
                for m in tn.id_mentions(texts[p]):
                    if m.value == want:
                        return _line_at(texts[p], p, m.line, m.start, m.end)
            return None
        for exact in ([True, False] if tn.has_marks(q.person or "") else [False]):
            for p in order:
                at = tn.find_phrase(texts[p], q.person or "", exact)
                if at:
                    return _line_at(texts[p], p, *at)
        return None

    def _result(self, res: dict, units: list[tn.QueryUnit], q: Query,
                listing: bool = False) -> SearchResult:
        ex_terms = {t for u in units for t in u.exact}
        fo_terms = {t for u in units for t in u.folded + [x for a in u.alts for x in a]}
        hits = []
        for h in res["hits"]["hits"]:
            src = h["_source"]
            inner = h["inner_hits"]["pages"]["hits"]["hits"]
            pages = [] if listing else [i["_source"]["page"] for i in inner]
            text = src.get("text", "")
            score = 0.0 if listing else float(h.get("_score") or 0.0) % eq.TIER
            where: LineMatch | None = None
            if listing:
                snip = " ".join(text.split()[:24])
            else:
                snip, at = tn.snippet_line(text, ex_terms, fo_terms)
                where = LineMatch(pages[0], *at) if at and pages else None
            if q.person_id or q.person:
                found = self._locate(src["record_id"], q, pages or [src.get("page", 1)])
                if found:
                    where, snip = found
                    if listing:
                        pages = [where.page]
            hits.append(Hit(record_id=src["record_id"], score=score, title=src.get("title", ""),
                            pages=pages, snippet=snip, fields=src.get("fields") or {},
                            match=where))
        aggs = res.get("aggregations", {})
        facets = {k: {b["key"]: b["recs"]["value"] for b in aggs[k]["buckets"]}
                  for k in ("doc_type", "issuer", "year") if k in aggs} if q.facets else {}
        total = aggs.get("records", {}).get("value", 0)
        return SearchResult(hits=hits, total=total, facets=facets,
                            total_exact=total < CARDINALITY_EXACT)


def _line_at(text: str, page: int, line: int, start: int, end: int) -> tuple[LineMatch, str]:
    raw = text.split("\n")[line - 1]
    return LineMatch(page, line, " ".join(raw.split())), tn.mark_span(raw, start, end)
