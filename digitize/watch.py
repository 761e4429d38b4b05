"""`digitize watch`: ingest what a scanner drops into a folder, unattended.

Each poll lists the documents in IN_DIR (grouped as `ingest` groups them). A document is taken
once it has stopped changing as a whole: every file has the same size and modification time as
at the previous poll, and the newest of them is `settle_s` seconds old. The pages `NAME_p1`,
`NAME_p2`, ... of a document are one group: a page a scanner station drops a few seconds after the
others restarts the group's quiet period, and a group whose page numbers are not 1..N (a page
still to come) waits until it has been quiet for `group_timeout_s`, then is taken with a warning.
Finished documents are moved out of the way into IN_DIR/.done/ (stored or already archived) or
IN_DIR/.failed/ (with NAME.error.txt saying why), so a bad file is tried once, never again, and
never stops the watch; a name already there is never overwritten (the later one goes into a
numbered subfolder, `.failed/2/...`).

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

from digitize.discover import PAGE_NAME, DocumentInput, discover, show_path
from digitize.errors import StorageError
from digitize.pipeline import DocOutcome

DONE, FAILED = ".done", ".failed"

RunDocs = Callable[[list[DocumentInput], list[DocOutcome]], Iterator[DocOutcome]]


@dataclass(frozen=True)
class WatchOptions:
    interval_s: float = 5.0    # pause between polls
    settle_s: float = 10.0     # a document's newest file must be this old and all unchanged
    once: bool = False         # one poll, then return (tests, cron)
    group_timeout_s: float = 300.0  # a page group with a page number missing waits this long
    follow_symlinks: bool = False   # follow links that lead out of the folder (discover)


@dataclass
class _Seen:
    size: int
    mtime_ns: int
    since: float = 0.0  # when this state was first seen (files copied keep an old mtime)


@dataclass
class Watcher:
    """Polls `in_dir` and hands ready documents to `run_docs` (an Ingestor's run_documents)."""

    in_dir: Path
    run_docs: RunDocs
    options: WatchOptions = WatchOptions()
    log: Callable[[str], None] = lambda line: print(line, file=sys.stderr, flush=True)
    clock: Callable[[], float] = time.time
    _seen: dict[Path, _Seen] = field(default_factory=dict)
    _polls: int = 0

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
        docs, skipped = discover([self.in_dir], self.options.follow_symlinks)
        ready = [d for d in docs if self._ready(d)]
        self._polls += 1
        listed = {f for d in docs for f in d.files}
        self._seen = {f: s for f, s in self._seen.items() if f in listed}  # forget what went
        failures = [DocOutcome(show_path(s.path), [show_path(s.path)], "failed",
                               error=f"{show_path(s.path)}: {s.reason}") for s in skipped]
        by_source = {show_path(d.files[0]): d for d in ready}
        for s in skipped:
            self.log(f"digitize watch: {show_path(s.path)}: {s.reason}")
            self._move([s.path], FAILED, f"{show_path(s.path)}: {s.reason}")
        yield from failures
        if not ready:
            return
        for out in self.run_docs(ready, []):
            doc = by_source.get(out.sources[0]) if out.sources else None
            if doc is not None:
                self._move(doc.files, FAILED if out.status == "failed" else DONE, out.error)
            yield out

    def _ready(self, doc: DocumentInput) -> bool:
        """Whether `doc` has settled as a whole (see the module docstring)."""
        stats = [self._stat(f) for f in doc.files]  # every file, to remember them all
        if any(st is None for st in stats):
            return False
        if not all([self._unchanged(f, st) for f, st in zip(doc.files, stats) if st]):
            return False  # (a list: every file's state is remembered for the next poll)
        last_change = max(max(st.mtime_ns / 1e9, self._seen[f].since)
                          for f, st in zip(doc.files, stats) if st)
        quiet = self.clock() - last_change
        if quiet < self.options.settle_s:
            return False
        missing = _missing_pages(doc)
        if not missing:
            return True
        if quiet < self.options.group_timeout_s:
            return False
        self.log(f"digitize watch: {show_path(doc.files[0].parent / doc.name)}: page(s) "
                 f"{', '.join(map(str, missing))} still missing after "
                 f"{self.options.group_timeout_s:g}s; ingesting the pages present")
        return True

    def _stat(self, f: Path) -> _Seen | None:
        try:
            st = f.stat()
        except OSError:
            return None
        return _Seen(st.st_size, st.st_mtime_ns)

    def _unchanged(self, f: Path, now: _Seen) -> bool:
        """Remember `f`'s state; whether it is the state seen at the previous poll. A file that
        appears while we watch counts as changed when first seen, whatever its mtime (a copy
        may keep the scanner's): files there at the first poll go by their mtime (restarts)."""
        before = self._seen.get(f)
        same = before is not None and (before.size, before.mtime_ns) == (now.size, now.mtime_ns)
        now.since = before.since if same and before else \
            (now.mtime_ns / 1e9 if before is None and self._polls == 0 else self.clock())
        self._seen[f] = now
        # an empty file seen for the first time may be a scanner that has just opened it
        if now.size == 0 and before is None and not self.options.once:
            return False
        return before is None or same

    def _move(self, files: list[Path], where: str, error: str | None) -> None:
        """Move a document's files into `where` together, never over a file already there."""
        rels = []
        for f in files:
            self._seen.pop(f, None)
            try:
                rels.append(f.relative_to(self.in_dir))
            except ValueError:
                rels.append(Path(f.name))
        base = self._free_folder(where, rels)
        for f, rel in zip(files, rels):
            dest = base / rel
            try:
                dest.parent.mkdir(parents=True, exist_ok=True)
                if dest.exists() or dest.is_symlink():  # appeared since _free_folder looked
                    raise FileExistsError(f"{show_path(dest)} already exists")
                os.rename(f, dest)
                if error and where == FAILED:
                    err = _error_file(dest)
                    err.write_text(error + "\n", encoding="utf-8")
            except OSError as e:
                self.log(f"digitize watch: cannot move {show_path(f)} to {where}: {e}")

    def _free_folder(self, where: str, rels: list[Path]) -> Path:
        """IN_DIR/where, or its first numbered subfolder where none of `rels` exists yet."""
        n = 1
        while True:
            base = self.in_dir / where / (str(n) if n > 1 else "")
            if not any((base / r).exists() or (base / r).is_symlink()
                       or _error_file(base / r).exists() for r in rels):
                return base
            n += 1


def _error_file(dest: Path) -> Path:
    return dest.with_name(os.fsdecode(dest.name) + ".error.txt")


def _missing_pages(doc: DocumentInput) -> list[int]:
    """Page numbers below the highest one that a `NAME_pN` group lacks ([] for other documents)."""
    numbers = set()
    for f in doc.files:
        m = PAGE_NAME.match(f.stem)
        if m is None or len(doc.files) == 1 and f.name == doc.name:
            return []  # not a page group: a file that is a document of its own
        numbers.add(int(m.group("n")))
    return [n for n in range(1, max(numbers) + 1) if n not in numbers]
