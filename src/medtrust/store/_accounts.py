"""Accounts of the review app: users, API token hashes, browser sessions and login lockouts.

Who may see and change what is evidence too, so every write of an account (creation, role,
password, (de)activation), a token (issue, revoke) or a session (login) appends an audit event
that commits to the row, in the same transaction, on the chain's pseudo-run
:data:`~medtrust.store._review_rows.ACCOUNTS_RUN`; the pseudo-run's root is re-signed at once,
so ``medtrust audit verify`` finds any account row edited, inserted or deleted around the trail.
Deleting a session only takes access away and happens on logout and expiry, so it is not an
event. Lockout counters are throttling state and stay off the chain (see
``medtrust.audit.UNAUDITED_COLUMNS``); locking and unlocking an account are events.
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, cast

from sqlalchemy import Connection, Engine, delete, select, update

from medtrust.errors import MedtrustError, NotFoundError
from medtrust.store import schema
from medtrust.store._ledger import AuditTx
from medtrust.store._review_rows import (
    ACCOUNTS_RUN,
    ROLES,
    ReviewUser,
    Role,
    account_content,
    now_iso,
    session_content,
    token_content,
)

LOCKOUT_THRESHOLD = 10
"""Consecutive failed logins that lock an account. OWASP's Authentication Cheat Sheet ("Account
Lockout") asks for a counter kept with the account, not the client address, so that guessing
from many addresses is slowed too; NIST SP 800-63B section 5.2.2 caps consecutive failures at
100. Ten leaves room for a user's own typos and still makes online guessing useless."""
LOCKOUT_DURATION = timedelta(minutes=15)
"""How long a locked account refuses every login, even with the right password (an admin can
unlock it sooner: ``medtrust review unlock USER`` or the admin page). A lock that expires on its
own keeps a guessing attacker from locking real users out for good (OWASP, same section)."""


def _user(r: Any) -> ReviewUser:
    return ReviewUser(
        name=r.name,
        role=cast(Role, r.role),
        password_hash=r.password_hash,
        active=bool(r.active),
        created_at=r.created_at,
    )


def _check_name(name: str) -> None:
    if (
        not name
        or len(name) > 100
        or not name.replace("-", "").replace("_", "").replace(".", "").isalnum()
    ):
        raise MedtrustError(f"user name {name!r}: use 1-100 letters, digits, '-', '_' or '.'")


class AccountsMixin:
    """User, token, session and lockout methods of :class:`~medtrust.store.Store`."""

    engine: Engine

    if TYPE_CHECKING:  # provided by the store's AuditMixin

        def _write(
            self, *, new_run: str | None = None
        ) -> AbstractContextManager[tuple[Connection, AuditTx | None]]: ...

        def seal(self, run_id: str) -> Any: ...

    def _account_event(self, tx: AuditTx | None, conn: Connection, name: str) -> None:
        """Append an ``account`` event committing to the user's row as it now stands."""
        if tx is None:
            return
        t = schema.review_users
        row = conn.execute(select(t).where(t.c.name == name)).one()
        tx.append(ACCOUNTS_RUN, [("account", name, account_content(row._mapping))])

    def _seal_accounts(self, tx: AuditTx | None) -> None:
        if tx is not None:
            self.seal(ACCOUNTS_RUN)

    # -- users -----------------------------------------------------------------------------
    def add_user(self, name: str, *, role: str, password_hash: str) -> ReviewUser:
        """Create an account (audited); the name must be new and the role admin or reviewer.

        Raises ``MedtrustError`` for a bad role or name, or a name already taken.
        """
        if role not in ROLES:
            raise MedtrustError(f"--role {role!r}: expected admin or reviewer")
        _check_name(name)
        t = schema.review_users
        with self._write() as (conn, tx):
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
            self._account_event(tx, conn, name)
        self._seal_accounts(tx)
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
        self,
        name: str,
        *,
        password_hash: str | None = None,
        active: bool | None = None,
        role: str | None = None,
    ) -> ReviewUser:
        """Change a password, the role, or (de)activate an account, as one audited event.

        Deactivation and a new password end the account's sessions at once (the shell can
        always create a new admin, so even the last one may be deactivated here). Raises
        ``NotFoundError`` for an unknown user, ``MedtrustError`` for a bad role.
        """
        if role is not None and role not in ROLES:
            raise MedtrustError(f"role {role!r}: expected admin or reviewer")
        values: dict[str, Any] = {}
        if password_hash is not None:
            values["password_hash"] = password_hash
        if active is not None:
            values["active"] = active
        if role is not None:
            values["role"] = role
        if not values:
            raise MedtrustError("nothing to change: give a password, a role or active")
        t = schema.review_users
        with self._write() as (conn, tx):
            if conn.execute(select(t.c.name).where(t.c.name == name)).first() is None:
                raise NotFoundError(f"no user {name!r}")
            conn.execute(update(t).where(t.c.name == name).values(**values))
            if active is False or password_hash is not None:
                s = schema.review_sessions
                conn.execute(delete(s).where(s.c.user == name))
            self._account_event(tx, conn, name)
        self._seal_accounts(tx)
        user = self.get_user(name)
        assert user is not None
        return user

    # -- API tokens ------------------------------------------------------------------------
    def add_token(self, token_hash: str, *, user: str, label: str = "") -> None:
        """Remember an API token by its hash (audited)."""
        t = schema.review_tokens
        with self._write() as (conn, tx):
            row = {
                "token_hash": token_hash,
                "user": user,
                "label": label,
                "created_at": now_iso(),
                "revoked": False,
            }
            conn.execute(t.insert().values(**row))
            if tx is not None:
                tx.append(ACCOUNTS_RUN, [("token", token_hash, token_content(row))])
        self._seal_accounts(tx)

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

    def tokens(self, user: str) -> list[dict[str, Any]]:
        """A user's tokens (hash prefix, label, created, revoked), oldest first; never the
        token itself, which is not kept."""
        t = schema.review_tokens
        q = select(t).where(t.c.user == user).order_by(t.c.created_at, t.c.token_hash)
        with self.engine.connect() as conn:
            return [
                {
                    "id": r.token_hash[:12],
                    "label": r.label,
                    "created_at": r.created_at,
                    "revoked": bool(r.revoked),
                }
                for r in conn.execute(q)
            ]

    def revoke_tokens(self, user: str) -> int:
        """Revoke every live token of ``user`` (one audited event each); returns how many."""
        t = schema.review_tokens
        with self._write() as (conn, tx):
            live = conn.execute(
                select(t).where(t.c.user == user, t.c.revoked.is_(False)).order_by(t.c.token_hash)
            ).all()
            if not live:
                return 0
            conn.execute(
                update(t).where(t.c.user == user, t.c.revoked.is_(False)).values(revoked=True)
            )
            if tx is not None:
                items = [
                    ("token", r.token_hash, token_content({**r._mapping, "revoked": True}))
                    for r in live
                ]
                tx.append(ACCOUNTS_RUN, items)
        self._seal_accounts(tx)
        return len(live)

    # -- sessions --------------------------------------------------------------------------
    def create_session(self, sid_hash: str, *, user: str, csrf: str, expires_at: str) -> None:
        """Start a browser session (stored by the hash of its cookie value; audited)."""
        s = schema.review_sessions
        row = {"sid_hash": sid_hash, "user": user, "csrf": csrf, "expires_at": expires_at}
        with self._write() as (conn, tx):
            conn.execute(delete(s).where(s.c.expires_at < now_iso()))  # sweep expired ones
            conn.execute(s.insert().values(**row))
            if tx is not None:
                tx.append(ACCOUNTS_RUN, [("session", sid_hash, session_content(row))])
        self._seal_accounts(tx)

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

    # -- lockouts --------------------------------------------------------------------------
    def login_locked(self, name: str) -> bool:
        """Whether the account is locked now (too many consecutive failed logins)."""
        t = schema.review_lockouts
        with self.engine.connect() as conn:
            until = conn.execute(select(t.c.locked_until).where(t.c.user == name)).scalar()
        return until is not None and datetime.fromisoformat(until) > datetime.now(UTC)

    def login_failed(self, name: str) -> bool:
        """Count a failed login of an existing account; True when this failure locks it.

        The :data:`LOCKOUT_THRESHOLD`-th consecutive failure locks the account for
        :data:`LOCKOUT_DURATION` and records an ``account_locked`` event. Names that are not
        accounts are not counted (no row per guessed name).
        """
        t, u = schema.review_lockouts, schema.review_users
        now = datetime.now(UTC)
        with self._write() as (conn, tx):
            if conn.execute(select(u.c.name).where(u.c.name == name)).first() is None:
                return False
            row = conn.execute(select(t).where(t.c.user == name)).first()
            failures = 0 if row is None else int(row.failures)
            if row is not None and row.locked_until is not None:
                if datetime.fromisoformat(row.locked_until) > now:
                    return False  # already locked: the lock does not grow
                failures = 0  # the lock has run out: count afresh
            failures += 1
            locked = failures >= LOCKOUT_THRESHOLD
            until = (now + LOCKOUT_DURATION).isoformat() if locked else None
            conn.execute(delete(t).where(t.c.user == name))
            conn.execute(t.insert().values(user=name, failures=failures, locked_until=until))
            if locked and tx is not None:
                content = {"user": name, "failures": failures, "locked_until": until}
                tx.append(ACCOUNTS_RUN, [("account_locked", name, content)], payload=True)
        if locked:
            self._seal_accounts(tx)
        return locked

    def login_succeeded(self, name: str) -> None:
        """Forget the account's failed logins (a good password while not locked)."""
        t = schema.review_lockouts
        with self.engine.begin() as conn:
            conn.execute(delete(t).where(t.c.user == name))

    def unlock_user(self, name: str, *, by: str) -> bool:
        """Lift a lockout now (audited as ``account_unlock``); False when none was set."""
        t, u = schema.review_lockouts, schema.review_users
        with self._write() as (conn, tx):
            if conn.execute(select(u.c.name).where(u.c.name == name)).first() is None:
                raise NotFoundError(f"no user {name!r}")
            res = conn.execute(delete(t).where(t.c.user == name, t.c.locked_until.is_not(None)))
            if not res.rowcount:
                conn.execute(delete(t).where(t.c.user == name))
                return False
            if tx is not None:
                content = {"user": name, "by": by, "at": now_iso()}
                tx.append(ACCOUNTS_RUN, [("account_unlock", name, content)], payload=True)
        self._seal_accounts(tx)
        return True
