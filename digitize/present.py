"""How results are shown to a person: the ingest progress bar, outcome lines, search hits and
records. Only text is made here; the CLI prints it (results to stdout, progress to stderr)."""
from __future__ import annotations

import contextlib
import json
import sys
from typing import TYPE_CHECKING, Any, Iterator

if TYPE_CHECKING:  # types only: showing a result must not load the pipeline's libraries
    from digitize.pipeline import DocOutcome
    from indexer.base import SearchResult


class ProgressBar:
    """Pages done, as a tqdm progress bar on stderr (only on a terminal), or a silent stand-in;
    `write` prints a result line to stdout without breaking the bar."""

    def __init__(self, enabled: bool):
        self._bar: Any = None
        self._enabled = enabled and sys.stderr.isatty()  # drawn once there is a total

    def set_total(self, n: int) -> None:
        if self._bar is None and self._enabled:
            from tqdm import tqdm
            self._bar = tqdm(total=0, unit="page", file=sys.stderr, dynamic_ncols=True)
        if self._bar is not None:
            self._bar.total = n
            self._bar.refresh()

    def update(self) -> None:
        if self._bar is not None:
            self._bar.update(1)

    def write(self, line: str) -> None:
        if self._bar is not None:
            self._bar.write(line, file=sys.stdout)
        else:
            print(line, flush=True)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()


@contextlib.contextmanager
def progress_bar(enabled: bool = True) -> Iterator[ProgressBar]:
    """A ProgressBar closed when the block ends."""
    bar = ProgressBar(enabled)
    try:
        yield bar
    finally:
        bar.close()


def describe_outcome(o: DocOutcome) -> str:
    """One line per ingested document: stored, duplicate or FAILED with the reason."""
    if o.status == "stored":
        paths = ", ".join(f"{n} {k}" for k, n in o.text_paths.items())
        blank = f"; blank page(s) {', '.join(map(str, o.blank_pages))}" if o.blank_pages else ""
        unindexed = "; NOT INDEXED (search backend unavailable)" if not o.indexed else ""
        return (f"stored    {o.record_id}  {o.name}  ({o.pages} page(s): {paths}{blank}; "
                f"{o.seconds}s{unindexed})")
    if o.status == "duplicate":
        return f"duplicate {o.record_id}  {o.name}  ({o.error})"
    return f"FAILED    {o.error}"


def format_hits(result: SearchResult, offset: int = 0) -> str:
    """Search hits numbered from `offset` + 1, with the line that matched, then the facets."""
    if not result.hits:
        if offset and result.total:
            return (f"{result.total} record(s) match; --offset {offset} is past the last one "
                    f"(use --offset {max(result.total - 1, 0)} or less)")
        return "no matching record"
    lines = [f"{result.total} record(s)"]
    for i, h in enumerate(result.hits, start=offset + 1):
        f = h.fields
        meta = "  ".join(str(f[k]) for k in ("number", "doc_type", "issued_date") if f.get(k))
        pages = ",".join(str(p) for p in h.pages[:5])
        lines.append(f"{i:>3}. {h.record_id}  {h.title[:90]}")
        if meta:
            lines.append(f"     {meta}")
        if h.match:  # the line that matched: where to look on the scan
            lines.append(f"     page {h.match.page}, line {h.match.line}: "
                         f"{h.snippet or h.match.text[:160]}")
        elif h.snippet:
            lines.append(f"     page {pages}: {h.snippet}" if pages else f"     {h.snippet}")
    for name, counts in result.facets.items():
        top = ", ".join(f"{k} ({v})" for k, v in list(counts.items())[:8])
        lines.append(f"{name}: {top}")
    return "\n".join(lines)


def format_record(doc: dict[str, Any]) -> str:
    """A record as `show` prints it: files, pages, fields (corrected ones marked), its history
    with what each correction changed (old → new, who, when), then its exports and fixity
    checks, summed up apart."""
    lines = [f"record   {doc['id']}", f"title    {doc.get('title', '')}",
             f"pages    {doc.get('page_count')}  ({json.dumps(doc.get('text_paths', {}))})",
             f"pdf/a    {doc.get('pdf')}  (PDF/A-{doc.get('pdfa')}, {_pdfa_path(doc)})"]
    for f in doc.get("source_files", []):
        lines.append(f"original {f['name']}  sha256 {f['sha256'][:16]}…  from {f['source_path']}")
    if doc.get("dossiers"):
        lines.append(f"dossiers {', '.join(doc['dossiers'])}")
    fields = doc.get("fields", {})
    if fields:
        lines.append("fields:")
        for name, f in fields.items():
            flag = "  [review]" if f.get("needs_review") else ""
            flag += "  [corrected]" if f.get("source") == "corrected" else ""
            where = f"  (p{f['page']})" if f.get("page") else ""
            lines.append(f"  {name:<16} {_value(f.get('value'))}{where}{flag}")
    lines.append("history:")
    for ev in doc.get("history", []):
        lines.append(f"  {_when(ev['at'])}  {ev['actor']}  {describe_event(ev)}")
    access = doc.get("access", [])
    if access:
        lines.append("exports and fixity checks:")
        for action in sorted({ev["action"] for ev in access}):
            evs = [ev for ev in access if ev["action"] == action]
            last = evs[-1]
            lines.append(f"  {action} {len(evs)} time(s); last {_when(last['at'])} by "
                         f"{last['actor']}: {describe_event(last)}")
    return "\n".join(lines)


def describe_event(ev: dict[str, Any]) -> str:
    """What one history event did, in words: a correction's field with its old and new value,
    a link's dossier, an ingest's pages and sources, an export's format and target."""
    d = ev.get("detail") or {}
    act = ev["action"]
    if act == "corrected" and "field" in d:
        text = f"corrected {d['field']}: {_value(d.get('old'))} → {_value(d.get('new'))}"
    elif act == "linked" and "dossier" in d:
        text = f"linked to dossier {d['dossier']}"
    elif act == "linked" and "probable_duplicate_of" in d:
        text = f"probably a duplicate of {d['probable_duplicate_of']}"
    elif act == "linked" and "probable_duplicate" in d:
        text = f"{d['probable_duplicate']} is probably a duplicate of it"
    elif act == "ingested" and "sources" in d:
        text = f"ingested {d.get('pages', '?')} page(s) from {', '.join(d['sources'])}"
    elif act == "exported" and "format" in d:
        text = f"{d['format']} to {d.get('to', '?')}"
    elif act == "verified":
        problems = d.get("problems") or []
        text = f"{len(problems)} problem(s): {'; '.join(map(str, problems))}" if problems else "ok"
    else:
        extra = "; ".join(f"{k}: {_value(v)}" for k, v in d.items())
        text = f"{act}" + (f" ({extra})" if extra else "")
    return text if ev.get("outcome", "success") == "success" else f"{text}  [{ev['outcome']}]"


def _value(v: Any) -> str:
    return json.dumps(v, ensure_ascii=False) if not isinstance(v, str) else f'"{v}"'


def _when(at: str) -> str:
    """"2026-12-08T00:49:57+0000" -> "2026-12-08 00:49:57+0000"."""
    return at.replace("T", " ", 1)


def _pdfa_path(doc: dict[str, Any]) -> str:
    """How the PDF/A was made: the original's vector pages, or page images under their text."""
    if doc.get("pdfa_path") == "vector":
        subs = doc.get("pdfa_fonts_substituted")
        return "vector pages of the original" + (f"; fonts substituted: {', '.join(subs)}"
                                                 if subs else "")
    refused = doc.get("pdfa_vector_refused")
    return "page images" + (f"; vector refused: {refused}" if refused else "")
