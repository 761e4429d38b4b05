"""Turn the paths a user gives into documents: which files, in which page order.

A PDF or a (multi-page) TIFF is one document. Images named `<stem>_p<N>.<ext>` in one folder are the
pages of one document in page order; any other image is a document of its own. Folders are walked
recursively. Inside a folder given, symbolic links are not followed unless asked
(`follow_symlinks`): a link to a file outside the folder (a scanner share holding a link to
`/etc/shadow`) would otherwise be read and archived, and a link to a folder may loop. A link that
points inside the folder is harmless and taken. A file named explicitly is taken as given.
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


def discover(paths: list[Path], follow_symlinks: bool = False
             ) -> tuple[list[DocumentInput], list[Skipped]]:
    """Documents under `paths` (files or folders), and the paths that cannot be documents
    (symbolic links left unfollowed among them, each named)."""
    files: list[Path] = []
    skipped: list[Skipped] = []
    for p in paths:
        if p.is_symlink() and not p.exists():
            skipped.append(Skipped(p, "broken symbolic link"))
        elif p.is_dir():
            files.extend(_walk(p, skipped, follow_symlinks))
        elif p.is_file():
            files.append(p)
        else:
            skipped.append(Skipped(p, "no such file or folder"))
    return group_pages(files), skipped


NOT_FOLLOWED = "symbolic link to {what} outside {root}, not followed (--follow-symlinks to take it)"


def _walk(root: Path, skipped: list[Skipped], follow: bool) -> list[Path]:
    found = []
    real_root = root.resolve()
    visited = {real_root}  # folders already walked (links followed may loop)
    for dirpath, dirnames, filenames in os.walk(root, followlinks=follow):
        here = Path(dirpath)
        kept = []
        for d in sorted(dirnames):
            sub = here / d
            if d.startswith("."):
                continue
            if sub.is_symlink():
                target = sub.resolve()
                if target in visited or real_root in target.parents:
                    continue  # a loop, or a folder walked anyway
                if not follow:
                    skipped.append(Skipped(sub, NOT_FOLLOWED.format(
                        what="a folder", root=show_path(root))))
                    continue
                visited.add(target)
            kept.append(d)
        dirnames[:] = kept
        for name in sorted(filenames):
            if name.startswith("."):
                continue
            p = here / name
            if p.suffix.lower() not in SUPPORTED:
                continue  # scanner folders hold other files too; explicit paths are checked later
            if p.is_symlink():
                if not p.exists():
                    skipped.append(Skipped(p, "broken symbolic link"))
                    continue
                if not follow and not _inside(p.resolve(), real_root):
                    skipped.append(Skipped(p, NOT_FOLLOWED.format(
                        what="a file", root=show_path(root))))
                    continue
            found.append(p)
    return found


def _inside(path: Path, root: Path) -> bool:
    return path == root or root in path.parents


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
            d.files = [p for _n, p in sorted(d.files)]
    return docs


def _family(suffix: str) -> str:
    s = suffix.lower()
    return {".jpeg": ".jpg", ".tiff": ".tif"}.get(s, s)
