"""Light reads for pairing runs (``medtrust compare``, drift, the regression gate; issue 15).

Pairing two runs needs, per judged case, its grouping columns and its verdict's outcome, not
its messages: :meth:`PairsMixin.iter_case_heads` reads only those columns, in generation order,
a keyset window at a time (:func:`medtrust.store._keyset.keyset_batches`), so a comparison
neither holds a run nor decodes every message to find out how its cases group.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, NamedTuple

from sqlalchemy import Engine, select

from medtrust.store import schema
from medtrust.store._keyset import keyset_batches

IN_CHUNK = 500
"""Case ids per ``IN (...)`` query."""


class CaseHead(NamedTuple):
    """A case's grouping columns and its verdict's outcome (None: not judged)."""

    id: str
    axis: str
    probe: str
    operator: str
    role: str
    item_id: str | None
    gold: dict[str, Any]
    outcome: str | None


class PairsMixin:
    """Read queries for pairing runs; mixed into :class:`medtrust.store.Store`."""

    engine: Engine

    def iter_case_heads(self, run_id: str, *, batch: int = 1000) -> Iterator[list[CaseHead]]:
        """A run's cases in generation order (as :meth:`Store.iter_case_windows`), ``batch`` at
        a time, without their messages, each with the outcome of its verdict (the last judge in
        name order where a case has several, as :meth:`Store.verdicts_for` keeps)."""
        t, v = schema.cases, schema.verdicts
        q = select(
            t.c.case_id, t.c.seq, t.c.axis, t.c.probe, t.c.operator, t.c.role, t.c.item_id, t.c.gold
        ).where(t.c.run_id == run_id)
        for rows in keyset_batches(self.engine, q, (t.c.seq, t.c.case_id), batch):
            ids = [r.case_id for r in rows]
            outcome: dict[str, str] = {}
            with self.engine.connect() as conn:
                for i in range(0, len(ids), IN_CHUNK):
                    found = conn.execute(
                        select(v.c.case_id, v.c.outcome)
                        .where(v.c.run_id == run_id, v.c.case_id.in_(ids[i : i + IN_CHUNK]))
                        .order_by(v.c.case_id, v.c.judge)
                    )
                    outcome.update({r.case_id: r.outcome for r in found})  # last judge wins
            yield [
                CaseHead(
                    r.case_id,
                    r.axis,
                    r.probe,
                    r.operator,
                    r.role,
                    r.item_id,
                    r.gold,
                    outcome.get(r.case_id),
                )
                for r in rows
            ]
