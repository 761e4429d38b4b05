"""Who is asking, and may they: the session's user, role checks, CSRF tokens on every form, login
attempts rate-limited, and the security headers of every response.

Sessions are signed cookies (Starlette's SessionMiddleware: HttpOnly, SameSite=Strict, Secure when
served over TLS) that carry only the user name and the CSRF token; the role is read from the
account store on every request, so removing an account or changing its role takes effect at once.
"""
from __future__ import annotations

import secrets
import time

from starlette.exceptions import HTTPException
from starlette.requests import Request

from storage.users import User, Users

LOGIN_WINDOW_S = 300  # failed logins counted over this many seconds
LOGIN_MAX_FAILURES = 5  # per client address and per user name within the window
CSP = ("default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
       "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'")


class NeedLogin(Exception):
    """The request has no valid session: send the browser to the login page."""


def current_user(request: Request) -> User | None:
    name = request.session.get("user")
    if not name:
        return None
    users: Users = request.app.state.users
    return users.get(name)


def require(request: Request, action: str = "view") -> User:
    """The session's user, if they may do `action` (view, attach, review, correct, users)."""
    user = current_user(request)
    if user is None:
        raise NeedLogin()
    if not user.may(action):
        raise HTTPException(403, "Tài khoản của bạn không có quyền này.")
    return user


def csrf_token(request: Request) -> str:
    """The session's CSRF token (made on first use); every form carries it."""
    token = request.session.get("csrf")
    if not token:
        token = request.session["csrf"] = secrets.token_urlsafe(32)
    return token


async def checked_form(request: Request) -> dict[str, str]:
    """The posted form, after checking its CSRF token against the session's; 403 otherwise."""
    form = await request.form()
    sent = str(form.get("csrf", ""))
    token = request.session.get("csrf", "")
    if not token or not sent or not secrets.compare_digest(sent, token):
        raise HTTPException(403, "Biểu mẫu không hợp lệ hoặc đã hết hạn: tải lại trang và thử lại.")
    return {k: str(v) for k, v in form.items()}


class LoginLimiter:
    """Failed logins per client address and per user name in a sliding window; past the limit,
    further attempts are refused until the oldest failure leaves the window. Kept in the account
    store, so several server processes share the count."""

    def __init__(self, users: Users, window_s: float = LOGIN_WINDOW_S,
                 max_failures: int = LOGIN_MAX_FAILURES):
        self.users, self.window_s, self.max_failures = users, window_s, max_failures

    def wait_s(self, *keys: str) -> int:
        """Seconds to wait before another attempt for any of `keys`; 0 when allowed."""
        now = time.time()
        waits = []
        for k in keys:
            n, oldest = self.users.failures_since(k, now - self.window_s)
            if n >= self.max_failures and oldest is not None:
                waits.append(self.window_s - (now - oldest))
        return int(max(waits)) + 1 if waits else 0

    def failed(self, *keys: str) -> None:
        now = time.time()
        for k in keys:
            self.users.add_failure(k, now)

    def succeeded(self, *keys: str) -> None:
        for k in keys:
            self.users.clear_failures(k)


def security_headers(headers) -> None:
    headers["Content-Security-Policy"] = CSP
    headers["X-Content-Type-Options"] = "nosniff"
    headers["Referrer-Policy"] = "same-origin"
    headers["X-Frame-Options"] = "DENY"
    headers.setdefault("Cache-Control", "no-store")
