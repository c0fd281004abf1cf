"""Admin pages: create accounts, assign runs to reviewers, allow unredacted content for a run
and issue API tokens. Admin-only; every form carries the session's CSRF token."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from medtrust.errors import MedtrustError, NotFoundError
from medtrust.review._auth import digest, hash_password, new_token
from medtrust.review._deps import AdminSessionDep, StoreDep, check_csrf, no_nul
from medtrust.review._web import page

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
    runs = [(r, store.assignees(r.id), store.unredacted(r.id)) for r in store.list_runs()]
    return page(
        request,
        "admin.html.j2",
        session,
        users=store.list_users(),
        runs=runs,
        note=note,
        token=None,
    )


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
    runs = [(r, store.assignees(r.id), store.unredacted(r.id)) for r in store.list_runs()]
    resp = page(
        request,
        "admin.html.j2",
        session,
        users=store.list_users(),
        runs=runs,
        note="token-issued",
        token=(user, token),
    )
    resp.headers["Cache-Control"] = "no-store"
    return resp
