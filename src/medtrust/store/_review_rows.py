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
