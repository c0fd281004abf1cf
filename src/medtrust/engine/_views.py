"""Store-backed views of a run's (or one probe's) cases, verdicts and replies.

A probe plans its next attack round (``Probe.followups``) and counts its failures
(``Probe.summarize``) from its cases and their verdicts; the summary and the policy checks
read every case with its replies. Handing them lists of every case and dicts of every verdict
and reply would hold the whole run in memory; these views read the store in windows instead.
Iterating :class:`StoredCases` loads one window of cases and, with it, that window's verdicts
(and replies, when paired) into the paired mappings, so the usual
``for c in cases: verdicts.get(c.id)`` costs one query per window, not per case; a lookup
outside the current window is one query.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import Generic, TypeVar, overload

from medtrust.records import Case, Reply, Verdict
from medtrust.store import Store

WINDOW = 2000
"""Cases per window (and per query): memory is bounded by this, not by the run's size."""

V = TypeVar("V")


class _Windowed(Mapping[str, V], Generic[V]):
    """A read-only mapping case id -> value, loaded one window of cases at a time."""

    def __init__(
        self,
        store: Store,
        run_id: str,
        probe: str | None,
        fetch: Callable[[str, Iterable[str]], Mapping[str, V]],
    ) -> None:
        self._store, self._run, self._probe, self._fetch = store, run_id, probe, fetch
        self._window: Mapping[str, V] = {}
        self._ids: frozenset[str] = frozenset()

    def _load(self, cases: Sequence[Case]) -> None:
        self._ids = frozenset(c.id for c in cases)
        self._window = self._fetch(self._run, self._ids)

    def __getitem__(self, case_id: str) -> V:
        if case_id in self._ids:
            return self._window[case_id]
        found = self._fetch(self._run, [case_id]).get(case_id)
        if found is None:
            raise KeyError(case_id)
        return found

    def __iter__(self) -> Iterator[str]:
        for window in self._store.iter_case_windows(self._run, probe=self._probe, batch=WINDOW):
            yield from self._fetch(self._run, [c.id for c in window])

    def __len__(self) -> int:
        return sum(1 for _ in self)


class StoredVerdicts(_Windowed[Verdict]):
    """The verdicts of a run's cases (of one probe, or all: ``probe=None``), by case id."""

    def __init__(self, store: Store, run_id: str, probe: str | None) -> None:
        super().__init__(store, run_id, probe, store.verdicts_for)


class StoredReplies(_Windowed[list[Reply]]):
    """The replies of a run's cases (of one probe, or all), by case id, samples in order; a
    case with no reply is absent (``get`` gives the default)."""

    def __init__(self, store: Store, run_id: str, probe: str | None) -> None:
        super().__init__(store, run_id, probe, store.replies_for)


class StoredCases(Sequence[Case]):
    """A run's cases (of one probe, or all), in generation order, read in windows; iterating
    loads each window's verdicts (and replies) into the paired views."""

    def __init__(
        self,
        store: Store,
        run_id: str,
        probe: str | None,
        verdicts: StoredVerdicts,
        replies: StoredReplies | None = None,
    ) -> None:
        self._store, self._run, self._probe = store, run_id, probe
        self._verdicts, self._replies = verdicts, replies

    def __iter__(self) -> Iterator[Case]:
        for window in self._store.iter_case_windows(self._run, probe=self._probe, batch=WINDOW):
            self._verdicts._load(window)
            if self._replies is not None:
                self._replies._load(window)
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
    """(cases, verdicts) of ``probe`` in ``run_id``, as ``Probe.followups`` and
    ``Probe.summarize`` take them."""
    verdicts = StoredVerdicts(store, run_id, probe)
    return StoredCases(store, run_id, probe, verdicts), verdicts


def run_views(
    store: Store, run_id: str
) -> tuple[StoredCases, StoredVerdicts, StoredReplies]:
    """(cases, verdicts, replies) of every probe in ``run_id``; iterating the cases loads the
    window's verdicts and replies (what the summary's pass and the policy checks read)."""
    verdicts, replies = StoredVerdicts(store, run_id, None), StoredReplies(store, run_id, None)
    return StoredCases(store, run_id, None, verdicts, replies), verdicts, replies
