"""A run's cases without their prompts and gold answers: what a pass that only classifies cases
(the review queue) needs, read in windows without decoding each case's messages and gold."""

from __future__ import annotations

from collections.abc import Iterator

from sqlalchemy import Engine, select

from medtrust.records import Case
from medtrust.store import schema
from medtrust.store._keyset import keyset_batches

HEAD_COLUMNS = ("case_id", "seq", "axis", "probe", "operator", "role", "parent_id", "item_id",
                "stage", "meta")  # fmt: skip


def iter_light_cases(engine: Engine, run_id: str, batch: int) -> Iterator[list[Case]]:
    """The run's cases in generation order, ``batch`` per window (keyset on (seq, case id), as
    ``Store.iter_case_windows``), each with empty ``messages`` and ``gold`` (not read)."""
    t = schema.cases
    q = select(*(t.c[n] for n in HEAD_COLUMNS)).where(t.c.run_id == run_id)
    for rows in keyset_batches(engine, q, (t.c.seq, t.c.case_id), batch):
        yield [
            Case.model_construct(
                id=r.case_id, axis=r.axis, probe=r.probe, operator=r.operator, role=r.role,
                parent_id=r.parent_id, item_id=r.item_id, stage=r.stage, messages=[], gold={},
                meta=r.meta if r.meta is not None else {},
            )
            for r in rows
        ]  # fmt: skip
