"""Keyset pagination: a query read in batches, each starting after the last row seen.

OFFSET pagination rescans every skipped row, so reading a large run window by window would cost
quadratic time; a keyset query starts at an index position instead. The keys must order the
rows totally (a unique key, or a unique tuple) for no row to be skipped or read twice.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from sqlalchemy import ColumnElement, Engine, Select, and_, or_


def _after(keys: Sequence[Any], last: Sequence[Any]) -> ColumnElement[bool]:
    """Rows strictly after ``last`` in the lexicographic order of ``keys``: (k1 > l1) or
    (k1 = l1 and k2 > l2) or ... (the portable form of a row-value comparison)."""
    terms: list[ColumnElement[bool]] = []
    equal: list[ColumnElement[bool]] = []
    for key, value in zip(keys, last, strict=True):
        terms.append(and_(*equal, key > value))
        equal.append(key == value)
    return or_(*terms)


def keyset_batches(
    engine: Engine, query: Select[Any], keys: Sequence[Any], batch: int
) -> Iterator[Sequence[Any]]:
    """The rows of ``query`` ordered by ``keys`` (columns of its table), ``batch`` rows per
    query, one list per query; ends after the first empty batch."""
    last: tuple[Any, ...] | None = None
    while True:
        q = query if last is None else query.where(_after(keys, last))
        with engine.connect() as conn:
            rows = conn.execute(q.order_by(*keys).limit(batch)).all()
        if not rows:
            return
        last = tuple(getattr(rows[-1], k.key) for k in keys)
        yield rows
