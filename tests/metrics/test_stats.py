"""Wilson intervals, the exact McNemar test and tallies, checked against scipy/statsmodels."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy.stats import binomtest

from medtrust.metrics import MIN_CORRECT_CONTROLS, Tally, chance_note, error_share, mcnemar, wilson

try:
    from statsmodels.stats.contingency_tables import mcnemar as sm_mcnemar
except ImportError:  # optional cross-check
    sm_mcnemar = None


@st.composite
def k_and_n(draw: st.DrawFn) -> tuple[int, int]:
    n = draw(st.integers(1, 2000))
    return draw(st.integers(0, n)), n


@pytest.mark.parametrize("confidence", [0.9, 0.95, 0.99])
@given(kn=k_and_n())
def test_wilson_matches_scipy(confidence: float, kn: tuple[int, int]) -> None:
    k, n = kn
    ref = binomtest(k, n).proportion_ci(confidence_level=confidence, method="wilson")
    got = wilson(k, n, confidence)
    assert got is not None
    assert got[0] == pytest.approx(ref.low, abs=1e-9)
    assert got[1] == pytest.approx(ref.high, abs=1e-9)
    assert 0.0 <= got[0] <= k / n + 1e-12
    assert k / n - 1e-12 <= got[1] <= 1.0


@pytest.mark.parametrize("n", [1, 2, 10, 2000])
def test_wilson_edges(n: int) -> None:
    none_failed, all_failed = wilson(0, n), wilson(n, n)
    assert none_failed is not None
    assert all_failed is not None
    assert none_failed[0] == pytest.approx(0.0, abs=1e-12)
    assert none_failed[1] > 0.0
    assert all_failed[1] == pytest.approx(1.0, abs=1e-12)
    assert all_failed[0] < 1.0
    # The interval is symmetric under swapping failures and passes.
    assert none_failed[1] == pytest.approx(1 - all_failed[0], abs=1e-12)


def test_wilson_default_is_95_percent() -> None:
    assert wilson(3, 10) == wilson(3, 10, 0.95)
    narrow, wide = wilson(3, 10, 0.9), wilson(3, 10, 0.99)
    assert narrow is not None
    assert wide is not None
    assert wide[0] < narrow[0]
    assert narrow[1] < wide[1]


def test_wilson_needs_trials() -> None:
    assert wilson(0, 0) is None


@pytest.mark.parametrize(("k", "n"), [(5, 4), (2, 1), (-1, 3)])
def test_wilson_rejects_impossible_counts(k: int, n: int) -> None:
    with pytest.raises(ValueError, match="0 <= k <= n"):
        wilson(k, n)


@given(b=st.integers(0, 300), c=st.integers(0, 300))
def test_mcnemar_is_the_exact_binomial_test(b: int, c: int) -> None:
    got = mcnemar(b, c)
    if b + c == 0:
        assert got == 1.0
    else:
        assert got == pytest.approx(binomtest(min(b, c), b + c, 0.5).pvalue, abs=1e-12)
    assert 0.0 <= got <= 1.0
    assert got == mcnemar(c, b)


def test_mcnemar_known_values() -> None:
    assert mcnemar(0, 0) == 1.0
    assert mcnemar(5, 5) == 1.0
    # 0 vs 10 discordant pairs: 2 * 0.5**10
    assert mcnemar(0, 10) == pytest.approx(2 * 0.5**10)
    assert mcnemar(1, 9) == pytest.approx(2 * 11 * 0.5**10)


@pytest.mark.skipif(sm_mcnemar is None, reason="statsmodels is not installed")
@given(b=st.integers(0, 200), c=st.integers(0, 200))
def test_mcnemar_matches_statsmodels(b: int, c: int) -> None:
    assert sm_mcnemar is not None
    ref = sm_mcnemar([[10, b], [c, 10]], exact=True).pvalue
    assert mcnemar(b, c) == pytest.approx(ref, abs=1e-12)


# --- Tally -------------------------------------------------------------------------------------


def test_tally_counts_errors_apart() -> None:
    t = Tally()
    for outcome in ["pass", "fail", "error", "fail", "pass", "error"]:
        t.add(outcome)
    assert t == Tally(n=4, failures=2, errors=2)
    assert t.failure_rate == 0.5


def test_tally_as_dict_fields_and_rounding() -> None:
    t = Tally(n=3, failures=1, errors=7)
    d = t.as_dict()
    assert list(d) == ["n", "failures", "failure_rate", "ci95", "errors", "error_rate"]
    assert d["n"] == 3
    assert d["failures"] == 1
    assert d["errors"] == 7
    assert d["error_rate"] == 0.7  # 7 of the 10 attempted
    assert d["failure_rate"] == 0.333333
    lo, hi = wilson(1, 3)  # type: ignore[misc]
    assert d["ci95"] == [round(lo, 6), round(hi, 6)]
    assert all(len(repr(x).split(".")[1]) <= 6 for x in d["ci95"])


def test_tally_as_dict_when_nothing_was_scored() -> None:
    t = Tally(errors=3)
    assert t.failure_rate is None
    assert t.as_dict() == {
        "n": 0,
        "failures": 0,
        "failure_rate": None,
        "ci95": None,
        "errors": 3,
        "error_rate": 1.0,
    }
    assert Tally().as_dict()["error_rate"] is None  # nothing attempted


def test_tally_merge_sums_and_leaves_operands_alone() -> None:
    a, b = Tally(n=4, failures=1, errors=2), Tally(n=6, failures=5, errors=0)
    merged = a.merge(b)
    assert merged == Tally(n=10, failures=6, errors=2)
    assert a == Tally(n=4, failures=1, errors=2)
    assert b == Tally(n=6, failures=5, errors=0)
    assert Tally().merge(Tally()) == Tally()


@given(st.lists(st.sampled_from(["pass", "fail", "error"])))
def test_tally_add_agrees_with_counting(outcomes: list[str]) -> None:
    t = Tally()
    for o in outcomes:
        t.add(o)
    assert t.errors == outcomes.count("error")
    assert t.n == len(outcomes) - outcomes.count("error")
    assert t.failures == outcomes.count("fail")
    d = t.as_dict()
    if t.n:
        assert math.isclose(d["failure_rate"], t.failures / t.n, abs_tol=5e-7)
        assert d["ci95"][0] <= d["failure_rate"] <= d["ci95"][1]
    else:
        assert d["failure_rate"] is None


@given(kn=k_and_n())
def test_wilson_matches_statsmodels(kn: tuple[int, int]) -> None:
    from statsmodels.stats.proportion import proportion_confint

    k, n = kn
    lo, hi = proportion_confint(k, n, alpha=0.05, method="wilson")
    ours = wilson(k, n)
    assert ours is not None
    assert ours[0] == pytest.approx(float(lo), abs=1e-9)
    assert ours[1] == pytest.approx(float(hi), abs=1e-9)


def test_error_share_denominator_and_bad_counts() -> None:
    assert error_share(183, 198) == pytest.approx(0.924242, abs=1e-6)
    assert error_share(0, 0) is None
    with pytest.raises(ValueError):
        error_share(5, 4)


def test_chance_note_the_issue_example() -> None:
    """12 of 45 right on 4 options: accuracy 0.27, Wilson [0.16, 0.41] includes 0.25."""
    note = chance_note(12, 45, 0.25, 4)
    assert note == (
        "not informative: control accuracy 0.27 [0.16, 0.41] includes chance 0.25 (4 options)"
    )


@given(kn=k_and_n(), options=st.integers(2, 6))
def test_chance_note_follows_the_rule(kn: tuple[int, int], options: int) -> None:
    from statsmodels.stats.proportion import proportion_confint

    k, n = kn
    lo, hi = proportion_confint(k, n, alpha=0.05, method="wilson")
    note = chance_note(k, n, 1 / options, options)
    at_chance = float(lo) <= 1 / options <= float(hi)
    expected = at_chance or k < MIN_CORRECT_CONTROLS
    assert (note is not None) == expected
    if at_chance:
        assert note is not None and "includes chance" in note


def test_chance_note_without_options_counts_correct_controls_only() -> None:
    assert chance_note(9, 9, None) is not None and "only 9 of 9" in str(chance_note(9, 9, None))
    assert chance_note(10, 10, None) is None
    assert chance_note(0, 0, 0.25) == "not informative: no control was answered"
