"""Build the comparison of stored runs: the JSON object every renderer reads.

Per axis (and per operator or probe): each run's failure rate over its scored units with the
Wilson interval; for each pair of runs, the paired difference on the units both scored
(Newcombe's interval, exact McNemar test, Holm-corrected across the axis's pairs); and each
run's rank (1 = fewest failures) with a bootstrap interval; a run whose summary finds the axis
not informative (multiple-choice controls at chance, too few adequate controls, open-ended
controls at the floor) is flagged (``informative: false`` with its note) and left out of the
ranks (rank None), as its rate is no evidence either way. Then the static-versus-dynamic gap
(:mod:`medtrust.compare._gap`) and, with a baseline, drift (:mod:`medtrust.compare._drift`).
Units are defined in :mod:`medtrust.compare._units`; errors are counted apart and a unit is
paired only when both runs scored it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from medtrust.compare._drift import drift_section
from medtrust.compare._gap import static_vs_dynamic
from medtrust.compare._pairing import controls_differ, pair_table
from medtrust.compare._ranks import rank_entries, score_rank_entries
from medtrust.compare._resolve import comparison_of, resolve
from medtrust.compare._rubric_drift import (
    control_scores,
    graders,
    judged,
    last_verdicts,
    mismatch_of,
)
from medtrust.compare._scratch import Scratch, StoreSource
from medtrust.compare._stats import holm, paired_counts
from medtrust.compare._units import Outcomes, RunOutcomes, run_outcomes_from
from medtrust.errors import MedtrustError
from medtrust.metrics import RESAMPLES, error_share, wilson
from medtrust.plan import probes_for
from medtrust.policies import PolicySet
from medtrust.probes import Probe
from medtrust.records import AXES, RunInfo
from medtrust.store import Store
from medtrust.summary import AxisSummary, Comparison, ProbeEntry, RunSummary, summarize

SCHEMA_VERSION = 1
ALPHA = 0.05
"""Significance level of the paired tests (after Holm's correction) and of the drift gate."""


def _r(x: float | None) -> float | None:
    return None if x is None else round(float(x), 6)


def _sig(p: float | None) -> float | None:
    """A p-value to 6 significant digits (rounding to 6 places would turn 4e-9 into 0)."""
    return None if p is None else float(f"{p:.6g}")


def _ci(ci: tuple[float, float] | None) -> list[float] | None:
    return None if ci is None else [round(ci[0], 6), round(ci[1], 6)]


def _temperature(r: RunInfo) -> object:
    return ((r.config or {}).get("suite") or {}).get("sampling", {}).get("temperature")


def labels(runs: Sequence[RunInfo]) -> dict[str, str]:
    """A display name per run: its target; where runs share a target, its sampling temperature
    when that tells them apart (one model at two temperatures), else its run id."""
    out = {}
    for r in runs:
        same = [o for o in runs if o.target == r.target]
        if len(same) == 1:
            out[r.id] = r.target
        elif len({str(_temperature(o)) for o in same}) == len(same):
            out[r.id] = f"{r.target} T={_temperature(r)}"
        else:
            out[r.id] = f"{r.target} ({r.id})"
    return out


def rate_entry(
    info: RunInfo, units: Outcomes, summary_axis: AxisSummary | ProbeEntry | None
) -> dict[str, Any]:
    """One run's rate on one axis or operator: failures / scored units with the Wilson interval
    (the units of :mod:`medtrust.compare._units`, so the rate is the run summary's); errors
    apart: ``errors`` / ``error_rate`` are the run summary's own (an axis: errored calls of all
    judged ones, controls included; an operator: in its own units), never recounted here, and
    ``unscored`` the units none of whose cases could be scored; and whether the run summary
    finds the axis informative."""
    n, k = units.n, units.failures
    entry = {
        "run_id": info.id,
        "target": info.target,
        "n": n,
        "failures": k,
        "failure_rate": _r(k / n) if n else None,
        "ci95": _ci(wilson(k, n)),
        "errors": units.error_cases,
        "error_rate": _r(error_share(units.error_cases, units.cases)),
        "unscored": units.unscored,
        "informative": True,
        "note": None,
    }
    if summary_axis is not None:
        entry["errors"] = summary_axis.errors
        entry["error_rate"] = summary_axis.error_rate
        entry["informative"] = summary_axis.informative
        entry["note"] = summary_axis.note
        if isinstance(score := (summary_axis.model_extra or {}).get("rubric_score"), dict):
            entry["rubric_score"] = score  # open-ended: the controls' mean, its CI and n
    return entry


def pair_entry(a: RunInfo, ua: Outcomes, b: RunInfo, ub: Outcomes) -> dict[str, Any]:
    """Run ``b`` against run ``a`` on the units both scored (``difference`` = b - a)."""
    d = paired_counts(*pair_table(ua, ub))
    unpaired = ua.n + ub.n - 2 * d.n  # scored by one run only
    return {
        "a": a.id,
        "b": b.id,
        "target_a": a.target,
        "target_b": b.target,
        "n": d.n,
        "unpaired": unpaired,
        "rate_a": _r(d.rate_a),
        "rate_b": _r(d.rate_b),
        "failed_only_a": d.b,
        "failed_only_b": d.c,
        "difference": _r(d.difference),
        "ci95": _ci(d.ci95),
        "p_value": _sig(d.p_value),
    }


def with_holm(pairs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Add ``p_holm`` (Holm across these pairs; pairs with no shared unit are not tests) and
    ``significant`` (p_holm < :data:`ALPHA`)."""
    tested = [p for p in pairs if p["n"]]
    for p, adj in zip(tested, holm([p["p_value"] for p in tested]), strict=True):
        p["p_holm"] = _sig(adj)
        p["significant"] = adj < ALPHA
    for p in pairs:
        p.setdefault("p_holm", None)
        p.setdefault("significant", False)
    return pairs


def _pairs_of(n: int, baseline: bool) -> list[tuple[int, int]]:
    """Every pair of runs, or (baseline, other) only when a baseline is given (index 0)."""
    if baseline:
        return [(0, j) for j in range(1, n)]
    return [(i, j) for i in range(n) for j in range(i + 1, n)]


def axis_section(
    axis: str,
    outs: Sequence[RunOutcomes],
    summaries: Sequence[RunSummary],
    *,
    baseline: bool,
    resamples: int,
    seed: int,
) -> dict[str, Any]:
    """One axis: rates, pairwise tests, ranks, and the same per operator or probe."""
    runs = [o.run for o in outs]
    units = [o.axes.get(axis, Outcomes()) for o in outs]
    sums = [s.axes.get(axis) for s in summaries]
    pairs = [
        pair_entry(runs[i], units[i], runs[j], units[j]) for i, j in _pairs_of(len(outs), baseline)
    ]
    by_probe: dict[str, Any] = {}
    ops = sorted({op for o in outs for op in o.operators.get(axis, {})})
    for op in ops:
        ou = [o.operators.get(axis, {}).get(op, Outcomes()) for o in outs]
        op_sums = [s.by_probe.get(op) if s else None for s in sums]
        by_probe[op] = {
            "rates": [rate_entry(r, u, s) for r, u, s in zip(runs, ou, op_sums, strict=True)],
            "pairwise": with_holm(
                [
                    pair_entry(runs[i], ou[i], runs[j], ou[j])
                    for i, j in _pairs_of(len(outs), baseline)
                ]
            ),
        }
    return {
        "unit": "the unit each probe counts (seed item or variant), failed by the probe's own "
        "definition (e.g. a flip under priming), as in the run summary",
        "rates": [rate_entry(r, u, s) for r, u, s in zip(runs, units, sums, strict=True)],
        "pairwise": with_holm(pairs),
        # a run whose axis is not informative is flagged in its rate and not ranked
        "ranks": rank_entries(
            runs,
            [
                u if s is None or s.informative else Outcomes()
                for u, s in zip(units, sums, strict=True)
            ],
            resamples=resamples,
            seed=seed,
        ),
        "informative": all(s is None or s.informative for s in sums),
        "by_probe": by_probe,
    }


def _warnings(
    runs: Sequence[RunInfo], outs: Sequence[RunOutcomes] = (), scratch: Scratch | None = None
) -> list[str]:
    out = [
        f"run {r.id} is {r.status}, not done: its rates cover what it finished"
        for r in runs
        if r.status != "done"
    ]
    out += [
        f"run {o.run.id}: probe {p} counts units that are neither seed items nor variants; "
        "its paired tests use variants and its rates may differ from the run summary's"
        for o in outs
        for p in o.inexact
    ]
    if len(outs) > 1 and scratch is not None:
        # the controls decide, not the suite names: an Inspect import shares every control of
        # its native run under another suite name; follow-ups differ by target by design
        if any(controls_differ(scratch, outs[0].index, o.index) for o in outs[1:]):
            out.append(
                "the runs differ in their controls (suite, seed, data or params), so they "
                "share fewer cases: only shared units are paired"
            )
    elif len({(r.suite, r.seed) for r in runs}) > 1:
        out.append(
            "the runs differ in suite or seed, so they share fewer cases: only shared units "
            "are paired"
        )
    return out


def grader_warnings(runs: Sequence[RunInfo], found: Sequence[Mapping[str, str]]) -> list[str]:
    """One warning per run whose open-ended axis was graded by other graders than the first
    run's (the baseline with ``--baseline``): its rubric scores, failure rates, ranks and drift
    on that axis measure the grader as much as the target. ``found``: each run's
    :func:`~medtrust.compare._rubric_drift.graders`."""
    out = []
    for r, g in zip(runs[1:], found[1:], strict=True):
        if mixed := mismatch_of(found[0], g, runs[0].id, r.id):
            out.append(f"{mixed}; its open_ended rates, ranks and drift compare graders too")
    return out


def summaries_of(
    store: Store, runs: Sequence[RunInfo], plists: Sequence[Sequence[Probe[Any]]] | None = None
) -> list[RunSummary]:
    """Each run's summary, the source of ``informative`` and the risk score. Without policy
    packs: a comparison does not compare compliance, and reading every output against every
    rule was two thirds of its time (the risk score leaves compliance out anyway); without
    clinician reviews or audit status, which a comparison does not show. ``plists``: each run's
    probes when the caller has them (default: re-created with ``medtrust.plan.probes_for``)."""
    none = PolicySet(packs={}, rules={})
    probes = plists if plists is not None else [probes_for(r) for r in runs]
    return [summarize(store, r, p, policies=none) for r, p in zip(runs, probes, strict=True)]


def build_comparison(
    store: Store,
    refs: Sequence[str],
    *,
    baseline: str | None = None,
    resamples: int = RESAMPLES,
    seed: int = 0,
    dynamic_axis: str | None = None,
) -> Comparison:
    """Compare stored runs named by run or comparison ids (never calls a target).

    With ``baseline`` every other run is tested against it only, and a ``drift`` section lists
    each axis's change and the probe units that changed outcome. Raises :class:`MedtrustError` for
    fewer than two runs, an unknown id, or a baseline sharing no scored case with a run.
    """
    runs = resolve(store, refs)
    if baseline is not None:
        base = store.get_run(baseline)  # one run, not a comparison
        runs = [base, *[r for r in runs if r.id != base.id]]
    if len(runs) < 2:
        raise MedtrustError(
            f"compare needs at least two runs, got {len(runs)} "
            f"({', '.join(refs) or 'none given'}); name runs or a comparison id"
        )
    if dynamic_axis is not None and dynamic_axis not in AXES:
        raise MedtrustError(f"--dynamic-axis {dynamic_axis!r}: not an axis ({', '.join(AXES)})")
    plists = [probes_for(r) for r in runs]
    with Scratch() as scratch:
        outs = [
            run_outcomes_from(scratch, i, r, StoreSource(store, r.id), p)
            for i, (r, p) in enumerate(zip(runs, plists, strict=True))
        ]
        summaries = summaries_of(store, runs, plists)
        return Comparison.model_validate(
            _result(store, runs, outs, summaries, scratch, baseline=baseline is not None,
                    resamples=resamples, seed=seed, dynamic_axis=dynamic_axis)
        )


def _result(
    store: Store,
    runs: Sequence[RunInfo],
    outs: Sequence[RunOutcomes],
    summaries: Sequence[RunSummary],
    scratch: Scratch,
    *,
    baseline: bool,
    resamples: int,
    seed: int,
    dynamic_axis: str | None,
) -> dict[str, Any]:
    """The comparison object of :func:`build_comparison` (``baseline``: runs[0] is one)."""
    names = labels(runs)
    axes = [a for a in AXES if any(a in o.axes for o in outs)]
    found = [graders(last_verdicts(store, r.id)) for r in runs]
    result: dict[str, Any] = {
        "schema_version": SCHEMA_VERSION,
        "runs": [
            {
                "run_id": r.id,
                "label": names[r.id],
                "target": r.target,
                "suite": r.suite,
                "seed": r.seed,
                "status": r.status,
                "comparison_id": comparison_of(r),
                "cases": o.judged,
                "risk": s.risk.score,
                "risk_tier": s.risk.tier,
            }
            for r, o, s in zip(runs, outs, summaries, strict=True)
        ],
        "comparison_ids": sorted({c for r in runs if (c := comparison_of(r))}),
        "baseline": runs[0].id if baseline else None,
        "bootstrap": {"resamples": resamples, "seed": seed, "unit": "probe unit"},
        "alpha": ALPHA,
        "warnings": _warnings(runs, outs, scratch) + grader_warnings(runs, found),
        "axes": {
            a: axis_section(a, outs, summaries, baseline=baseline, resamples=resamples, seed=seed)
            for a in axes
        },
        "static_vs_dynamic": static_vs_dynamic(
            outs,
            axis=dynamic_axis,
            resamples=resamples,
            seed=seed,
            summaries=summaries,
        ),
    }
    if "open_ended" in result["axes"]:
        result["axes"]["open_ended"]["score_ranks"] = score_rank_entries(
            runs,
            [control_scores(judged(store, r.id)) for r in runs],
            resamples=resamples,
            seed=seed,
        )
    if baseline:
        result["drift"] = drift_section(outs, alpha=ALPHA, scratch=scratch)
    return result
