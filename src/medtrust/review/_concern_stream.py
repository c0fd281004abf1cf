"""Concern scores of a stored run in one streaming pass (issue 15: flat memory).

:func:`medtrust.review.concern_scores` takes every case and verdict of a run; the trigger that
runs after every ``medtrust run`` scores the run from the store in windows of cases instead,
with the same components (``_concern``), so that its memory does not grow with the run:
each window's verdicts (every judge's) and those of its flip-axis perturbations' controls are
read with it. Cognitive-bias perturbations are compared with the pooled baseline replicas of
their item, which may come later in the run: they are scored at the end, once every baseline
was read (their pooled votes are the only per-item state kept).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator

from medtrust.records import Case, Verdict
from medtrust.review._concern import (
    FLIP_AXES,
    Concern,
    concern_of,
    parent_votes,
    pool_baselines,
    scored,
)
from medtrust.store import Store

WINDOW = 2000
"""Cases read per window."""


def _parent_compared(c: Case) -> bool:
    """A flip-axis perturbation compared with its own control (its parent)."""
    return c.axis in FLIP_AXES and c.role == "perturbation" and c.axis != "cognitive_bias"


def stream_concerns(store: Store, run_id: str, *, batch: int = WINDOW) -> Iterator[Concern]:
    """Every scored case's :class:`Concern`, as ``concern_scores(store.cases(run_id),
    store.all_verdicts(run_id))`` gives them (the same values; cognitive-bias perturbations
    last), reading ``batch`` cases at a time."""
    pooled: dict[tuple[str, str], list[str]] = defaultdict(list)
    deferred: list[tuple[Case, list[Verdict]]] = []
    for window in store.iter_case_windows(run_id, batch=batch):
        parents = {str(c.parent_id) for c in window if _parent_compared(c)}
        verdicts = store.all_verdicts_for(run_id, {c.id for c in window} | parents)
        pool_baselines(window, verdicts, pooled)
        for c in window:
            vs = scored(c, verdicts)
            if not vs:
                continue
            if c.axis == "cognitive_bias" and c.role == "perturbation":
                deferred.append((c, vs))  # its item's baselines may not all be read yet
                continue
            base = parent_votes(str(c.parent_id), verdicts) if _parent_compared(c) else None
            if (x := concern_of(c, vs, base)) is not None:
                yield x
    for c, vs in deferred:
        if (x := concern_of(c, vs, pooled.get((c.probe, str(c.item_id)), []))) is not None:
            yield x
