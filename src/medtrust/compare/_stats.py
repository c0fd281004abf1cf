"""The statistics a comparison needs beyond :mod:`medtrust.metrics`: Holm's correction, the
paired difference of two proportions with Newcombe's interval, Kendall's tau-b, ranks, and the
case bootstrap that gives ranks and tau their intervals.

Each is cross-checked in ``tests/compare`` against its reference implementation (statsmodels'
``multipletests(method="holm")``, scipy's ``kendalltau`` and ``rankdata``).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from medtrust.metrics import mcnemar, wilson

Matrix = npt.NDArray[np.float64]

CHUNK_CELLS = 1 << 20
"""Bootstrap weights held at once (8 MiB of float64): the rows of one block of resamples."""


def holm(p_values: Sequence[float]) -> list[float]:
    """Holm's step-down adjusted p-values (Holm 1979, Scand. J. Statist. 6:65-70), in input
    order: the i-th smallest p is multiplied by (m - i + 1), made monotone, capped at 1."""
    m = len(p_values)
    order = sorted(range(m), key=lambda i: p_values[i])
    out = [0.0] * m
    running = 0.0
    for rank, i in enumerate(order):
        running = max(running, min(1.0, (m - rank) * p_values[i]))
        out[i] = running
    return out


@dataclass(frozen=True, kw_only=True)
class PairedDifference:
    """Two runs on the ``n`` units both scored: ``b`` failed only under the first run, ``c``
    only under the second. ``difference`` = rate(second) - rate(first) = (c - b) / n."""

    n: int
    both: int
    b: int
    c: int
    rate_a: float | None
    rate_b: float | None
    difference: float | None
    ci95: tuple[float, float] | None
    p_value: float


def paired_difference(a: Sequence[int], b: Sequence[int]) -> PairedDifference:
    """Paired comparison of binary outcomes (1 = failure) on the same units.

    The test is the exact McNemar test on the discordant pairs (:func:`medtrust.metrics.mcnemar`);
    the interval is Newcombe's hybrid score interval for a paired difference (Newcombe 1998,
    Statistics in Medicine 17:2635-2650, method 10): Wilson intervals of both marginal rates
    combined through the phi correlation of the pairs, without continuity correction. The two
    are different procedures: near p = 0.05 the interval may exclude 0 while the exact test
    does not (or the reverse); a comparison's ``significant`` follows the test.
    """
    if len(a) != len(b):
        raise ValueError(f"paired outcomes need equal lengths, got {len(a)} and {len(b)}")
    both = sum(1 for x, y in zip(a, b, strict=True) if x and y)
    only_a = sum(1 for x, y in zip(a, b, strict=True) if x and not y)
    only_b = sum(1 for x, y in zip(a, b, strict=True) if y and not x)
    return paired_counts(len(a), both, only_a, only_b)


def paired_counts(n: int, both: int, only_a: int, only_b: int) -> PairedDifference:
    """:func:`paired_difference` from the paired 2x2 table: ``n`` pairs, ``both`` failed under
    both runs, ``only_a`` / ``only_b`` under one only (the discordant pairs McNemar tests).
    The table is all the statistic needs, so a comparison streams it out of the store."""
    p = mcnemar(only_a, only_b)
    if n == 0:
        return PairedDifference(
            n=0, both=0, b=0, c=0, rate_a=None, rate_b=None, difference=None, ci95=None, p_value=p
        )
    neither = n - both - only_a - only_b
    k1, k2 = both + only_a, both + only_b
    p1, p2 = k1 / n, k2 / n
    l1, u1 = wilson(k1, n) or (0.0, 1.0)
    l2, u2 = wilson(k2, n) or (0.0, 1.0)
    denom = (k1 * (n - k1) * k2 * (n - k2)) ** 0.5
    phi = (both * neither - only_a * only_b) / denom if denom else 0.0
    d = p2 - p1
    lo = d - math.sqrt(max(0.0, (p2 - l2) ** 2 - 2 * phi * (p2 - l2) * (u1 - p1) + (u1 - p1) ** 2))
    hi = d + math.sqrt(max(0.0, (u2 - p2) ** 2 - 2 * phi * (u2 - p2) * (p1 - l1) + (p1 - l1) ** 2))
    return PairedDifference(
        n=n,
        both=both,
        b=only_a,
        c=only_b,
        rate_a=p1,
        rate_b=p2,
        difference=d,
        ci95=(max(-1.0, lo), min(1.0, hi)),
        p_value=p,
    )


def average_ranks(values: Matrix) -> Matrix:
    """Rank 1 = smallest value along the last axis, ties get their average rank (as
    ``scipy.stats.rankdata(method="average")``); NaN ranks last."""
    from scipy.stats import rankdata  # heavy; only when ranks are asked for

    filled = np.where(np.isnan(values), np.inf, values)
    return np.asarray(rankdata(filled, method="average", axis=-1), dtype=np.float64)


def kendall_tau_b(x: Matrix, y: Matrix) -> Matrix:
    """Kendall's tau-b between ``x`` and ``y`` along the last axis, one value per row (a 1-D
    input is one row; NaN where either
    side is constant). tau-b = (concordant - discordant) / sqrt((n0 - n1)(n0 - n2)) with n1, n2
    the tied pairs in x and y (Kendall 1945; what ``scipy.stats.kendalltau`` computes)."""
    x2 = np.atleast_2d(np.asarray(x, dtype=np.float64))
    y2 = np.atleast_2d(np.asarray(y, dtype=np.float64))
    m = x2.shape[-1]
    i, j = np.triu_indices(m, k=1)
    sx = np.sign(x2[:, j] - x2[:, i])
    sy = np.sign(y2[:, j] - y2[:, i])
    s = (sx * sy).sum(axis=1)
    tx = (sx != 0).sum(axis=1)
    ty = (sy != 0).sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        tau = s / np.sqrt(tx.astype(np.float64) * ty.astype(np.float64))
    tau = np.where((tx == 0) | (ty == 0), np.nan, tau)
    return np.asarray(tau, dtype=np.float64)


def bootstrap_weights(units: int, *, resamples: int, seed: int) -> Matrix:
    """How often each of ``units`` units is drawn in each of ``resamples`` bootstrap samples
    (units drawn with replacement, seeded): one row per resample."""
    rng = np.random.default_rng(seed)
    if units == 0:
        return np.zeros((resamples, 0))
    return np.asarray(
        rng.multinomial(units, np.full(units, 1.0 / units), size=resamples), dtype=np.float64
    )


def bootstrap_draws(
    units: int,
    statistic: Callable[[Matrix], Matrix],
    *,
    resamples: int,
    seed: int,
    cells: int | None = None,
) -> Matrix:
    """``statistic`` of each of ``resamples`` bootstrap samples of ``units`` units (rows of
    :func:`bootstrap_weights`, the same draws), computed ``cells // units`` resamples at a
    time so that the weights never hold more than about ``cells`` numbers (default
    :data:`CHUNK_CELLS`), whatever the run's
    size. ``statistic`` maps a block of weight rows to one row per resample. numpy's
    ``multinomial`` draws its rows one after another from the generator, so the blocks
    concatenate to exactly the rows of one call (``tests/compare/test_stats.py``)."""
    rng = np.random.default_rng(seed)
    if units == 0:
        return statistic(np.zeros((resamples, 0)))
    p = np.full(units, 1.0 / units)
    step = max(1, (cells or CHUNK_CELLS) // units)
    blocks = [
        statistic(np.asarray(rng.multinomial(units, p, size=min(step, resamples - start)),
                             dtype=np.float64))
        for start in range(0, resamples, step)
    ]
    return np.concatenate(blocks, axis=0)


def resampled_rates(weights: Matrix, outcomes: Matrix) -> Matrix:
    """Failure rates per resample (rows) and model (columns). ``outcomes`` is units x models
    with 1 = failure, 0 = pass and NaN = not scored by that model; a resample in which a model
    scored nothing gives NaN."""
    scored = (~np.isnan(outcomes)).astype(np.float64)
    fails = np.nan_to_num(outcomes)
    with np.errstate(invalid="ignore", divide="ignore"):
        rates = (weights @ fails) / (weights @ scored)
    return np.asarray(rates, dtype=np.float64)


def percentile(draws: Matrix, confidence: float = 0.95) -> list[tuple[float, float] | None]:
    """Central percentile interval per column of ``draws``, ignoring NaN (None: all NaN)."""
    alpha = (1 - confidence) / 2
    out: list[tuple[float, float] | None] = []
    for col in np.atleast_2d(draws).T:
        ok = col[~np.isnan(col)]
        if ok.size == 0:
            out.append(None)
            continue
        lo, hi = np.quantile(ok, [alpha, 1 - alpha])
        out.append((float(lo), float(hi)))
    return out
