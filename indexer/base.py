"""The contract every search backend fulfils, and the plain data it takes and returns."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterable, Protocol


@dataclass
class IndexPage:
    page: int  # 1-based
    text: str


@dataclass
class IndexDoc:
    """What the index knows of one record. `fields` holds flat values: number, doc_type, issuer,
    issued_date (ISO), subject, signer_name, dossiers (list), person_ids (list), persons (list)."""

    record_id: str
    title: str
    pages: list[IndexPage]
    fields: dict[str, Any] = field(default_factory=dict)
    ingested_at: str = ""


@dataclass
class Query:
    text: str = ""
    doc_type: str | None = None
    issuer: str | None = None
    number: str | None = None
    date_from: str | None = None  # ISO date, inclusive
    date_to: str | None = None
    dossier: str | None = None
    person_id: str | None = None  # in the fields or the text; spaces, dots, O for 0, l for 1
    person: str | None = None  # a holder's name, diacritics optional; the text as fallback
    limit: int = 10
    offset: int = 0
    facets: bool = False


@dataclass
class LineMatch:
    """Where in the text a hit matched: the reader's evidence for why the record came up."""

    page: int  # 1-based page of the record
    line: int  # 1-based line of that page's text
    text: str  # that line as stored (whitespace collapsed)


@dataclass
class Hit:
    record_id: str
    score: float
    title: str
    pages: list[int]  # pages that matched, best first
    snippet: str
    fields: dict[str, Any] = field(default_factory=dict)
    # The page and line that matched (the person ID, the name, the query's words); None when
    # the record matched by its fields only (an ID or name the page text does not show).
    match: LineMatch | None = None


@dataclass
class SearchResult:
    hits: list[Hit]
    total: int
    facets: dict[str, dict[str, int]] = field(default_factory=dict)
    # False when a backend stopped counting early: `total` (and facets) are then lower bounds.
    total_exact: bool = True


class SearchBackend(Protocol):
    """A search index. Upserts are idempotent by record_id; the archive is the source of truth.

    Any call may raise `BackendUnavailable` (server unreachable, file unusable) or
    `IndexOutdated` (built by another version: `clear()` and re-index; backends also expose
    the reason as an `outdated` attribute, None when the index is usable)."""

    def upsert(self, docs: Iterable[IndexDoc]) -> None: ...

    def delete(self, record_ids: Iterable[str]) -> None: ...

    def search(self, query: Query) -> SearchResult: ...

    def record_ids(self) -> set[str]: ...

    def clear(self) -> None: ...

    def rebuild(self, docs: Iterable[IndexDoc]) -> None:
        """Replace the whole index by `docs` so that a rebuild stopped midway leaves the old
        index whole (build aside and switch, or one transaction)."""
        ...

    def close(self) -> None: ...


class BackendUnavailable(Exception):
    """The search backend cannot be reached or used right now (server down, connection refused,
    timeout, authentication rejected, no FTS5 in this SQLite). Retrying later may succeed; the
    archive and its catalogue are unaffected."""


class IndexOutdated(Exception):
    """The index was built with another text normalisation (`textnorm.NORM_VERSION`) or index
    layout: its tokens can't be trusted. Rebuild it from the catalogue (`digitize reindex`);
    the backend's `clear()` still works on an outdated index and re-stamps it."""
