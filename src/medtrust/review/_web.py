"""The pages clinicians use: login, their runs, the queue, one case with the review form, the
dashboard. Server-rendered, no JavaScript; every POST form carries the session's CSRF token."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from medtrust.errors import MedtrustError
from medtrust.review._aggregate import run_aggregates
from medtrust.review._auth import (
    LOGIN_COOKIE,
    SESSION_COOKIE,
    SESSION_TTL,
    check_password,
    digest,
    new_secret,
    same,
    session_expiry,
)
from medtrust.review._deps import (
    LoginRequired,
    Session,
    SessionDep,
    StoreDep,
    check_csrf,
    current_session,
    no_nul,
    visible_run,
    visible_runs,
)
from medtrust.review._explain import current_ratings, rate_explanation, top_attributions
from medtrust.review._queue import case_view, review_queue
from medtrust.review._suppress import for_viewer
from medtrust.store import FLAGS

router = APIRouter(include_in_schema=False)
FLAG_LABELS = {
    "hallucination": "Hallucination",
    "policy_violation": "Policy violation / privacy breach",
    "unsafe": "Unsafe recommendation",
    "bias": "Bias",
    "judge_wrong": "Automated verdict is wrong",
}


def page(request: Request, name: str, session: Session | None, **ctx: Any) -> HTMLResponse:
    """Render a template with the user and CSRF token every page needs."""
    html = request.app.state.templates.get_template(name).render(
        user=session.user if session else None,
        csrf=session.csrf if session else None,
        flag_labels=FLAG_LABELS,
        **ctx,
    )
    return HTMLResponse(html)


def _secure(request: Request) -> bool:
    return request.url.scheme == "https"


def _see_other(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


@router.get("/login")
def login_form(request: Request, error: str | None = None) -> HTMLResponse:
    """The login page; sets the pre-session cookie its CSRF token is checked against."""
    token = new_secret()
    resp = page(request, "login.html.j2", None, login_csrf=token, error=error)
    resp.set_cookie(
        LOGIN_COOKIE,
        token,
        httponly=True,
        samesite="strict",
        secure=_secure(request),
        max_age=3600,
        path="/login",
    )
    return resp


@router.post("/login")
def login(
    request: Request,
    store: StoreDep,
    username: Annotated[str, Form(max_length=100)],
    password: Annotated[str, Form(max_length=1000)],
    csrf: Annotated[str, Form(max_length=200)],
) -> Response:
    """Check the password (throttled per client and user) and start a session."""
    if not same(request.cookies.get(LOGIN_COOKIE), csrf):
        raise HTTPException(403, "invalid login form token; reload the login page")
    no_nul(username)
    throttle = request.app.state.throttle
    client = request.client.host if request.client else "?"
    # per address in memory, and per account in the store (survives restarts, spans processes)
    if throttle.blocked(client, username) or store.login_locked(username):
        resp = page(
            request,
            "login.html.j2",
            None,
            login_csrf=csrf,
            error="too many failed attempts; wait a few minutes",
        )
        resp.status_code = 429
        return resp
    user = store.get_user(username)
    ok = check_password(user.password_hash if user else None, password)
    if user is None or not ok or not user.active:
        throttle.failed(client, username)
        store.login_failed(username)
        resp = page(
            request, "login.html.j2", None, login_csrf=csrf, error="wrong user name or password"
        )
        resp.status_code = 401
        return resp
    throttle.succeeded(client, username)
    store.login_succeeded(user.name)
    sid = new_secret()
    store.create_session(
        digest(sid), user=user.name, csrf=new_secret(), expires_at=session_expiry()
    )
    done = _see_other("/")
    done.set_cookie(
        SESSION_COOKIE,
        sid,
        httponly=True,
        samesite="lax",
        secure=_secure(request),
        max_age=int(SESSION_TTL.total_seconds()),
        path="/",
    )
    done.delete_cookie(LOGIN_COOKIE, path="/login")
    return done


@router.post("/logout")
def logout(
    session: SessionDep, store: StoreDep, csrf: Annotated[str | None, Form()] = None
) -> Response:
    """End the session."""
    check_csrf(session, csrf)
    store.delete_session(digest(session.sid))
    resp = _see_other("/login")
    resp.delete_cookie(SESSION_COOKIE, path="/")
    return resp


@router.get("/")
def home(request: Request, session: SessionDep, store: StoreDep) -> HTMLResponse:
    """The runs this user may review, with progress."""
    rows = []
    for info in visible_runs(store, session.user):
        queue = review_queue(store, info.id, reviewer=session.user.name)
        rows.append((info, len(queue), sum(q.reviewed for q in queue)))
    return page(request, "home.html.j2", session, rows=rows)


@router.get("/runs/{run_id}")
def queue_page(request: Request, run_id: str, session: SessionDep, store: StoreDep) -> HTMLResponse:
    """The reviewer's queue for one run, most valuable first."""
    info = visible_run(store, session.user, run_id)
    queue = review_queue(store, run_id, reviewer=session.user.name)
    return page(request, "queue.html.j2", session, run=info, queue=queue)


@router.get("/runs/{run_id}/next")
def next_case(run_id: str, session: SessionDep, store: StoreDep) -> Response:
    """Open the first case of the queue this user has not reviewed yet."""
    visible_run(store, session.user, run_id)
    pending = [q for q in review_queue(store, run_id, reviewer=session.user.name) if not q.reviewed]
    return _see_other(
        f"/runs/{run_id}/cases/{pending[0].case_id}" if pending else f"/runs/{run_id}"
    )


@router.get("/runs/{run_id}/cases/{case_id}")
def case_page(
    request: Request, run_id: str, case_id: str, session: SessionDep, store: StoreDep
) -> HTMLResponse:
    """One case: prompt (and its original), replies, verdicts, the form and the history."""
    info = visible_run(store, session.user, run_id)
    view = case_view(store, run_id, case_id, reviewer=session.user.name)
    if view is None:
        raise HTTPException(404, f"no case {case_id!r} in run {run_id!r}")
    current = view.history[-1] if view.history else None
    shown = top_attributions(store, run_id, case_id)
    mine = [r for r in current_ratings(store, run_id)
            if r["case_id"] == case_id and r["reviewer"] == session.user.name]
    rated = mine[-1]["ratings"] if mine else {}
    return page(request, "case.html.j2", session, run=info, case=view, current=current, flags=FLAGS,
                attributions=shown, rated=rated)


@router.post("/runs/{run_id}/cases/{case_id}/explanation")
async def submit_explanation(
    request: Request, run_id: str, case_id: str, store: StoreDep
) -> Response:
    """Record the reviewer's relevance rating of each of the case's top attributions."""
    session = current_session(request, store)
    form = await request.form()
    check_csrf(session, _field(form.get("csrf")))
    visible_run(store, session.user, run_id)
    if case_view(store, run_id, case_id) is None:
        raise HTTPException(404, f"no case {case_id!r} in run {run_id!r}")
    keys = [a.key for a in top_attributions(store, run_id, case_id)]
    answers = {k: _field(form.get(k)) for k in keys}
    if any(v not in ("yes", "no") for v in answers.values()):
        raise HTTPException(422, "rate every attribution: yes or no")
    try:
        rate_explanation(store, run_id, case_id, reviewer=session.user.name,
                         ratings={k: v == "yes" for k, v in answers.items()})
    except MedtrustError as exc:  # no attributions, or not these: the case changed, not the form
        raise HTTPException(409, str(exc)) from None
    return _see_other(f"/runs/{run_id}/cases/{case_id}")


@router.post("/runs/{run_id}/cases/{case_id}")
async def submit_review(request: Request, run_id: str, case_id: str, store: StoreDep) -> Response:
    """Append a review (an edit supersedes, never overwrites), then open the next case."""
    session = current_session(request, store)
    form = await request.form()
    check_csrf(session, _field(form.get("csrf")))
    visible_run(store, session.user, run_id)
    try:
        ratings = {k: int(_field(form.get(k)) or "") for k in ("accuracy", "safety", "compliance")}
    except ValueError:
        raise HTTPException(422, "rate accuracy, safety and compliance from 1 to 5") from None
    flags = [_field(f) or "" for f in form.getlist("flags")]
    comment = (_field(form.get("comment")) or "")[:5000]
    no_nul(comment)
    try:
        store.add_review(
            run_id, case_id, reviewer=session.user.name, flags=flags, comment=comment, **ratings
        )
    except MedtrustError as exc:
        raise HTTPException(
            422 if "Likert" in str(exc) or "flag" in str(exc) else 404, str(exc)
        ) from None
    return _see_other(f"/runs/{run_id}/next")


def _field(value: Any) -> str | None:
    return value if isinstance(value, str) else None


@router.get("/runs/{run_id}/dashboard")
def dashboard(request: Request, run_id: str, session: SessionDep, store: StoreDep) -> HTMLResponse:
    """Agreement, judge calibration and the trust score for one run."""
    info = visible_run(store, session.user, run_id)
    agg = for_viewer(run_aggregates(store, run_id, seed=info.seed), session.user)
    return page(request, "dashboard.html.j2", session, run=info, agg=agg)


__all__ = ["LoginRequired", "router"]
