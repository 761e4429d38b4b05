"""`digitize watch`: ingest what a scanner drops into a folder, unattended.

Each poll lists the documents in IN_DIR (grouped as `ingest` groups them). A document is taken
once all its files have stopped changing: same size and modification time as at the previous
poll, and untouched for `settle_s` seconds. Finished documents are moved out of the way into
IN_DIR/.done/ (stored or already archived) or IN_DIR/.failed/ (with NAME.error.txt saying why),
so a bad file is tried once, never again, and never stops the watch.

Restart-safe without a state file: a document ingested just before a crash but not yet moved is
simply ingested again on restart, found to be archived already (same content hash) and moved.
"""
from __future__ import annotations

import os
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterator

from digitize.discover import DocumentInput, discover, show_path
from digitize.errors import StorageError
from digitize.pipeline import DocOutcome

DONE, FAILED = ".done", ".failed"

RunDocs = Callable[[list[DocumentInput], list[DocOutcome]], Iterator[DocOutcome]]


@dataclass(frozen=True)
class WatchOptions:
    interval_s: float = 5.0    # pause between polls
    settle_s: float = 10.0     # a file must be this old and unchanged since the last poll
    once: bool = False         # one poll, then return (tests, cron)


@dataclass
class _Seen:
    size: int
    mtime_ns: int


@dataclass
class Watcher:
    """Polls `in_dir` and hands ready documents to `run_docs` (an Ingestor's run_documents)."""

    in_dir: Path
    run_docs: RunDocs
    options: WatchOptions = WatchOptions()
    log: Callable[[str], None] = lambda line: print(line, file=sys.stderr, flush=True)
    clock: Callable[[], float] = time.time
    _seen: dict[Path, _Seen] = field(default_factory=dict)

    def run(self) -> Iterator[DocOutcome]:
        """Poll until interrupted (or once). Yields every outcome as it happens."""
        while True:
            try:
                yield from self.poll()
            except StorageError as e:
                if self.options.once:
                    raise
                self.log(f"digitize watch: {e}; retrying in {self.options.interval_s:g}s")
            if self.options.once:
                return
            time.sleep(self.options.interval_s)

    def poll(self) -> Iterator[DocOutcome]:
        """One pass: ingest every document whose files are all settled; move what finished."""
        docs, skipped = discover([self.in_dir])
        ready = [d for d in docs if all(self._settled(f) for f in d.files)]
        failures = [DocOutcome(show_path(s.path), [show_path(s.path)], "failed",
                               error=f"{show_path(s.path)}: {s.reason}") for s in skipped]
        by_source = {show_path(d.files[0]): d for d in ready}
        for s in skipped:
            self._move([s.path], FAILED, f"{show_path(s.path)}: {s.reason}")
        yield from failures
        if not ready:
            return
        for out in self.run_docs(ready, []):
            doc = by_source.get(out.sources[0]) if out.sources else None
            if doc is not None:
                self._move(doc.files, FAILED if out.status == "failed" else DONE, out.error)
            yield out

    def _settled(self, f: Path) -> bool:
        try:
            st = f.stat()
        except OSError:
            return False
        now = _Seen(st.st_size, st.st_mtime_ns)
        before = self._seen.get(f)
        self._seen[f] = now
        old_enough = self.clock() - st.st_mtime_ns / 1e9 >= self.options.settle_s
        unchanged = before is None or before == now
        # an empty file seen for the first time may be a scanner that has just opened it
        first_empty = st.st_size == 0 and before is None and not self.options.once
        return old_enough and unchanged and not first_empty

    def _move(self, files: list[Path], where: str, error: str | None) -> None:
        for f in files:
            self._seen.pop(f, None)
            try:
                rel = f.relative_to(self.in_dir)
            except ValueError:
                rel = Path(f.name)
            dest = self.in_dir / where / rel
            try:
                dest.parent.mkdir(parents=True, exist_ok=True)
                os.replace(f, dest)
                if error and where == FAILED:
                    err = dest.with_name(os.fsdecode(dest.name) + ".error.txt")
                    err.write_text(error + "\n", encoding="utf-8")
            except OSError as e:
                self.log(f"digitize watch: cannot move {show_path(f)} to {where}: {e}")
