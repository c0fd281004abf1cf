"""The static-versus-dynamic gap: each model's accuracy on the unperturbed multiple-choice
controls (the static benchmark) beside its failure rate under perturbation (the dynamic one),
both rankings, and Kendall's tau between them with a bootstrap interval.

For the open-ended axis the static figure is the controls' rubric pass rate: the share of
unattacked conversations whose rubric score reached the pass mark (a proportion, so it keeps
the Wilson interval and the item-level bootstrap the multiple-choice accuracy has; the mean
rubric score stays in the run summary's ``rubric_score``). A model whose dynamic axis is not
informative (its summary says why) is flagged and left out of both rankings and of tau.

tau = 1 means the static benchmark orders the models exactly as the dynamic one does; the
red-teaming result medtrust builds on is that it does not. Both rankings are oriented "better
first" (higher static accuracy, lower dynamic failure rate). The bootstrap resamples seed items
(the unit both sides share: a control and the perturbations made from it have one item key), so
one draw moves a model's static and dynamic rates together, as they are in the data.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from medtrust.compare._pairing import matrix
from medtrust.compare._stats import (
    Matrix,
    average_ranks,
    bootstrap_draws,
    kendall_tau_b,
    percentile,
    resampled_rates,
)
from medtrust.compare._units import Outcomes, RunOutcomes
from medtrust.metrics import wilson
from medtrust.records import AXES
from medtrust.summary import RunSummary

DEFAULT_DYNAMIC_AXIS = "robustness"


def _r(x: float) -> float | None:
    return None if np.isnan(x) else round(float(x), 6)


def _pick_axis(outs: Sequence[RunOutcomes], axis: str | None) -> str | None:
    """The given axis, else robustness when any run assessed it, else the first axis with units
    in every run."""
    if axis is not None:
        return axis
    present = [a for a in AXES if any(a in o.axes for o in outs)]
    if DEFAULT_DYNAMIC_AXIS in present:
        return DEFAULT_DYNAMIC_AXIS
    shared = [a for a in present if all(a in o.axes for o in outs)]
    options = shared or present
    return options[0] if options else None


STATIC = {
    "open_ended": "rubric pass rate of the unattacked open-ended controls (score >= pass mark)",
}
"""What the static figure is, per dynamic axis (default: :data:`STATIC_MC`)."""
STATIC_MC = "accuracy on the unperturbed multiple-choice controls"


def static_vs_dynamic(
    outs: Sequence[RunOutcomes],
    *,
    axis: str | None,
    resamples: int,
    seed: int,
    summaries: Sequence[RunSummary] = (),
) -> dict[str, Any]:
    """``models`` (static accuracy and dynamic failure rate with Wilson intervals, both ranks
    and the shift between them, ``informative`` and ``note`` from each run's summary of the
    dynamic axis), ``kendall_tau`` between the rankings and its percentile bootstrap ``ci95``
    (None with fewer than two informative models that have both rates). ``summaries``: one per
    run, in order (none: every model counts as informative)."""
    chosen = _pick_axis(outs, axis)
    entries = [s.axes.get(chosen) if chosen else None for s in summaries] or [None] * len(outs)
    informative = [e is None or e.informative for e in entries]
    static = [o.rubric_controls if chosen == "open_ended" else o.static for o in outs]
    dynamic = [o.axes.get(chosen, Outcomes()) if chosen else Outcomes() for o in outs]
    both = matrix([*static, *dynamic])  # one key order (the union) for both sides
    s_m, d_m = both[:, : len(outs)], both[:, len(outs) :]
    keys = both.shape[0]
    ones = np.ones((1, keys))
    acc = 1 - resampled_rates(ones, s_m)[0] if keys else np.full(len(outs), np.nan)
    fail = resampled_rates(ones, d_m)[0] if keys else np.full(len(outs), np.nan)
    usable = ~(np.isnan(acc) | np.isnan(fail)) & np.array(informative, dtype=bool)
    # rank 1 = best: highest static accuracy, lowest dynamic failure rate
    s_rank = average_ranks(-acc[usable][None, :])[0] if usable.any() else np.array([])
    d_rank = average_ranks(fail[usable][None, :])[0] if usable.any() else np.array([])
    rank_of = dict(
        zip(np.flatnonzero(usable).tolist(), zip(s_rank, d_rank, strict=True), strict=True)
    )
    models = []
    for j, o in enumerate(outs):
        s, d = static[j], dynamic[j]
        sr, dr = rank_of.get(j, (None, None))
        s_ci, d_ci = wilson(s.n - s.failures, s.n), wilson(d.failures, d.n)
        models.append(
            {
                "run_id": o.run.id,
                "target": o.run.target,
                "static_n": s.n,
                "static_accuracy": _r(acc[j]),
                "static_ci95": None if s_ci is None else [round(s_ci[0], 6), round(s_ci[1], 6)],
                "dynamic_n": d.n,
                "dynamic_failure_rate": _r(fail[j]),
                "dynamic_ci95": None if d_ci is None else [round(d_ci[0], 6), round(d_ci[1], 6)],
                "static_rank": None if sr is None else float(sr),
                "dynamic_rank": None if dr is None else float(dr),
                "rank_shift": None if sr is None or dr is None else float(sr - dr),
                "informative": informative[j],
                "note": None if (e := entries[j]) is None else e.note,
            }
        )
    tau: float | None = None
    ci: list[float] | None = None
    if usable.sum() >= 2:
        tau = _r(float(kendall_tau_b(acc[usable], -fail[usable])[0]))
        s_u, d_u = s_m[:, usable], d_m[:, usable]

        def tau_of(w: Matrix) -> Matrix:
            return kendall_tau_b(1 - resampled_rates(w, s_u), -resampled_rates(w, d_u))

        draws = bootstrap_draws(keys, tau_of, resamples=resamples, seed=seed)
        (bounds,) = percentile(draws[:, None])
        ci = None if bounds is None else [round(bounds[0], 6), round(bounds[1], 6)]
    return {
        "axis": chosen,
        "static": STATIC.get(chosen or "", STATIC_MC),
        "dynamic": f"failure rate of {chosen} (per probe unit, as in the run summary)"
        if chosen
        else None,
        "models": models,
        "kendall_tau": tau,
        "ci95": ci,
    }
