"""Bootstrap intervals for risk, cross-checked against scipy.stats.bootstrap (percentile)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from scipy import stats

from medtrust.metrics import (
    SEVERITY,
    bootstrap_mean_ci,
    bootstrap_proportion_ci,
    risk_score,
)

RESAMPLES = 20000
TOL = 0.02  # Monte-Carlo tolerance on rates at 20000 resamples


def _scipy_ci(x: np.ndarray) -> tuple[float, float]:
    res = stats.bootstrap((x,), np.mean, n_resamples=RESAMPLES, method="percentile", random_state=1)
    return float(res.confidence_interval.low), float(res.confidence_interval.high)


@pytest.mark.parametrize(("k", "n"), [(3, 10), (12, 40), (57, 200)])
def test_proportion_bootstrap_matches_scipy(k: int, n: int) -> None:
    x = np.array([1.0] * k + [0.0] * (n - k))
    ref = _scipy_ci(x)
    ours = bootstrap_proportion_ci(k, n, resamples=RESAMPLES, seed=0)
    assert ours is not None
    assert ours[0] == pytest.approx(ref[0], abs=TOL + 1 / n)
    assert ours[1] == pytest.approx(ref[1], abs=TOL + 1 / n)


def test_mean_bootstrap_matches_scipy() -> None:
    x = np.random.default_rng(5).beta(2, 5, size=60)
    ref = _scipy_ci(x)
    ours = bootstrap_mean_ci(list(x), resamples=RESAMPLES, seed=3)
    assert ours is not None
    assert ours == pytest.approx(ref, abs=TOL)


def _axes(**counts: tuple[int, int]) -> dict[str, dict[str, Any]]:
    return {
        a: {"n": n, "failures": k, "failure_rate": k / n, "ci95": [0.0, 1.0], "assessed": True}
        for a, (k, n) in counts.items()
    }


def test_overall_risk_interval_is_the_plus_four_bootstrap_of_the_same_data() -> None:
    """The overall score is a weighted mean of per-axis means; each axis's draws are n picks
    from its cases plus two failures and two passes (plus-four, as bootstrap_mean_ci with
    bounds). Reference: the same resampling written out with numpy choice; scipy's plain
    percentile bootstrap (no smoothing) is within the smoothing's shift (4 / (n + 4))."""
    axes = _axes(robustness=(8, 40), privacy=(5, 30))
    r = risk_score(axes, resamples=RESAMPLES, seed=0)
    w_r, w_p = SEVERITY["robustness"], SEVERITY["privacy"]
    assert r["score"] == round(100 * (w_r * 8 / 40 + w_p * 5 / 30) / (w_r + w_p), 2)
    x = np.array([1.0] * 8 + [0.0] * 32)
    y = np.array([1.0] * 5 + [0.0] * 25)
    rng = np.random.default_rng(11)
    px, py = np.r_[x, 0, 0, 1, 1], np.r_[y, 0, 0, 1, 1]
    draws = 100 * (w_r * rng.choice(px, (RESAMPLES, x.size)).mean(1)
                   + w_p * rng.choice(py, (RESAMPLES, y.size)).mean(1)) / (w_r + w_p)
    lo, hi = np.quantile(draws, [0.025, 0.975])
    assert r["ci95"][0] == pytest.approx(min(lo, r["score"]), abs=100 * TOL)
    assert r["ci95"][1] == pytest.approx(hi, abs=100 * TOL)

    def stat(a: np.ndarray, b: np.ndarray, axis: int = -1) -> np.ndarray:
        return np.asarray(100 * (w_r * a.mean(axis=axis) + w_p * b.mean(axis=axis)) / (w_r + w_p))

    ref = stats.bootstrap(
        (x, y), stat, n_resamples=RESAMPLES, method="percentile", paired=False, random_state=2
    ).confidence_interval
    assert r["ci95"][0] == pytest.approx(ref.low, abs=5) and r["ci95"][1] == pytest.approx(
        ref.high, abs=5)


def test_risk_interval_upper_bound_grows_with_the_failures() -> None:
    """0 of 12 failures once gave 0-33.3 and 1 of 12 gave 0-25.0 (plus-four only at k = 0 or
    n): a worse axis with a narrower upper bound."""
    his = [risk_score(_axes(robustness=(k, 12)), resamples=2000)["ci95"][1] for k in range(13)]
    los = [risk_score(_axes(robustness=(k, 12)), resamples=2000)["ci95"][0] for k in range(13)]
    assert his == sorted(his) and los == sorted(los)


def test_per_axis_risk_is_likelihood_times_impact() -> None:
    r = risk_score(_axes(robustness=(10, 20), privacy=(2, 20)), resamples=2000, seed=0)
    top = max(SEVERITY.values())
    rob = r["by_axis"]["robustness"]
    assert rob["score"] == round(100 * 0.5 * SEVERITY["robustness"] / top, 2)
    assert rob["ci95"][0] < rob["score"] < rob["ci95"][1]
    assert r["by_axis"]["privacy"]["score"] == 10.0
    assert {rob["tier"], r["tier"]} <= {"low", "moderate", "high", "critical"}


def test_bootstrap_is_seeded_and_keeps_width_when_all_cases_agree() -> None:
    axes = _axes(robustness=(6, 6), hallucination=(0, 8))
    a = risk_score(axes, resamples=2000, seed=7)
    assert a == risk_score(axes, resamples=2000, seed=7)
    assert a["score"] == round(100 * 1.25 * 0 / 2.25 + 100 / 2.25, 2)
    lo, hi = a["ci95"]
    assert lo < a["score"] and hi - lo > 5  # not collapsed to a point
    rob = a["by_axis"]["robustness"]
    assert rob["ci95"][1] == pytest.approx(rob["score"]) and rob["ci95"][0] < rob["score"]


def test_excluded_axes_keep_their_own_risk_only() -> None:
    axes = _axes(robustness=(6, 6), compliance=(0, 15))
    r = risk_score(axes, resamples=500, overall_excludes=("compliance",))
    assert r["score"] == 100.0 and r["axes_assessed"] == ["robustness"]
    assert r["by_axis"]["compliance"]["in_overall"] is False
    legacy = risk_score(axes, overall_excludes=("compliance",))
    assert legacy["score"] == 100.0


def test_nothing_assessed_and_bad_resamples() -> None:
    assert risk_score({}, resamples=100)["score"] is None
    with pytest.raises(ValueError):
        risk_score(_axes(robustness=(1, 2)), resamples=0)
    assert bootstrap_proportion_ci(0, 0) is None and bootstrap_mean_ci([]) is None
