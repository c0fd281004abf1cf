"""Who is asking, and may they: sessions and CSRF for the pages, bearer tokens for the API,
and the one rule every run-scoped route applies (admins see every run, a reviewer only the
runs assigned to them; anything else is "not found", so run ids do not leak)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, HTTPException, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from medtrust.errors import NotFoundError
from medtrust.records import RunInfo
from medtrust.review._auth import SESSION_COOKIE, digest, same
from medtrust.store import ReviewUser, Store


class LoginRequired(Exception):
    """Raised by page routes without a session; answered with a redirect to the login page."""


@dataclass(frozen=True)
class Session:
    """A browser session: the user and the CSRF token every form must echo."""

    user: ReviewUser
    csrf: str
    sid: str


def get_store(request: Request) -> Store:
    """The app's store."""
    store: Store = request.app.state.store
    return store


StoreDep = Annotated[Store, Depends(get_store)]


def current_session(request: Request, store: StoreDep) -> Session:
    """The live session behind the cookie, or :class:`LoginRequired`."""
    sid = request.cookies.get(SESSION_COOKIE)
    found = store.get_session(digest(sid)) if sid else None
    if found is None or sid is None:
        raise LoginRequired()
    return Session(user=found[0], csrf=found[1], sid=sid)


SessionDep = Annotated[Session, Depends(current_session)]


def check_csrf(session: Session, token: str | None) -> None:
    """Refuse a form whose CSRF token is not the session's (synchronizer token)."""
    if not same(session.csrf, token):
        raise HTTPException(403, "invalid or missing CSRF token; reload the page")


NUL_MESSAGE = "text may not contain NUL characters"


def no_nul(*values: str | None) -> None:
    """Refuse form text holding NUL characters: no id or name has one, and PostgreSQL cannot
    store them, so they are bad input (422) on every backend rather than a server error."""
    if any(v is not None and "\x00" in v for v in values):
        raise HTTPException(422, NUL_MESSAGE)


def admin_session(session: SessionDep) -> Session:
    """A session of an admin, else 403."""
    if session.user.role != "admin":
        raise HTTPException(403, "admins only")
    return session


AdminSessionDep = Annotated[Session, Depends(admin_session)]

bearer = HTTPBearer(auto_error=False, description="An API token issued by an admin.")


def token_user(
    store: StoreDep,
    creds: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> ReviewUser:
    """The user of a valid bearer token, else 401."""
    user = store.user_for_token(digest(creds.credentials)) if creds else None
    if user is None:
        raise HTTPException(
            401, "a valid bearer token is required", headers={"WWW-Authenticate": "Bearer"}
        )
    return user


TokenUserDep = Annotated[ReviewUser, Depends(token_user)]


def token_admin(user: TokenUserDep) -> ReviewUser:
    """The bearer token's user when an admin, else 403."""
    if user.role != "admin":
        raise HTTPException(403, "admins only")
    return user


TokenAdminDep = Annotated[ReviewUser, Depends(token_admin)]


def visible_run(store: Store, user: ReviewUser, run_id: str) -> RunInfo:
    """The run if ``user`` may see it (exact id), else 404."""
    try:
        info = store.get_run(run_id)
    except NotFoundError:
        info = None
    allowed = (
        info is not None
        and info.id == run_id
        and (user.role == "admin" or run_id in store.assigned_runs(user.name))
    )
    if info is None or not allowed:
        raise HTTPException(404, f"no run {run_id!r} for you to review")
    return info


def visible_runs(store: Store, user: ReviewUser) -> list[RunInfo]:
    """Every run ``user`` may see, newest first."""
    runs = store.list_runs()
    if user.role == "admin":
        return runs
    mine = set(store.assigned_runs(user.name))
    return [r for r in runs if r.id in mine]
