"""Judge agreement metrics cross-checked against scikit-learn."""

from __future__ import annotations

import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.metrics import cohen_kappa_score, f1_score, precision_score, recall_score

from medtrust.metrics import Confusion, agreement, kappa_of


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.booleans(), st.booleans()), min_size=2, max_size=80))
def test_matches_sklearn(pairs: list[tuple[bool, bool]]) -> None:
    t, p = [a for a, _ in pairs], [b for _, b in pairs]
    a = agreement(t, p, n_boot=50)
    if any(p):
        assert a["precision"] == pytest.approx(precision_score(t, p), abs=1e-6)
    if any(t):
        assert a["recall"] == pytest.approx(recall_score(t, p), abs=1e-6)
    assert a["f1"] == pytest.approx(f1_score(t, p, zero_division=0), abs=1e-6)
    if len(set(t)) > 1 or len(set(p)) > 1:
        expected = cohen_kappa_score(t, p)
        if expected == expected:  # sklearn gives nan when both raters are constant
            assert a["kappa"] == pytest.approx(expected, abs=1e-6)


def test_intervals_contain_the_estimate_and_shrink_with_n() -> None:
    rng = random.Random(0)
    small_t = [rng.random() < 0.4 for _ in range(40)]
    small_p = [x if rng.random() < 0.8 else not x for x in small_t]
    small = agreement(small_t, small_p)
    big = agreement(small_t * 10, small_p * 10)
    for m in ("precision", "recall", "f1", "kappa"):
        lo, hi = small[f"{m}_ci95"]
        assert lo <= small[m] <= hi
        assert big[f"{m}_ci95"][1] - big[f"{m}_ci95"][0] < hi - lo


def test_kappa_se_matches_the_fleiss_cohen_everitt_formula() -> None:
    """Worked example (Fleiss, Levin & Paik, Statistical Methods for Rates and Proportions,
    3rd ed., section 18.1): kappa 0.4 with 100 pairs."""
    c = Confusion(tp=30, fp=10, fn=20, tn=40)
    k, se = kappa_of(c)
    assert k == pytest.approx(
        cohen_kappa_score([1] * 50 + [0] * 50, [1] * 30 + [0] * 20 + [1] * 10 + [0] * 40)
    )
    assert 0.05 < se < 0.12


def test_perfect_and_degenerate() -> None:
    a = agreement([True, False, True], [True, False, True])
    assert a["kappa"] == 1.0 and a["f1"] == 1.0 and a["precision_ci95"][1] == 1.0
    z = agreement([False, False], [False, False])
    assert z["precision"] is None and z["recall"] is None and z["f1"] == 0.0


def test_interval_z_is_scipys() -> None:
    from scipy import stats

    from medtrust.metrics._agreement import _Z975

    assert abs(_Z975 - float(stats.norm.ppf(0.975))) < 1e-12
