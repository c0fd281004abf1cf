"""A probe's unit candidates, read a window at a time (see :mod:`medtrust.compare._units`).

Each grouping level asks ``Probe.summarize`` about every group's cases alone; the groups'
tallies go to the scratch ``cand`` table, and a level is chosen for the probe's total and for
each operator when its groups each hold at most one scored unit and add up to the probe's own
tally (over every judged case of the probe). The groups are read back from the scratch
``heads`` rows in (item, generation) order, so one item's cases are contiguous; cases are
fetched from the run's :class:`~medtrust.compare._scratch.Source` a window at a time.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from itertools import groupby
from typing import Any, overload

from medtrust.compare import _scratch
from medtrust.compare._scratch import Scratch, Source, Verdicts
from medtrust.metrics import Tally
from medtrust.probes import Probe
from medtrust.probes._guard import summary_of
from medtrust.records import Case

Part = tuple[int, str | None]
"""A chosen grouping: (level, operator; None for the probe's total)."""
Group = tuple[str, list[Case]]
"""A unit candidate: (key, the cases ``Probe.summarize`` is asked about)."""


def _by_item(item: str, cases: list[Case]) -> list[Group]:
    return [(item, cases)]


def _by_perturbation(item: str, cases: list[Case]) -> list[Group]:
    controls = [c for c in cases if c.role == "control"]
    return [(f"{item}|{c.id}", [*controls, c]) for c in cases if c.role != "control"]


LEVELS = (_by_item, _by_perturbation)
"""Unit candidates, coarsest first (see :mod:`medtrust.compare._units`)."""


class Judged(Sequence[Case]):
    """A probe's judged cases in generation order, fetched ``window`` at a time; iterating
    loads each window's verdicts into :attr:`verdicts`."""

    def __init__(self, scratch: Scratch, run: int, probe: str, source: Source) -> None:
        self._scratch, self._run, self._probe, self._source = scratch, run, probe, source
        self.verdicts = Verdicts({}, source)
        (count,) = scratch.one(
            "SELECT COUNT(*) FROM heads WHERE run = ? AND probe = ?", (run, probe)
        )
        self._len = int(count)

    def _windows(self) -> Iterator[list[Case]]:
        rows = self._scratch.rows(
            "SELECT case_id FROM heads WHERE run = ? AND probe = ? ORDER BY pos",
            (self._run, self._probe),
        )
        while ids := [str(r[0]) for _, r in zip(range(_scratch.WINDOW), rows, strict=False)]:
            got = self._source.cases_for(ids)
            self.verdicts = Verdicts(self._source.verdicts_for(ids), self._source)
            yield [got[i] for i in ids]

    def __iter__(self) -> Iterator[Case]:
        for window in self._windows():
            yield from window

    def __len__(self) -> int:
        return self._len

    @overload
    def __getitem__(self, index: int) -> Case: ...

    @overload
    def __getitem__(self, index: slice) -> Sequence[Case]: ...

    def __getitem__(self, index: int | slice) -> Case | Sequence[Case]:
        return list(self)[index]  # probes iterate; indexing is rare enough to read again


class _WholeVerdicts(Verdicts):
    """The verdicts of :class:`Judged`'s current window, the rest looked up on demand."""

    def __init__(self, judged: Judged, source: Source) -> None:
        super().__init__({}, source)
        self._judged = judged

    def __getitem__(self, case_id: str) -> Any:
        return self._judged.verdicts[case_id]


def _groups(
    scratch: Scratch, run: int, probe: str, source: Source
) -> Iterator[tuple[list[tuple[str, list[Case]]], Verdicts]]:
    """The probe's items (key, cases in generation order), a window of cases at a time, with
    the window's verdicts."""
    rows = scratch.rows(
        "SELECT item, case_id FROM heads WHERE run = ? AND probe = ? ORDER BY item, pos",
        (run, probe),
    )
    pending: list[tuple[str, list[str]]] = []
    size = 0
    for item, members in groupby(rows, key=lambda r: str(r[0])):
        ids = [str(m[1]) for m in members]
        pending.append((item, ids))
        size += len(ids)
        if size >= _scratch.WINDOW:
            yield _fetch(pending, source)
            pending, size = [], 0
    if pending:
        yield _fetch(pending, source)


def _fetch(
    pending: list[tuple[str, list[str]]], source: Source
) -> tuple[list[tuple[str, list[Case]]], Verdicts]:
    ids = [i for _, group in pending for i in group]
    got = source.cases_for(ids)
    return (
        [(item, [got[i] for i in group]) for item, group in pending],
        Verdicts(source.verdicts_for(ids), source),
    )


def _fill(scratch: Scratch, run: int, probe: Probe[Any], source: Source, level: int) -> None:
    """The tallies of every group of ``level`` into ``cand``: the total and each operator."""
    split = LEVELS[level]
    for items, verdicts in _groups(scratch, run, probe.name, source):
        rows: list[tuple[object, ...]] = []
        for item, cases in items:
            for key, group in split(item, cases):
                s = summary_of(probe, group, verdicts)
                parts: list[tuple[str | None, Tally]] = [(None, s.total)]
                parts += list(s.by_operator.items())
                rows += [
                    (run, probe.name, level, op, key, t.n, t.failures, t.errors) for op, t in parts
                ]
        scratch.db.executemany("INSERT INTO cand VALUES (?,?,?,?,?,?,?,?)", rows)


def _fits(scratch: Scratch, run: int, probe: str, level: int, op: str | None, whole: Tally) -> bool:
    """Every group holds at most one scored unit and the groups add up to ``whole``."""
    most, n, failures = scratch.one(
        "SELECT MAX(n), COALESCE(SUM(n), 0), COALESCE(SUM(failures), 0) FROM cand "
        "WHERE run = ? AND probe = ? AND level = ? AND part IS ?",
        (run, probe, level, op),
    )
    return (most is None or int(most) <= 1) and (n, failures) == (whole.n, whole.failures)


@dataclass(frozen=True, kw_only=True)
class Chosen:
    """The grouping chosen for the probe's total and for each of its operators."""

    total: Part
    by_operator: dict[str, Part]
    exact: bool = True
    """Whether the units reproduce the probe's own tallies (else: the finest grouping)."""


def probe_units(scratch: Scratch, run: int, probe: Probe[Any], source: Source) -> Chosen:
    """The probe's units (see :mod:`medtrust.compare._units`) from its judged cases. When no
    grouping reproduces the probe's tally (a probe counting something else than items or
    perturbations), the finest one is used and the rates may differ from the run summary's."""
    judged = Judged(scratch, run, probe.name, source)
    whole = summary_of(probe, judged, _WholeVerdicts(judged, source))
    ops = sorted(whole.by_operator)
    total: Part | None = None
    chosen: dict[str, Part] = {}
    exact = True
    for level in range(len(LEVELS)):
        _fill(scratch, run, probe, source, level)
        last = level == len(LEVELS) - 1
        if total is None:
            fits = _fits(scratch, run, probe.name, level, None, whole.total)
            if fits or last:
                total, exact = (level, None), exact and fits
        for op in ops:
            if op not in chosen:
                fits = _fits(scratch, run, probe.name, level, op, whole.by_operator[op])
                if fits or last:
                    chosen[op], exact = (level, op), exact and fits
        if total is not None and len(chosen) == len(ops):
            break
    assert total is not None  # the last level always chooses
    return Chosen(total=total, by_operator=chosen, exact=exact)
