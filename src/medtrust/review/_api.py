"""The JSON API: the same actions as the pages, for hospitals' own tools. Bearer tokens issued
by an admin (``medtrust review token USER`` or the admin page); the OpenAPI schema describes
every route and its errors."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, HTTPException, Path
from pydantic import BaseModel, ConfigDict, Field

from medtrust.errors import MedtrustError, NotFoundError
from medtrust.review._aggregate import run_aggregates
from medtrust.review._auth import digest, hash_password, new_token
from medtrust.review._deps import (
    NUL_MESSAGE,
    StoreDep,
    TokenAdminDep,
    TokenUserDep,
    visible_run,
    visible_runs,
)
from medtrust.review._explain import rate_explanation, top_attributions
from medtrust.review._queue import case_view, review_queue
from medtrust.review._suppress import for_viewer

Flag = Literal["hallucination", "policy_violation", "unsafe", "bias", "judge_wrong"]
Likert = Annotated[int, Field(ge=1, le=5, description="Likert rating, 1 (worst) to 5 (best)")]
RunId = Annotated[str, Path(max_length=64)]
CaseId = Annotated[str, Path(max_length=64)]
Text = Annotated[str, Field(pattern=r"^[^\x00]*$", description=f"Free text ({NUL_MESSAGE}).")]
"""Free text the store keeps (PostgreSQL cannot store NUL characters: refused everywhere)."""
UserName = Annotated[
    str, Field(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9._-]*[A-Za-z0-9][A-Za-z0-9._-]*$")
]
"""What the store accepts as a user name: letters, digits, '.', '_', '-', not punctuation only."""


class Problem(BaseModel):
    """An error: what went wrong, in one line."""

    detail: Any


ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"model": Problem, "description": "malformed request body"},
    401: {"model": Problem, "description": "missing or invalid bearer token"},
    403: {"model": Problem, "description": "not allowed for this user"},
    404: {"model": Problem, "description": "no such run or case for this user"},
}
router = APIRouter(prefix="/api/v1", responses=ERRORS)


class ReviewIn(BaseModel):
    """A review: three Likert ratings, flags and a comment."""

    model_config = ConfigDict(extra="forbid")

    accuracy: Likert
    safety: Likert
    compliance: Likert
    flags: list[Flag] = Field(default_factory=list, max_length=5)
    comment: Text = Field("", max_length=5000)


class UserIn(BaseModel):
    """A new account."""

    model_config = ConfigDict(extra="forbid")

    name: UserName
    role: Literal["admin", "reviewer"]
    password: str = Field(min_length=8, max_length=1000)


class AssignIn(BaseModel):
    """A reviewer to give a run to."""

    model_config = ConfigDict(extra="forbid")

    user: UserName


class RedactionIn(BaseModel):
    """Whether the run's reviewers see identifiers unredacted."""

    model_config = ConfigDict(extra="forbid")

    unredacted: bool


class TokenIn(BaseModel):
    """Whom an API token is for."""

    model_config = ConfigDict(extra="forbid")

    user: UserName
    label: Text = Field("", max_length=200)


def _fail(exc: MedtrustError) -> HTTPException:
    return HTTPException(404 if isinstance(exc, NotFoundError) else 422, str(exc))


@router.get("/me", summary="The token's user")
def me(user: TokenUserDep) -> dict[str, Any]:
    return {"name": user.name, "role": user.role}


@router.get("/runs", summary="Runs you may review")
def runs(user: TokenUserDep, store: StoreDep) -> dict[str, Any]:
    return {
        "runs": [
            {"id": r.id, "suite": r.suite, "target": r.target, "status": r.status}
            for r in visible_runs(store, user)
        ]
    }


@router.get("/runs/{run_id}/queue", summary="Your review queue, most valuable first")
def queue(run_id: RunId, user: TokenUserDep, store: StoreDep) -> dict[str, Any]:
    visible_run(store, user, run_id)
    return {"queue": [q.as_dict() for q in review_queue(store, run_id, reviewer=user.name)]}


@router.get("/runs/{run_id}/cases/{case_id}", summary="One case, with your review history")
def case(run_id: RunId, case_id: CaseId, user: TokenUserDep, store: StoreDep) -> dict[str, Any]:
    visible_run(store, user, run_id)
    view = case_view(store, run_id, case_id, reviewer=user.name)
    if view is None:
        raise HTTPException(404, f"no case {case_id!r} in run {run_id!r}")
    shown = [a.as_dict() for a in top_attributions(store, run_id, case_id)]
    return {**view.as_dict(), "attributions": shown}


class ExplanationIn(BaseModel):
    """Relevance ratings of a case's top attributions: ``{key: clinically relevant?}``."""

    model_config = ConfigDict(extra="forbid")

    ratings: dict[Annotated[str, Field(max_length=40)], bool] = Field(min_length=1)


@router.post(
    "/runs/{run_id}/cases/{case_id}/explanation",
    status_code=201,
    summary="Rate each of the case's top attributions as clinically relevant or not (audited)",
    responses={409: {"description": "the case has no attributions, or a key is not among them"}},
)
def rate(
    run_id: RunId, case_id: CaseId, body: ExplanationIn, user: TokenUserDep, store: StoreDep
) -> dict[str, Any]:
    visible_run(store, user, run_id)
    if case_view(store, run_id, case_id) is None:
        raise HTTPException(404, f"no case {case_id!r} in run {run_id!r}")
    try:
        return rate_explanation(store, run_id, case_id, reviewer=user.name, ratings=body.ratings)
    except MedtrustError as exc:  # the request is well formed; the case's attributions differ
        raise HTTPException(409, str(exc)) from None


@router.post(
    "/runs/{run_id}/cases/{case_id}/reviews",
    status_code=201,
    summary="Add a review (an edit supersedes your previous review; nothing is overwritten)",
    responses={422: {"description": "invalid review"}},
)
def add_review(
    run_id: RunId, case_id: CaseId, body: ReviewIn, user: TokenUserDep, store: StoreDep
) -> dict[str, Any]:
    visible_run(store, user, run_id)
    try:
        review = store.add_review(run_id, case_id, reviewer=user.name, **body.model_dump())
    except MedtrustError as exc:
        raise _fail(exc) from None
    return review.as_dict()


@router.get("/runs/{run_id}/reviews", summary="Reviews: yours (admins: everyone's)")
def reviews(
    run_id: RunId, user: TokenUserDep, store: StoreDep, history: bool = False
) -> dict[str, Any]:
    visible_run(store, user, run_id)
    who = None if user.role == "admin" else user.name
    return {
        "reviews": [r.as_dict() for r in store.reviews(run_id, reviewer=who, current=not history)]
    }


@router.get("/runs/{run_id}/aggregates", summary="Agreement, judge kappa and trust score")
def aggregates(run_id: RunId, user: TokenUserDep, store: StoreDep) -> dict[str, Any]:
    info = visible_run(store, user, run_id)
    return for_viewer(run_aggregates(store, run_id, seed=info.seed), user)


@router.post(
    "/users",
    status_code=201,
    summary="Create an account (admins)",
    responses={
        409: {"model": Problem, "description": "a user of that name exists"},
        422: {"description": "invalid user"},
    },
)
def add_user(body: UserIn, admin: TokenAdminDep, store: StoreDep) -> dict[str, Any]:
    if store.get_user(body.name) is not None:
        raise HTTPException(409, f"user {body.name!r} already exists")
    try:
        user = store.add_user(body.name, role=body.role, password_hash=hash_password(body.password))
    except MedtrustError as exc:
        raise _fail(exc) from None
    return {"name": user.name, "role": user.role}


@router.put(
    "/runs/{run_id}/assignments/{user}",
    summary="Assign a run to a reviewer (admins)",
    responses={422: {"description": "not a reviewer"}},
)
def assign(
    run_id: RunId,
    user: Annotated[str, Path(max_length=100)],
    admin: TokenAdminDep,
    store: StoreDep,
) -> dict[str, Any]:
    try:
        added = store.assign(run_id, user, by=admin.name)
    except MedtrustError as exc:
        raise _fail(exc) from None
    return {"run_id": run_id, "user": user, "assigned": True, "changed": added}


@router.delete("/runs/{run_id}/assignments/{user}", summary="Take a run back (admins)")
def unassign(
    run_id: RunId,
    user: Annotated[str, Path(max_length=100)],
    admin: TokenAdminDep,
    store: StoreDep,
) -> dict[str, Any]:
    changed = store.unassign(run_id, user, by=admin.name)
    return {"run_id": run_id, "user": user, "assigned": False, "changed": changed}


@router.put("/runs/{run_id}/redaction", summary="Allow unredacted content for a run (admins)")
def redaction(
    run_id: RunId, body: RedactionIn, admin: TokenAdminDep, store: StoreDep
) -> dict[str, Any]:
    try:
        store.set_unredacted(run_id, body.unredacted, by=admin.name)
    except MedtrustError as exc:
        raise _fail(exc) from None
    return {"run_id": run_id, "unredacted": body.unredacted}


@router.post("/tokens", status_code=201, summary="Issue an API token (admins; shown once)")
def issue_token(body: TokenIn, admin: TokenAdminDep, store: StoreDep) -> dict[str, Any]:
    if store.get_user(body.user) is None:
        raise HTTPException(404, f"no user {body.user!r}")
    token = new_token()
    store.add_token(digest(token), user=body.user, label=body.label)
    return {"user": body.user, "token": token}
