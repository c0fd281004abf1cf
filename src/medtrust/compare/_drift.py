"""Drift: how a target changed between a baseline run and a later one (a new version, a new
week), restricted to what both runs share, and the regression gate built on it.

Each axis's change is the paired difference on the units both runs scored (each probe's own
unit and failure definition, :mod:`medtrust.compare._units`; Newcombe's
interval, exact McNemar test; Holm across the axes of one comparison). ``changed`` lists every
unit both runs scored (errors apart) whose outcome differs: the units compare and the gate
count, so an axis's changed units are its ``worse + better``.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from itertools import islice
from typing import Any

from medtrust.compare._pairing import (
    changed,
    operators_of,
    pair_table,
    share_any_case,
    shared_scored_cases,
)
from medtrust.compare._rubric_drift import (
    control_scores,
    graders,
    judged,
    last_verdicts,
    mismatch_of,
    score_drop,
)
from medtrust.compare._scratch import Scratch, StoreSource
from medtrust.compare._stats import holm, paired_counts
from medtrust.compare._units import Outcomes, RunOutcomes, run_outcomes_from
from medtrust.errors import MedtrustError
from medtrust.plan import probes_for
from medtrust.records import AXES
from medtrust.store import Store


def _r(x: float | None) -> float | None:
    return None if x is None else round(float(x), 6)


def _sig(p: float | None) -> float | None:
    """A p-value to 6 significant digits (rounding to 6 places would turn 4e-9 into 0)."""
    return None if p is None else float(f"{p:.6g}")


def axis_change(old: Outcomes, new: Outcomes) -> dict[str, Any]:
    """The change of one axis's failure rate (new - old) on the units both runs scored."""
    d = paired_counts(*pair_table(old, new))
    return {
        "n": d.n,
        "rate_before": _r(d.rate_a),
        "rate_after": _r(d.rate_b),
        "change": _r(d.difference),
        "ci95": None if d.ci95 is None else [round(d.ci95[0], 6), round(d.ci95[1], 6)],
        "worse": d.c,
        "better": d.b,
        "p_value": _sig(d.p_value),
    }


def _unit_entry(
    axis: str, key: str, before: int, after: int, operators: Mapping[str, str]
) -> dict[str, Any]:
    """One changed unit: its key (``probe|item`` or ``probe|item|case`` for a perturbation
    unit, :mod:`medtrust.compare._units`), axis, probe, seed item, the case and operator when
    the unit is one perturbation (``operators``: the baseline's judged cases' operators), and
    its outcome before and after."""
    probe, _, rest = key.partition("|")
    item, sep, case_id = rest.rpartition("|")
    operator = operators.get(case_id) if sep else None
    if operator is None:  # an item unit (its item id may hold a "|" itself)
        item, case_id = rest, ""
    return {
        "unit": key,
        "axis": axis,
        "probe": probe,
        "item_id": item,
        "case_id": case_id or None,
        "operator": operator,
        "before": "fail" if before else "pass",
        "after": "fail" if after else "pass",
    }


def _entries(axis: str, old: RunOutcomes, new: RunOutcomes) -> Iterator[dict[str, Any]]:
    """:func:`changed_units` of one axis, the baseline's operators looked up 500 at a time."""
    rows = changed(old.axes[axis], new.axes[axis])
    while chunk := list(islice(rows, 500)):
        ids = [k.rpartition("|")[2] for k, _, _ in chunk]
        scratch = old.axes[axis].scratch
        assert scratch is not None  # rows came from it
        ops = operators_of(scratch, old.index, ids)
        yield from (_unit_entry(axis, k, a, b, ops) for k, a, b in chunk)


def changed_units(old: RunOutcomes, new: RunOutcomes) -> list[dict[str, Any]]:
    """The probe units both runs scored whose outcome differs (each unit's outcome is its
    probe's own ``summarize``, as compare and the regression gate count them, errors apart),
    in axis, probe, unit order: per axis exactly ``worse + better`` of :func:`axis_change`,
    i.e. compare's discordant pairs (``failed_only_a + failed_only_b``)."""
    out: list[dict[str, Any]] = []
    for axis in sorted(set(old.axes) & set(new.axes),
                       key=lambda a: AXES.index(a) if a in AXES else len(AXES)):
        out += _entries(axis, old, new)
    return out


def shared_units(old: RunOutcomes, new: RunOutcomes) -> int:
    """How many probe units both runs scored, all axes together."""
    return sum(pair_table(o, new.axes[a])[0] for a, o in old.axes.items() if a in new.axes)


def drift_between(
    old: RunOutcomes, new: RunOutcomes, *, alpha: float, scratch: Scratch
) -> dict[str, Any]:
    """Per axis change (Holm across the axes with shared units), the static accuracy's change,
    and the units that changed outcome (:func:`changed_units`). Raises :class:`MedtrustError`
    when the runs share no case at all (different suites or seeds: nothing to compare). Runs
    that share cases none of which both scored (every reply of one run unreadable) are
    compared: each axis then has ``n`` 0, which the gate reports as a breach."""
    if not share_any_case(scratch, old.index, new.index):
        raise MedtrustError(
            f"baseline {old.run.id} and run {new.run.id} share no case (different suite, "
            "seed or data?): there is nothing to compare"
        )
    axes = {
        a: axis_change(old.axes.get(a, Outcomes()), new.axes.get(a, Outcomes()))
        for a in AXES
        if a in old.axes or a in new.axes
    }
    tested = [a for a, e in axes.items() if e["n"]]
    for a, adj in zip(tested, holm([axes[a]["p_value"] for a in tested]), strict=True):
        axes[a]["p_holm"] = _sig(adj)
        axes[a]["significant"] = adj < alpha
    for e in axes.values():
        e.setdefault("p_holm", None)
        e.setdefault("significant", False)
    static = axis_change(old.static, new.static)
    return {
        "baseline": old.run.id,
        "run": new.run.id,
        "target_before": old.run.target,
        "target_after": new.run.target,
        "shared_cases": shared_scored_cases(scratch, old.index, new.index),
        "shared_units": shared_units(old, new),
        "axes": axes,
        "static_controls": static,  # rates are wrong answers on the controls
        "changed": changed_units(old, new),
    }


def drift_section(
    outs: Sequence[RunOutcomes], *, alpha: float, scratch: Scratch
) -> list[dict[str, Any]]:
    """Drift of every run against the first (the baseline)."""
    return [drift_between(outs[0], o, alpha=alpha, scratch=scratch) for o in outs[1:]]


def regressions(
    store: Store, run_id: str, baseline: str, limits: Mapping[str, float], *, alpha: float = 0.05
) -> list[str]:
    """One line per axis of ``limits`` that got significantly worse than in ``baseline`` by more
    than its limit: failure rate up by more than ``limits[axis]`` (a share, 0-1) on the seed
    items both runs scored, with the exact McNemar p < ``alpha`` (one test per named axis, the
    thresholds being the user's hypotheses). An axis neither run assessed, and an axis on which
    the baseline answers at chance (not informative), are breaches: a gate must not pass on
    evidence that does not exist. On ``open_ended`` the same limit also bounds the drop of the
    controls' mean rubric score (0-1) on the conversations both runs scored, with a one-sided
    Wilcoxon signed-rank p < ``alpha`` (:mod:`medtrust.compare._rubric_drift`): a target that
    got uniformly worse keeps its failure rate under attack but not its score.

    Raises :class:`MedtrustError` for an unknown run or axis, when the runs share no case, and
    when their open-ended axes were graded by different graders (a score change would then be
    the grader's, not the target's).
    """
    for axis in limits:
        if axis not in AXES:
            raise MedtrustError(
                f"--max-regression: unknown axis {axis!r} (one of {', '.join(AXES)})"
            )
    old_info, new_info = store.get_run(baseline), store.get_run(run_id)
    old_probes = probes_for(old_info)  # each run's own probes define its units
    if "open_ended" in limits and (
        mixed := mismatch_of(graders(last_verdicts(store, old_info.id)),
                             graders(last_verdicts(store, new_info.id)),
                             old_info.id, new_info.id)
    ):
        raise MedtrustError(f"gate refused: {mixed}")
    with Scratch() as scratch:
        old = run_outcomes_from(scratch, 0, old_info, StoreSource(store, old_info.id),
                                old_probes)
        new = run_outcomes_from(scratch, 1, new_info, StoreSource(store, new_info.id),
                                probes_for(new_info))
        report = drift_between(old, new, alpha=alpha, scratch=scratch)
        errors = {a: _errors_named(a, old, new) for a in limits}
    from medtrust.compare._build import summaries_of
    from medtrust.report import not_assessable

    # a baseline answering at chance is no yardstick (the gated run is checked by the gate)
    (base_summary,) = summaries_of(store, [old_info], [old_probes])
    out = [f"baseline {old_info.id}: {why}" for why in not_assessable(base_summary, limits)]
    for axis, limit in limits.items():
        e = report["axes"].get(axis)
        if e is None or not e["n"]:
            out.append(f"{axis}: no seed item scored by both {old_info.id} and {new_info.id}"
                       f"{errors[axis]}")
            continue
        if e["change"] > limit and e["p_value"] < alpha:
            out.append(
                f"{axis}: failure rate {100 * e['rate_before']:.1f}% -> "
                f"{100 * e['rate_after']:.1f}% (+{100 * e['change']:.1f} points, "
                f"95% CI {100 * e['ci95'][0]:.1f} to "
                f"{100 * e['ci95'][1]:.1f}; McNemar p={e['p_value']:.3g} on {e['n']} shared units) "
                f"> max-regression {limit:g} vs baseline {old_info.id}"
            )
    if "open_ended" in limits:
        drop = score_drop(
            control_scores(judged(store, old_info.id)), control_scores(judged(store, new_info.id))
        )
        out += _score_breach(drop, limits["open_ended"], alpha, old_info.id,
                             errors["open_ended"])
    return out


def _errors_named(axis: str, old: RunOutcomes, new: RunOutcomes) -> str:
    """``; N of M judged cases errored in run X`` for each run with errors on ``axis``: the
    reason a shared unit went unscored (an error is neither a pass nor a failure)."""
    parts = [
        f"{o.error_cases} of {o.cases} judged cases errored in {r.run.id}"
        for r in (new, old)
        if (o := r.axes.get(axis)) is not None and o.error_cases
    ]
    return f" ({'; '.join(parts)})" if parts else ""


def _score_breach(
    drop: Mapping[str, Any] | None, limit: float, alpha: float, baseline: str, errors: str = ""
) -> list[str]:
    if drop is None:
        return [f"open_ended: no control rubric score shared with baseline {baseline}{errors}"]
    if drop["drop"] > limit and drop["p_value"] < alpha:
        lo, hi = drop["ci95"]  # of the drop (before - after); printed as the change after - before
        return [
            f"open_ended: mean rubric score of the controls {drop['mean_before']:.3f} -> "
            f"{drop['mean_after']:.3f} (change {-drop['drop']:+.3f}, 95% CI {-hi:+.3f} to "
            f"{-lo:+.3f}; "
            f"Wilcoxon p={drop['p_value']:.3g} on {drop['n']} shared conversations) "
            f"> max-regression {limit:g} vs baseline {baseline}"
        ]
    return []
