"""The drop of the open-ended controls' mean rubric score between a baseline run and a later one.

A failure rate under attack cannot see a target that got uniformly worse: halving every answer's
rubric score leaves every attacked score as far from its (lower) control as before. So the
regression gate on ``open_ended`` also compares the controls' rubric scores (HealthBench's score,
0-1) on the seed conversations both runs scored: the mean paired drop, its percentile bootstrap
interval (``metrics.bootstrap_mean_ci``, order-invariant and seeded) and a one-sided Wilcoxon
signed-rank test (``scipy.stats.wilcoxon``: paired, no normality assumed, as fits bounded
scores); errors are left out on either side, never counted as a 0.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from medtrust.metrics import bootstrap_mean_ci
from medtrust.records import Case, Verdict


def control_scores(cases: Sequence[Case], verdicts: Mapping[str, Verdict]) -> dict[str, float]:
    """``{probe|item: mean rubric score}`` of the scored open-ended controls (``gold`` with a
    ``pass_mark`` and a ``rubric``); errored verdicts and verdicts without a score are left out;
    several samples of one item are averaged."""
    seen: dict[str, list[float]] = {}
    for c in cases:
        v = verdicts.get(c.id)
        if (
            c.role != "control"
            or "pass_mark" not in c.gold
            or not isinstance(c.gold.get("rubric"), list)
        ):
            continue
        if v is None or v.outcome == "error" or v.score is None:
            continue
        key = f"{c.probe}|{c.item_id if c.item_id is not None else c.id}"
        seen.setdefault(key, []).append(float(v.score))
    return {k: sum(s) / len(s) for k, s in seen.items()}


def score_drop(
    before: Mapping[str, float], after: Mapping[str, float], *, seed: int = 0
) -> dict[str, Any] | None:
    """The paired drop ``before - after`` of the mean control score on the shared items:
    ``n``, ``mean_before``, ``mean_after``, ``drop`` (positive: worse), ``ci95`` of the drop
    (percentile bootstrap, plus-four at bounds -1..1 when every pair agrees) and ``p_value``
    (one-sided Wilcoxon signed-rank, H1: scores dropped; 1.0 when no pair changed). None when
    no item was scored by both runs."""
    from scipy.stats import wilcoxon  # heavy; only for a gate with a baseline

    shared = sorted(set(before) & set(after))
    if not shared:
        return None
    diffs = [before[k] - after[k] for k in shared]
    ci = bootstrap_mean_ci(diffs, seed=seed, bounds=(-1.0, 1.0))
    p = 1.0
    if any(abs(d) > 1e-12 for d in diffs):
        p = float(wilcoxon(diffs, alternative="greater", zero_method="wilcox").pvalue)
    n = len(shared)
    return {
        "n": n,
        "mean_before": round(sum(before[k] for k in shared) / n, 6),
        "mean_after": round(sum(after[k] for k in shared) / n, 6),
        "drop": round(sum(diffs) / n, 6),
        "ci95": None if ci is None else [round(ci[0], 6), round(ci[1], 6)],
        "p_value": p,
    }
