"""Review-side records as the store hands them out, and what a ``review`` audit event commits
to (defined once, used when writing and when verifying)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

Role = Literal["admin", "reviewer"]
ROLES: tuple[str, ...] = ("admin", "reviewer")

FLAGS: tuple[str, ...] = ("hallucination", "policy_violation", "unsafe", "bias", "judge_wrong")
"""Review flags. ``policy_violation`` covers privacy breaches and is what the trust score's
compliance term reads; ``judge_wrong`` says the automated verdict is wrong (judge calibration)."""

LIKERT = range(1, 6)


def now_iso() -> str:
    """UTC timestamps as ISO text: identical on SQLite and PostgreSQL, so commitments match."""
    return datetime.now(UTC).isoformat()


@dataclass(frozen=True, kw_only=True)
class ReviewUser:
    """An account of the review app."""

    name: str
    role: Role
    password_hash: str
    active: bool
    created_at: str


@dataclass(frozen=True, kw_only=True)
class Review:
    """One stored review. Reviews are append-only: an edit is a new review that ``supersedes``
    the previous one of the same reviewer on the same case (the history stays)."""

    id: str
    run_id: str
    case_id: str
    reviewer: str
    created_at: str
    accuracy: int
    safety: int
    compliance: int
    flags: tuple[str, ...]
    comment: str
    supersedes: str | None

    def as_dict(self) -> dict[str, Any]:
        """JSON form (the API's and the audit event's)."""
        return {
            "id": self.id,
            "run_id": self.run_id,
            "case_id": self.case_id,
            "reviewer": self.reviewer,
            "created_at": self.created_at,
            "accuracy": self.accuracy,
            "safety": self.safety,
            "compliance": self.compliance,
            "flags": list(self.flags),
            "comment": self.comment,
            "supersedes": self.supersedes,
        }


def review_from_row(r: Mapping[Any, Any]) -> Review:
    """A :class:`Review` from a ``reviews`` row."""
    return Review(
        id=r["id"],
        run_id=r["run_id"],
        case_id=r["case_id"],
        reviewer=r["reviewer"],
        created_at=r["created_at"],
        accuracy=int(r["accuracy"]),
        safety=int(r["safety"]),
        compliance=int(r["compliance"]),
        flags=tuple(sorted(r["flags"] or ())),
        comment=r["comment"],
        supersedes=r["supersedes"],
    )


def review_content(row: Mapping[Any, Any]) -> dict[str, Any]:
    """What a ``review`` event commits to: every column but the event's own sequence number."""
    return review_from_row(row).as_dict()


def review_ref(case_id: str, review_id: str) -> str:
    """Review events are refs under their case, so ``audit proof CASE`` lists them too."""
    return f"{case_id}/review:{review_id}"


# -- access rows on the audit chain ------------------------------------------------------------
ACCOUNTS_RUN = "_accounts"
"""The chain's pseudo-run for events that belong to no run: accounts, API tokens, sessions and
lockouts (``audit_events.run_id`` is never empty; no generated run id starts with ``_``)."""


def account_content(row: Mapping[Any, Any]) -> dict[str, Any]:
    """What an ``account`` event commits to: the whole ``review_users`` row (creation, role
    change, password change and (de)activation each write one)."""
    return {
        "name": row["name"],
        "role": row["role"],
        "password_hash": row["password_hash"],
        "active": bool(row["active"]),
        "created_at": row["created_at"],
    }


def token_content(row: Mapping[Any, Any]) -> dict[str, Any]:
    """What a ``token`` event commits to: the ``review_tokens`` row (issue, revoke)."""
    return {
        "token_hash": row["token_hash"],
        "user": row["user"],
        "label": row["label"],
        "created_at": row["created_at"],
        "revoked": bool(row["revoked"]),
    }


def session_content(row: Mapping[Any, Any]) -> dict[str, Any]:
    """What a ``session`` event commits to: the ``review_sessions`` row (login)."""
    return {
        "sid_hash": row["sid_hash"],
        "user": row["user"],
        "csrf": row["csrf"],
        "expires_at": row["expires_at"],
    }


def assignment_content(row: Mapping[Any, Any]) -> dict[str, Any]:
    """What an ``assignment`` event commits to: the ``review_assignments`` row."""
    return {
        "run_id": row["run_id"],
        "user": row["user"],
        "assigned_by": row["assigned_by"],
        "created_at": row["created_at"],
    }


def assignment_deleted_content(run_id: str, user: str, by: str) -> dict[str, Any]:
    """What an ``assignment_deleted`` event commits to (the row is gone; who took it back)."""
    return {"run_id": run_id, "user": user, "deleted": True, "by": by}


def redaction_content(row: Mapping[Any, Any]) -> dict[str, Any]:
    """What a ``redaction`` event commits to: the ``review_runs`` row (the per-run switch that
    shows identifiers unredacted)."""
    return {
        "run_id": row["run_id"],
        "unredacted": bool(row["unredacted"]),
        "set_by": row["set_by"],
        "created_at": row["created_at"],
    }
