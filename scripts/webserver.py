"""Start `digitize serve` on a free loopback port and stop it by its PID (tests and bench_web)."""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start(archive: Path, timeout_s: float = 60, workers: int = 1
          ) -> tuple[subprocess.Popen, str]:
    """`digitize serve` over `archive` on 127.0.0.1 with `workers` server processes; returns
    (process, base URL) once it listens.
    RuntimeError with the server's last output if it exits or does not listen in time."""
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "digitize", "serve", "--archive", str(archive),
                             "--port", str(port), "--workers", str(workers)], cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            env={**os.environ, "PYTHONPATH": str(ROOT)})
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return proc, f"http://127.0.0.1:{port}"
        except OSError:
            if proc.poll() is not None:
                raise RuntimeError("digitize serve exited: "
                                   + proc.stdout.read().decode(errors="replace")[-2000:]) from None
            time.sleep(0.2)
    stop(proc)
    raise RuntimeError(f"digitize serve did not listen within {timeout_s:.0f} s")


def stop(proc: subprocess.Popen) -> None:
    """Stop the server by the PID that was started (terminate, then kill)."""
    proc.terminate()
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=20)
