"""Admin pages: create accounts, change a password or role, (de)activate an account, unlock it,
issue and revoke API tokens, assign runs to reviewers and allow unredacted content for a run.
Admin-only; every form carries the session's CSRF token; every change is audited by the store.
An admin cannot deactivate or demote their own account here (so the app keeps an admin)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from medtrust.errors import MedtrustError, NotFoundError
from medtrust.review._auth import digest, hash_password, new_token
from medtrust.review._deps import AdminSessionDep, Session, StoreDep, check_csrf, no_nul
from medtrust.review._web import page
from medtrust.store import Store

router = APIRouter(include_in_schema=False, prefix="/admin")
Csrf = Annotated[str | None, Form()]


def _back(note: str = "") -> RedirectResponse:
    return RedirectResponse("/admin" + (f"?note={note}" if note else ""), status_code=303)


def _bad(exc: MedtrustError) -> HTTPException:
    return HTTPException(404 if isinstance(exc, NotFoundError) else 422, str(exc))


@router.get("")
def admin_page(
    request: Request, session: AdminSessionDep, store: StoreDep, note: str | None = None
) -> HTMLResponse:
    """Accounts, runs with their reviewers and redaction setting."""
    return _render(request, session, store, note=note, token=None)


def _render(
    request: Request,
    session: Session,
    store: Store,
    *,
    note: str | None,
    token: tuple[str, str] | None,
) -> HTMLResponse:
    runs = [(r, store.assignees(r.id), store.unredacted(r.id)) for r in store.list_runs()]
    users = [(u, store.login_locked(u.name), store.tokens(u.name)) for u in store.list_users()]
    return page(request, "admin.html.j2", session, users=users, runs=runs, note=note, token=token)


@router.post("/users")
def add_user(
    session: AdminSessionDep,
    store: StoreDep,
    name: Annotated[str, Form(max_length=100)],
    role: Annotated[str, Form(max_length=20)],
    password: Annotated[str, Form(max_length=1000)],
    csrf: Csrf = None,
) -> Response:
    """Create an account."""
    check_csrf(session, csrf)
    no_nul(name)
    try:
        store.add_user(name, role=role, password_hash=hash_password(password))
    except MedtrustError as exc:
        raise _bad(exc) from None
    return _back("user-added")


@router.post("/assign")
def assign(
    session: AdminSessionDep,
    store: StoreDep,
    run_id: Annotated[str, Form(max_length=64)],
    user: Annotated[str, Form(max_length=100)],
    csrf: Csrf = None,
    remove: Annotated[str | None, Form()] = None,
) -> Response:
    """Assign a run to a reviewer (or take it back with ``remove``)."""
    check_csrf(session, csrf)
    no_nul(run_id, user)
    try:
        if remove:
            store.unassign(run_id, user, by=session.user.name)
        else:
            store.assign(run_id, user, by=session.user.name)
    except MedtrustError as exc:
        raise _bad(exc) from None
    return _back("assigned" if not remove else "unassigned")


@router.post("/redaction")
def redaction(
    session: AdminSessionDep,
    store: StoreDep,
    run_id: Annotated[str, Form(max_length=64)],
    unredacted: Annotated[str | None, Form()] = None,
    csrf: Csrf = None,
) -> Response:
    """Show identifiers unredacted to this run's reviewers, or hide them again."""
    check_csrf(session, csrf)
    no_nul(run_id)
    try:
        store.set_unredacted(run_id, unredacted == "yes", by=session.user.name)
    except MedtrustError as exc:
        raise _bad(exc) from None
    return _back("redaction-set")


@router.post("/tokens")
def issue_token(
    request: Request,
    session: AdminSessionDep,
    store: StoreDep,
    user: Annotated[str, Form(max_length=100)],
    label: Annotated[str, Form(max_length=200)] = "",
    csrf: Csrf = None,
) -> HTMLResponse:
    """Issue an API token for a user; it is shown on this page once and stored as a hash."""
    check_csrf(session, csrf)
    no_nul(user, label)
    if store.get_user(user) is None:
        raise HTTPException(404, f"no user {user!r}")
    token = new_token()
    store.add_token(digest(token), user=user, label=label)
    resp = _render(request, session, store, note="token-issued", token=(user, token))
    resp.headers["Cache-Control"] = "no-store"
    return resp


User = Annotated[str, Form(max_length=100)]


def _change(session: Session, store: Store, user: str, **change: Any) -> None:
    no_nul(user)
    if user == session.user.name and (change.get("active") is False or change.get("role")):
        raise HTTPException(422, "you cannot deactivate or demote your own account here")
    try:
        store.set_user(user, **change)
    except MedtrustError as exc:
        raise _bad(exc) from None


@router.post("/users/active")
def set_active(
    session: AdminSessionDep,
    store: StoreDep,
    user: User,
    active: Annotated[str, Form(max_length=3)],
    csrf: Csrf = None,
) -> Response:
    """Deactivate an account (``active=no``: its sessions end, its tokens stop working) or
    activate it again (``yes``)."""
    check_csrf(session, csrf)
    if active not in ("yes", "no"):
        raise HTTPException(422, "active must be yes or no")
    _change(session, store, user, active=active == "yes")
    return _back("activated" if active == "yes" else "deactivated")


@router.post("/users/password")
def set_password(
    session: AdminSessionDep,
    store: StoreDep,
    user: User,
    password: Annotated[str, Form(max_length=1000)],
    csrf: Csrf = None,
) -> Response:
    """Set a new password (the account's sessions end)."""
    check_csrf(session, csrf)
    try:
        hashed = hash_password(password)
    except MedtrustError as exc:
        raise _bad(exc) from None
    _change(session, store, user, password_hash=hashed)
    return _back("password-changed")


@router.post("/users/role")
def set_role(
    session: AdminSessionDep,
    store: StoreDep,
    user: User,
    role: Annotated[str, Form(max_length=20)],
    csrf: Csrf = None,
) -> Response:
    """Make an account an admin or a reviewer."""
    check_csrf(session, csrf)
    _change(session, store, user, role=role)
    return _back("role-changed")


@router.post("/users/revoke-tokens")
def revoke_tokens(
    session: AdminSessionDep, store: StoreDep, user: User, csrf: Csrf = None
) -> Response:
    """Revoke every API token of an account."""
    check_csrf(session, csrf)
    no_nul(user)
    if store.get_user(user) is None:
        raise HTTPException(404, f"no user {user!r}")
    store.revoke_tokens(user)
    return _back("tokens-revoked")


@router.post("/users/unlock")
def unlock(session: AdminSessionDep, store: StoreDep, user: User, csrf: Csrf = None) -> Response:
    """Lift a login lockout before it runs out."""
    check_csrf(session, csrf)
    no_nul(user)
    try:
        store.unlock_user(user, by=session.user.name)
    except MedtrustError as exc:
        raise _bad(exc) from None
    return _back("unlocked")
