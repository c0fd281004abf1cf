"""Store-backed views of one probe's cases and verdicts, for ``Probe.followups``.

A probe plans its next attack round from its own cases and their verdicts so far. Handing it
lists of every case and a dict of every verdict would hold the whole run in memory; these views
read the store in windows instead. Iterating :class:`StoredCases` loads one window of cases and,
with it, that window's verdicts into the paired :class:`StoredVerdicts`, so the usual
``for c in cases: verdicts.get(c.id)`` costs one query per window, not per case; a lookup outside
the current window is one query.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import overload

from medtrust.records import Case, Verdict
from medtrust.store import Store

WINDOW = 2000


class StoredVerdicts(Mapping[str, Verdict]):
    """The verdicts of one probe's cases in a run (a read-only mapping case id -> verdict)."""

    def __init__(self, store: Store, run_id: str, probe: str) -> None:
        self._store, self._run, self._probe = store, run_id, probe
        self._window: dict[str, Verdict] = {}
        self._ids: frozenset[str] = frozenset()

    def _load(self, cases: Sequence[Case]) -> None:
        self._ids = frozenset(c.id for c in cases)
        self._window = self._store.verdicts_for(self._run, self._ids)

    def __getitem__(self, case_id: str) -> Verdict:
        if case_id in self._ids:
            return self._window[case_id]
        found = self._store.verdicts_for(self._run, [case_id]).get(case_id)
        if found is None:
            raise KeyError(case_id)
        return found

    def __iter__(self) -> Iterator[str]:
        for window in self._store.iter_case_windows(self._run, probe=self._probe, batch=WINDOW):
            yield from self._store.verdicts_for(self._run, [c.id for c in window])

    def __len__(self) -> int:
        return sum(1 for _ in self)


class StoredCases(Sequence[Case]):
    """One probe's cases in a run, in generation order, read from the store in windows."""

    def __init__(self, store: Store, run_id: str, probe: str, verdicts: StoredVerdicts) -> None:
        self._store, self._run, self._probe, self._verdicts = store, run_id, probe, verdicts

    def __iter__(self) -> Iterator[Case]:
        for window in self._store.iter_case_windows(self._run, probe=self._probe, batch=WINDOW):
            self._verdicts._load(window)
            yield from window

    def __len__(self) -> int:
        return self._store.count_cases(self._run, probe=self._probe)

    @overload
    def __getitem__(self, index: int) -> Case: ...

    @overload
    def __getitem__(self, index: slice) -> Sequence[Case]: ...

    def __getitem__(self, index: int | slice) -> Case | Sequence[Case]:
        if isinstance(index, slice):
            return list(self)[index]
        n = len(self)
        i = index + n if index < 0 else index
        if not 0 <= i < n:
            raise IndexError(index)
        for k, case in enumerate(self):
            if k == i:
                return case
        raise IndexError(index)  # pragma: no cover - the run changed under us


def probe_views(store: Store, run_id: str, probe: str) -> tuple[StoredCases, StoredVerdicts]:
    """(cases, verdicts) of ``probe`` in ``run_id``, as ``Probe.followups`` takes them."""
    verdicts = StoredVerdicts(store, run_id, probe)
    return StoredCases(store, run_id, probe, verdicts), verdicts
