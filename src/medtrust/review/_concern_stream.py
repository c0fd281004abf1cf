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
from collections.abc import Iterator, Mapping, Sequence

from medtrust.records import Case, Verdict
from medtrust.review._concern import (
    EXPLANATION_OPERATORS,
    FLIP_AXES,
    Concern,
    _components,
)
from medtrust.store import Store

WINDOW = 2000
"""Cases read per window."""


def _concern(case: Case, vs: Sequence[Verdict], baseline: list[str] | None) -> Iterator[Concern]:
    comps = _components(case, vs, baseline)
    if comps:
        source = max(comps, key=lambda k: (comps[k], k))
        yield Concern(case_id=case.id, score=comps[source], source=source, components=comps)


def _parent_compared(c: Case) -> bool:
    """A flip-axis perturbation compared with its own control (its parent)."""
    return c.axis in FLIP_AXES and c.role == "perturbation" and c.axis != "cognitive_bias"


def _pool(
    window: Sequence[Case],
    verdicts: Mapping[str, Sequence[Verdict]],
    pooled: dict[tuple[str, str], list[str]],
) -> None:
    """Add the window's cognitive-bias baseline replicas' votes to their item's pool."""
    for c in window:
        if c.axis == "cognitive_bias" and c.operator == "baseline":
            pooled[(c.probe, str(c.item_id))] += [
                x for v in verdicts.get(c.id, []) for x in v.votes()
            ]


def stream_concerns(store: Store, run_id: str, *, batch: int = WINDOW) -> Iterator[Concern]:
    """Every scored case's :class:`Concern`, as ``concern_scores(store.cases(run_id),
    store.all_verdicts(run_id))`` gives them (the same values; cognitive-bias perturbations
    last), reading ``batch`` cases at a time."""
    pooled: dict[tuple[str, str], list[str]] = defaultdict(list)
    deferred: list[tuple[Case, list[Verdict]]] = []
    for window in store.iter_case_windows(run_id, batch=batch):
        parents = {str(c.parent_id) for c in window if _parent_compared(c)}
        verdicts = store.all_verdicts_for(run_id, {c.id for c in window} | parents)
        _pool(window, verdicts, pooled)
        for c in window:
            if c.operator.startswith(EXPLANATION_OPERATORS):
                continue
            vs = [v for v in verdicts.get(c.id, []) if v.outcome != "error"]
            if not vs:
                continue
            if c.axis == "cognitive_bias" and c.role == "perturbation":
                deferred.append((c, vs))  # its item's baselines may not all be read yet
                continue
            base = None
            if _parent_compared(c):
                base = [x for v in verdicts.get(str(c.parent_id), []) for x in v.votes()]
            yield from _concern(c, vs, base)
    for c, vs in deferred:
        yield from _concern(c, vs, pooled.get((c.probe, str(c.item_id)), []))
