"""Pick a search backend by name: `open_backend("embedded", archive_dir)` or `("es", ..., es_url=)`."""
from __future__ import annotations

from pathlib import Path
from typing import Any, Callable

from .base import SearchBackend

_ES_ONLY = ("es_url", "api_key", "username", "password", "ca_certs", "verify_certs",
            "index_prefix", "request_timeout")


def _embedded(archive_dir: Path | None, es_url: str | None, **opts: Any) -> SearchBackend:
    from .embedded import EmbeddedIndex

    if archive_dir is None:
        raise ValueError("the embedded index lives in an archive folder: give one")
    opts = {k: v for k, v in opts.items() if k not in _ES_ONLY}
    return EmbeddedIndex(Path(archive_dir) / "index" / "search.sqlite3", **opts)


def _elastic(archive_dir: Path | None, es_url: str | None, **opts: Any) -> SearchBackend:
    if not es_url:
        raise ValueError("the 'es' backend needs the Elasticsearch URL: give --es-url "
                         "https://host:9200 or set DIGITIZE_ES_URL")
    from .elastic import ElasticIndex  # imports the elasticsearch client only when asked for

    return ElasticIndex.from_url(es_url, **{k: v for k, v in opts.items() if v is not None})


BACKENDS: dict[str, Callable[..., SearchBackend]] = {
    "embedded": _embedded,
    "es": _elastic,
}


def open_backend(name: str, archive_dir: Path | None, es_url: str | None = None,
                 **opts: Any) -> SearchBackend:
    """Open the named backend. "embedded": SQLite file at archive_dir/index/search.sqlite3;
    "es": Elasticsearch at es_url (opts: api_key, username, password, ca_certs, verify_certs,
    index_prefix; None values mean the default). Options of the other backend are ignored, so
    one set of settings serves both. Raises ValueError for an unknown name or a missing URL,
    `BackendUnavailable` when the backend can't be reached."""
    try:
        factory = BACKENDS[name]
    except KeyError:
        raise ValueError(f"unknown search backend {name!r}; choose from {sorted(BACKENDS)}") from None
    return factory(Path(archive_dir) if archive_dir is not None else None, es_url, **opts)
