"""Bootstrap intervals do not depend on input order, and an all-agreeing bounded sample gets the
plus-four interval of the risk module rather than a zero-width one (cross-checked: scipy's
percentile bootstrap of the widened sample, and the risk module's binomial draws for 0/1)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from medtrust.metrics import bootstrap_mean_ci
from medtrust.metrics._fairness import mean_ci, parity_bootstrap

scores = st.lists(st.floats(0.0, 1.0, allow_nan=False), min_size=1, max_size=40)


@settings(max_examples=60, deadline=None)
@given(values=scores, perm_seed=st.integers(0, 2**32 - 1), seed=st.integers(0, 50))
def test_mean_interval_ignores_order(values: list[float], perm_seed: int, seed: int) -> None:
    shuffled = list(np.random.default_rng(perm_seed).permutation(values))
    for bounds in (None, (0.0, 1.0)):
        a = bootstrap_mean_ci(values, seed=seed, resamples=300, bounds=bounds)
        b = bootstrap_mean_ci(shuffled, seed=seed, resamples=300, bounds=bounds)
        assert a == b
    assert mean_ci(values, seed=seed, resamples=300) == mean_ci(shuffled, seed=seed, resamples=300)


@settings(max_examples=25, deadline=None)
@given(
    rows=st.lists(
        st.tuples(st.booleans(), st.booleans(), st.integers(0, 2)), min_size=4, max_size=40
    ),
    perm_seed=st.integers(0, 2**32 - 1),
)
def test_parity_interval_ignores_row_order(
    rows: list[tuple[bool, bool, int]], perm_seed: int
) -> None:
    def run(rs: list[tuple[bool, bool, int]]) -> dict[str, tuple[float, float] | None]:
        arr = np.array(rs, dtype=np.int64)
        present = sorted(set(arr[:, 2].tolist()))
        return parity_bootstrap(arr[:, 0].astype(bool), arr[:, 2], y_true=arr[:, 1].astype(bool),
                                dp_groups=present, eo_groups=present, resamples=60)  # fmt: skip

    perm = np.random.default_rng(perm_seed).permutation(len(rows))
    assert run(rows) == run([rows[i] for i in perm])


def test_the_breakers_shuffled_scores_get_one_interval() -> None:
    """Finding 5a: the same 14 rubric scores listed in two orders gave two intervals."""
    values = [1.0] * 9 + [0.5, 0.3, 0.7, 0.8, 0.0]
    ci = bootstrap_mean_ci(values, bounds=(0.0, 1.0))
    assert all(bootstrap_mean_ci(list(np.roll(values, r)), bounds=(0.0, 1.0)) == ci
               for r in range(1, 14))  # fmt: skip


@pytest.mark.parametrize("n", [1, 2, 12, 100])
@pytest.mark.parametrize("value", [0.0, 1.0])
def test_all_agreeing_bounded_scores_are_not_certain(n: int, value: float) -> None:
    """12 perfect scores once gave [1.0, 1.0]; with bounds the interval has width, contains
    the mean, and shrinks with n; it equals the risk module's plus-four binomial draws."""
    resamples = 20000
    ci = bootstrap_mean_ci([value] * n, bounds=(0.0, 1.0), resamples=resamples, seed=0)
    assert ci is not None and ci[0] <= value <= ci[1] and ci[1] - ci[0] > 0
    # risk module (metrics/_risk.py): Binomial(n, (k + 2) / (n + 4)) / n for k of n agreeing
    k = n * int(value)
    draws = np.random.default_rng(9).binomial(n, (k + 2) / (n + 4), size=resamples) / n
    lo, hi = np.quantile(draws, [0.025, 0.975])
    ref = (min(lo, value), max(hi, value))
    assert ci == pytest.approx(ref, abs=1 / n + 0.02)
    # scipy: the percentile bootstrap of the widened sample (n + 4 values) is no narrower
    widened = np.array([value] * n + [0.0, 0.0, 1.0, 1.0])
    if n >= 12:
        sp = stats.bootstrap((widened,), np.mean, n_resamples=resamples, method="percentile",
                             random_state=1).confidence_interval  # fmt: skip
        assert ci[1] - ci[0] >= (sp.high - sp.low) - 0.03


def test_width_shrinks_with_n() -> None:
    widths = [np.subtract(*bootstrap_mean_ci([1.0] * n, bounds=(0.0, 1.0))[::-1])  # type: ignore[index]
              for n in (3, 12, 50, 200)]  # fmt: skip
    assert widths == sorted(widths, reverse=True) and widths[-1] > 0


def test_unbounded_agreeing_sample_keeps_its_point_and_bad_bounds_raise() -> None:
    assert bootstrap_mean_ci([2.5] * 4) == (2.5, 2.5)
    with pytest.raises(ValueError, match="bounds"):
        bootstrap_mean_ci([2.0] * 3, bounds=(0.0, 1.0))
