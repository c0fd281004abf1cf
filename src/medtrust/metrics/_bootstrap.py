"""Percentile bootstrap intervals, vectorised with numpy and seeded for reproducibility.

Two forms: resampling values by index (any per-item score, e.g. trust), and the exact shortcut
for a failure rate, where resampling n pass/fail verdicts with replacement is the same as
drawing Binomial(n, k/n) failures, so a summary's counts are enough and no case is reloaded.
Both are cross-checked against ``scipy.stats.bootstrap(method="percentile")`` in the tests.
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


def mean_draws(values: Sequence[float], *, resamples: int, rng: np.random.Generator) -> Draws:
    """Bootstrap draws of the mean of ``values`` (indices resampled, one row per draw)."""
    x = np.asarray(values, dtype=np.float64)
    if x.size == 0:
        raise ValueError("cannot bootstrap an empty sample")
    idx = rng.integers(0, x.size, size=(resamples, x.size))
    return np.asarray(x[idx].mean(axis=1), dtype=np.float64)


def bootstrap_mean_ci(
    values: Sequence[float],
    *,
    resamples: int = RESAMPLES,
    seed: int = 0,
    confidence: float = 0.95,
) -> tuple[float, float] | None:
    """Percentile interval of the mean (None for an empty sample)."""
    if len(values) == 0:
        return None
    rng = np.random.default_rng(seed)
    return percentile_interval(mean_draws(values, resamples=resamples, rng=rng), confidence)


def bootstrap_proportion_ci(
    k: int, n: int, *, resamples: int = RESAMPLES, seed: int = 0, confidence: float = 0.95
) -> tuple[float, float] | None:
    """Percentile interval of k/n (None when n == 0). Zero-width at k == 0 or k == n: the
    resamples cannot vary, which is why axis rates keep their Wilson interval."""
    if n <= 0:
        return None
    rng = np.random.default_rng(seed)
    return percentile_interval(proportion_draws(k, n, resamples=resamples, rng=rng), confidence)
