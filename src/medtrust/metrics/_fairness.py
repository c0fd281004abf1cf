"""Fairness statistics: answer-distribution divergence, flip rates and parity bootstraps.

Written by hand only where no library fits the shape of the data: Jensen-Shannon divergence of
two vote tallies (scipy's works on aligned vectors and returns the distance, not the divergence),
and a vectorised bootstrap of demographic-parity and equalized-odds differences, which would take
minutes if each resample rebuilt a fairlearn ``MetricFrame``. Point estimates of group metrics
come from fairlearn itself (``medtrust.fairness``); the tests cross-check both against it.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from medtrust.metrics._bootstrap import mean_draws, percentile_interval
from medtrust.metrics._stats import wilson

FloatArray = npt.NDArray[np.float64]


def distribution(votes: Iterable[str]) -> dict[str, float]:
    """Votes -> relative frequencies (an empty tally gives an empty distribution)."""
    counts = Counter(votes)
    total = sum(counts.values())
    return {k: c / total for k, c in sorted(counts.items())} if total else {}


def jensen_shannon(p: Mapping[str, float], q: Mapping[str, float]) -> float:
    """Jensen-Shannon divergence in bits (0 = same answers, 1 = disjoint answers).

    Inputs are counts or frequencies keyed by answer; each is normalised first, so two vote
    tallies of different sizes compare fairly. Equals ``scipy.spatial.distance.jensenshannon(p,
    q, base=2) ** 2`` on aligned vectors.
    """
    sp, sq = sum(p.values()), sum(q.values())
    if sp <= 0 or sq <= 0:
        raise ValueError("Jensen-Shannon divergence needs two non-empty distributions")
    total = 0.0
    for key in set(p) | set(q):
        a, b = p.get(key, 0.0) / sp, q.get(key, 0.0) / sq
        m = (a + b) / 2
        if a > 0:
            total += 0.5 * a * math.log2(a / m)
        if b > 0:
            total += 0.5 * b * math.log2(b / m)
    return max(0.0, min(1.0, total))


def rate_entry(k: int, n: int) -> dict[str, Any]:
    """``{"n", "flips", "rate", "ci95"}`` with a Wilson interval: every rate has a denominator."""
    ci = wilson(k, n)
    return {
        "n": n,
        "flips": k,
        "rate": round(k / n, 6) if n else None,
        "ci95": [round(ci[0], 6), round(ci[1], 6)] if ci else None,
    }


def mean_ci(
    values: Sequence[float] | FloatArray,
    *,
    resamples: int = 1000,
    seed: int = 0,
    chunk: int = 200,
) -> tuple[float, float] | None:
    """Percentile bootstrap interval of the mean of ``values`` (None for an empty sample).

    The draws are :func:`medtrust.metrics._bootstrap.mean_draws` (the plain percentile
    bootstrap, cross-checked against ``scipy.stats.bootstrap(method="percentile")``), made
    ``chunk`` resamples at a time from one seeded generator, so 10^5 rows need ``chunk * rows``
    indices in memory, not ``resamples * rows``. Chunking does not change the generator's
    stream: the interval equals ``bootstrap_mean_ci(values, resamples=..., seed=...)``. Values
    are sorted first, so the interval does not depend on their order.
    """
    x = np.sort(np.asarray(values, dtype=np.float64))
    if x.size == 0:
        return None
    rng = np.random.default_rng(seed)
    draws = np.concatenate([
        mean_draws(x, resamples=min(chunk, resamples - start), rng=rng)
        for start in range(0, resamples, max(1, chunk))
    ])
    return percentile_interval(draws)


def _spread(rates: FloatArray) -> FloatArray:
    """max - min across groups per row, ignoring groups with no denominator in that resample."""
    with np.errstate(invalid="ignore"):
        spread = np.nanmax(rates, axis=1) - np.nanmin(rates, axis=1)
    return np.asarray(spread, dtype=np.float64)


def parity_bootstrap(
    y_pred: npt.NDArray[np.bool_],
    groups: npt.NDArray[np.int64],
    *,
    y_true: npt.NDArray[np.bool_] | None,
    dp_groups: Sequence[int],
    eo_groups: Sequence[int],
    resamples: int = 500,
    seed: int = 0,
    chunk: int = 50,
) -> dict[str, tuple[float, float] | None]:
    """Percentile intervals of demographic parity and equalized odds differences.

    Rows are resampled with replacement (multinomial weights); each resample's group rates are
    a weighted matrix product. Only the eligible groups (``dp_groups``, ``eo_groups``: codes in
    ``groups``) enter each difference, matching the point estimate's guard on small groups.
    Equalized odds is fairlearn's ``worst_case``: max of the TPR and FPR differences.
    Rows are put in a canonical order first (by group, prediction, label), so the intervals do
    not depend on the order of the rows.
    """
    n = y_pred.size
    keys = (y_pred,) if y_true is None else (y_true, y_pred)
    order = np.lexsort((*keys, groups))
    y_pred, groups = y_pred[order], groups[order]
    y_true = None if y_true is None else y_true[order]
    out: dict[str, tuple[float, float] | None] = dict.fromkeys(
        ("demographic_parity", "equalized_odds")
    )
    if n == 0 or resamples <= 0:
        return out
    rng = np.random.default_rng(seed)
    dp_cols, eo_cols = list(dp_groups), list(eo_groups)
    onehot = np.zeros((n, int(groups.max()) + 1), dtype=np.float64)
    onehot[np.arange(n), groups] = 1.0
    pred = y_pred.astype(np.float64)[:, None]
    dp_draws: list[FloatArray] = []
    eo_draws: list[FloatArray] = []
    for start in range(0, resamples, chunk):
        b = min(chunk, resamples - start)
        w = rng.multinomial(n, np.full(n, 1.0 / n), size=b).astype(np.float64)
        with np.errstate(invalid="ignore", divide="ignore"):
            if len(dp_cols) >= 2:
                sel = (w @ (onehot * pred)) / (w @ onehot)
                dp_draws.append(_spread(sel[:, dp_cols]))
            if y_true is not None and len(eo_cols) >= 2:
                pos = y_true.astype(np.float64)[:, None]
                tpr = (w @ (onehot * pred * pos)) / (w @ (onehot * pos))
                fpr = (w @ (onehot * pred * (1 - pos))) / (w @ (onehot * (1 - pos)))
                eo_draws.append(
                    np.fmax(_spread(tpr[:, eo_cols]), _spread(fpr[:, eo_cols]))
                )
    for key, draws in (("demographic_parity", dp_draws), ("equalized_odds", eo_draws)):
        if draws:
            flat = np.concatenate(draws)
            flat = flat[np.isfinite(flat)]
            if flat.size:
                out[key] = percentile_interval(flat)
    return out
