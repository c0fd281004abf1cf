"""``metrics.mean_ci`` (the counterfactual audit's interval of a mean rate difference) is the
shared percentile bootstrap (``_bootstrap.mean_draws``), drawn in chunks: the same interval as
``bootstrap_mean_ci`` for the same seed and resamples whatever the chunk, the same as the
hand-rolled loop it replaced, and scipy's percentile interval within Monte Carlo error."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from medtrust.metrics import bootstrap_mean_ci, mean_ci
from medtrust.metrics._bootstrap import percentile_interval

values = st.lists(st.floats(-1.0, 1.0, allow_nan=False), min_size=1, max_size=60)


def replaced_loop(
    values: list[float], resamples: int, seed: int, chunk: int
) -> tuple[float, float]:
    """The chunked loop ``mean_ci`` used to carry itself (kept here as the identity check)."""
    x = np.sort(np.asarray(values, dtype=np.float64))
    rng = np.random.default_rng(seed)
    draws = np.empty(resamples, dtype=np.float64)
    for start in range(0, resamples, chunk):
        b = min(chunk, resamples - start)
        draws[start : start + b] = x[rng.integers(0, x.size, size=(b, x.size))].mean(axis=1)
    return percentile_interval(draws)


@settings(max_examples=80, deadline=None)
@given(values=values, seed=st.integers(0, 10_000), resamples=st.integers(1, 700),
       chunk=st.integers(1, 300))
def test_same_interval_as_the_shared_bootstrap_and_the_old_loop(
    values: list[float], seed: int, resamples: int, chunk: int
) -> None:
    ours = mean_ci(values, resamples=resamples, seed=seed, chunk=chunk)
    assert ours == bootstrap_mean_ci(values, resamples=resamples, seed=seed)
    assert ours == replaced_loop(values, resamples, seed, chunk)


def test_empty_sample_has_no_interval() -> None:
    assert mean_ci([]) is None and mean_ci(np.array([], dtype=np.float64)) is None


def test_matches_scipy_percentile_bootstrap() -> None:
    x = np.random.default_rng(7).normal(0.1, 0.3, size=400)
    ours = mean_ci(x, resamples=4000, seed=1)
    ref = stats.bootstrap((x,), np.mean, n_resamples=4000, method="percentile",
                          random_state=np.random.default_rng(2)).confidence_interval
    assert ours is not None
    se = x.std(ddof=1) / np.sqrt(x.size)
    # two independent Monte Carlo runs of the same interval: their ends agree within 0.15 SE
    assert ours[0] == pytest.approx(ref.low, abs=0.15 * se)
    assert ours[1] == pytest.approx(ref.high, abs=0.15 * se)
