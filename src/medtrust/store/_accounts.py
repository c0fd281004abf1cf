"""Accounts of the review app: users, API token hashes and browser sessions.

These are access control, not evidence, so they are not on the audit chain; what a user *does*
(assignments, redaction settings, reviews) is.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, cast

from sqlalchemy import Engine, delete, select, update

from medtrust.errors import MedtrustError
from medtrust.store import schema
from medtrust.store._review_rows import ROLES, ReviewUser, Role, now_iso


def _user(r: Any) -> ReviewUser:
    return ReviewUser(
        name=r.name,
        role=cast(Role, r.role),
        password_hash=r.password_hash,
        active=bool(r.active),
        created_at=r.created_at,
    )


class AccountsMixin:
    """User, token and session methods of :class:`~medtrust.store.Store`."""

    engine: Engine

    # -- users -----------------------------------------------------------------------------
    def add_user(self, name: str, *, role: str, password_hash: str) -> ReviewUser:
        """Create an account; the name must be new and the role admin or reviewer."""
        if role not in ROLES:
            raise MedtrustError(f"--role {role!r}: expected admin or reviewer")
        if (
            not name
            or len(name) > 100
            or not name.replace("-", "").replace("_", "").replace(".", "").isalnum()
        ):
            raise MedtrustError(f"user name {name!r}: use 1-100 letters, digits, '-', '_' or '.'")
        t = schema.review_users
        with self.engine.begin() as conn:
            if conn.execute(select(t.c.name).where(t.c.name == name)).first() is not None:
                raise MedtrustError(f"user {name!r} already exists")
            conn.execute(
                t.insert().values(
                    name=name,
                    role=role,
                    password_hash=password_hash,
                    active=True,
                    created_at=now_iso(),
                )
            )
        user = self.get_user(name)
        assert user is not None
        return user

    def get_user(self, name: str) -> ReviewUser | None:
        """The account called ``name`` (``None`` when there is none)."""
        t = schema.review_users
        with self.engine.connect() as conn:
            r = conn.execute(select(t).where(t.c.name == name)).first()
        return None if r is None else _user(r)

    def list_users(self) -> list[ReviewUser]:
        """Every account, by name."""
        t = schema.review_users
        with self.engine.connect() as conn:
            return [_user(r) for r in conn.execute(select(t).order_by(t.c.name))]

    def set_user(
        self, name: str, *, password_hash: str | None = None, active: bool | None = None
    ) -> None:
        """Change a password or (de)activate an account; deactivation ends its sessions."""
        values: dict[str, Any] = {}
        if password_hash is not None:
            values["password_hash"] = password_hash
        if active is not None:
            values["active"] = active
        t = schema.review_users
        with self.engine.begin() as conn:
            res = conn.execute(update(t).where(t.c.name == name).values(**values))
            if not res.rowcount:
                raise MedtrustError(f"no user {name!r}")
            if active is False or password_hash is not None:
                s = schema.review_sessions
                conn.execute(delete(s).where(s.c.user == name))

    # -- API tokens ------------------------------------------------------------------------
    def add_token(self, token_hash: str, *, user: str, label: str = "") -> None:
        """Remember an API token by its hash."""
        with self.engine.begin() as conn:
            conn.execute(
                schema.review_tokens.insert().values(
                    token_hash=token_hash,
                    user=user,
                    label=label,
                    created_at=now_iso(),
                    revoked=False,
                )
            )

    def user_for_token(self, token_hash: str) -> ReviewUser | None:
        """The active user a (not revoked) token belongs to."""
        t, u = schema.review_tokens, schema.review_users
        q = (
            select(u)
            .join(t, t.c.user == u.c.name)
            .where(t.c.token_hash == token_hash, t.c.revoked.is_(False), u.c.active.is_(True))
        )
        with self.engine.connect() as conn:
            r = conn.execute(q).first()
        return None if r is None else _user(r)

    def revoke_tokens(self, user: str) -> int:
        """Revoke every token of ``user``; returns how many were live."""
        t = schema.review_tokens
        with self.engine.begin() as conn:
            res = conn.execute(
                update(t).where(t.c.user == user, t.c.revoked.is_(False)).values(revoked=True)
            )
        return int(res.rowcount or 0)

    # -- sessions --------------------------------------------------------------------------
    def create_session(self, sid_hash: str, *, user: str, csrf: str, expires_at: str) -> None:
        """Start a browser session (stored by the hash of its cookie value)."""
        with self.engine.begin() as conn:
            s = schema.review_sessions
            conn.execute(delete(s).where(s.c.expires_at < now_iso()))  # sweep expired ones
            conn.execute(
                s.insert().values(sid_hash=sid_hash, user=user, csrf=csrf, expires_at=expires_at)
            )

    def get_session(self, sid_hash: str) -> tuple[ReviewUser, str] | None:
        """(user, CSRF token) of a live session of an active user."""
        s, u = schema.review_sessions, schema.review_users
        q = (
            select(u, s.c.csrf, s.c.expires_at)
            .join(s, s.c.user == u.c.name)
            .where(s.c.sid_hash == sid_hash, u.c.active.is_(True))
        )
        with self.engine.connect() as conn:
            r = conn.execute(q).first()
        if r is None or datetime.fromisoformat(r.expires_at) <= datetime.now(UTC):
            return None
        return _user(r), str(r.csrf)

    def delete_session(self, sid_hash: str) -> None:
        """End a session (logout)."""
        s = schema.review_sessions
        with self.engine.begin() as conn:
            conn.execute(delete(s).where(s.c.sid_hash == sid_hash))
