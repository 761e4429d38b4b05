"""A record's event log: `logs/events.jsonl` in its OCFL object, one JSON event a line.

Everything that happens to a record is appended here (ingest, every correction with its old and
new value, dossier links and unlinks, fixity checks, exports, migration), and the catalogue's
history is only a copy of it. Each event carries `prev`, the SHA-256 of the line before it (""
for the first), so a changed, removed or reordered event breaks the chain and is detected.
Curation events also name the OCFL version they made (`version`), so a lost tail is detected
against the inventory. Appends are made under the record's lock and fsynced; a line torn by a
crash (no newline) was never committed and is cut off by the next append or by `repair`.
"""
from __future__ import annotations

import hashlib
import json
import os
import time
from pathlib import Path
from typing import Any

LOG = "logs/events.jsonl"
# events that change the record (and make a new OCFL version), shown as its curation history;
# the others (verified, exported, ...) are kept but shown apart
CURATION = {"ingested", "corrected", "linked", "unlinked", "migrated", "reingested", "signed"}


def new_event(action: str, detail: dict[str, Any] | None = None, actor: str = "",
              outcome: str = "success", at: str = "") -> dict[str, Any]:
    """An event to append: what happened, to what effect, who did it and when."""
    return {"at": at or time.strftime("%Y-%m-%dT%H:%M:%S%z"), "actor": actor, "action": action,
            "outcome": outcome, "detail": detail or {}}


def line_hash(line: bytes) -> str:
    return hashlib.sha256(line).hexdigest()


def encode(event: dict[str, Any]) -> bytes:
    body = {k: v for k, v in event.items() if k != "hash"}
    return json.dumps(body, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()


def read(obj: Path) -> tuple[list[dict[str, Any]], list[str]]:
    """The log's events (each with its `hash`), and what is wrong with the chain."""
    path = obj / LOG
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return [], ["no event log"]
    except OSError as e:
        return [], [f"unreadable event log ({e})"]
    problems: list[str] = []
    lines = data.split(b"\n")
    if lines and lines[-1] == b"":
        lines.pop()
    elif lines:
        problems.append("the last event is torn (no newline): a crash during an append")
        lines.pop()
    events: list[dict[str, Any]] = []
    prev = ""
    for i, line in enumerate(lines, start=1):
        try:
            ev = json.loads(line)
        except ValueError:
            problems.append(f"event {i} is not JSON")
            prev = line_hash(line)
            continue
        if ev.get("prev") != prev:
            problems.append(f"event {i} does not follow event {i - 1} (changed or missing "
                            "event)")
        if ev.get("n") != i:
            problems.append(f"event {i} is numbered {ev.get('n')}")
        prev = ev["hash"] = line_hash(line)
        events.append(ev)
    return events, problems


def cut_torn_tail(obj: Path) -> bool:
    """Drop a partial last line left by a crash mid-append. True when one was cut."""
    path = obj / LOG
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return False
    if not data or data.endswith(b"\n"):
        return False
    keep = data.rfind(b"\n") + 1
    with open(path, "r+b") as f:
        f.truncate(keep)
        os.fsync(f.fileno())
    return True


def append(obj: Path, events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Append events (at, actor, action, outcome, detail, ...) chained to the log's last one;
    the caller holds the record's lock. Returns them as stored, with `n`, `prev` and `hash`."""
    cut_torn_tail(obj)
    old, _problems = read(obj)
    prev = old[-1]["hash"] if old else ""
    n = len(old)
    out, buf = [], b""
    for ev in events:
        n += 1
        ev = {**{k: v for k, v in ev.items() if k not in ("hash", "prev", "n")},
              "n": n, "prev": prev}
        line = encode(ev)
        prev = ev["hash"] = line_hash(line)
        buf += line + b"\n"
        out.append(ev)
    path = obj / LOG
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o640)
    try:
        os.write(fd, buf)
        os.fsync(fd)
    finally:
        os.close(fd)
    return out


def write_new(obj: Path, events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The log of a new object (in staging): `events` chained from the start."""
    (obj / LOG).unlink(missing_ok=True)
    return append(obj, events)
