"""A run that fits in one window, read once for the whole summary (issue 15 item 7).

The summary reads a run three times: its counting pass, each probe's own cases and verdicts
(``Probe.summarize``), and the policies' reply-level pass. Through the store-backed views
(:func:`medtrust.engine.run_views`, :func:`medtrust.engine.probe_views`) each pass decodes
every case again, ~30% of the summary's time for 1,000 items. A run of at most one view
window (:data:`medtrust.engine._views.WINDOW` cases) is read here once, into lists and dicts:
the memory bound is the views' own (one window), and each probe is handed exactly what its
view holds (its cases in generation order, their verdicts), so every number is the same.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence

from medtrust.engine._views import WINDOW
from medtrust.probes import Probe
from medtrust.records import Case, Reply, Verdict
from medtrust.store import Store

Rows = tuple[
    list[Case],
    dict[str, Verdict],
    dict[str, list[Reply]],
    Callable[[Probe], tuple[Sequence[Case], Mapping[str, Verdict]]],
]
"""(cases in generation order, verdicts by case id, replies by case id, per probe rows)."""


class _ProbeVerdicts(Mapping[str, Verdict]):
    """One probe's verdicts as its store view gives them: iteration over the probe's judged
    cases in ``Store.verdicts_for``'s order; a lookup of any case of the run (the view fetches
    a case outside its window too)."""

    def __init__(self, verdicts: Mapping[str, Verdict], ids: Sequence[str]) -> None:
        mine = set(ids)
        self._all = verdicts
        self._ids = [i for i in verdicts if i in mine]

    def __getitem__(self, case_id: str) -> Verdict:
        return self._all[case_id]

    def __iter__(self) -> Iterator[str]:
        return iter(self._ids)

    def __len__(self) -> int:
        return len(self._ids)


def one_window_rows(store: Store, run_id: str, *, window: int = WINDOW) -> Rows | None:
    """Every case of the run with its verdicts and replies, when there are at most ``window``
    cases (None: more, read them through the windowed views)."""
    cases = next(store.iter_case_windows(run_id, batch=window + 1), [])
    if len(cases) > window:
        return None
    ids = [c.id for c in cases]
    verdicts = store.verdicts_for(run_id, ids)
    replies = store.replies_for(run_id, ids)

    def per_probe(p: Probe) -> tuple[Sequence[Case], Mapping[str, Verdict]]:
        mine = [c for c in cases if c.probe == p.name]  # generation order, as its view
        return mine, _ProbeVerdicts(verdicts, [c.id for c in mine])

    return cases, verdicts, replies, per_probe
