"""Who may use the archive's web page, and who looked at what.

    users = Users(archive_root)             # <archive>/access/users.sqlite3, created on first use
    users.add("lan", "officer", password)   # hashed with Argon2id (argon2-cffi)
    user = users.check("lan", password)     # the User, or None
    users.log_access("lan", "view", record_id)

Accounts and the access log live beside the records, not in the catalogue: the catalogue is
rebuilt from the records, while these are facts of their own (Decree 13/2023 asks for the log of
every access to personal data). Roles: officer (search, view, attach to a dossier), archivist
(also review and correct), admin (also manage users).
"""
from __future__ import annotations

import builtins
import os
import secrets
import sqlite3
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

ROLES = ("officer", "archivist", "admin")
_SCHEMA = """
CREATE TABLE IF NOT EXISTS users (
    name TEXT PRIMARY KEY,
    role TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    created_at TEXT NOT NULL,
    disabled INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS login_failures (
    key TEXT NOT NULL,          -- "ip:ADDRESS" or "user:NAME"
    at REAL NOT NULL            -- seconds since the epoch
);
CREATE INDEX IF NOT EXISTS login_failures_key ON login_failures(key, at);
CREATE TABLE IF NOT EXISTS access_log (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    at TEXT NOT NULL,
    user TEXT NOT NULL,
    action TEXT NOT NULL,       -- view | download | attach | correct | login | login-failed | ...
    record_id TEXT NOT NULL DEFAULT '',
    detail TEXT NOT NULL DEFAULT ''
);
"""
_hasher = PasswordHasher()
# A hash to verify against when the user does not exist, so that a wrong name takes as long as
# a wrong password (no way to find account names by timing).
_DUMMY = _hasher.hash("not a password")


class UserError(ValueError):
    """A bad user name, role or password."""


@dataclass(frozen=True)
class User:
    name: str
    role: str

    def may(self, action: str) -> bool:
        """What each role may do: search/view/attach (everyone), review/correct (archivist and
        admin), users (admin)."""
        need = {"review": 1, "correct": 1, "users": 2}.get(action, 0)
        return ROLES.index(self.role) >= need


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


class Users:
    """The accounts and access log of one archive (a small SQLite file, owner-only)."""

    def __init__(self, archive_root: Path):
        folder = Path(archive_root) / "access"
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        self.path = folder / "users.sqlite3"
        new = not self.path.exists()
        self.db = sqlite3.connect(self.path, timeout=30, check_same_thread=False)
        if new:
            os.chmod(self.path, 0o600)
        self.db.executescript(_SCHEMA)
        self.db.commit()
        self.secret_path = folder / "session.key"

    def close(self) -> None:
        self.db.close()

    def session_secret(self) -> str:
        """The key that signs session cookies, made once per archive (owner-only file)."""
        if not self.secret_path.exists():
            fd = os.open(self.secret_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as f:
                f.write(secrets.token_urlsafe(48))
        return self.secret_path.read_text().strip()

    def add(self, name: str, role: str, password: str) -> User:
        """Create (or replace the role and password of) an account."""
        name = name.strip()
        if not name or len(name) > 64 or any(c.isspace() for c in name):
            raise UserError(f"bad user name {name!r}: one word of at most 64 characters")
        if role not in ROLES:
            raise UserError(f"unknown role {role!r}: use one of {', '.join(ROLES)}")
        if len(password) < 10:
            raise UserError("the password must have at least 10 characters")
        with self.db:
            self.db.execute(
                "INSERT INTO users(name, role, password_hash, created_at) VALUES (?,?,?,?) "
                "ON CONFLICT(name) DO UPDATE SET role=excluded.role, "
                "password_hash=excluded.password_hash, disabled=0",
                (name, role, _hasher.hash(password), _now()))
        return User(name, role)

    def remove(self, name: str) -> bool:
        with self.db:
            return self.db.execute("DELETE FROM users WHERE name=?", (name,)).rowcount > 0

    def list(self) -> list[User]:
        return [User(n, r) for n, r in
                self.db.execute("SELECT name, role FROM users WHERE disabled=0 ORDER BY name")]

    def get(self, name: str) -> User | None:
        row = self.db.execute("SELECT name, role FROM users WHERE name=? AND disabled=0",
                              (name,)).fetchone()
        return User(*row) if row else None

    def check(self, name: str, password: str) -> User | None:
        """The user when `password` is theirs; None otherwise (same work either way)."""
        row = self.db.execute("SELECT name, role, password_hash FROM users "
                              "WHERE name=? AND disabled=0", (name,)).fetchone()
        try:
            _hasher.verify(row[2] if row else _DUMMY, password)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return None
        if row is None:
            return None
        if _hasher.check_needs_rehash(row[2]):
            with self.db:
                self.db.execute("UPDATE users SET password_hash=? WHERE name=?",
                                (_hasher.hash(password), name))
        return User(row[0], row[1])

    def failures_since(self, key: str, since: float) -> tuple[int, float | None]:
        """(failed logins of `key` since `since`, the time of the oldest of them)."""
        n, oldest = self.db.execute("SELECT count(*), min(at) FROM login_failures WHERE key=? "
                                    "AND at>?", (key, since)).fetchone()
        return int(n), oldest

    def add_failure(self, key: str, at: float) -> None:
        with self.db:
            self.db.execute("INSERT INTO login_failures(key, at) VALUES (?,?)", (key, at))
            self.db.execute("DELETE FROM login_failures WHERE at<?", (at - 86400,))

    def clear_failures(self, key: str) -> None:
        with self.db:
            self.db.execute("DELETE FROM login_failures WHERE key=?", (key,))

    def log_access(self, user: str, action: str, record_id: str = "", detail: str = "") -> None:
        """Append to the access log: who did what to which record, and when."""
        with self.db:
            self.db.execute("INSERT INTO access_log(at, user, action, record_id, detail) "
                            "VALUES (?,?,?,?,?)", (_now(), user, action, record_id, detail))

    def access_log(self, record_id: str | None = None, limit: int = 200
                   ) -> builtins.list[dict]:  # `list` here is Users.list
        sql = "SELECT at, user, action, record_id, detail FROM access_log"
        args: tuple = ()
        if record_id:
            sql, args = sql + " WHERE record_id=?", (record_id,)
        rows = self.db.execute(sql + " ORDER BY seq DESC LIMIT ?", (*args, limit))
        return [dict(zip(("at", "user", "action", "record_id", "detail"), r)) for r in rows]
