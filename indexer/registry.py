"""Pick a search backend by name: `open_backend("embedded", archive_dir)` or `("es", ..., es_url=)`."""
from __future__ import annotations

from pathlib import Path
from typing import Any, Callable

from .base import SearchBackend


def _embedded(archive_dir: Path | None, es_url: str | None, **opts: Any) -> SearchBackend:
    from .embedded import EmbeddedIndex

    if archive_dir is None:
        raise ValueError("the embedded index lives in an archive folder: give one")
    return EmbeddedIndex(Path(archive_dir) / "index" / "search.sqlite3", **opts)


def _elastic(archive_dir: Path | None, es_url: str | None, **opts: Any) -> SearchBackend:
    if not es_url:
        raise ValueError("the 'es' backend needs es_url (e.g. https://host:9200)")
    from .elastic import ElasticIndex  # imports the elasticsearch client only when asked for

    return ElasticIndex.from_url(es_url, **opts)


BACKENDS: dict[str, Callable[..., SearchBackend]] = {
    "embedded": _embedded,
    "es": _elastic,
}


def open_backend(name: str, archive_dir: Path | None, es_url: str | None = None,
                 **opts: Any) -> SearchBackend:
    """Open the named backend. "embedded": SQLite file at archive_dir/index/search.sqlite3;
    "es": Elasticsearch at es_url (opts: api_key, username, password, verify_certs, ca_certs,
    index_prefix)."""
    try:
        factory = BACKENDS[name]
    except KeyError:
        raise ValueError(f"unknown search backend {name!r}; choose from {sorted(BACKENDS)}") from None
    return factory(Path(archive_dir) if archive_dir is not None else None, es_url, **opts)
