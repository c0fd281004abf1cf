"""Cases, replies and verdicts of a run: written in small transactions, read whole (small runs,
reports) or streamed in bounded windows (``iter_*``, ``*_for``), so that a run of any size is
processed in flat memory."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import AbstractContextManager
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, Engine, func, select
from sqlalchemy.sql.dml import Insert
from sqlalchemy.sql.schema import Table

from medtrust.records import Case, Reply, Verdict
from medtrust.store import schema
from medtrust.store._keyset import keyset_batches
from medtrust.store._ledger import (
    case_content,
    reply_content,
    reply_deleted_content,
    reply_ref,
    verdict_content,
    verdict_ref,
)

if TYPE_CHECKING:
    from medtrust.store._ledger import AuditTx

BATCH = 1000
"""Rows per page when streaming (and ids per ``IN (...)`` query)."""
IN_CHUNK = 500


def now() -> datetime:
    """The current time in UTC (what every stored timestamp is)."""
    return datetime.now(UTC)


def first_of(
    rows: list[dict[str, Any]], inserted: set[Any], key: Callable[[dict[str, Any]], Any]
) -> list[dict[str, Any]]:
    """The rows an INSERT ... ON CONFLICT DO NOTHING really added (first of duplicates)."""
    out = []
    for r in rows:
        k = key(r)
        if k in inserted:
            inserted.discard(k)
            out.append(r)
    return out


def _case(r: Any) -> Case:
    return Case(
        id=r.case_id,
        axis=r.axis,
        probe=r.probe,
        operator=r.operator,
        role=r.role,
        parent_id=r.parent_id,
        item_id=r.item_id,
        stage=r.stage,
        messages=r.messages,
        gold=r.gold,
        meta=r.meta,
    )


def _reply(r: Any) -> Reply:
    return Reply(
        case_id=r.case_id,
        sample=r.sample,
        text=r.text,
        error=r.error,
        latency_s=r.latency_s,
        cached=r.cached,
    )


def _verdict(r: Any) -> Verdict:
    return Verdict(
        case_id=r.case_id,
        judge=r.judge,
        outcome=r.outcome,
        score=r.score,
        answer=r.answer,
        detail=r.detail,
    )


class ResultsMixin:
    """Case, reply and verdict methods of :class:`~medtrust.store.Store`."""

    engine: Engine

    if TYPE_CHECKING:  # provided by the Store and its AuditMixin

        def _write(
            self, *, new_run: str | None = None
        ) -> AbstractContextManager[tuple[Connection, AuditTx | None]]: ...

        def _insert_ignore(self, table: Table) -> Insert: ...

        def _upsert_stmt(
            self, table: Table, keys: Sequence[str], columns: Iterable[str]
        ) -> Any: ...

        def _case_commitments(
            self, tx: AuditTx, run_id: str, ids: Sequence[str]
        ) -> dict[str, str]: ...

        def _run_sampling(self, conn: Connection, run_id: str) -> Any: ...

    def _rows_for(self, table: Table, run_id: str, case_ids: Iterable[str]) -> list[Any]:
        """Rows of ``table`` for these cases, ``IN_CHUNK`` ids per query."""
        ids = sorted(set(case_ids))
        out: list[Any] = []
        with self.engine.connect() as conn:
            for i in range(0, len(ids), IN_CHUNK):
                chunk = ids[i : i + IN_CHUNK]
                q = select(table).where(table.c.run_id == run_id, table.c.case_id.in_(chunk))
                out += conn.execute(q).all()
        return out

    # -- cases ---------------------------------------------------------------------------
    def add_cases(self, run_id: str, cases: Iterable[Case]) -> None:
        """Store cases for a run (idempotent: a case already stored is kept as is)."""
        cases = list(cases)
        if not cases:
            return
        t = schema.cases
        with self._write() as (conn, tx):
            last = conn.execute(select(func.max(t.c.seq)).where(t.c.run_id == run_id)).scalar()
            start = -1 if last is None else int(last)
            rows: list[dict[str, Any]] = [
                {
                    "run_id": run_id,
                    "case_id": c.id,
                    "seq": start + 1 + i,
                    "axis": c.axis,
                    "probe": c.probe,
                    "operator": c.operator,
                    "role": c.role,
                    "parent_id": c.parent_id,
                    "item_id": c.item_id,
                    "stage": c.stage,
                    "messages": c.messages,
                    "gold": c.gold,
                    "meta": c.meta,
                }
                for i, c in enumerate(cases)
            ]
            if tx is None:
                conn.execute(self._insert_ignore(t), rows)
                return
            stmt = self._insert_ignore(t).returning(t.c.case_id)
            inserted = set(conn.execute(stmt, rows).scalars())  # an event per row really added
            added = first_of(rows, inserted, lambda r: r["case_id"])
            tx.append(run_id, [("case", r["case_id"], case_content(r)) for r in added])

    def cases(self, run_id: str) -> list[Case]:
        """All cases of a run in generation order (a large run: :meth:`iter_cases`)."""
        return list(self.iter_cases(run_id))

    def iter_case_windows(
        self,
        run_id: str,
        *,
        batch: int = BATCH,
        probe: str | None = None,
        stage: int | None = None,
    ) -> Iterator[list[Case]]:
        """A run's cases in generation order, ``batch`` at a time (optionally of one probe or
        one stage): one short query per window (keyset on the generation sequence), so memory
        stays bounded by ``batch`` whatever the run's size."""
        t = schema.cases
        q = select(t).where(t.c.run_id == run_id)
        if probe is not None:
            q = q.where(t.c.probe == probe)
        if stage is not None:
            q = q.where(t.c.stage == stage)
        # (seq, case id): stores written before seq was unique may repeat a seq
        for rows in keyset_batches(self.engine, q, (t.c.seq, t.c.case_id), batch):
            yield [_case(r) for r in rows]

    def iter_cases(
        self,
        run_id: str,
        *,
        batch: int = BATCH,
        probe: str | None = None,
        stage: int | None = None,
    ) -> Iterator[Case]:
        """Like :meth:`iter_case_windows`, one case at a time."""
        for window in self.iter_case_windows(run_id, batch=batch, probe=probe, stage=stage):
            yield from window

    def cases_for(self, run_id: str, case_ids: Iterable[str]) -> dict[str, Case]:
        """These cases of a run only, by case id (an id not in the run is absent)."""
        return {r.case_id: _case(r) for r in self._rows_for(schema.cases, run_id, case_ids)}

    def count_cases(self, run_id: str, *, probe: str | None = None) -> int:
        """How many cases the run has (of one probe)."""
        t = schema.cases
        q = select(func.count()).select_from(t).where(t.c.run_id == run_id)
        if probe is not None:
            q = q.where(t.c.probe == probe)
        with self.engine.connect() as conn:
            return int(conn.execute(q).scalar_one())

    # -- replies -------------------------------------------------------------------------
    def add_replies(self, run_id: str, replies: Iterable[Reply]) -> None:
        """Persist replies as they arrive; a (case, sample) already stored is never duplicated."""
        rows: list[dict[str, Any]] = [
            {
                "run_id": run_id,
                "case_id": r.case_id,
                "sample": r.sample,
                "text": r.text,
                "error": r.error,
                "latency_s": r.latency_s,
                "cached": r.cached,
                "created_at": now(),
            }
            for r in replies
        ]
        if not rows:
            return
        with self._write() as (conn, tx):
            if tx is None:
                conn.execute(self._insert_ignore(schema.replies), rows)
                return
            t = schema.replies
            stmt = self._insert_ignore(t).returning(t.c.case_id, t.c.sample)
            inserted = {(r.case_id, r.sample) for r in conn.execute(stmt, rows)}
            rows = first_of(rows, inserted, lambda r: (r["case_id"], r["sample"]))
            if not rows:
                return
            commits = self._case_commitments(tx, run_id, [r["case_id"] for r in rows])
            sampling = self._run_sampling(conn, run_id)
            tx.append(
                run_id,
                [
                    (
                        "reply",
                        reply_ref(r["case_id"], r["sample"]),
                        reply_content(r, commits.get(r["case_id"]), sampling),
                    )
                    for r in rows
                ],
            )

    def replies(self, run_id: str) -> dict[str, list[Reply]]:
        """Replies of a run grouped by case id, samples in order (a large run:
        :meth:`iter_replies` or :meth:`replies_for`)."""
        out: dict[str, list[Reply]] = {}
        for r in self.iter_replies(run_id):
            out.setdefault(r.case_id, []).append(r)
        return out

    def iter_replies(self, run_id: str, *, batch: int = BATCH) -> Iterator[Reply]:
        """A run's replies ordered by (case id, sample), ``batch`` rows per query."""
        for r in self._keyset_rows(schema.replies, run_id, "sample", batch):
            yield _reply(r)

    def replies_for(self, run_id: str, case_ids: Iterable[str]) -> dict[str, list[Reply]]:
        """Replies of these cases only, grouped by case id, samples in order."""
        out: dict[str, list[Reply]] = {}
        for r in sorted(self._rows_for(schema.replies, run_id, case_ids),
                        key=lambda r: (r.case_id, r.sample)):
            out.setdefault(r.case_id, []).append(_reply(r))
        return out

    def has_replies(self, run_id: str) -> bool:
        """Whether the run has any stored reply (a resumed run has)."""
        t = schema.replies
        with self.engine.connect() as conn:
            q = select(t.c.case_id).where(t.c.run_id == run_id).limit(1)
            return conn.execute(q).first() is not None

    def answered(self, run_id: str, case_ids: Iterable[str]) -> set[tuple[str, int]]:
        """(case id, sample) of every stored reply of these cases (what a resume skips)."""
        ids = sorted(set(case_ids))
        t = schema.replies
        out: set[tuple[str, int]] = set()
        with self.engine.connect() as conn:
            for i in range(0, len(ids), IN_CHUNK):
                q = select(t.c.case_id, t.c.sample).where(
                    t.c.run_id == run_id, t.c.case_id.in_(ids[i : i + IN_CHUNK])
                )
                out |= {(r.case_id, r.sample) for r in conn.execute(q)}
        return out

    def delete_error_replies(self, run_id: str) -> int:
        """Drop errored replies so that ``--resume`` retries them; returns how many."""
        t = schema.replies
        where = (t.c.run_id == run_id, t.c.error.is_not(None))
        with self._write() as (conn, tx):
            gone = conn.execute(select(t.c.case_id, t.c.sample).where(*where)).all() if tx else []
            res = conn.execute(t.delete().where(*where))
            if tx:
                tx.append(
                    run_id,
                    [
                        ("reply_deleted", reply_ref(c, s), reply_deleted_content(c, s))
                        for c, s in gone
                    ],
                )
        return int(res.rowcount or 0)

    # -- verdicts ------------------------------------------------------------------------
    def put_verdicts(self, run_id: str, verdicts: Iterable[Verdict]) -> None:
        """Store verdicts, replacing an earlier verdict of the same judge on the same case."""
        rows: list[dict[str, Any]] = [
            {
                "run_id": run_id,
                "case_id": v.case_id,
                "judge": v.judge,
                "outcome": v.outcome,
                "score": v.score,
                "answer": v.answer,
                "detail": v.detail,
            }
            for v in verdicts
        ]
        if not rows:
            return
        with self._write() as (conn, tx):
            keys = ("run_id", "case_id", "judge")
            conn.execute(self._upsert_stmt(schema.verdicts, keys, rows[0]), rows)
            if tx:  # a re-judge replaces the row and is recorded as a new event
                tx.append(
                    run_id,
                    [
                        ("verdict", verdict_ref(r["case_id"], r["judge"]), verdict_content(r))
                        for r in rows
                    ],
                )

    def verdicts(self, run_id: str) -> dict[str, Verdict]:
        """Verdicts of a run by case id (one judge per case in this version; a large run:
        :meth:`iter_verdicts` or :meth:`verdicts_for`)."""
        return {v.case_id: v for v in self.iter_verdicts(run_id)}

    def iter_verdicts(self, run_id: str, *, batch: int = BATCH) -> Iterator[Verdict]:
        """A run's verdicts ordered by (case id, judge), ``batch`` rows per query."""
        for r in self._keyset_rows(schema.verdicts, run_id, "judge", batch):
            yield _verdict(r)

    def verdict_judges(self, run_id: str) -> set[str]:
        """The names of every judge that judged a case of the run (one ``DISTINCT`` query)."""
        t = schema.verdicts
        with self.engine.connect() as conn:
            q = select(t.c.judge).where(t.c.run_id == run_id).distinct()
            return {str(j) for j in conn.execute(q).scalars()}

    def _keyset_rows(self, t: Any, run_id: str, second: str, batch: int) -> Iterator[Any]:
        """A run's rows of ``t`` ordered by (case_id, ``second``), ``batch`` rows per query:
        keyset pagination, so each query starts after the last row seen (no OFFSET scans)."""
        q = select(t).where(t.c.run_id == run_id)
        for rows in keyset_batches(self.engine, q, (t.c.case_id, t.c[second]), batch):
            yield from rows

    def all_verdicts_for(self, run_id: str, case_ids: Iterable[str]) -> dict[str, list[Verdict]]:
        """Every judge's verdict on these cases only, by case id, judges in name order (what
        :meth:`all_verdicts` gives for the whole run)."""
        out: dict[str, list[Verdict]] = {}
        for r in sorted(self._rows_for(schema.verdicts, run_id, case_ids),
                        key=lambda r: (r.case_id, r.judge)):
            out.setdefault(r.case_id, []).append(_verdict(r))
        return out

    def verdicts_for(self, run_id: str, case_ids: Iterable[str]) -> dict[str, Verdict]:
        """Verdicts of these cases only, by case id (the last judge in name order where a
        case has several, as :meth:`verdicts` keeps)."""
        return {k: vs[-1] for k, vs in self.all_verdicts_for(run_id, case_ids).items()}
