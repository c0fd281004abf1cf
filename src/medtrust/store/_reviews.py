"""Clinician reviews, run assignments and per-run redaction settings.

Every write here appends its audit event in the same transaction (the pattern of
``_store.py``): a review row and its ``review`` event are written together or not at all.
Assignments (``assignment`` / ``assignment_deleted``) and the per-run redaction switch
(``redaction``) are access, so their events commit to the rows themselves (verification
compares them with the rows as they stand) and the run's root is re-signed at once.
Reviews are append-only; the "current" review of a reviewer on a case is the newest.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Iterator, Sequence
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, Engine, delete, select

from medtrust.errors import MedtrustError, NotFoundError
from medtrust.records import Verdict
from medtrust.store import schema
from medtrust.store._ledger import AuditTx
from medtrust.store._review_rows import (
    FLAGS,
    LIKERT,
    Review,
    assignment_content,
    assignment_deleted_content,
    now_iso,
    redaction_content,
    review_content,
    review_from_row,
    review_ref,
)


def current_only(rows: Iterable[Review]) -> list[Review]:
    """The newest review of each (run, reviewer, case), in creation order. The run is part of
    the key: case ids are content hashes, so a rerun (``--from-feedback``) has the same ones."""
    latest: dict[tuple[str, str, str], Review] = {}
    for r in rows:
        latest[(r.run_id, r.reviewer, r.case_id)] = r  # rows come oldest first
    return sorted(latest.values(), key=lambda r: (r.created_at, r.id))


class ReviewsMixin:
    """Review methods of :class:`~medtrust.store.Store`."""

    engine: Engine

    if TYPE_CHECKING:  # provided by the store's AuditMixin

        def _write(
            self, *, new_run: str | None = None
        ) -> AbstractContextManager[tuple[Connection, AuditTx | None]]: ...

        def seal(self, run_id: str) -> Any: ...

    # -- assignments and settings ------------------------------------------------------------
    def assign(self, run_id: str, user: str, *, by: str) -> bool:
        """Give ``user`` the run to review; False when it was already assigned."""
        t = schema.review_assignments
        with self._write() as (conn, tx):
            self._need_run(conn, run_id)
            if self._need_user(conn, user) != "reviewer":
                raise MedtrustError(f"user {user!r} is an admin; assign runs to reviewers")
            q = select(t.c.user).where(t.c.run_id == run_id, t.c.user == user)
            if conn.execute(q).first() is not None:
                return False
            row = {"run_id": run_id, "user": user, "assigned_by": by, "created_at": now_iso()}
            conn.execute(t.insert().values(**row))
            if tx:
                tx.append(run_id, [("assignment", user, assignment_content(row))])
        if tx:
            self.seal(run_id)
        return True

    def unassign(self, run_id: str, user: str, *, by: str) -> bool:
        """Take the run back from ``user`` (their reviews stay); False when not assigned."""
        t = schema.review_assignments
        with self._write() as (conn, tx):
            res = conn.execute(delete(t).where(t.c.run_id == run_id, t.c.user == user))
            if not res.rowcount:
                return False
            if tx:
                content = assignment_deleted_content(run_id, user, by)
                tx.append(run_id, [("assignment_deleted", user, content)], payload=True)
        if tx:
            self.seal(run_id)
        return True

    def assigned_runs(self, user: str) -> list[str]:
        """Run ids assigned to ``user``."""
        t = schema.review_assignments
        with self.engine.connect() as conn:
            return list(conn.execute(select(t.c.run_id).where(t.c.user == user)).scalars())

    def assignees(self, run_id: str) -> list[str]:
        """Reviewers a run is assigned to."""
        t = schema.review_assignments
        with self.engine.connect() as conn:
            q = select(t.c.user).where(t.c.run_id == run_id).order_by(t.c.user)
            return list(conn.execute(q).scalars())

    def set_unredacted(self, run_id: str, unredacted: bool, *, by: str) -> None:
        """Let reviewers of a run see identifiers unredacted (or hide them again)."""
        t = schema.review_runs
        with self._write() as (conn, tx):
            self._need_run(conn, run_id)
            row = {
                "run_id": run_id,
                "unredacted": unredacted,
                "set_by": by,
                "created_at": now_iso(),
            }
            conn.execute(delete(t).where(t.c.run_id == run_id))
            conn.execute(t.insert().values(**row))
            if tx:
                tx.append(run_id, [("redaction", run_id, redaction_content(row))])
        if tx:
            self.seal(run_id)

    def unredacted(self, run_id: str) -> bool:
        """Whether the admin allowed unredacted content for this run (default: no)."""
        t = schema.review_runs
        with self.engine.connect() as conn:
            v = conn.execute(select(t.c.unredacted).where(t.c.run_id == run_id)).scalar()
        return bool(v)

    # -- reviews ---------------------------------------------------------------------------
    def add_review(
        self,
        run_id: str,
        case_id: str,
        *,
        reviewer: str,
        accuracy: int,
        safety: int,
        compliance: int,
        flags: Sequence[str] = (),
        comment: str = "",
    ) -> Review:
        """Append a review; it supersedes the reviewer's previous one on the case (kept)."""
        for name, v in (("accuracy", accuracy), ("safety", safety), ("compliance", compliance)):
            if v not in LIKERT:
                raise MedtrustError(f"{name} must be a Likert rating 1-5, got {v!r}")
        bad = sorted(set(flags) - set(FLAGS))
        if bad:
            raise MedtrustError(f"unknown flags {bad}; known: {', '.join(FLAGS)}")
        t = schema.reviews
        with self._write() as (conn, tx):
            c = schema.cases
            q = select(c.c.case_id).where(c.c.run_id == run_id, c.c.case_id == case_id)
            if conn.execute(q).first() is None:
                raise NotFoundError(f"no case {case_id!r} in run {run_id!r}")
            prev = conn.execute(
                select(t.c.id)
                .where(t.c.run_id == run_id, t.c.case_id == case_id, t.c.reviewer == reviewer)
                .order_by(t.c.created_at.desc(), t.c.audit_seq.desc())
                .limit(1)
            ).scalar()
            row: dict[str, Any] = {
                "id": secrets.token_hex(16),
                "run_id": run_id,
                "case_id": case_id,
                "reviewer": reviewer,
                "created_at": now_iso(),
                "accuracy": accuracy,
                "safety": safety,
                "compliance": compliance,
                "flags": sorted(set(flags)),
                "comment": comment,
                "supersedes": prev,
                "audit_seq": None,
            }
            if tx:
                ref = review_ref(case_id, row["id"])
                (event,) = tx.append(run_id, [("review", ref, review_content(row))])
                row["audit_seq"] = event["seq"]
            conn.execute(t.insert().values(**row))
        return review_from_row(row)

    def _review_rows(self, run_id: str | None, **where: str) -> Iterator[Review]:
        t = schema.reviews
        q = select(t).order_by(t.c.created_at, t.c.audit_seq, t.c.id)
        if run_id is not None:
            q = q.where(t.c.run_id == run_id)
        for col, value in where.items():
            q = q.where(t.c[col] == value)
        with self.engine.connect() as conn:
            rows = conn.execute(q).all()
        return (review_from_row(r._mapping) for r in rows)

    def reviews(
        self, run_id: str | None, *, reviewer: str | None = None, current: bool = True
    ) -> list[Review]:
        """Reviews of a run (every run: ``None``), the current ones by default, oldest first."""
        where = {"reviewer": reviewer} if reviewer else {}
        rows = list(self._review_rows(run_id, **where))
        return current_only(rows) if current else rows

    def review_history(self, run_id: str, case_id: str) -> list[Review]:
        """Every review of a case, superseded ones included, oldest first."""
        return list(self._review_rows(run_id, case_id=case_id))

    def all_verdicts(self, run_id: str) -> dict[str, list[Verdict]]:
        """Every judge's verdict on each case (several judges per case may exist)."""
        t = schema.verdicts
        out: dict[str, list[Verdict]] = {}
        with self.engine.connect() as conn:
            q = select(t).where(t.c.run_id == run_id).order_by(t.c.case_id, t.c.judge)
            for r in conn.execute(q):
                out.setdefault(r.case_id, []).append(
                    Verdict(
                        case_id=r.case_id,
                        judge=r.judge,
                        outcome=r.outcome,
                        score=r.score,
                        answer=r.answer,
                        detail=r.detail,
                    )
                )
        return out

    # -- helpers ---------------------------------------------------------------------------
    @staticmethod
    def _need_run(conn: Connection, run_id: str) -> None:
        r = schema.runs
        if conn.execute(select(r.c.id).where(r.c.id == run_id)).first() is None:
            raise NotFoundError(f"no run {run_id!r}")

    @staticmethod
    def _need_user(conn: Connection, user: str) -> str:
        u = schema.review_users
        role = conn.execute(select(u.c.role).where(u.c.name == user)).scalar()
        if role is None:
            raise NotFoundError(f"no user {user!r}")
        return str(role)
