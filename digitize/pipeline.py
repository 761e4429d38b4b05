"""Ingest: documents in, records out. Orchestrates the stages and owns the side effects.

For each document: check its files, derive the record id from their bytes, OCR its pages in a
process pool (page-level parallelism, a bounded number of pages in flight), extract fields, build
the record in a staging folder, then commit (digitize.store): the record's OCFL object with its
first events (one rename) → search index → catalogue row. A crash at any point leaves either a
complete record, whose catalogue row and index entry the next run copies from it, or none.
"""
from __future__ import annotations

import hashlib
import logging
import os
import threading
import time
from concurrent.futures import (FIRST_COMPLETED, Future, ProcessPoolExecutor,
                                ThreadPoolExecutor, wait)
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator

from digitize import record as rec
from digitize.discover import DocumentInput, show_path
from digitize.dedup import find_probable_duplicate
from digitize.errors import StorageError
from digitize.fields import extract_fields
from digitize.fields.lexicon import compounds
from digitize.fields.mend import mend_document
from digitize.fields.model import Field
from digitize.signing import original_signatures
from digitize.worker import (PageDone, PageTask, init_worker, process_page, start_forkserver,
                             started)
from ocr.engine import EngineSettings, OcrEngine, make_engine
from ocr.errors import InputError
from ocr.handwriting import HandDigits
from ocr.images import SourceInfo, load_staged_page, probe
from ocr.pdfa import PdfPage, VectorPdfaError
from ocr.pdfa import warm_up as pdfa_warm_up
from ocr.prepare import erase_rules
from ocr.types import Box
from digitize.store import Store
from storage.archive import Archive, NoRecord
from storage.catalogue import current_actor, now_iso
from storage.events import new_event
from storage.ocfl import OcflError
from storage.files import StorageFull, remove_tree, sha256_file
from storage.retry import retry


@dataclass
class DocOutcome:
    """What happened to one input document (printed by `ingest --json`)."""

    name: str
    sources: list[str]
    status: str                      # stored | duplicate | failed
    record_id: str | None = None
    pages: int = 0
    pdf: str | None = None
    error: str | None = None
    text_paths: dict[str, int] = field(default_factory=dict)
    pdfa_path: str | None = None     # vector (the original's pages) | raster (page images)
    blank_pages: list[int] = field(default_factory=list)  # reported, never dropped
    seconds: float = 0.0
    duplicate_of: str | None = None  # a stored re-scan: the record it probably duplicates
    indexed: bool = True  # False: stored, but the search backend was unavailable
    signature: dict[str, Any] | None = None  # ingest --sign: the agency's signature added

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass
class _Pending:
    doc: DocumentInput
    record_id: str
    sources: list[SourceInfo]
    staging: Path  # the record's files are built here (Archive.new_staging)
    total: int
    started: float
    originals: Future  # the input files being copied into staging (rec.copy_originals)
    archive: Archive
    done: dict[int, PageDone] = field(default_factory=dict)

    def discard(self) -> None:
        """Remove the staging folder, once the copy of the originals into it has stopped."""
        wait([self.originals])
        self.archive.discard_staging(self.staging)


log = logging.getLogger("digitize")


def record_id_for(hashes: list[str]) -> str:
    """Stable id of a document: derived from the SHA-256 of its files, in page order."""
    return hashlib.sha256("\n".join(hashes).encode()).hexdigest()[:16]


class Ingestor:
    """Runs `ingest` over paths; yields one DocOutcome per document as it finishes."""

    def __init__(self, store: Store, on_page: Callable[[], None] | None = None,
                 on_total: Callable[[int], None] | None = None):
        self.store = store
        self.s = store.settings
        self.on_page = on_page or (lambda: None)
        self.on_total = on_total or (lambda n: None)
        self.engine = EngineSettings(lang=self.s.lang, timeout_s=self.s.page_timeout_s,
                                     engine=self.s.ocr_engine)
        self._engine: OcrEngine | None = None  # for digit re-reads in this process
        self._copier: ThreadPoolExecutor | None = None  # copies originals while pages are read

    def run_documents(self, docs: list[DocumentInput],
                      failed: list[DocOutcome] | None = None) -> Iterator[DocOutcome]:
        """Ingest documents already grouped (by `discover` or a batch manifest). A document may
        carry `archive_metadata` (fonds, box, ...), which goes onto its record."""
        self.store.archive.clean_staging()
        self.store.recover_all()
        self.store.ensure_index()
        self.store.reconcile()
        yield from failed or []
        if docs:
            yield from self._run_pages(self._admitted(docs))

    def _admitted(self, docs: list[DocumentInput]) -> Iterator[DocOutcome | _Pending]:
        """Check, hash and stage documents one at a time, as the workers need more pages, so
        a batch of any size starts at once and holds only the documents in flight."""
        seen: set[str] = set()
        pages = 0
        for doc in docs:
            outcome, pending = self._admit(doc, seen)
            if outcome:
                yield outcome
            if pending:
                pages += pending.total
                self.on_total(pages)
                yield pending

    def _admit(self, doc: DocumentInput, seen: set[str]) -> tuple[DocOutcome | None, _Pending | None]:
        doc.name = show_path(doc.name)  # a file name that is not valid UTF-8 must stay printable
        names = [show_path(f) for f in doc.files]
        try:
            sources = [probe(f) for f in doc.files]
            hashes = [sha256_file(f) for f in doc.files]
        except InputError as e:
            return DocOutcome(doc.name, names, "failed", error=str(e)), None
        except OSError as e:
            return DocOutcome(doc.name, names, "failed", error=f"{names[0]}: {e}"), None
        rid = record_id_for(hashes)
        if rid in seen or self._archived(rid):
            self._link_dossier(rid)
            return DocOutcome(doc.name, names, "duplicate", rid,
                              error="already in the archive" if rid not in seen else
                              "same files given twice in this batch"), None
        seen.add(rid)
        total = sum(s.pages for s in sources)
        try:
            staging = self.store.archive.new_staging(rid)
        except OSError as e:
            raise StorageError(f"cannot write to archive {self.store.archive.root}: {e}") from e
        if self._copier is None:
            self._copier = ThreadPoolExecutor(1, thread_name_prefix="digitize-copy")
        # copied while the pages are read (off the time a document takes to finish), and
        # checked against the hashes the record id was made from
        originals = self._copier.submit(rec.copy_originals, staging, doc.files, hashes)
        return None, _Pending(doc, rid, sources, staging, total, time.monotonic(), originals,
                              self.store.archive)

    def _tasks(self, p: _Pending) -> Iterator[PageTask]:
        work = p.staging / "work"
        work.mkdir(exist_ok=True)
        page_no = 0
        for src in p.sources:
            for i in range(src.pages):
                page_no += 1
                yield PageTask(p.record_id, page_no, str(src.path), src.kind, i, str(work),
                               self.engine, jpeg_quality=self.s.jpeg_quality)

    def _run_pages(self, admitted: Iterator[DocOutcome | _Pending]) -> Iterator[DocOutcome]:
        """OCR the pages of admitted documents in a process pool, a bounded number in flight,
        and store each document as soon as its last page is done."""
        workers = max(1, self.s.workers)
        window = workers * 2
        by_id: dict[str, _Pending] = {}
        tasks: Iterator[PageTask] = iter(())
        inflight: dict[Future, PageTask] = {}
        pool: ProcessPoolExecutor | None = self._new_pool(workers)  # starts while doc 1 is hashed
        held: PageTask | None = None  # a task the broken pool refused: submitted again below
        warmed = False
        try:
            while True:
                while len(inflight) < window:
                    task, held = held or next(tasks, None), None
                    if task is None:
                        item = next(admitted, None)
                        if item is None:
                            break
                        if isinstance(item, DocOutcome):
                            yield item
                            continue
                        by_id[item.record_id] = item
                        tasks = self._tasks(item)
                        continue
                    if pool is None:
                        pool = self._new_pool(workers)
                    try:
                        inflight[pool.submit(process_page, task)] = task
                    except BrokenProcessPool:  # a worker died since the last wait
                        held = task
                        if inflight:
                            break  # the broken futures are handled below, then a new pool
                        pool.shutdown(wait=False, cancel_futures=True)
                        pool = None
                if not inflight:
                    break
                if not warmed:
                    # the PDF/A writer and the word list load while the workers read the first
                    # pages (not before: this thread would hold the interpreter lock meanwhile)
                    threading.Thread(target=_warm_up, daemon=True).start()
                    warmed = True
                finished, _ = wait(inflight, return_when=FIRST_COMPLETED)
                for fut in finished:
                    task = inflight.pop(fut, None)
                    if task is None:  # resubmitted to a new pool after a crash, below
                        continue
                    try:
                        done = fut.result()
                    except BrokenProcessPool:
                        done = PageDone(task.doc_key, task.page_no, error=(
                            f"{task.path}: page {task.index + 1}: the OCR worker crashed"))
                        if pool is not None:
                            pool.shutdown(wait=False, cancel_futures=True)
                        pool = self._new_pool(workers)
                        for f2, t2 in list(inflight.items()):
                            inflight.pop(f2)
                            inflight[pool.submit(process_page, t2)] = t2
                    self.on_page()
                    p = by_id[task.doc_key]
                    p.done[task.page_no] = done
                    if len(p.done) == p.total:
                        del by_id[task.doc_key]
                        yield self._finish(p)
        except BaseException:
            if pool is not None:
                pool.shutdown(wait=False, cancel_futures=True)
            for p in by_id.values():
                p.discard()
            raise
        if pool is not None:
            pool.shutdown(wait=True)

    def _new_pool(self, workers: int) -> ProcessPoolExecutor:
        """A pool of OCR worker processes, started now: each loads its Tesseract model at once."""
        ctx = start_forkserver()
        pool = ProcessPoolExecutor(workers, mp_context=ctx, max_tasks_per_child=200,
                                   initializer=init_worker,
                                   initargs=(self.engine, os.getpid()))
        for _ in range(workers):
            pool.submit(started)
        return pool

    def _finish(self, p: _Pending) -> DocOutcome:
        names = [show_path(f) for f in p.doc.files]
        pages = [p.done[n] for n in sorted(p.done)]
        errors = [d.error for d in pages if d.error]
        out = DocOutcome(p.doc.name, names, "failed", p.record_id, len(pages))
        if errors:
            p.discard()
            out.error = errors[0].splitlines()[0]
            return out
        try:
            self._store(p, pages, out)
        except StorageFull as e:
            p.discard()
            raise StorageError(f"{e.strerror}: free space and run the same command again") from e
        except InputError as e:  # an input file changed while it was being ingested
            p.discard()
            out.error = str(e)
            return out
        except OSError as e:
            p.discard()
            raise StorageError(f"cannot write to archive: {e}") from e
        except Exception as e:
            p.discard()
            out.error = f"{names[0]}: {type(e).__name__}: {e}".splitlines()[0]
            return out
        out.seconds = round(time.monotonic() - p.started, 2)
        return out

    def _store(self, p: _Pending, pages: list[PageDone], out: DocOutcome) -> None:
        # _finish stores only documents whose every page was read
        texts, mends = mend_document([d.text for d in pages if d.text is not None])
        for d, t in zip(pages, texts):
            d.text = t
            n = sum(m.startswith(f"p{d.page_no}: ") for m in mends)
            if n:
                d.notes.append(f"marks of {n} misread compound word(s) mended")
        fields = _extract(texts, *self._rereaders(pages))
        cat = self.store.catalogue
        for name, value in cat.corrections(p.record_id).items():
            fields[name] = Field(name, value, 1.0, source="corrected")
        methods: dict[str, int] = {}
        for t in texts:
            methods[t.method] = methods.get(t.method, 0) + 1
        files = p.originals.result()
        for f in files:  # an original that arrived signed: its signatures, checked now
            sigs = original_signatures(p.staging / "original" / f["name"])
            if sigs is not None:
                f["signatures"] = sigs
        archive_metadata = getattr(p.doc, "archive_metadata", None)  # set by batch manifests
        doc: dict[str, Any] = {
            "schema": rec.SCHEMA_VERSION, "id": p.record_id, "name": p.doc.name,
            "title": rec.title_of(fields, texts), "page_count": len(pages),
            "ingested_at": now_iso(), "pdfa": self.s.pdfa, "ocr_lang": self.s.lang,
            "source_files": files, "text_paths": methods,
            "pages": [{"page": d.page_no, "method": t.method, "dpi": d.dpi,
                       "width": d.width, "height": d.height, "colour": d.colour,
                       "mean_conf": round(t.mean_conf, 1), "blank": t.blank,
                       "flags": t.flags, "notes": d.notes} for d, t in zip(pages, texts)],
            "fields": {k: f.to_dict() for k, f in fields.items()},
            "dossiers": [self.s.dossier] if self.s.dossier else [],
        }
        if archive_metadata:
            doc["archive_metadata"] = dict(archive_metadata)
        if mends:
            doc["text_mends"] = mends  # "p1: thâm quyền->thẩm quyền": what was changed, and where
        similar = self._probable_duplicate(fields, texts)
        if similar:
            doc["probable_duplicate_of"] = {"record_id": similar[0], "similarity": similar[1]}
        rec.write_page_texts(p.staging, texts)
        doc.update(self._write_pdf(p, pages, files, doc))
        remove_tree(p.staging / "work")
        rec.write_metadata(p.staging, doc)
        actor = current_actor()
        events = [new_event("ingested", {"sources": out.sources, "pages": len(pages),
                                         "text_paths": methods}, actor)]
        if self.s.dossier:
            events.append(new_event("linked", {"dossier": self.s.dossier}, actor))
        if similar:
            events.append(new_event("linked", {"probable_duplicate_of": similar[0],
                                               "similarity": similar[1]}, actor, "warning"))
        with self.store.archive.commit_lock():
            if self._archived(p.record_id):  # another ingest on this archive was quicker
                p.discard()
                out.status, out.error = "duplicate", "stored meanwhile by another ingest"
                return
            out.indexed = retry(lambda: self.store.commit_new_record(p.staging, doc, events))
        if similar:
            retry(lambda: self.store.add_event(similar[0], "linked", "warning", {
                "probable_duplicate": p.record_id, "similarity": similar[1]}))
            out.duplicate_of = similar[0]
        out.status, out.text_paths = "stored", methods
        out.pdf = str(self.store.archive.file(p.record_id, "document.pdf"))
        out.pdfa_path = doc["pdfa_path"]
        out.blank_pages = [d.page_no for d, t in zip(pages, texts) if t.blank]

    def _write_pdf(self, p: _Pending, pages: list[PageDone], files: list[dict[str, Any]],
                   doc: dict[str, Any]) -> dict[str, Any]:
        """The record's PDF/A: a born-digital PDF (every page read from its text layer) keeps
        its own vector pages where that gives a valid PDF/A; anything else, or a refusal, is
        the page images under their text. Returns the metadata saying which path was taken."""
        why = None
        if len(files) == 1 and p.sources[0].kind == "pdf" \
                and all(d.text is not None and d.text.method == "text-layer" for d in pages):
            try:  # from the archived copy, checked against the hash the record id came from
                subs = rec.write_vector_document_pdf(
                    p.staging, p.staging / "original" / files[0]["name"], self.s.pdfa, doc)
                return {"pdfa_path": "vector", **({"pdfa_fonts_substituted": subs} if subs
                                                  else {})}
            except VectorPdfaError as e:
                why = str(e)
        pdf_pages = [PdfPage(Path(d.image_file).read_bytes(), d.width, d.height, d.dpi, d.colour,
                             filter=d.image_filter, words=d.text.words if d.text else [])
                     for d in pages]
        rec.write_document_pdf(p.staging, pdf_pages, self.s.pdfa, doc)
        return {"pdfa_path": "raster", **({"pdfa_vector_refused": why} if why else {})}

    def _archived(self, rid: str) -> bool:
        """Whether `rid` is archived: its object is in place (a record whose catalogue row a
        crash lost is copied back from it). A catalogue row whose object is gone (damage found
        by `verify`) is ingested again, which repairs it."""
        if not self.store.archive.has_record(rid):
            return False
        if not self.store.catalogue.has(rid):
            self.store.resync(rid)
        return True

    def _probable_duplicate(self, fields: dict[str, Field], texts: list) -> tuple[str, float] | None:
        cat = self.store.catalogue

        def text_of(rid: str) -> str:
            doc = cat.get(rid) or {}
            try:
                return "\n".join(self.store.page_texts(rid, doc.get("page_count", 0)))
            except (NoRecord, OcflError, OSError):  # a damaged record: verify reports it
                return ""
        return find_probable_duplicate(fields, "\n".join(t.text for t in texts),
                                       cat.records_with_fields, text_of)

    def _rereaders(self, pages: list[PageDone]) -> tuple[Callable, Callable]:
        """Second readings of one region: digits only (handwritten numbers and dates), and text
        (a line, or the words of an area, that the page layout lost under a stamp or seal)."""
        decoded: dict[int, Any] = {}  # each page image decoded once, however many re-reads

        def engine() -> OcrEngine:
            if self._engine is None:
                self._engine = make_engine(self.engine)
            return self._engine

        def image(page_no: int):
            done = pages[page_no - 1]
            if done.text is None or done.text.method != "ocr":
                return None, 0.0
            if page_no not in decoded:
                decoded[page_no] = load_staged_page(Path(done.image_file), done.width,
                                                    done.height, done.colour, grey=True)
            return decoded[page_no], done.dpi

        def digits(page_no: int, box: Box) -> tuple[str, float] | None:
            grey, dpi = image(page_no)
            return None if grey is None else read_blank(engine(), grey, box, dpi)

        def text(page_no: int, box: Box, sparse: bool = False) -> tuple[str, float] | None:
            grey, dpi = image(page_no)
            return None if grey is None else read_region(engine(), grey, box, dpi, sparse)
        return digits, text

    def close(self) -> None:
        if self._engine is not None:
            self._engine.close()
            self._engine = None
        if self._copier is not None:
            self._copier.shutdown(wait=True)
            self._copier = None

    def _link_dossier(self, rid: str) -> None:
        if self.s.dossier and self.store.archive.has_record(rid):
            from digitize.curation import link
            link(self.store, rid, self.s.dossier)


_HAND = HandDigits()


def _warm_up() -> None:
    try:
        pdfa_warm_up()
        compounds()
    except Exception:  # only a head start: the real use reports any problem
        pass


def read_blank(engine: OcrEngine, grey, box: Box, dpi: float) -> tuple[str, float] | None:
    """Read a handwritten number in a form's blank: the handwritten-digit reader first (Tesseract
    reads handwriting badly: 5 of 36 real blanks, against 29), Tesseract's digits-only line
    where it finds no digit. A handwritten reading's confidence is capped at 80, under the level
    at which a re-read is trusted alone: it is shown to a person unless the first reading
    agrees."""
    got = _HAND.read(grey, box)
    if got:
        return got[0], 80.0 * got[1]
    return engine.read_digits(grey, box, dpi)


def read_region(engine: OcrEngine, grey, box: Box, dpi: float, sparse: bool = False
                ) -> tuple[str, float] | None:
    """Read a region of the page again, on its own and with long rules erased (a stamp's frame
    drawn through a line made the page layout drop the words it touched): one line, or with
    `sparse` the pieces of text in an area (a title half under a seal)."""
    h, w = grey.shape[:2]
    x0, y0, x1, y1 = max(box.x0, 0), max(box.y0, 0), min(box.x1, w), min(box.y1, h)
    if x1 - x0 < 8 or y1 - y0 < 8:
        return None
    return engine.read_region(erase_rules(grey[y0:y1, x0:x1], dpi), dpi, sparse)


def _extract(texts, reread, reread_text=None) -> dict[str, Field]:
    try:
        return extract_fields(texts, reread=reread, reread_text=reread_text)
    except Exception as e:  # field extraction must never lose a document
        return {"_error": Field("_error", f"{type(e).__name__}: {e}", 0.0, needs_review=True)}
