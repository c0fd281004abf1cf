"""The concern trigger's review queue (``review_concerns``): written and read in windows, and
digested in one ordered pass, so that neither the trigger nor verification holds a run's
triggered cases in memory (issue 15: flat memory).

The queue's digests are what a run's ``concern`` audit event binds (``medtrust.review``):

* ``ids_sha256``: SHA-256 over the triggered case ids in ascending order, each followed by a
  newline (``"id1\\nid2\\n..."``): the exact set;
* ``rows_sha256``: SHA-256 over the rows in the same order, each row the RFC 8785 canonical
  JSON of ``[case_id, score, source, components]`` followed by a newline: the set and every
  score.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from sqlalchemy import Engine, delete, func, insert, select

from medtrust.audit._hashing import canonical
from medtrust.audit._log import QueueDigest
from medtrust.store import schema
from medtrust.store._keyset import keyset_batches

WINDOW = 1000
"""Rows per insert transaction and per read query."""


def _row(r: Any) -> dict[str, Any]:
    return {
        "case_id": r.case_id,
        "score": float(r.score),
        "source": r.source,
        "components": dict(r.components or {}),
    }


class ConcernsMixin:
    """Concern-queue methods of :class:`~medtrust.store.Store`."""

    engine: Engine

    def replace_concerns(
        self, run_id: str, rows: Iterable[Mapping[str, Any]], *, window: int = WINDOW
    ) -> int:
        """Make ``rows`` (``{case_id, score, source, components}``) the run's concern queue:
        the old queue is deleted, then the rows are inserted ``window`` at a time, each window
        in its own short transaction (``rows`` may be a generator over the whole run).
        Returns the number of rows written. A case id given twice raises the database's
        integrity error."""
        t = schema.review_concerns
        with self.engine.begin() as conn:
            conn.execute(delete(t).where(t.c.run_id == run_id))
        n = 0
        chunk: list[dict[str, Any]] = []
        for r in rows:
            chunk.append({"run_id": run_id, **{k: r[k] for k in _row_keys}})
            if len(chunk) >= window:
                n += self._insert_concerns(chunk)
                chunk = []
        if chunk:
            n += self._insert_concerns(chunk)
        return n

    def _insert_concerns(self, chunk: list[dict[str, Any]]) -> int:
        with self.engine.begin() as conn:
            conn.execute(insert(schema.review_concerns), chunk)
        return len(chunk)

    def iter_concerns(self, run_id: str, *, batch: int = WINDOW) -> Iterator[dict[str, Any]]:
        """The run's concern queue in case-id order, ``batch`` rows per query (keyset
        pagination: each query starts after the last id seen)."""
        t = schema.review_concerns
        q = select(t).where(t.c.run_id == run_id)
        for rows in keyset_batches(self.engine, q, (t.c.case_id,), batch):
            yield from (_row(r) for r in rows)

    def count_concerns(self, run_id: str) -> int:
        """How many cases the run's concern queue holds."""
        t = schema.review_concerns
        with self.engine.connect() as conn:
            return int(conn.execute(select(func.count()).where(t.c.run_id == run_id)).scalar_one())

    def concern_runs(self) -> list[str]:
        """Every run id that has a concern queue."""
        t = schema.review_concerns
        with self.engine.connect() as conn:
            return [r[0] for r in conn.execute(select(t.c.run_id).distinct().order_by(t.c.run_id))]

    def concern_digest(self, run_id: str, *, batch: int = WINDOW) -> QueueDigest:
        """The queue's size and digests (see the module doc), in one ordered streaming pass."""
        ids, rows, n = hashlib.sha256(), hashlib.sha256(), 0
        for r in self.iter_concerns(run_id, batch=batch):
            n += 1
            ids.update(r["case_id"].encode("utf-8") + b"\n")
            rows.update(canonical([r[k] for k in _row_keys]) + b"\n")
        return QueueDigest(count=n, ids_sha256=ids.hexdigest(), rows_sha256=rows.hexdigest())


_row_keys = ("case_id", "score", "source", "components")
