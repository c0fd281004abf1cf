"""Percentile bootstrap intervals, vectorised with numpy and seeded for reproducibility.

Two forms: resampling values by index (any per-item score, e.g. trust), and the exact shortcut
for a failure rate, where resampling n pass/fail verdicts with replacement is the same as
drawing Binomial(n, k/n) failures, so a summary's counts are enough and no case is reloaded.
Both are cross-checked against ``scipy.stats.bootstrap(method="percentile")`` in the tests.

Every resampler sorts its input first: the statistic does not depend on order, and the same
seed then gives the same interval for the same cases however they were listed (a native run and
its Inspect import, a shuffled data file).

For a score with known ``bounds`` (a rubric score in 0..1) the draws ALWAYS come from the
sample widened with two pseudo-observations at each bound: the plus-four device of Agresti &
Coull (1998, "Approximate is better than exact for interval estimation of binomial
proportions") that :mod:`medtrust.metrics._risk` applies to every failure count; for 0/1 values
it is exactly the risk module's Binomial(n, (k + 2) / (n + 4)) draws. Applying it to every
bounded sample, not only to one whose values all agree, keeps the interval continuous in the
data: with the seed fixed, moving one value by d moves each draw, hence each end, by at most d
(order statistics and quantiles are 1-Lipschitz), where a special case for all-equal samples
jumped from [0.667, 1] (12 x 1.0) to [0.9975, 1] (11 x 1.0 and one 0.99). The smoothing pulls
the interval slightly toward the middle of the range (its effect fades as 4 / (n + 4)), and the
interval is the union of the percentile interval and the sample mean, so the mean always lies
inside it. Without ``bounds`` (differences, unbounded scores) it is the plain percentile
bootstrap, identical to ``scipy.stats.bootstrap(method="percentile")`` in distribution.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

RESAMPLES = 2000
Draws = npt.NDArray[np.float64]


def percentile_interval(draws: Draws, confidence: float = 0.95) -> tuple[float, float]:
    """The central ``confidence`` interval of bootstrap draws (percentile method)."""
    alpha = (1 - confidence) / 2
    lo, hi = np.quantile(draws, [alpha, 1 - alpha])
    return float(lo), float(hi)


def proportion_draws(k: int, n: int, *, resamples: int, rng: np.random.Generator) -> Draws:
    """Bootstrap draws of k/n: resampling n verdicts with replacement, via the binomial."""
    if n <= 0 or not 0 <= k <= n:
        raise ValueError(f"need 0 <= k <= n and n > 0, got k={k}, n={n}")
    return rng.binomial(n, k / n, size=resamples).astype(np.float64) / n


def mean_draws(
    values: Sequence[float] | Draws,
    *,
    resamples: int,
    rng: np.random.Generator,
    pool: Sequence[float] | None = None,
) -> Draws:
    """Bootstrap draws of the mean of ``values``: ``len(values)`` picks with replacement per
    draw (one row per draw), from ``pool`` when given (the plus-four widened sample), else from
    ``values`` themselves. Both are sorted first, so the draws do not depend on input order."""
    x = np.sort(np.asarray(values, dtype=np.float64))
    if x.size == 0:
        raise ValueError("cannot bootstrap an empty sample")
    src = x if pool is None else np.sort(np.asarray(pool, dtype=np.float64))
    idx = rng.integers(0, src.size, size=(resamples, x.size))
    return np.asarray(src[idx].mean(axis=1), dtype=np.float64)


def bootstrap_mean_ci(
    values: Sequence[float],
    *,
    resamples: int = RESAMPLES,
    seed: int = 0,
    confidence: float = 0.95,
    bounds: tuple[float, float] | None = None,
) -> tuple[float, float] | None:
    """Percentile interval of the mean of ``values`` (None for an empty sample); the same
    interval for any order of the same values.

    ``bounds`` (lo, hi): the range the score can take (a rubric score: (0, 1)). With it, every
    sample is resampled from itself plus two pseudo-observations at each bound (plus-four, see
    the module docstring) and the interval is widened to contain the sample mean, so it is
    continuous in the values and never zero-width; without it, the plain percentile interval
    (zero-width when every value agrees: that is what the data support).
    Raises ``ValueError`` when ``bounds`` is not lo < hi or a value lies outside it.
    """
    if len(values) == 0:
        return None
    rng = np.random.default_rng(seed)
    if bounds is None:
        return percentile_interval(mean_draws(values, resamples=resamples, rng=rng), confidence)
    lo, hi = float(bounds[0]), float(bounds[1])
    if not lo < hi or not lo <= min(values) <= max(values) <= hi:
        raise ValueError(f"values must lie in bounds lo < hi, got {min(values)}..{max(values)} "
                         f"in {bounds}")
    pool = [*values, lo, lo, hi, hi]
    draws = mean_draws(values, resamples=resamples, rng=rng, pool=pool)
    a, b = percentile_interval(draws, confidence)
    point = float(np.mean(np.asarray(values, dtype=np.float64)))
    return min(a, point), max(b, point)


def bootstrap_proportion_ci(
    k: int, n: int, *, resamples: int = RESAMPLES, seed: int = 0, confidence: float = 0.95
) -> tuple[float, float] | None:
    """Percentile interval of k/n (None when n == 0). Zero-width at k == 0 or k == n: the
    resamples cannot vary, which is why axis rates keep their Wilson interval."""
    if n <= 0:
        return None
    rng = np.random.default_rng(seed)
    return percentile_interval(proportion_draws(k, n, resamples=resamples, rng=rng), confidence)
