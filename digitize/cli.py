"""The `digitize` command line: a thin layer over the library. Results go to stdout (JSON with
--json), progress and messages to stderr; exit codes are listed in digitize.errors."""
from __future__ import annotations

import json
import logging
import os
import sys
from dataclasses import asdict
from pathlib import Path
from typing import Any

import click

from digitize import __version__, present, service, validate
from digitize.config import from_env
from digitize.errors import EXIT_BACKEND, EXIT_FAILED_ITEMS, EXIT_OK, DigitizeError

ARCHIVE_HELP = "Archive folder (default: $DIGITIZE_ARCHIVE, else ./archive)."


def _clip(text: str, n: int) -> str:
    return text if len(text) <= n else text[: n - 1] + "…"


def _date_bound(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    """--from/--to as an ISO date: a year or a month stands for its first (--from) or last
    (--to) day; an impossible or unreadable date is a usage error naming the option."""
    if value is None:
        return None
    try:
        return validate.date_bound(value, end=param.name == "date_to")
    except ValueError as e:
        raise click.BadParameter(str(e), ctx, param) from e


def _dossier_code(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    """A dossier code, trimmed; an empty one is a usage error. Codes that are stored (ingest,
    link) and do not follow the national portal's format are kept with a warning."""
    if value is None:
        return None
    try:
        code, problem = validate.dossier_code(value)
    except ValueError as e:
        raise click.BadParameter(str(e), ctx, param) from e
    if problem and ctx.command.name in ("ingest", "link"):
        click.echo(f"digitize: warning: dossier code {code!r}: {problem}", err=True)
    return code


def _sign_options(f):
    """The options that name the agency's key and what its signature says (sign, ingest)."""
    opts = [
        click.option("--key", "key_file", type=click.Path(path_type=Path, dir_okay=False),
                     help="The agency's PKCS#12 key file; its password from "
                          "$DIGITIZE_SIGN_PASSWORD or a prompt (never a flag)."),
        click.option("--pkcs11-module", type=click.Path(path_type=Path, dir_okay=False),
                     help="Sign with a PKCS#11 token (USB key): the token's library; its PIN "
                          "from $DIGITIZE_SIGN_PIN or a prompt."),
        click.option("--token-label", help="The PKCS#11 token's label."),
        click.option("--key-label", help="The label of the key and certificate on the token."),
        click.option("--agency", help="The agency's name, printed on the signature."),
        click.option("--tsa", "tsa_url", help="A time-stamp authority's URL: PAdES B-T."),
        click.option("--long-term", is_flag=True,
                     help="Embed revocation data (PAdES B-LT); it must be fetchable."),
    ]
    for o in reversed(opts):
        f = o(f)
    return f


def _sign_settings(key_file, pkcs11_module, token_label, key_label, agency, tsa_url, long_term):
    """SignOptions from the flags; the password or PIN from the environment or a prompt."""
    from digitize.signing import SignOptions
    password = pin = None
    if key_file:
        pw = os.environ.get("DIGITIZE_SIGN_PASSWORD")
        if pw is None:
            pw = click.prompt(f"password of {key_file}", hide_input=True, err=True)
        password = pw.encode()
    if pkcs11_module:
        pin = os.environ.get("DIGITIZE_SIGN_PIN") or click.prompt(
            f"PIN of token {token_label}", hide_input=True, err=True)
    return SignOptions(key_file, password, pkcs11_module, token_label, key_label, pin,
                       agency or "", tsa_url, long_term)


def _trust_paths(trust: tuple[Path, ...]) -> list[Path] | None:
    env = os.environ.get("DIGITIZE_TRUST")
    paths = list(trust) + [Path(p) for p in (env.split(os.pathsep) if env else []) if p]
    return paths or None


def _emit_json(obj: Any) -> None:
    click.echo(json.dumps(obj, ensure_ascii=False, default=str))


def backend_options(fn):
    """--backend and the Elasticsearch connection options; each defaults to its DIGITIZE_*
    environment variable (prefer the environment for secrets: flags show in `ps`)."""
    opts = [
        click.option("--backend", type=click.Choice(["embedded", "es"]),
                     help="Search backend (default: $DIGITIZE_BACKEND, else embedded)."),
        click.option("--es-url", help="Elasticsearch URL, e.g. https://host:9200 "
                     "(default: $DIGITIZE_ES_URL)."),
        click.option("--es-api-key", help="Elasticsearch API key, id:key or base64 "
                     "(default: $DIGITIZE_ES_API_KEY)."),
        click.option("--es-user", help="Elasticsearch user (default: $DIGITIZE_ES_USER)."),
        click.option("--es-password", help="Elasticsearch password "
                     "(default: $DIGITIZE_ES_PASSWORD)."),
        click.option("--es-ca", type=click.Path(dir_okay=False),
                     help="CA certificate (PEM) of the cluster (default: $DIGITIZE_ES_CA)."),
        click.option("--es-prefix", help="Index name prefix, one per archive "
                     "(default: $DIGITIZE_ES_PREFIX, else digitize)."),
    ]
    for opt in reversed(opts):
        fn = opt(fn)
    return fn


class _Cli(click.Group):
    def invoke(self, ctx):
        logging.basicConfig(level=logging.WARNING, format="digitize: %(message)s",
                            stream=sys.stderr)
        try:
            return super().invoke(ctx)
        except DigitizeError as e:
            click.echo(f"digitize: error: {e}", err=True)
            sys.exit(e.exit_code)
        except KeyboardInterrupt:
            click.echo("digitize: interrupted; run the same command again to resume", err=True)
            sys.exit(130)


@click.group(cls=_Cli, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__)
def main() -> None:
    """Turn scans of Vietnamese administrative records into a searchable PDF/A archive.

    \b
    Typical use:
      digitize ingest scans/ --archive /data/archive
      digitize search "nguyen van an" --archive /data/archive
      digitize show RECORD_ID
    """


@main.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option("--archive", type=click.Path(path_type=Path), help=ARCHIVE_HELP)
@click.option("--manifest", type=click.Path(path_type=Path, dir_okay=False),
              help="Batch manifest CSV: file, document, page, then archive metadata columns.")
@click.option("--report", type=click.Path(path_type=Path, dir_okay=False),
              help="Write every input with its outcome and error to this CSV.")
@click.option("--dossier", callback=_dossier_code,
              help="Attach every ingested record to this dossier (hồ sơ) code.")
@click.option("--jobs", "-j", type=click.IntRange(0), default=0, show_default=True,
              help="Worker processes; 0 means one per CPU core.")
@click.option("--pdfa", type=click.Choice(["2b", "1b"]), default="2b", show_default=True,
              help="PDF/A flavour of the searchable PDF.")
@click.option("--lang", help="Tesseract model(s), e.g. vie or vie+Vietnamese.")
@click.option("--follow-symlinks", is_flag=True,
              help="Follow symbolic links inside the folders given even where they lead out of "
                   "them (default: such links are skipped, each named).")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object per document.")
@click.option("--sign", "sign", is_flag=True,
              help="Sign each stored record's PDF/A with the agency's key (see digitize sign).")
@_sign_options
@backend_options
def ingest(paths, archive, manifest, report, dossier, jobs, pdfa, lang, as_json,
           follow_symlinks, sign, key_file, pkcs11_module, token_label, key_label, agency,
           tsa_url, long_term, **backend):
    """Ingest scans (PNG, JPEG, TIFF, PDF; files or folders) into the archive.

    A PDF or multi-page TIFF is one document; images named NAME_p1.png, NAME_p2.png ... in one
    folder are the pages of one document. Each document becomes a record with the original files,
    a searchable PDF/A, the OCR text and word boxes. Running the same command again resumes:
    documents already archived are reported as duplicates. Exit status 1 if any document failed,
    2 if --lang names a Tesseract model that is not installed, 3 if PATHS hold no scan at all,
    5 if the search backend went away (the records are stored; the next run indexes them).
    """
    if not paths and not manifest:
        raise click.UsageError("give PATHS to ingest, or --manifest FILE.csv")
    settings = from_env(archive=archive, dossier=dossier, jobs=jobs, pdfa=pdfa, lang=lang,
                        **backend)
    failed = unindexed = 0
    signer = None
    if sign:  # the key is loaded (and checked) before anything is ingested
        signer = service.signer(_sign_settings(key_file, pkcs11_module, token_label, key_label,
                                               agency, tsa_url, long_term))
    with present.progress_bar(enabled=not as_json or sys.stderr.isatty()) as bar:
        outcomes = service.ingest_batch(settings, list(paths), manifest, bar,
                                        follow_symlinks, signer)  # checks inputs
        with service.batch_report(report) as rep:
            for out in outcomes:
                failed += out.status == "failed"
                unindexed += out.status == "stored" and not out.indexed
                rep.add_outcome(out)
                if as_json:
                    _emit_json(out.to_dict())
                else:
                    bar.write(present.describe_outcome(out))
    _exit_batch(settings, failed, unindexed)


def _exit_batch(settings, failed: int, unindexed: int) -> None:
    if unindexed:
        click.echo(f"digitize: {unindexed} record(s) stored in the archive but not in the search "
                   f"index: run `digitize reindex --backend {settings.backend}` (or the same "
                   "command again) once the search backend is back", err=True)
    sys.exit(EXIT_FAILED_ITEMS if failed else EXIT_BACKEND if unindexed else EXIT_OK)


@main.command()
@click.argument("query", required=False, default="")
@click.option("--archive", type=click.Path(path_type=Path), help=ARCHIVE_HELP)
@click.option("--limit", type=click.IntRange(1, 1000), default=10, show_default=True)
@click.option("--offset", type=click.IntRange(0), default=0, help="Skip this many hits (paging).")
@click.option("--type", "doc_type", help="Only this document type, e.g. 'QUYẾT ĐỊNH'.")
@click.option("--issuer", help="Only documents of this issuer.")
@click.option("--number", help="Only this number and symbol, e.g. 15/QĐ-UBND.")
@click.option("--from", "date_from", callback=_date_bound, metavar="DATE",
              help="Issued on or after this day: YYYY-MM-DD, DD/MM/YYYY, MM/YYYY or YYYY "
                   "(a month or year from its first day).")
@click.option("--to", "date_to", callback=_date_bound, metavar="DATE",
              help="Issued on or before this day, written as for --from (a month or year up to "
                   "its last day).")
@click.option("--dossier", callback=_dossier_code, help="Only records linked to this dossier.")
@click.option("--person-id", help="Records carrying this personal ID (CCCD, CMND, passport) in "
              "their fields or text, however printed or typed (spaces, dots, O for 0), newest "
              "first, with the page and line.")
@click.option("--person", help="Records about this person (name, diacritics optional; the "
              "name as typed first, holders before text mentions).")
@click.option("--facets", is_flag=True, help="Also count hits by type, issuer and year.")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@backend_options
def search(query, archive, limit, offset, doc_type, issuer, number, date_from, date_to, dossier,
           person_id, person, facets, as_json, **backend):
    """Find records by words (diacritics optional), numbers, names or ID numbers.

    Quote a phrase to match it exactly: digitize search '"quyền sử dụng đất"'.
    """
    from indexer.base import Query
    if date_from and date_to and date_from > date_to:
        raise click.BadParameter(f"--from {date_from} is after --to {date_to}",
                                 param_hint="'--from'")
    settings = from_env(archive=archive, **backend)
    q = Query(query, doc_type, issuer, number, date_from, date_to, dossier, person_id, person,
              limit, offset, facets)
    result = service.search(settings, q)
    if as_json:
        _emit_json({"total": result.total, "hits": [asdict(h) for h in result.hits],
                    "facets": result.facets})
        return
    click.echo(present.format_hits(result, offset))


@main.command()
@click.argument("record_id")
@click.option("--archive", type=click.Path(path_type=Path), help=ARCHIVE_HELP)
@click.option("--json", "as_json", is_flag=True, help="Print the whole record as JSON.")
def show(record_id, archive, as_json):
    """Show a record: files, pages, fields and history (an id prefix is enough)."""
    settings = from_env(archive=archive)
    doc = service.show(settings, record_id)
    if as_json:
        _emit_json(doc)
    else:
        click.echo(present.format_record(doc))


@main.command()
@click.argument("out", type=click.Path(path_type=Path))
@click.option("--format", "fmt", type=click.Choice(["jsonl", "csv", "bagit", "tt05"]),
              default="jsonl", show_default=True,
              help="bagit: a BagIt bag folder; tt05: the Circular 05/2025/TT-BNV package of a "
                   "dossier (a new folder inside OUT).")
@click.option("--names", type=click.Choice(["digitize", "tt05"]), default="digitize",
              show_default=True, help="Column names: ours, or Circular 05/2025/TT-BNV's.")
@click.option("--record", "records", multiple=True, metavar="ID",
              help="Only this record (id or unique prefix); repeat for more.")
@click.option("--dossier", callback=_dossier_code, help="Only the records linked to this dossier.")
@click.option("--archive", type=click.Path(path_type=Path), help=ARCHIVE_HELP)
@click.option("--file-code", help="tt05: the archive's dossier code (fileCode: agency id, year, "
                                  "number and notation).")
@click.option("--title", help="tt05: the dossier's title.")
@click.option("--retention", metavar="01-07",
              help="tt05: retention (maintenance): 01 permanent, 02 70 years ... 07 other.")
@click.option("--access", metavar="01-03", help="tt05: access (mode): 01 public, 02 "
                                                "conditional, 03 confidential.")
@click.option("--paper-code", help="tt05: code of the paper dossier (paperFileCode).")
@click.option("--sheets", type=click.IntRange(0), help="tt05: sheets of paper (numberOfPaper).")
@click.option("--fonds", default="", help="tt05: fonds code (mã phông).")
@click.option("--agency", default="", help="tt05: the agency handing the dossier over.")
@click.option("--zip", "as_zip", is_flag=True, help="tt05: zip the package.")
@click.option("--force", is_flag=True,
              help="Replace OUT if it exists (it is replaced only once the export is complete).")
def export(out, fmt, names, records, dossier, archive, file_code, title, retention, access,
           paper_code, sheets, fonds, agency, as_zip, force):
    """Export records (text, fields, metadata) to OUT ('-' for stdout; a new folder for
    --format bagit): every record, or those chosen with --record and --dossier. An existing
    OUT is never replaced without --force, and OUT may not lie inside the archive. A bag
    refuses records that fail `digitize verify`.

    \b
    --format tt05 writes the package a Vietnamese archive takes in (Circular 05/2025/TT-BNV,
    E-ARK CSIP): METS, EAD for the dossier and each document, PREMIS with checksums and
    history, the PDF/A files (the signed copy where there is one). Values the records do not
    carry come from the options above or the batch manifest's columns; every missing one is
    listed.
    """
    settings = from_env(archive=archive)
    if fmt == "tt05":
        from digitize.tt05 import PackageOptions

        opts = PackageOptions(file_code, title, retention, access, paper_code, sheets, fonds,
                              agency, zip=as_zip)
        path = service.export_tt05(settings, out, opts, list(records), dossier)
        click.echo(f"wrote {path}", err=True)
        return
    n = service.export(settings, out, fmt, names, list(records), dossier, force)
    click.echo(f"exported {n} record(s) to {out}", err=True)


@main.command()
@click.option("--archive", type=click.Path(path_type=Path), help=ARCHIVE_HELP)
@backend_options
def reindex(archive, **backend):
    """Rebuild the search index from the archive (the source of truth). Elasticsearch: a new
    index is built beside the old one, which serves searches until the alias switches."""
    settings = from_env(archive=archive, **backend)
    n = service.reindex(settings)
    click.echo(f"indexed {n} record(s)", err=True)


@main.command()
@click.option("--archive", type=click.Path(path_type=Path), help=ARCHIVE_HELP)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object per field.")
def review(archive, as_json):
    """List fields that need a person's check (doubtful OCR, handwriting), with page and box:
    the best reading, what OCR read where the value differs ("OCR read:"), and the other
    readings worth a look ("or:")."""
    items = service.review(from_env(archive=archive))
    for it in items:
        if as_json:
            _emit_json(it)
        else:
            click.echo(f"{it['record_id']}  p{it['page'] or '?'} {it['box'] or ''}  "
                       f"{it['field']} = {json.dumps(it['value'], ensure_ascii=False)}  "
                       f"(why: {_clip(it['why'], 100)})")
            if it.get("original") is not None:
                click.echo(f"    OCR read: {json.dumps(it['original'], ensure_ascii=False)}")
            for alt in it.get("alternatives") or []:
                click.echo(f"    or: {json.dumps(alt, ensure_ascii=False)}")
    if not items and not as_json:
        click.echo("nothing to review", err=True)


@main.command(name="set")
@click.argument("record_id")
@click.argument("field")
@click.argument("value")
@click.option("--archive", type=click.Path(path_type=Path), help=ARCHIVE_HELP)
@click.option("--user", help="Who makes the correction (default: the login name).")
def set_(record_id, field, value, archive, user):
    """Correct FIELD of a record to VALUE (JSON for persons/recipients; dates as YYYY-MM-DD).

    The old and new value, time and user go into the record's history; the index and the
    PDF/A metadata follow; the correction survives re-ingestion.
    """
    change = service.set_field(from_env(archive=archive), record_id, field, value, user)
    click.echo(f"{change['record_id']}: {field} "
               f"{json.dumps(change['old'], ensure_ascii=False)} -> "
               f"{json.dumps(change['new'], ensure_ascii=False)}")


@main.command()
@click.argument("record_id")
@click.option("--dossier", required=True, callback=_dossier_code,
              help="Dossier code (mã hồ sơ), e.g. 000.00.15.H55-250207-0001; codes in another "
                   "format are kept with a warning.")
@click.option("--archive", type=click.Path(path_type=Path), help=ARCHIVE_HELP)
@click.option("--user", help="Who links it (default: the login name).")
def link(record_id, dossier, archive, user):
    """Attach a stored result to a (new) dossier without copying it (tái sử dụng kết quả)."""
    settings = from_env(archive=archive)
    done = service.link(settings, record_id, dossier, user)
    click.echo(f"{'linked' if done else 'already linked'}: {record_id} -> {dossier}")


@main.command()
@click.argument("record_id")
@click.option("--dossier", required=True, callback=_dossier_code,
              help="Dossier code to detach the record from.")
@click.option("--archive", type=click.Path(path_type=Path), help=ARCHIVE_HELP)
@click.option("--user", help="Who unlinks it (default: the login name).")
def unlink(record_id, dossier, archive, user):
    """Detach a record from a dossier (the record stays; the unlink goes into its history)."""
    done = service.unlink(from_env(archive=archive), record_id, dossier, user)
    click.echo(f"{'unlinked' if done else 'was not linked'}: {record_id} -x- {dossier}")


@main.command()
@click.argument("code", callback=_dossier_code)
@click.option("--archive", type=click.Path(path_type=Path), help=ARCHIVE_HELP)
@click.option("--json", "as_json", is_flag=True, help="Print the records as JSON.")
def dossier(code, archive, as_json):
    """List the records a dossier (hồ sơ) holds. Exit status 3 if it holds none."""
    rows = service.dossier(from_env(archive=archive), code)
    if as_json:
        _emit_json({"dossier": code, "records": rows})
        return
    for r in rows:
        click.echo(f"{r['record_id']}  {r['number'] or '-'}  {r['issued_date'] or '-'}  "
                   f"{r['pages']}p  {r['title'][:80]}")


@main.command()
@click.option("--archive", type=click.Path(path_type=Path), help=ARCHIVE_HELP)
@click.option("--sample", type=click.IntRange(1), help="Re-hash only N random records.")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@click.option("--trust", type=click.Path(path_type=Path, dir_okay=False), multiple=True,
              help="Trusted CA certificates (PEM or DER) for the signatures; repeat for more "
                   "(also $DIGITIZE_TRUST, paths separated by ':').")
def verify(archive, sample, as_json, trust):
    """Check every layer: each record's files and event log (fixity), the signatures of signed
    copies and of originals that arrived signed (bytes intact, valid, chain to --trust), the
    catalogue against the records, the index against the catalogue. Each problem says how to
    repair it (`digitize repair` does what needs no person). Exit status 1 on any problem."""
    from storage.verify import format_report
    report = service.verify(from_env(archive=archive), sample, _trust_paths(trust))
    if as_json:
        _emit_json(report.to_dict())
    else:
        for line in format_report(report):
            click.echo(line)
    sys.exit(EXIT_OK if report.ok else EXIT_FAILED_ITEMS)


@main.command()
@click.option("--archive", type=click.Path(path_type=Path), help=ARCHIVE_HELP)
@click.option("--json", "as_json", is_flag=True, help="Print what was done and what is left.")
def repair(archive, as_json):
    """Repair what needs no person: finish or undo interrupted changes, remove stray staging,
    copy records into the catalogue and the index again where they differ, rebuild a missing
    index or catalogue. Damaged records are listed for a person. Exit 1 if problems remain."""
    from storage.verify import format_report
    out = service.repair(from_env(archive=archive))
    if as_json:
        _emit_json(out.to_dict())
    else:
        for line in out.done:
            click.echo(f"repaired  {line}")
        for line in format_report(out.remaining):
            click.echo(line)
    sys.exit(EXIT_OK if out.remaining.ok else EXIT_FAILED_ITEMS)


@main.command()
@click.option("--archive", type=click.Path(path_type=Path), help=ARCHIVE_HELP)
def rebuild(archive):
    """Recreate the catalogue (history, corrections, dossier links) and the search index from
    the record folders alone, e.g. after the catalogue was lost or damaged."""
    n, m = service.rebuild(from_env(archive=archive))
    click.echo(f"catalogued {n} record(s), indexed {m}", err=True)


@main.command()
@click.option("--archive", type=click.Path(path_type=Path), help=ARCHIVE_HELP)
@click.option("--json", "as_json", is_flag=True, help="Print the migration report as JSON.")
def migrate(archive, as_json):
    """Convert an archive written before records were OCFL objects (records/<id[:2]>/<id>/),
    losing nothing: files, history, corrections and dossier links. Safe to run again."""
    out = service.migrate(from_env(archive=archive))
    if as_json:
        _emit_json(out)
    else:
        click.echo(f"migrated {len(out['migrated'])} record(s), {len(out['skipped'])} already "
                   f"done, {len(out['failed'])} failed; catalogued {out['catalogued']}")
        for rid, why in out["failed"].items():
            click.echo(f"FAILED    {rid}: {why}")
        for rid, probs in out["fixity_warnings"].items():
            click.echo(f"warning   {rid}: {'; '.join(probs)}")
    sys.exit(EXIT_FAILED_ITEMS if out["failed"] else EXIT_OK)


@main.command()
@click.argument("in_dir", type=click.Path(path_type=Path, file_okay=False))
@click.option("--archive", type=click.Path(path_type=Path), help=ARCHIVE_HELP)
@click.option("--interval", type=click.FloatRange(0.1), default=5.0, show_default=True,
              help="Seconds between looks at IN_DIR.")
@click.option("--settle", type=click.FloatRange(0), default=10.0, show_default=True,
              help="Seconds a document (all its files, NAME_p1, NAME_p2 ... together) must stay "
                   "unchanged before it is ingested.")
@click.option("--once", is_flag=True, help="Look once, ingest what is ready, and stop.")
@click.option("--jobs", "-j", type=click.IntRange(0), default=0, show_default=True,
              help="Worker processes; 0 means one per CPU core.")
@click.option("--group-timeout", type=click.FloatRange(0), default=300.0, show_default=True,
              help="Seconds after which the pages NAME_p1, NAME_p2 ... of an incomplete "
                   "document (a page number missing) are ingested anyway, with a warning.")
@click.option("--follow-symlinks", is_flag=True,
              help="Follow symbolic links inside the folders given even where they lead out of "
                   "them (default: such links are skipped, each named).")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object per document.")
@backend_options
def watch(in_dir, archive, interval, settle, once, jobs, as_json, group_timeout,
          follow_symlinks, **backend):
    """Ingest documents dropped into IN_DIR once their files stop changing. Finished inputs move
    to IN_DIR/.done/, failed ones to IN_DIR/.failed/ (with NAME.error.txt). Safe to restart."""
    settings = from_env(archive=archive, jobs=jobs, **backend)
    outcomes = service.watch(settings, in_dir, interval, settle, once, group_timeout,
                             follow_symlinks)
    click.echo(f"digitize: {'looking once at' if once else 'watching'} {in_dir} "
               f"(every {interval:g} s; a file is ingested once unchanged for {settle:g} s) "
               f"into {settings.archive}" + ("" if once else "; Ctrl-C stops"), err=True)
    failed = unindexed = 0
    for out in outcomes:
        failed += out.status == "failed"
        unindexed += out.status == "stored" and not out.indexed
        click.echo(json.dumps(out.to_dict(), ensure_ascii=False) if as_json
                   else present.describe_outcome(out))
    _exit_batch(settings, failed, unindexed)


@main.command()
@click.option("--archive", type=click.Path(path_type=Path), help=ARCHIVE_HELP)
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on (127.0.0.1: this machine only).")
@click.option("--port", type=click.IntRange(1, 65535), default=8080, show_default=True)
@click.option("--certfile", type=click.Path(path_type=Path, dir_okay=False),
              help="TLS certificate (PEM): serve HTTPS, session cookies marked Secure.")
@click.option("--keyfile", type=click.Path(path_type=Path, dir_okay=False),
              help="TLS private key (PEM) of --certfile.")
@click.option("--workers", type=click.IntRange(0), default=0, show_default=True,
              help="Server processes; 0 means one per CPU core.")
def serve(archive, host, port, certfile, keyfile, workers):
    """Serve the counter officer's web page: search (diacritics optional), a citizen's results,
    a record with its scan and evidence boxes, review and correction, attach to a dossier.

    \b
    Accounts first: digitize user add NAME --role officer|archivist|admin
    Then open http://HOST:PORT/ in a browser. Every asset is served by digitize itself.
    """
    if bool(certfile) != bool(keyfile):
        raise click.UsageError("--certfile and --keyfile go together")
    service.serve(from_env(archive=archive), host, port, certfile, keyfile,
                  workers or os.cpu_count() or 1)


@main.group()
def user() -> None:
    """Manage the web page's accounts (officer, archivist, admin)."""


@user.command("add")
@click.argument("name")
@click.option("--role", type=click.Choice(["officer", "archivist", "admin"]), required=True,
              help="officer: search, view, attach; archivist: also review and correct; "
                   "admin: also manage accounts.")
@click.option("--archive", type=click.Path(path_type=Path), help=ARCHIVE_HELP)
def user_add(name, role, archive):
    """Create an account, or set its role and password. The password is asked for, or read
    from $DIGITIZE_USER_PASSWORD (never a command-line flag); it is stored hashed (Argon2id)."""
    password = os.environ.get("DIGITIZE_USER_PASSWORD") or click.prompt(
        f"password for {name}", hide_input=True, confirmation_prompt=True, err=True)
    service.add_user(from_env(archive=archive), name, role, password)
    click.echo(f"account {name} ({role}) saved", err=True)


@user.command("list")
@click.option("--archive", type=click.Path(path_type=Path), help=ARCHIVE_HELP)
@click.option("--json", "as_json", is_flag=True, help="One JSON object per account.")
def user_list(archive, as_json):
    """List the accounts and their roles."""
    for u in service.list_users(from_env(archive=archive)):
        click.echo(json.dumps({"name": u.name, "role": u.role}) if as_json
                   else f"{u.name}\t{u.role}")


@user.command("remove")
@click.argument("name")
@click.option("--archive", type=click.Path(path_type=Path), help=ARCHIVE_HELP)
def user_remove(name, archive):
    """Remove an account (its entries in the access log stay)."""
    service.remove_user(from_env(archive=archive), name)
    click.echo(f"account {name} removed", err=True)


@main.command()
@click.argument("record_ids", nargs=-1)
@click.option("--dossier", callback=_dossier_code, help="Sign every record of this dossier.")
@click.option("--all-unsigned", is_flag=True, help="Sign every record not signed yet.")
@_sign_options
@click.option("--archive", type=click.Path(path_type=Path), help=ARCHIVE_HELP)
@click.option("--json", "as_json", is_flag=True, help="One JSON object per record.")
def sign(record_ids, dossier, all_unsigned, key_file, pkcs11_module, token_label, key_label,
         agency, tsa_url, long_term, archive, as_json):
    """Sign records' PDF/A with the agency's digital signature (PAdES; Decree 30/2020 art. 25-26:
    the signed copy of a scan has the value of the original).

    \b
    The signature is an incremental update of the PDF/A (still PDF/A), visible at the top right
    of the first page as Circular 05/2025 asks: the agency's name and the signing time. The
    signed copy (document.signed.pdf) joins the record as a new version, with a "signed" event
    naming the certificate. A record already signed is refused, and so is a certificate that
    has expired or is not yet valid. Exit status 1 if any record could not be signed.
    """
    if not (record_ids or dossier or all_unsigned):
        raise click.UsageError("name RECORD_IDs, --dossier CODE or --all-unsigned")
    opts = _sign_settings(key_file, pkcs11_module, token_label, key_label, agency, tsa_url,
                          long_term)
    failed = 0
    for out in service.sign(from_env(archive=archive), list(record_ids), dossier, all_unsigned,
                            opts):
        failed += bool(out.get("error"))
        if as_json:
            _emit_json(out)
        elif out.get("error"):
            click.echo(f"FAILED    {out['record_id']}  {out['error']}", err=True)
        else:
            click.echo(f"signed    {out['record_id']}  {out['subject']}  {out['signing_time']}"
                       f"  ({out['level']})")
    sys.exit(EXIT_FAILED_ITEMS if failed else EXIT_OK)


if __name__ == "__main__":
    main()
