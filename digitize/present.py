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
        return (f"stored    {o.record_id}  {o.name}  ({o.pages} page(s): {paths}{blank}; "
                f"{o.seconds}s)")
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
    """A record as `show` prints it: files, pages, fields and history."""
    lines = [f"record   {doc['id']}", f"title    {doc.get('title', '')}",
             f"pages    {doc.get('page_count')}  ({json.dumps(doc.get('text_paths', {}))})",
             f"pdf/a    {doc.get('pdf')}  (PDF/A-{doc.get('pdfa')})"]
    for f in doc.get("source_files", []):
        lines.append(f"original {f['name']}  sha256 {f['sha256'][:16]}…  from {f['source_path']}")
    if doc.get("dossiers"):
        lines.append(f"dossiers {', '.join(doc['dossiers'])}")
    fields = doc.get("fields", {})
    if fields:
        lines.append("fields:")
        for name, f in fields.items():
            flag = "  [review]" if f.get("needs_review") else ""
            where = f"  (p{f['page']})" if f.get("page") else ""
            lines.append(f"  {name:<16} {json.dumps(f.get('value'), ensure_ascii=False)}"
                         f"{where}{flag}")
    lines.append("history:")
    for ev in doc.get("history", []):
        lines.append(f"  {ev['at']}  {ev['actor']}  {ev['action']}  {ev['outcome']}")
    return "\n".join(lines)
