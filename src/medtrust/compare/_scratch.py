"""Where a comparison keeps its per-case and per-unit rows: a temporary SQLite file, not memory.

A comparison pairs two runs' units by key and bootstraps over the union of their keys. Holding
every run's cases (about 6 KB each) or even a dict of unit keys per run grows with the run's
size; here each judged case is one row of ``heads`` and each unit one row of ``units`` in a
scratch database that SQLite pages to disk, and the statistics read back only counts (a
McNemar 2x2 table is one ``GROUP BY``), the rows that changed, or one float per unit and run
for a bootstrap. SQLite's ``BINARY`` collation orders UTF-8 text by code point, as Python's
``sorted`` orders ``str``, so every key order is the one the in-memory code had.

A run's cases come from a :class:`Source`: the store (:class:`StoreSource`, read in windows of
:data:`WINDOW` cases) or lists in memory (:class:`MemorySource`, tests and small callers).
"""

from __future__ import annotations

import sqlite3
import tempfile
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import Any, Protocol

from medtrust.records import Case, Verdict
from medtrust.store import Store
from medtrust.store._pairs import CaseHead

WINDOW = 2000
"""Cases read from a source at a time: memory is bounded by this, not by the run's size."""

SCHEMA = """
PRAGMA journal_mode=OFF;
PRAGMA synchronous=OFF;
PRAGMA cache_size=-4096;
PRAGMA temp_store=FILE;
CREATE TABLE heads(run INTEGER, pos INTEGER, case_id TEXT, axis TEXT, probe TEXT,
                   operator TEXT, role TEXT, item TEXT, mc INTEGER, rubric INTEGER,
                   outcome TEXT);
CREATE INDEX heads_group ON heads(run, probe, item, pos);
CREATE INDEX heads_case ON heads(run, case_id);
CREATE TABLE cand(run INTEGER, probe TEXT, level INTEGER, part TEXT, key TEXT, n INTEGER,
                  failures INTEGER, errors INTEGER);
CREATE INDEX cand_of ON cand(run, probe, level, part);
CREATE TABLE units(run INTEGER, kind TEXT, key TEXT, outcome INTEGER);
CREATE INDEX units_key ON units(run, kind, key);
"""
"""``heads``: one judged case (``pos``: its place in generation order; ``mc`` / ``rubric``: a
multiple-choice or open-ended control). ``cand``: a candidate unit's tally at one grouping
level (``part`` NULL for the probe's total, else an operator). ``units``: the chosen units,
``outcome`` 1 fail, 0 pass, NULL a unit that only errored."""


class Source(Protocol):
    """A run's judged material: its cases in generation order with their verdicts, and
    lookups by case id."""

    def heads(self) -> Iterator[Sequence[CaseHead]]:
        """The run's cases in generation order without their messages, a window at a time,
        each with its verdict's outcome."""
        ...

    def cases_for(self, ids: Sequence[str]) -> Mapping[str, Case]:
        """These cases by id."""
        ...

    def verdicts_for(self, ids: Sequence[str]) -> Mapping[str, Verdict]:
        """The verdicts of these cases by case id (absent: unjudged)."""
        ...


class StoreSource:
    """A stored run read in windows of ``window`` cases (keyset pagination on the generation
    sequence, :meth:`medtrust.store.Store.iter_case_windows`)."""

    def __init__(self, store: Store, run_id: str, *, window: int | None = None) -> None:
        self.store, self.run_id, self.window = store, run_id, window or WINDOW

    def heads(self) -> Iterator[Sequence[CaseHead]]:
        """See :class:`Source` (:meth:`medtrust.store.Store.iter_case_heads`)."""
        yield from self.store.iter_case_heads(self.run_id, batch=self.window)

    def cases_for(self, ids: Sequence[str]) -> Mapping[str, Case]:
        """See :class:`Source`."""
        return self.store.cases_for(self.run_id, ids)

    def verdicts_for(self, ids: Sequence[str]) -> Mapping[str, Verdict]:
        """See :class:`Source`."""
        return self.store.verdicts_for(self.run_id, ids)


class MemorySource:
    """A run given as lists in memory (``window``: cases per window, to exercise batching)."""

    def __init__(
        self,
        cases: Sequence[Case],
        verdicts: Mapping[str, Verdict],
        *,
        window: int | None = None,
    ) -> None:
        self.cases, self.verdicts, self.window = cases, verdicts, window or WINDOW
        self._by_id = {c.id: c for c in cases}

    def heads(self) -> Iterator[Sequence[CaseHead]]:
        """See :class:`Source`."""
        for i in range(0, len(self.cases), self.window):
            yield [
                CaseHead(
                    c.id,
                    c.axis,
                    c.probe,
                    c.operator,
                    c.role,
                    c.item_id,
                    c.gold,
                    v.outcome if (v := self.verdicts.get(c.id)) is not None else None,
                )
                for c in self.cases[i : i + self.window]
            ]

    def cases_for(self, ids: Sequence[str]) -> Mapping[str, Case]:
        """See :class:`Source`."""
        return {i: self._by_id[i] for i in ids if i in self._by_id}

    def verdicts_for(self, ids: Sequence[str]) -> Mapping[str, Verdict]:
        """See :class:`Source`."""
        return {i: self.verdicts[i] for i in ids if i in self.verdicts}


class Verdicts(Mapping[str, Verdict]):
    """The verdicts of a window of cases, with any other case of the run looked up on demand
    (a probe may read a parent's verdict outside the cases it is handed). Iterating gives the
    window's ids only."""

    def __init__(self, window: Mapping[str, Verdict], source: Source) -> None:
        self._window, self._source = window, source

    def __getitem__(self, case_id: str) -> Verdict:
        if case_id in self._window:
            return self._window[case_id]
        return self._source.verdicts_for([case_id])[case_id]  # KeyError: unjudged

    def __iter__(self) -> Iterator[str]:
        return iter(self._window)

    def __len__(self) -> int:
        return len(self._window)


class Scratch:
    """The scratch database of one comparison; a context manager that deletes it on exit."""

    def __init__(self) -> None:
        self._dir = tempfile.TemporaryDirectory(prefix="medtrust-compare-")
        self.db = sqlite3.connect(Path(self._dir.name) / "units.db")
        self.db.executescript(SCHEMA)

    def __enter__(self) -> Scratch:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        """Close and delete the scratch database."""
        self.db.close()
        self._dir.cleanup()

    def one(self, sql: str, args: Iterable[object] = ()) -> tuple[Any, ...]:
        """The first row of a query (aggregates always return one)."""
        row = self.db.execute(sql, tuple(args)).fetchone()
        return tuple(row) if row is not None else ()

    def rows(
        self, sql: str, args: Iterable[object] = (), *, batch: int | None = None
    ) -> Iterator[tuple[Any, ...]]:
        """A query's rows, read ``batch`` (default :data:`WINDOW`) at a time from one cursor."""
        cur = self.db.execute(sql, tuple(args))
        while chunk := cur.fetchmany(batch or WINDOW):
            yield from chunk
