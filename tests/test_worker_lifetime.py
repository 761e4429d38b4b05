"""OCR workers die with the ingest that started them: a SIGKILL of the main process (no clean-up
runs) must not leave worker processes reading pages for nobody."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from archive_helpers import small_doc


def _children() -> dict[int, list[int]]:
    tree: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2:].split()
        if fields[0] in ("Z", "X"):
            continue  # dead, waiting to be reaped
        tree.setdefault(int(fields[1]), []).append(int(entry.name))
    return tree


def _descendants(pid: int) -> set[int]:
    tree, found, todo = _children(), set(), [pid]
    while todo:
        for c in tree.get(todo.pop(), []):
            found.add(c)
            todo.append(c)
    return found


def _alive(pids: set[int]) -> set[int]:
    live = set()
    for pid in pids:
        try:
            stat = Path(f"/proc/{pid}/stat").read_text()
        except OSError:
            continue
        if stat[stat.rindex(")") + 2:][:1] not in ("Z", "X"):
            live.add(pid)
    return live


def test_sigkill_of_the_ingest_leaves_no_worker_running(tmp_path):
    scans = tmp_path / "scans"
    for n in range(8):
        small_doc(scans / f"d{n}.png", n)
    proc = subprocess.Popen([sys.executable, "-m", "digitize", "ingest", str(scans),
                             "--archive", str(tmp_path / "ar"), "-j", "2"],
                            cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 60
        seen: set[int] = set()
        while time.monotonic() < deadline and proc.poll() is None:
            seen |= _descendants(proc.pid)
            # the fork server (or resource tracker) and two workers below it
            if any(len(_descendants(c)) >= 2 for c in _children().get(proc.pid, [])):
                break
            time.sleep(0.05)
        assert proc.poll() is None, proc.stderr.read().decode()[-2000:]
        seen |= _descendants(proc.pid)
        assert len(seen) >= 3
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(10)
        deadline = time.monotonic() + 15
        while _alive(seen) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not _alive(seen), f"still running after the ingest was killed: {_alive(seen)}"
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        for pid in _alive(_descendants(proc.pid)):
            os.kill(pid, signal.SIGKILL)
