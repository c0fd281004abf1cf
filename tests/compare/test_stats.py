"""The comparison statistics against their reference implementations: Holm against statsmodels'
``multipletests``, the paired McNemar p-value against statsmodels' exact ``mcnemar``, Newcombe's
paired interval against statsmodels' independent Newcombe interval where the pairs are
uncorrelated (phi = 0: the two coincide), and Kendall's tau-b and ranks against scipy."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import kendalltau, rankdata
from statsmodels.stats.contingency_tables import mcnemar as sm_mcnemar
from statsmodels.stats.multitest import multipletests
from statsmodels.stats.proportion import confint_proportions_2indep

from medtrust.compare import holm, kendall_tau_b, paired_difference
from medtrust.compare._stats import average_ranks, bootstrap_weights, resampled_rates

P = st.floats(min_value=0.0, max_value=1.0, allow_nan=False)
BINARY = st.lists(st.tuples(st.integers(0, 1), st.integers(0, 1)), min_size=1, max_size=80)


@settings(max_examples=25, deadline=None)  # multipletests costs ~0.2 s a call here
@given(st.lists(P, min_size=1, max_size=30))
def test_holm_matches_statsmodels(ps: list[float]) -> None:
    ref = multipletests(ps, method="holm")[1]
    assert holm(ps) == pytest.approx(list(ref), abs=1e-12)


@settings(max_examples=200, deadline=None)
@given(BINARY)
def test_paired_p_value_is_statsmodels_exact_mcnemar(pairs: list[tuple[int, int]]) -> None:
    a, b = [x for x, _ in pairs], [y for _, y in pairs]
    d = paired_difference(a, b)
    table = [
        [sum(x and y for x, y in pairs), sum(x and not y for x, y in pairs)],
        [sum(y and not x for x, y in pairs), sum(not x and not y for x, y in pairs)],
    ]
    ref = sm_mcnemar(np.array(table), exact=True).pvalue
    assert d.p_value == pytest.approx(min(1.0, ref), abs=1e-12)
    assert (d.b, d.c, d.n) == (table[0][1], table[1][0], len(pairs))
    assert d.difference == pytest.approx(sum(b) / len(b) - sum(a) / len(a))


@settings(max_examples=200, deadline=None)
@given(BINARY)
def test_newcombe_interval_contains_the_difference_and_stays_in_range(
    pairs: list[tuple[int, int]],
) -> None:
    d = paired_difference([x for x, _ in pairs], [y for _, y in pairs])
    assert d.ci95 is not None and d.difference is not None
    lo, hi = d.ci95
    assert -1.0 <= lo <= d.difference + 1e-12 <= hi + 2e-12 <= 1.0 + 2e-12


@pytest.mark.parametrize(
    ("both", "only_a", "only_b", "neither"),
    [(2, 4, 3, 6), (5, 5, 5, 5), (1, 3, 4, 12), (6, 2, 9, 3)],
)
def test_newcombe_paired_equals_the_independent_hybrid_when_phi_is_zero(
    both: int, only_a: int, only_b: int, neither: int
) -> None:
    assert both * neither == only_a * only_b  # uncorrelated pairs
    a = [1] * both + [1] * only_a + [0] * only_b + [0] * neither
    b = [1] * both + [0] * only_a + [1] * only_b + [0] * neither
    d = paired_difference(a, b)
    n = len(a)
    lo, hi = confint_proportions_2indep(sum(b), n, sum(a), n, method="newcomb", compare="diff")
    assert d.ci95 == pytest.approx((lo, hi), abs=1e-9)


def test_paired_difference_edge_cases() -> None:
    empty = paired_difference([], [])
    assert empty.n == 0 and empty.ci95 is None and empty.p_value == 1.0
    same = paired_difference([1, 0, 1], [1, 0, 1])
    assert same.difference == 0 and same.p_value == 1.0
    with pytest.raises(ValueError):
        paired_difference([1], [1, 0])


@settings(max_examples=200, deadline=None)
@given(
    st.integers(2, 12).flatmap(
        lambda m: st.tuples(
            st.lists(st.integers(0, 4), min_size=m, max_size=m),
            st.lists(st.integers(0, 4), min_size=m, max_size=m),
        )
    )
)
def test_kendall_tau_b_matches_scipy(xy: tuple[list[int], list[int]]) -> None:
    x, y = np.array(xy[0], dtype=float), np.array(xy[1], dtype=float)
    ours = float(kendall_tau_b(x, y)[0])
    ref = kendalltau(x, y).statistic
    if np.isnan(ref):
        assert np.isnan(ours)
    else:
        assert ours == pytest.approx(ref, abs=1e-12)


def test_kendall_tau_b_row_by_row() -> None:
    rng = np.random.default_rng(3)
    x, y = rng.integers(0, 5, size=(20, 7)), rng.integers(0, 5, size=(20, 7))
    rows = kendall_tau_b(x.astype(float), y.astype(float))
    for i in range(20):
        ref = kendalltau(x[i], y[i]).statistic
        assert (np.isnan(ref) and np.isnan(rows[i])) or rows[i] == pytest.approx(ref)


@settings(max_examples=100, deadline=None)
@given(st.lists(st.integers(0, 5), min_size=1, max_size=10))
def test_average_ranks_match_scipy(values: list[int]) -> None:
    v = np.array([values], dtype=float)
    assert list(average_ranks(v)[0]) == pytest.approx(list(rankdata(values, method="average")))


def test_bootstrap_rates_are_seeded_and_skip_unscored_units() -> None:
    outcomes = np.array([[1, np.nan], [0, 0], [1, 1], [0, np.nan]])
    w1 = bootstrap_weights(4, resamples=50, seed=7)
    w2 = bootstrap_weights(4, resamples=50, seed=7)
    assert (w1 == w2).all() and (w1.sum(axis=1) == 4).all()
    point = resampled_rates(np.ones((1, 4)), outcomes)[0]
    assert point[0] == pytest.approx(0.5) and point[1] == pytest.approx(0.5)
