"""Passwords, API tokens, sessions and login throttling for the review app.

Passwords are argon2id hashes (argon2-cffi's defaults, RFC 9106 low-memory profile); API
tokens and session ids are 256-bit random strings stored only as SHA-256 digests, which is
enough for secrets with that much entropy (a slow KDF protects low-entropy passwords only).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
import time
from collections import deque
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from medtrust.errors import MedtrustError
from medtrust.store._accounts import LOCKOUT_DURATION as LOCKOUT_DURATION
from medtrust.store._accounts import LOCKOUT_THRESHOLD as LOCKOUT_THRESHOLD

SESSION_COOKIE = "medtrust_session"
LOGIN_COOKIE = "medtrust_login"
"""Pre-session cookie holding the login form's CSRF token (double submit)."""
SESSION_TTL = timedelta(hours=12)
TOKEN_PREFIX = "mtr_"
MIN_PASSWORD = 8


if TYPE_CHECKING:
    from argon2 import PasswordHasher


def _hasher() -> PasswordHasher:
    from argon2 import PasswordHasher  # imported lazily: the CLI must start fast

    return PasswordHasher()


def hash_password(password: str) -> str:
    """An argon2id hash of ``password`` (at least ``MIN_PASSWORD`` characters)."""
    if len(password) < MIN_PASSWORD:
        raise MedtrustError(f"password too short: use at least {MIN_PASSWORD} characters")
    return str(_hasher().hash(password))


_DUMMY: list[str] = []


def check_password(stored: str | None, password: str) -> bool:
    """True when ``password`` matches; an unknown user costs the same time as a wrong one."""
    from argon2.exceptions import InvalidHashError, VerificationError

    ph = _hasher()
    if stored is None:
        if not _DUMMY:
            _DUMMY.append(ph.hash(secrets.token_urlsafe(16)))
        stored, password = _DUMMY[0], password + "\x00"
    try:
        return bool(ph.verify(stored, password))
    except (VerificationError, InvalidHashError):
        return False


def digest(secret: str) -> str:
    """SHA-256 hex of a high-entropy secret (token, session id): what the store keeps."""
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def new_token() -> str:
    """A new API bearer token (shown once to the admin)."""
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def new_secret() -> str:
    """A session id or CSRF token."""
    return secrets.token_urlsafe(32)


def same(a: str | None, b: str | None) -> bool:
    """Constant-time comparison of two optional strings."""
    return a is not None and b is not None and hmac.compare_digest(a, b)


def session_expiry() -> str:
    """When a session started now expires (ISO UTC, as the store keeps times)."""
    return (datetime.now(UTC) + SESSION_TTL).isoformat()


class LoginThrottle:
    """At most ``limit`` failed logins per (client, user) in ``window`` seconds.

    In memory, per server process: it slows one address down without touching the database.
    Guessing from many addresses is stopped by the account lockout kept in the store
    (:data:`LOCKOUT_THRESHOLD` consecutive failures lock the account for
    :data:`LOCKOUT_DURATION`; OWASP Authentication Cheat Sheet, "Account Lockout"), which holds
    across restarts and server processes.
    """

    def __init__(self, limit: int = 5, window: float = 300.0) -> None:
        self.limit, self.window = limit, window
        self._fails: dict[tuple[str, str], deque[float]] = {}
        self._lock = threading.Lock()

    def _recent(self, key: tuple[str, str], now: float) -> deque[float]:
        q = self._fails.setdefault(key, deque())
        while q and q[0] <= now - self.window:
            q.popleft()
        return q

    def blocked(self, client: str, user: str) -> bool:
        """Whether this client may not try this user again yet."""
        with self._lock:
            return len(self._recent((client, user), time.monotonic())) >= self.limit

    def failed(self, client: str, user: str) -> None:
        """Count a failed attempt."""
        with self._lock:
            now = time.monotonic()
            self._recent((client, user), now).append(now)

    def succeeded(self, client: str, user: str) -> None:
        """Forget failures after a good login."""
        with self._lock:
            self._fails.pop((client, user), None)
