"""A bounded bootstrap interval is continuous in the data: every bounded sample gets the same
plus-four smoothing, so nudging one value moves the interval by no more than the nudge (the
special case for all-equal samples jumped from [0.667, 1] to [0.9975, 1])."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from medtrust.metrics import bootstrap_mean_ci

BOUNDS = (0.0, 1.0)
RESAMPLES = 400


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.floats(0.0, 1.0), min_size=1, max_size=30),
    st.integers(0, 29),
    st.floats(-0.01, 0.01),
    st.integers(0, 5),
)
def test_a_small_change_in_one_value_moves_the_interval_a_little(
    values: list[float], i: int, delta: float, seed: int
) -> None:
    j = i % len(values)
    nudged = list(values)
    nudged[j] = min(1.0, max(0.0, nudged[j] + delta))
    a = bootstrap_mean_ci(values, bounds=BOUNDS, resamples=RESAMPLES, seed=seed)
    b = bootstrap_mean_ci(nudged, bounds=BOUNDS, resamples=RESAMPLES, seed=seed)
    assert a is not None and b is not None
    moved = abs(nudged[j] - values[j])
    # each draw is a mean of order statistics: 1-Lipschitz in the sup norm, so are its quantiles
    assert abs(a[0] - b[0]) <= moved + 1e-9 and abs(a[1] - b[1]) <= moved + 1e-9
    mean = sum(values) / len(values)
    assert a[0] <= mean + 1e-12 and mean - 1e-12 <= a[1]


@pytest.mark.parametrize(
    ("equal", "nudged"),
    [([1.0] * 12, [1.0] * 11 + [0.99]), ([0.5] * 12, [0.5] * 11 + [0.51])],
)
def test_the_breakers_examples_no_longer_jump(equal: list[float], nudged: list[float]) -> None:
    a, b = bootstrap_mean_ci(equal, bounds=BOUNDS), bootstrap_mean_ci(nudged, bounds=BOUNDS)
    assert a is not None and b is not None
    assert a[1] - a[0] > 0.1 and abs(a[0] - b[0]) <= 0.01 and abs(a[1] - b[1]) <= 0.01


def test_bounded_interval_approaches_scipy_percentile_as_n_grows() -> None:
    """Non-degenerate data: the smoothing's weight is 4 / (n + 4), so with n = 400 the bounded
    interval is scipy's percentile bootstrap to within a small shrink toward the middle."""
    x = np.random.default_rng(5).uniform(0.2, 0.9, size=400)
    ref = stats.bootstrap((x,), np.mean, n_resamples=4000, method="percentile",
                          random_state=2).confidence_interval  # fmt: skip
    ours = bootstrap_mean_ci(list(x), bounds=BOUNDS, resamples=4000)
    plain = bootstrap_mean_ci(list(x), resamples=4000)
    assert ours is not None and plain is not None
    assert ours == pytest.approx((ref.low, ref.high), abs=0.006)
    assert plain == pytest.approx((ref.low, ref.high), abs=0.003)
