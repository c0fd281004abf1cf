"""A small run read once by the steps that follow its last reply (issue 15 item 7).

When a run ends, the concern trigger, the summary and the HTML report each read the run's
cases and verdicts from the database, and each read decodes every case's JSON again: about
a quarter of the time after the last reply for 1,000 items. Inside
``with store.remembering(run_id):`` a run of at most :data:`MEMO_LIMIT` cases is read once:
its cases (in generation order), verdicts and replies are kept and every later read of that
run is answered from them, in the order and shape the database reads give. A larger run is
read from the database as always (the memory bound is one window of cases).

Writes keep the memory honest: storing cases, replies or verdicts of the run through this
store drops what was kept (the next read goes to the database again). A write by another
process while the block runs is not seen: the block is for the steps a single command runs on
a run it has just finished.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

from sqlalchemy import Engine, select

from medtrust.records import Case, Reply, Verdict
from medtrust.store import schema
from medtrust.store._results import BATCH, ResultsMixin, _reply, _verdict

MEMO_LIMIT = 4096
"""Largest run (in cases) kept in memory by :meth:`MemoMixin.remembering`."""

T = TypeVar("T")


class _Memo:
    """What is kept of one run: None until first read."""

    def __init__(self, run_id: str, limit: int) -> None:
        self.run_id, self.limit = run_id, limit
        self.small: bool | None = None  # None: not counted yet
        self.cases: list[Case] | None = None
        self.verdicts: dict[str, list[Any]] | None = None  # rows by case id, judges in order
        self.replies: dict[str, list[Any]] | None = None  # rows by case id, samples in order

    def clear(self) -> None:
        self.small = None  # cases may have been added: count again
        self.cases = self.verdicts = self.replies = None


def _grouped(rows: Iterable[Any], second: str) -> dict[str, list[Any]]:
    out: dict[str, list[Any]] = {}
    for r in sorted(rows, key=lambda r: (r.case_id, getattr(r, second))):
        out.setdefault(r.case_id, []).append(r)
    return out


def _pick(
    kept: dict[str, list[Any]], case_ids: Iterable[str], make: Callable[[Any], T]
) -> dict[str, list[T]]:
    """The database read's answer from ``kept``: case ids in ascending order, fresh objects."""
    return {i: [make(r) for r in kept[i]] for i in sorted(set(case_ids)) if i in kept}


class MemoMixin(ResultsMixin):
    """:meth:`remembering` and the reads it answers (placed before ``ResultsMixin`` in the
    :class:`~medtrust.store.Store`'s bases, so that these methods are the ones called)."""

    engine: Engine
    _memo: _Memo | None = None

    @contextmanager
    def remembering(self, run_id: str, *, limit: int = MEMO_LIMIT) -> Iterator[None]:
        """Within the block, read run ``run_id`` (when it has at most ``limit`` cases) from the
        database once (module docstring). Nested blocks: the innermost one counts."""
        outer, self._memo = self._memo, _Memo(run_id, limit)
        try:
            yield
        finally:
            self._memo = outer

    def _kept(self, run_id: str) -> _Memo | None:
        m = self._memo
        if m is None or m.run_id != run_id:
            return None
        if m.small is None:
            m.small = self.count_cases(run_id) <= m.limit
        return m if m.small else None

    def _forget(self, run_id: str) -> None:
        if self._memo is not None and self._memo.run_id == run_id:
            self._memo.clear()

    def _run_rows(self, table: Any, run_id: str, second: str) -> dict[str, list[Any]]:
        with self.engine.connect() as conn:
            rows = conn.execute(select(table).where(table.c.run_id == run_id)).all()
        return _grouped(rows, second)

    # -- reads answered from memory ----------------------------------------------------------
    def iter_case_windows(
        self,
        run_id: str,
        *,
        batch: int = BATCH,
        probe: str | None = None,
        stage: int | None = None,
    ) -> Iterator[list[Case]]:
        """See :meth:`ResultsMixin.iter_case_windows` (the same windows, from memory inside
        :meth:`remembering`)."""
        m = self._kept(run_id)
        if m is None:
            yield from super().iter_case_windows(run_id, batch=batch, probe=probe, stage=stage)
            return
        if m.cases is None:  # at most ``limit`` cases (counted): all in the first window
            m.cases = next(super().iter_case_windows(run_id, batch=m.limit + 1), [])
        chosen = [
            c for c in m.cases
            if (probe is None or c.probe == probe) and (stage is None or c.stage == stage)
        ]  # fmt: skip
        for i in range(0, len(chosen), max(1, batch)):
            yield chosen[i : i + max(1, batch)]

    def all_verdicts_for(self, run_id: str, case_ids: Iterable[str]) -> dict[str, list[Verdict]]:
        """See :meth:`ResultsMixin.all_verdicts_for` (from memory inside :meth:`remembering`)."""
        m = self._kept(run_id)
        if m is None:
            return super().all_verdicts_for(run_id, case_ids)
        if m.verdicts is None:
            m.verdicts = self._run_rows(schema.verdicts, run_id, "judge")
        return _pick(m.verdicts, case_ids, _verdict)

    def replies_for(self, run_id: str, case_ids: Iterable[str]) -> dict[str, list[Reply]]:
        """See :meth:`ResultsMixin.replies_for` (from memory inside :meth:`remembering`)."""
        m = self._kept(run_id)
        if m is None:
            return super().replies_for(run_id, case_ids)
        if m.replies is None:
            m.replies = self._run_rows(schema.replies, run_id, "sample")
        return _pick(m.replies, case_ids, _reply)

    # -- writes drop what was kept -------------------------------------------------------------
    def add_cases(self, run_id: str, cases: Iterable[Case]) -> None:
        """See :meth:`ResultsMixin.add_cases`."""
        self._forget(run_id)
        super().add_cases(run_id, cases)

    def add_replies(self, run_id: str, replies: Iterable[Reply]) -> None:
        """See :meth:`ResultsMixin.add_replies`."""
        self._forget(run_id)
        super().add_replies(run_id, replies)

    def delete_error_replies(self, run_id: str) -> int:
        """See :meth:`ResultsMixin.delete_error_replies`."""
        self._forget(run_id)
        return super().delete_error_replies(run_id)

    def put_verdicts(self, run_id: str, verdicts: Iterable[Verdict]) -> None:
        """See :meth:`ResultsMixin.put_verdicts`."""
        self._forget(run_id)
        super().put_verdicts(run_id, verdicts)
