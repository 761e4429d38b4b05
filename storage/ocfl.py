"""OCFL 1.1 (https://ocfl.io/1.1/spec/): each record is an OCFL object, each change a new version.

The storage root (`<archive>/objects/`) uses the community extension
0003-hash-and-id-n-tuple-storage-layout (sha256 of the id, three tuples of three characters, then
the id itself), so `objects/4f2/a91/c07/<record id>/` is both spread evenly and readable by eye.
An object is:

    0=ocfl_object_1.1
    inventory.json, inventory.json.sha512     the head version's inventory (a copy of vN's)
    v1/inventory.json(.sha512), v1/content/   the files first stored
    v2/...                                    only the files that changed in that version
    logs/events.jsonl                         the record's event log (storage.events)

Written here rather than with ocfl-py: ocfl-py writes a new version's files straight into the
live object, then the root inventory and its sidecar in two writes, with no fsync and no lock.
Stopped at each of its 7 write steps (as a SIGKILL would), ocfl-py's own validator rejected the
object 7 times out of 7. Here a version is built and fsynced in staging, moved in by one rename,
and the root inventory then copied from it; `recover` finishes that last copy after a crash.
ocfl-py's validator checks what this module writes (tests/test_ocfl.py).
"""
from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

from storage.files import atomic_write_bytes, fsync_path, fsync_tree

SPEC = "1.1"
ROOT_DECLARATION = "0=ocfl_1.1"
OBJECT_DECLARATION = "0=ocfl_object_1.1"
INVENTORY = "inventory.json"
DIGEST = "sha512"
SIDECAR = f"{INVENTORY}.{DIGEST}"
INVENTORY_TYPE = "https://ocfl.io/1.1/spec/#inventory"
LAYOUT = "0003-hash-and-id-n-tuple-storage-layout"
LAYOUT_CONFIG = {"extensionName": LAYOUT, "digestAlgorithm": "sha256", "tupleSize": 3,
                 "numberOfTuples": 3}
CONTENT = "content"
_VERSION = re.compile(r"^v([1-9][0-9]*)$")
_CHUNK = 1 << 20


class OcflError(Exception):
    """An object or storage root that does not follow OCFL (named, with the reason)."""


def file_digest(path: Path) -> str:
    h = hashlib.new(DIGEST)
    with open(path, "rb") as f:
        while chunk := f.read(_CHUNK):
            h.update(chunk)
    return h.hexdigest()


def init_root(root: Path) -> None:
    """Make `root` an OCFL storage root (idempotent)."""
    root.mkdir(parents=True, exist_ok=True)
    if (root / ROOT_DECLARATION).is_file():
        return
    ext = root / "extensions" / LAYOUT
    ext.mkdir(parents=True, exist_ok=True)
    atomic_write_bytes(ext / "config.json", _json(LAYOUT_CONFIG))
    atomic_write_bytes(root / "ocfl_layout.json", _json({
        "extension": LAYOUT, "description": "hash and id n-tuple: sha256 of the record id in "
        "three 3-character tuples, then the record id"}))
    atomic_write_bytes(root / ROOT_DECLARATION, b"ocfl_1.1\n")


def object_path(object_id: str) -> str:
    """The object's path under the storage root, by extension 0003."""
    digest = hashlib.sha256(object_id.encode()).hexdigest()
    encoded = "".join(c if re.fullmatch(r"[A-Za-z0-9_-]", c) else
                      "".join(f"%{b:02x}" for b in c.encode()) for c in object_id)
    if len(encoded) > 100:
        encoded = f"{encoded[:100]}-{digest}"
    return "/".join([digest[0:3], digest[3:6], digest[6:9], encoded])


def iter_objects(root: Path) -> Iterator[Path]:
    """Every object folder under the storage root (those with an object declaration)."""
    for dirpath, dirs, files in os.walk(root):
        if OBJECT_DECLARATION in files:
            dirs[:] = []
            yield Path(dirpath)
        elif Path(dirpath) == root:
            dirs[:] = [d for d in dirs if d != "extensions"]


@dataclass
class Inventory:
    """An OCFL inventory (the parsed inventory.json)."""

    data: dict[str, Any]

    @property
    def id(self) -> str:
        return str(self.data["id"])

    @property
    def head(self) -> str:
        return str(self.data["head"])

    @property
    def head_number(self) -> int:
        return int(self.head[1:])

    @property
    def manifest(self) -> dict[str, list[str]]:
        return self.data["manifest"]

    @property
    def versions(self) -> dict[str, dict[str, Any]]:
        return self.data["versions"]

    def state(self, version: str | None = None) -> dict[str, str]:
        """logical path -> digest in `version` (default the head)."""
        out = {}
        for digest, paths in self.versions[version or self.head]["state"].items():
            for p in paths:
                out[p] = digest
        return out

    def content_path(self, digest: str) -> str:
        return self.manifest[digest][0]

    def head_files(self, obj: Path) -> dict[str, Path]:
        """logical path -> the file holding it now, found through the head state."""
        return {lp: obj / self.content_path(d) for lp, d in self.state().items()}

    def to_bytes(self) -> bytes:
        return _json(self.data)


def read_inventory(obj: Path, where: str = "") -> Inventory:
    path = obj / where / INVENTORY if where else obj / INVENTORY
    try:
        return Inventory(json.loads(path.read_bytes()))
    except (OSError, ValueError) as e:
        raise OcflError(f"{path}: unreadable inventory ({e})") from e


def check_sidecar(obj: Path, where: str = "") -> str | None:
    """None when inventory.json's digest matches its sidecar, else why not."""
    base = obj / where if where else obj
    try:
        want = (base / SIDECAR).read_text().split()[0]
        got = hashlib.new(DIGEST, (base / INVENTORY).read_bytes()).hexdigest()
    except (OSError, IndexError) as e:
        return f"cannot read the inventory or its sidecar ({e})"
    return None if want == got else "inventory.json does not match its sidecar digest"


def _json(obj: Any) -> bytes:
    return (json.dumps(obj, ensure_ascii=False, indent=2, sort_keys=True) + "\n").encode()


def _now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


def _write_inventory(base: Path, inv: Inventory) -> None:
    data = inv.to_bytes()
    (base / INVENTORY).write_bytes(data)
    (base / SIDECAR).write_text(f"{hashlib.new(DIGEST, data).hexdigest()}  {INVENTORY}\n")


def stage_version(stage: Path, object_id: str, prev: Inventory | None,
                  files: dict[str, Path], removed: set[str], message: str, user: str) -> Inventory:
    """Build version N+1 of an object in `stage/vN+1/` (a private folder on the archive's disk).

    `files` maps logical paths to new or changed files (moved into the version's content; a file
    whose bytes the object already holds is only referenced), `removed` lists logical paths
    dropped. Returns the new inventory; nothing is visible until `install_version`."""
    number = prev.head_number + 1 if prev else 1
    vname = f"v{number}"
    vdir = stage / vname
    (vdir / CONTENT).mkdir(parents=True, exist_ok=True)
    if prev is None:
        data: dict[str, Any] = {"id": object_id, "type": INVENTORY_TYPE, "digestAlgorithm": DIGEST,
                                "contentDirectory": CONTENT, "manifest": {}, "versions": {}}
    else:
        data = json.loads(prev.to_bytes())
    state = prev.state() if prev else {}
    for lp in removed:
        state.pop(lp, None)
    manifest: dict[str, list[str]] = data["manifest"]
    for lp, src in sorted(files.items()):
        digest = file_digest(src)
        state[lp] = digest
        if digest in manifest:
            src.unlink()
            continue
        dst = vdir / CONTENT / lp
        dst.parent.mkdir(parents=True, exist_ok=True)
        os.replace(src, dst)
        manifest[digest] = [f"{vname}/{CONTENT}/{lp}"]
    by_digest: dict[str, list[str]] = {}
    for lp, d in sorted(state.items()):
        by_digest.setdefault(d, []).append(lp)
    data["versions"][vname] = {"created": _now(), "message": message, "user": {"name": user},
                               "state": by_digest}
    data["head"] = vname
    inv = Inventory(data)
    _write_inventory(vdir, inv)
    fsync_tree(vdir)
    return inv


def stage_object(stage: Path, object_id: str, content: Path, message: str, user: str) -> Inventory:
    """Turn `content` (a folder of record files in staging) into a whole v1 object at `stage`."""
    stage.mkdir(parents=True, exist_ok=True)
    files = {p.relative_to(content).as_posix(): p for p in sorted(content.rglob("*"))
             if p.is_file()}
    inv = stage_version(stage, object_id, None, files, set(), message, user)
    shutil.rmtree(content, ignore_errors=True)
    (stage / OBJECT_DECLARATION).write_text("ocfl_object_1.1\n")
    _write_inventory(stage, inv)
    for name in (OBJECT_DECLARATION, INVENTORY, SIDECAR):  # the version is fsynced already
        fsync_path(stage / name)
    fsync_path(stage)
    return inv


def install_version(obj: Path, stage: Path, inv: Inventory) -> None:
    """Move a staged version into the object (the commit point: one rename), then make the root
    inventory the new head's."""
    os.rename(stage / inv.head, obj / inv.head)
    fsync_path(obj)
    install_root_inventory(obj, inv.head)


def install_root_inventory(obj: Path, version: str) -> None:
    """Copy version `version`'s inventory and sidecar to the object root (atomic each)."""
    vdir = obj / version
    atomic_write_bytes(obj / INVENTORY, (vdir / INVENTORY).read_bytes())
    atomic_write_bytes(obj / SIDECAR, (vdir / SIDECAR).read_bytes())


def version_dirs(obj: Path) -> list[str]:
    found = [(int(m.group(1)), d.name) for d in obj.iterdir()
             if d.is_dir() and (m := _VERSION.match(d.name))]
    return [name for _n, name in sorted(found)]


def recover(obj: Path) -> bool:
    """Finish a version whose root inventory was not yet written (a crash after the version's
    rename). True when something was repaired."""
    versions = version_dirs(obj)
    if not versions:
        return False
    last = versions[-1]
    try:
        same = (obj / INVENTORY).read_bytes() == (obj / last / INVENTORY).read_bytes()
    except OSError:
        same = False
    if same and check_sidecar(obj) is None:
        return False
    install_root_inventory(obj, last)
    return True


def validate_object(obj: Path, full: bool = True) -> list[tuple[str, str]]:
    """(kind, detail) problems of one object: inventory, sidecars, version folders, and with
    `full` every content file's digest (fixity). Empty when all is well."""
    problems: list[tuple[str, str]] = []
    if not (obj / OBJECT_DECLARATION).is_file():
        problems.append(("bad-object", f"{obj}: no {OBJECT_DECLARATION}"))
    why = check_sidecar(obj)
    if why:
        return problems + [("bad-inventory", f"{obj / INVENTORY}: {why}")]
    try:
        inv = read_inventory(obj)
    except OcflError as e:
        return problems + [("bad-inventory", str(e))]
    versions = version_dirs(obj)
    expected = [f"v{i}" for i in range(1, inv.head_number + 1)]
    if versions != expected:
        problems.append(("bad-inventory", f"{obj}: version folders {versions}, inventory "
                         f"lists {expected}"))
    head_inv = obj / inv.head / INVENTORY
    if head_inv.is_file() and head_inv.read_bytes() != (obj / INVENTORY).read_bytes():
        problems.append(("bad-inventory", f"{obj}: root inventory differs from {inv.head}'s"))
    listed = set()
    for digest, paths in inv.manifest.items():
        for cp in paths:
            listed.add(cp)
            f = obj / cp
            if not f.is_file():
                problems.append(("missing", str(f)))
            elif full and file_digest(f) != digest:
                problems.append(("altered", str(f)))
    for v in versions:
        for f in (obj / v / CONTENT).rglob("*") if (obj / v / CONTENT).is_dir() else ():
            if f.is_file() and f.relative_to(obj).as_posix() not in listed:
                problems.append(("unlisted", str(f)))
    return problems
