"""Retrying transient storage errors: a busy database, a disk that was full and has been freed.

Permanent errors (a corrupt file, a bug) are raised at once; transient ones are retried a few
times with a growing pause, then raised so the caller can stop cleanly.
"""
from __future__ import annotations

import errno
import sqlite3
import time
from dataclasses import dataclass
from typing import Callable, TypeVar

T = TypeVar("T")


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how patiently to retry. `sleep` is injectable so tests need not wait."""

    attempts: int = 5
    first_delay_s: float = 0.5
    factor: float = 2.0
    sleep: Callable[[float], None] = time.sleep


def is_transient(e: BaseException) -> bool:
    """Errors that may go away by themselves: a locked/busy SQLite database, no space left."""
    if isinstance(e, sqlite3.OperationalError):
        msg = str(e).lower()
        return "locked" in msg or "busy" in msg
    if isinstance(e, OSError):
        return e.errno in (errno.ENOSPC, errno.EDQUOT, errno.EAGAIN, errno.EBUSY)
    return False


def retry(fn: Callable[[], T], policy: RetryPolicy = RetryPolicy()) -> T:
    """Call `fn`; on a transient error wait and call again, up to `policy.attempts` times."""
    delay = policy.first_delay_s
    for attempt in range(1, policy.attempts + 1):
        try:
            return fn()
        except Exception as e:
            if attempt == policy.attempts or not is_transient(e):
                raise
            policy.sleep(delay)
            delay *= policy.factor
    raise AssertionError("unreachable")
