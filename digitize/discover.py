"""Turn the paths a user gives into documents: which files, in which page order.

A PDF or a (multi-page) TIFF is one document. Images named `<stem>_p<N>.<ext>` in one folder are the
pages of one document in page order; any other image is a document of its own. Folders are walked
recursively without following symbolic links (no loops).
"""
from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

from ocr.images import IMAGE_SUFFIXES, PDF_SUFFIXES

PAGE_NAME = re.compile(r"^(?P<stem>.+)_p(?P<n>\d{1,5})$", re.IGNORECASE)
SUPPORTED = IMAGE_SUFFIXES | PDF_SUFFIXES


@dataclass
class DocumentInput:
    """One document to ingest: its files in page order, and a name for messages."""

    name: str
    files: list[Path]


@dataclass
class Skipped:
    path: Path
    reason: str


def show_path(p: Path | str) -> str:
    """A path printable on any terminal, even when the file name is not valid UTF-8."""
    return os.fsdecode(p).encode("utf-8", "backslashreplace").decode("utf-8")


def discover(paths: list[Path]) -> tuple[list[DocumentInput], list[Skipped]]:
    """Documents under `paths` (files or folders), and the paths that cannot be documents."""
    files: list[Path] = []
    skipped: list[Skipped] = []
    for p in paths:
        if p.is_symlink() and not p.exists():
            skipped.append(Skipped(p, "broken symbolic link"))
        elif p.is_dir():
            files.extend(_walk(p, skipped))
        elif p.is_file():
            files.append(p)
        else:
            skipped.append(Skipped(p, "no such file or folder"))
    return group_pages(files), skipped


def _walk(root: Path, skipped: list[Skipped]) -> list[Path]:
    found = []
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        for name in sorted(filenames):
            if name.startswith("."):
                continue
            p = Path(dirpath) / name
            if p.suffix.lower() not in SUPPORTED:
                continue  # scanner folders hold other files too; explicit paths are checked later
            if p.is_symlink() and not p.exists():
                skipped.append(Skipped(p, "broken symbolic link"))
                continue
            found.append(p)
    return found


def group_pages(files: list[Path]) -> list[DocumentInput]:
    """Group `<stem>_p<N>` images of one folder into documents, keep the rest one per file."""
    docs: list[DocumentInput] = []
    groups: dict[tuple[Path, str, str], list[tuple[int, Path]]] = {}
    seen: set[Path] = set()
    for f in files:
        key_path = f.absolute()
        if key_path in seen:
            continue
        seen.add(key_path)
        m = PAGE_NAME.match(f.stem)
        if m and f.suffix.lower() in IMAGE_SUFFIXES:
            key = (f.parent, m.group("stem"), _family(f.suffix))
            if key not in groups:
                groups[key] = []
                docs.append(DocumentInput(m.group("stem"), []))  # placeholder keeps input order
                docs[-1].files = groups[key]  # type: ignore[assignment]
            groups[key].append((int(m.group("n")), f))
        else:
            docs.append(DocumentInput(f.name, [f]))
    for d in docs:
        if d.files and isinstance(d.files[0], tuple):
            d.files = [p for _n, p in sorted(d.files)]  # type: ignore[misc]
    return docs


def _family(suffix: str) -> str:
    s = suffix.lower()
    return {".jpeg": ".jpg", ".tiff": ".tif"}.get(s, s)
