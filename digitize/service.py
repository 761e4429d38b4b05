"""The library calls behind each CLI command (digitize.present shows their results to a person).

Each function opens what it needs from the Settings, does one job and closes it again, so a
script can call them exactly as the CLI does.
"""
from __future__ import annotations

import contextlib
import json
import logging
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterator, Protocol

from digitize import curation, export as exports, validate
from digitize.config import Settings
from digitize.errors import BackendError, BadUsage, DigitizeError, NotFound
from digitize.fields.model import FIELD_NAMES
from digitize.store import Store
from indexer.base import BackendUnavailable, IndexOutdated, Query, SearchResult
from storage.archive import NoRecord

log = logging.getLogger(__name__)

if TYPE_CHECKING:  # the pipeline imports OpenCV, numpy and pikepdf: only ingest loads it
    from digitize.pipeline import DocOutcome


class Progress(Protocol):
    """What ingest reports its progress to (digitize.present.ProgressBar fits)."""

    def update(self) -> None: ...

    def set_total(self, n: int) -> None: ...


def _existing_archive(settings: Settings) -> None:
    """NotFound unless `settings.archive` is an archive (a mistyped --archive is said so): its
    OCFL storage root, or the records/ folder of the layout before (to be migrated)."""
    root = Path(settings.archive)
    if not ((root / "objects" / "0=ocfl_1.1").is_file() or (root / "records").is_dir()):
        raise NotFound(f"no archive at {root}")


@contextlib.contextmanager
def open_store(settings: Settings, create: bool = False,
               rebuilding: bool = False) -> Iterator[Store]:
    """The archive's store, closed when the block ends. Only commands that add records
    (`create`) make a new archive; the others raise NotFound, so a mistyped --archive says so
    instead of answering from a new, empty archive (the Store checks: an archive is its OCFL
    storage root, so one whose catalogue was lost is still found, and rebuilt)."""
    try:
        store = Store(settings, create=create, rebuilding=rebuilding)
    except ConnectionError as e:
        raise BackendError(f"search backend unreachable: {e}") from e
    try:
        yield store
    except BackendUnavailable as e:  # the backend went away meanwhile: one line, exit 5
        raise BackendError(str(e)) from None
    except IndexOutdated as e:
        raise BackendError(str(e)) from None
    finally:
        store.close()


def search(settings: Settings, query: Query) -> SearchResult:
    """Search the index. An index that is missing, or empty while the archive holds records,
    is an error naming the repair (not "no matching record")."""
    with open_store(settings) as store:
        records = store.catalogue.count()
        if records and store.index_missing():
            raise BackendError(f"the search index is missing but the archive holds {records} "
                               "record(s): run `digitize reindex` (or `digitize repair`)")
        result = store.index.search(query)
        if not result.hits and records and not store.index.record_ids():
            raise BackendError(f"the search index is empty but the archive holds {records} "
                               "record(s): run `digitize reindex` (or `digitize repair`)")
        return result


def _resolve(store: Store, record_id: str) -> str:
    """The record id `record_id` names: itself, or the one record whose id starts with it.
    Several records: BadUsage listing them (the officer types more characters)."""
    if store.catalogue.has(record_id):
        return record_id
    # ids are hex: a prefix's "_" or "%" (SQL wildcards in find_prefix) matches no id
    found = [i for i in store.catalogue.find_prefix(record_id) if i.startswith(record_id)] \
        if record_id else []
    if len(found) == 1:
        return found[0]
    if not found:
        raise NotFound(f"no record {record_id!r} in {store.archive.root}")
    ids = sorted(i for i in store.catalogue.ids() if i.startswith(record_id))
    lines = [f"  {i}  {(store.catalogue.get(i) or {}).get('title', '')[:70]}" for i in ids[:10]]
    more = [f"  … and {len(ids) - 10} more"] if len(ids) > 10 else []
    raise BadUsage("\n".join([f"{len(ids)} records start with {record_id!r}; give more of the "
                              "id:", *lines, *more]))


# Events that read a record without changing it: kept, but shown apart from its history.
ACCESS_ACTIONS = ("exported", "verified")


def show(settings: Settings, record_id: str) -> dict[str, Any]:
    """A record as stored, with its files' places, dossiers, `history` (what made and changed
    it: ingest, corrections with old and new value, links) and `access` (exports, fixity
    checks)."""
    with open_store(settings) as store:
        rid = _resolve(store, record_id)
        doc = store.catalogue.get(rid) or {}
        doc["record_dir"] = str(store.archive.record_dir(rid))
        doc["version"] = store.catalogue.version(rid)
        try:
            doc["files"] = {lp: str(p) for lp, p in store.archive.current_files(rid).items()}
        except (NoRecord, OSError, ValueError, KeyError) as e:
            doc["files"] = {}
            log.warning("record %s: its files cannot be listed (%s): run digitize verify", rid, e)
        doc["pdf"] = doc["files"].get("document.pdf", "")
        doc["dossiers"] = store.catalogue.dossiers_of(rid)
        events = store.catalogue.history(rid)
        doc["history"] = [e for e in events if e["action"] not in ACCESS_ACTIONS]
        doc["access"] = [e for e in events if e["action"] in ACCESS_ACTIONS]
        return doc


def _selection(store: Store, record_ids: list[str] | None, dossier: str | None) -> list[str] | None:
    """The records chosen by id (or unique prefix) and/or dossier; None for all of them."""
    if not record_ids and not dossier:
        return None
    chosen = [_resolve(store, r) for r in record_ids or []]
    if dossier:
        linked = store.catalogue.dossier(dossier)
        if not linked:
            raise NotFound(f"no record is linked to dossier {dossier!r}")
        chosen += [r for r in linked if r not in chosen]
    return chosen


def export(settings: Settings, out: Path, fmt: str = "jsonl", names: str = "digitize",
           record_ids: list[str] | None = None, dossier: str | None = None,
           force: bool = False) -> int:
    """Write the chosen records (default: every one) to `out` as JSON lines or CSV (column
    names: ours or TT 05/2025's), or as a BagIt bag; each exported record gets an "exported"
    event. `record_ids` (ids or unique prefixes) and `dossier` select records. An existing
    `out` is replaced only with `force`; `out` inside the archive is refused."""
    _check_out(settings, out, force, folder_ok=fmt == "bagit")
    with open_store(settings) as store:
        chosen = _selection(store, record_ids, dossier)
        if fmt != "bagit":
            every = list(store.catalogue.iter_docs())
            docs = every if chosen is None else [store.catalogue.get(r) or {} for r in chosen]
            keys = {k for d in every for k in (d.get("archive_metadata") or {})}
            return _write_rows(store, docs, out, fmt, names, keys, force)
    return export_bag(settings, out, chosen, force)


def export_tt05(settings: Settings, out: Path, opts, record_ids: list[str] | None = None,
                dossier: str | None = None) -> Path:
    """The Circular 05/2025 package of the chosen records (see digitize.tt05)."""
    from digitize.tt05 import export_package
    _check_out(settings, out, force=True)  # never into the archive itself
    with open_store(settings) as store:
        chosen = _selection(store, record_ids, dossier) or []
        return export_package(store, out, chosen, opts)


def _check_out(settings: Settings, out: Path, force: bool, folder_ok: bool = False) -> None:
    """Refuse an export that would replace something, unless forced, or write into the
    archive (an export over `catalogue.sqlite3` destroyed history for good). An empty folder
    may receive a bag."""
    from digitize.errors import OutputExists
    if str(out) == "-":
        return
    target, root = out.resolve(), settings.archive.resolve()
    if target == root or root in target.parents:
        raise OutputExists(f"{out} is inside the archive {settings.archive}; export outside it")
    if not (out.exists() or out.is_symlink()) or force:
        return
    if folder_ok and out.is_dir() and not out.is_symlink() and not any(out.iterdir()):
        return
    raise OutputExists(f"{out} already exists; choose another name, or --force to replace it")


def _write_rows(store: Store, docs: list[dict], out: Path, fmt: str, names: str,
                archive_keys: set[str], force: bool = False) -> int:
    """`docs` as JSON lines or CSV rows into `out` (opened only now: a bad selection leaves no
    empty file behind). `archive_keys`: the archive metadata names the CSV has columns for."""
    with _open_out(out, force) as fh:
        writer = exports.CsvWriter(fh, names, archive_keys) if fmt == "csv" else None
        n = 0
        for doc in docs:
            texts = store.page_texts(doc["id"], doc.get("page_count", 0))
            row = exports.export_row(doc, texts, store.catalogue.dossiers_of(doc["id"]))
            if writer is not None:
                writer.write(row)
            else:
                if names == "tt05":
                    row = {**exports.tt05_row(row), "text": row["text"]}
                fh.write(json.dumps(row, ensure_ascii=False) + "\n")
            store.add_event(doc["id"], "exported", detail={"format": fmt, "to": str(out)})
            n += 1
        return n


@contextlib.contextmanager
def _open_out(out: Path, force: bool = False):
    """The export file: created new (never over an existing one), or with `force` written
    beside it and renamed over it once complete (a failed export leaves the old file)."""
    from digitize.errors import OutputExists
    if str(out) == "-":
        yield sys.stdout
        return
    if not force:
        try:
            fh = open(out, "x", encoding="utf-8", newline="")
        except FileExistsError as e:
            raise OutputExists(f"{out} already exists; choose another name, or --force to "
                               "replace it") from e
        with fh:
            yield fh
        return
    tmp = out.with_name(f".{out.name}.partial-{os.getpid()}")
    try:
        with open(tmp, "w", encoding="utf-8", newline="") as fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
        if out.is_dir() and not out.is_symlink():
            raise OutputExists(f"{out} is a folder; a {out.suffix or 'file'} export cannot "
                               "replace it")
        os.replace(tmp, out)
    finally:
        tmp.unlink(missing_ok=True)


def reindex(settings: Settings) -> int:
    with open_store(settings, rebuilding=True) as store:
        store.recover_all()
        return store.rebuild_index()


def review(settings: Settings) -> list[dict[str, Any]]:
    with open_store(settings) as store:
        return curation.review_items(store)


def set_field(settings: Settings, record_id: str, field: str, value: str,
              actor: str | None = None) -> dict[str, Any]:
    """Correct one field of a record. An unknown field or a value the field cannot take is
    BadUsage (checked before the archive is opened); dates may be typed as `search` takes them."""
    if field not in FIELD_NAMES:
        raise BadUsage(f"unknown field {field!r}; fields: {', '.join(FIELD_NAMES)}")
    if field == "issued_date":
        try:
            value = validate.day(value)
        except ValueError as e:
            raise BadUsage(f"issued_date: {e}") from e
    try:
        curation.parse_value(field, value)
    except DigitizeError as e:
        raise BadUsage(str(e)) from e
    with open_store(settings) as store:
        return curation.set_field(store, _resolve(store, record_id), field, value, actor)


def link(settings: Settings, record_id: str, dossier: str, actor: str | None = None) -> bool:
    """Attach a record to a dossier (code checked by digitize.validate.dossier_code)."""
    code = _dossier_code(dossier)
    with open_store(settings) as store:
        return curation.link(store, _resolve(store, record_id), code, actor)


def unlink(settings: Settings, record_id: str, dossier: str, actor: str | None = None) -> bool:
    """Detach a record from a dossier."""
    code = _dossier_code(dossier)
    with open_store(settings) as store:
        return curation.unlink(store, _resolve(store, record_id), code, actor)


def dossier(settings: Settings, code: str) -> list[dict[str, Any]]:
    """The records a dossier holds; NotFound when it holds none."""
    code = _dossier_code(code)
    with open_store(settings) as store:
        rows = curation.dossier_records(store, code)
    if not rows:
        raise NotFound(f"dossier {code!r} holds no record")
    return rows


def _dossier_code(code: str) -> str:
    try:
        return validate.dossier_code(code)[0]
    except ValueError as e:
        raise BadUsage(f"dossier code: {e}") from e


def check_lang(lang: str) -> None:
    """Refuse Tesseract models that are not installed before any worker starts (BadUsage
    naming the installed ones)."""
    from ocr.engine import find_tessdata  # numpy and tesserocr: only for the commands that OCR
    from ocr.errors import OcrError
    try:
        find_tessdata(lang)
    except OcrError as e:
        raise BadUsage(f"--lang: {e}") from e


# batches, fixity, transfer and watching ------------------------------------------------------
def ingest_batch(settings: Settings, paths: list[Path], manifest: Path | None = None,
                 bar: Progress | None = None,
                 follow_symlinks: bool = False, sign_with: tuple | None = None
                 ) -> Iterator[DocOutcome]:
    """`ingest` over folders/files and/or a batch manifest CSV (see digitize.batch). The
    inputs and the OCR model are checked now, before anything is opened or started: a model
    that is not installed is BadUsage, paths holding nothing to ingest NotFound. The documents
    are ingested as the returned iterator is consumed. Symbolic links inside the folders given
    are followed out of them only with `follow_symlinks`. `sign_with` (service.signer's key and
    options): each stored record is signed right after it is stored."""
    from digitize.batch import ManifestError, load_manifest
    from digitize.pipeline import DocOutcome
    from digitize.discover import discover, show_path
    if settings.ocr_engine == "tesseract":
        check_lang(settings.lang)
    docs: list = []
    failed: list[DocOutcome] = []
    if manifest is not None:
        try:
            docs, errors = load_manifest(manifest)
        except ManifestError as e:
            raise DigitizeError(str(e)) from e
        failed += [DocOutcome(e.document, [e.file], "failed",
                              error=f"{show_path(manifest)} row {e.row}: {e.reason}")
                   for e in errors]
    if paths:
        found, skipped = discover(paths, follow_symlinks)
        docs += found
        failed += [DocOutcome(show_path(s.path), [show_path(s.path)], "failed",
                              error=f"{show_path(s.path)}: {s.reason}") for s in skipped]
    if not docs and not failed:
        where = ", ".join(show_path(p) for p in paths) or show_path(manifest or "")
        raise NotFound(f"nothing to ingest in {where}: no PNG, JPEG, TIFF or PDF file")
    from ocr.images import PDF_SUFFIXES  # OpenCV and numpy: only for the commands that OCR
    from ocr.programs import missing_programs
    if any(f.suffix.lower() in PDF_SUFFIXES for d in docs for f in d.files):
        missing = missing_programs()
        if missing:
            raise DigitizeError(f"cannot read PDFs: {', '.join(missing)} not installed; run "
                                "scripts/setup.sh")
    return _ingest(settings, docs, failed, bar, sign_with)


def _ingest(settings: Settings, docs: list, failed: list[DocOutcome],
            bar: Progress | None, sign_with: tuple | None = None) -> Iterator[DocOutcome]:
    from digitize.pipeline import Ingestor
    with open_store(settings, create=True) as store:
        ing = Ingestor(store, on_page=bar.update if bar else None,
                       on_total=bar.set_total if bar else None)
        for out in ing.run_documents(docs, failed):
            if sign_with is not None and out.status == "stored" and out.record_id:
                res = sign_one(store, out.record_id, *sign_with)
                if res.get("error"):  # the record is kept; `digitize sign` can try again
                    out.status, out.error = "failed", f"stored, not signed: {res['error']}"
                else:
                    out.signature = res
            yield out


def verify(settings: Settings, sample: int | None = None, trust: list[Path] | None = None):
    """Check every layer: records (fixity, event logs), catalogue against records, index
    against catalogue; each problem says how to repair it."""
    from digitize.integrity import verify as verify_layers
    return verify_layers(settings, sample, check_pdf=_check_pdf, trust=trust)


def repair(settings: Settings):
    """Repair what needs no person (see digitize.integrity.repair)."""
    from digitize.integrity import repair as repair_layers
    return repair_layers(settings)


def rebuild(settings: Settings) -> tuple[int, int]:
    """Recreate the catalogue and the index from the record folders alone."""
    from digitize.integrity import rebuild as rebuild_all
    return rebuild_all(settings)


def migrate(settings: Settings) -> dict[str, Any]:
    """Convert an archive in the layout before OCFL, then rebuild catalogue and index."""
    from digitize.integrity import rebuild as rebuild_all
    from storage.migrate import migrate as migrate_legacy
    if not (Path(settings.archive) / "records").is_dir():
        raise NotFound(f"no archive in the layout before OCFL at {settings.archive}")
    report = migrate_legacy(Path(settings.archive))
    n, m = rebuild_all(settings)
    return {**report.to_dict(), "catalogued": n, "indexed": m}


def _check_pdf(pdf: Path, flavour: str) -> str | None:
    """`verify`'s PDF/A check: the cheap byte-level one, then pikepdf's validator."""
    from ocr.pdfa import pdfa_problem
    from storage.verify import check_pdfa_bytes
    return check_pdfa_bytes(pdf, flavour) or pdfa_problem(pdf, flavour)


def export_bag(settings: Settings, out: Path, record_ids: list[str] | None = None,
               force: bool = False) -> int:
    """Write the chosen records (default: all) as a validated BagIt bag at `out`. A record that
    fails `verify` (fixity, manifest, PDF/A) is refused, and with it the bag: a transfer
    package must not carry damage forward under fresh, valid checksums."""
    from storage.bag import BagError, BagRecord, write_bag
    from storage.verify import verify_one
    with open_store(settings) as store:
        ids = [_resolve(store, r) for r in record_ids] if record_ids else store.catalogue.ids()
        cat = store.catalogue
        failing = {rid: found for rid in ids
                   if (found := verify_one(store.archive, cat, rid, _check_pdf))}
        if failing:
            named = "; ".join(f"{rid} ({found[0].kind} {found[0].path}"
                              + (f" and {len(found) - 1} more" if len(found) > 1 else "") + ")"
                              for rid, found in list(failing.items())[:10])
            more = f" and {len(failing) - 10} more record(s)" if len(failing) > 10 else ""
            raise DigitizeError(f"no bag written: {len(failing)} record(s) fail verify: "
                                f"{named}{more}; run `digitize verify` and repair them first")
        records = [BagRecord(rid, store.archive.record_dir(rid), cat.get(rid) or {},
                             cat.history(rid), _digests(store.archive.record_dir(rid)))
                   for rid in ids]
        try:
            n = write_bag(out, records, {"External-Description":
                                         f"{len(ids)} record(s) exported by digitize"},
                          replace=force)
        except BagError as e:
            raise DigitizeError(str(e)) from e
        for rid in ids:
            store.add_event(rid, "exported", detail={"format": "bagit", "to": str(out)})
        return n


def _digests(folder: Path) -> dict[str, str]:
    """The SHA-256 of every file of the record's object, taken once it passed verify (its
    inventory's SHA-512 digests): the bag's copy is checked against them."""
    from storage.files import sha256_file
    return {p.relative_to(folder).as_posix(): sha256_file(p) for p in sorted(folder.rglob("*"))
            if p.is_file()}


def watch(settings: Settings, in_dir: Path, interval_s: float = 5.0, settle_s: float = 10.0,
          once: bool = False, group_timeout_s: float = 300.0,
          follow_symlinks: bool = False) -> Iterator[DocOutcome]:
    """Ingest documents dropped into `in_dir` as they settle (see digitize.watch). The folder
    and the OCR model are checked now; watching starts as the returned iterator is consumed."""
    if not in_dir.is_dir():
        raise NotFound(f"no folder {in_dir}")
    if settings.ocr_engine == "tesseract":
        check_lang(settings.lang)
    return _watch(settings, in_dir, interval_s, settle_s, once, group_timeout_s,
                  follow_symlinks)


def _watch(settings: Settings, in_dir: Path, interval_s: float, settle_s: float,
           once: bool, group_timeout_s: float, follow_symlinks: bool) -> Iterator[DocOutcome]:
    from digitize.pipeline import Ingestor
    from digitize.watch import Watcher, WatchOptions
    with open_store(settings, create=True) as store:
        ing = Ingestor(store)
        yield from Watcher(in_dir, ing.run_documents,
                           WatchOptions(interval_s, settle_s, once, group_timeout_s,
                                        follow_symlinks)).run()


class _NoReport:
    def add_outcome(self, out: DocOutcome) -> None:
        pass


@contextlib.contextmanager
def batch_report(path: Path | None) -> Iterator[Any]:
    """The `--report` CSV writer for an ingest (a no-op when no path is given)."""
    if path is None:
        yield _NoReport()
        return
    from digitize.batch import ReportWriter
    with open(path, "w", encoding="utf-8", newline="") as fh:
        yield ReportWriter(fh)


# the web page and its accounts --------------------------------------------------------------
def serve(settings: Settings, host: str, port: int, certfile: Path | None = None,
          keyfile: Path | None = None, workers: int = 1) -> None:
    """Run the web page (digitize.web) over the archive until interrupted, in `workers`
    server processes (each builds its app from the DIGITIZE_* environment set here)."""
    import os

    import uvicorn

    from digitize.web.app import create_app
    _existing_archive(settings)
    log.warning("serving %s on http%s://%s:%d/ (%d process(es))", settings.archive,
                "s" if certfile else "", host, port, workers)
    if workers <= 1:
        uvicorn.run(create_app(settings, tls=certfile is not None), host=host, port=port,
                    log_level="warning", ssl_certfile=certfile, ssl_keyfile=keyfile)
        return
    os.environ.update({"DIGITIZE_ARCHIVE": str(settings.archive),
                       "DIGITIZE_BACKEND": settings.backend, "DIGITIZE_LANG": settings.lang,
                       "DIGITIZE_WEB_TLS": "1" if certfile else "0"})
    if settings.es_url:
        os.environ["DIGITIZE_ES_URL"] = settings.es_url
    uvicorn.run("digitize.web.app:app_from_env", factory=True, workers=workers, host=host,
                port=port, log_level="warning", ssl_certfile=certfile, ssl_keyfile=keyfile)


def add_user(settings: Settings, name: str, role: str, password: str) -> None:
    from storage.users import UserError, Users
    _existing_archive(settings)
    users = Users(settings.archive)
    try:
        users.add(name, role, password)
    except UserError as e:
        raise DigitizeError(str(e)) from None
    finally:
        users.close()


def list_users(settings: Settings) -> list:
    from storage.users import Users
    _existing_archive(settings)
    users = Users(settings.archive)
    try:
        return users.list()
    finally:
        users.close()


def remove_user(settings: Settings, name: str) -> None:
    from storage.users import Users
    _existing_archive(settings)
    users = Users(settings.archive)
    try:
        if not users.remove(name):
            raise NotFound(f"no account {name!r}")
    finally:
        users.close()


# signatures -----------------------------------------------------------------------------------
def signer(opts) -> tuple[Any, Any]:
    """The loaded key and the options (digitize.signing.SignOptions), checked before any work."""
    from digitize.signing import load_key
    if not (opts.agency or "").strip():
        raise BadUsage("--agency: the agency's name is printed on the signature")
    return load_key(opts), opts


def sign(settings: Settings, record_ids: list[str], dossier: str | None, all_unsigned: bool,
         opts) -> Iterator[dict[str, Any]]:
    """Sign the chosen records, one transaction each; yields one outcome per record (a record
    that cannot be signed gets its error and the batch goes on)."""
    from digitize.signing import unsigned_records
    key, opts = signer(opts)
    with open_store(settings) as store:
        chosen = _selection(store, record_ids, dossier) or []
        if all_unsigned:
            chosen += [r for r in unsigned_records(store) if r not in chosen]
        if not chosen:
            raise NotFound("no record to sign")
        for rid in chosen:
            yield sign_one(store, rid, key, opts)


def sign_one(store: Store, record_id: str, key, opts) -> dict[str, Any]:
    from digitize.signing import sign_record
    try:
        return {"record_id": record_id, **sign_record(store, record_id, key, opts)}
    except DigitizeError as e:
        return {"record_id": record_id, "error": str(e)}
