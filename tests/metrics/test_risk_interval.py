"""Issue 12, item 9: the risk interval always contains its point estimate, and uninformative
axes are left out of the risk (property-tested over random tallies)."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from medtrust.metrics import risk_score, wilson
from medtrust.records import AXES


def _entry(k: int, n: int, informative: bool = True) -> dict[str, Any]:
    ci = wilson(k, n)
    assert ci is not None
    return {
        "n": n,
        "failures": k,
        "failure_rate": k / n,
        "ci95": list(ci),
        "assessed": True,
        "informative": informative,
    }


@st.composite
def tallies(draw: st.DrawFn) -> dict[str, dict[str, Any]]:
    axes = draw(st.lists(st.sampled_from(AXES), min_size=1, max_size=len(AXES), unique=True))
    out = {}
    for a in axes:
        n = draw(st.integers(1, 300))
        # degenerate tallies (0 or n failures) are the case that once broke the interval
        k = draw(st.one_of(st.just(0), st.just(n), st.integers(0, n)))
        out[a] = _entry(k, n)
    return out


@settings(max_examples=150, deadline=None)
@given(axes=tallies(), seed=st.integers(0, 2**16))
def test_point_estimate_is_inside_every_interval(axes: dict[str, Any], seed: int) -> None:
    for r in (
        risk_score(axes, resamples=400, seed=seed, overall_excludes=("compliance",)),
        risk_score(axes, overall_excludes=("compliance",)),
    ):
        if r["score"] is not None:
            assert r["ci95"][0] <= r["score"] <= r["ci95"][1]
        for a in (r.get("by_axis") or {}).values():
            assert a["ci95"][0] <= a["score"] <= a["ci95"][1]


def test_all_pass_run_shows_zero_inside_its_interval() -> None:
    """The reported case: an all-pass run scored 0.0 with an interval of 1.9-39.2."""
    axes = {
        "robustness": _entry(0, 6),
        "cognitive_bias": _entry(0, 4),
        "privacy": _entry(0, 3),
        "hallucination": _entry(0, 5),
    }
    r = risk_score(axes, resamples=2000, seed=0)
    assert r["score"] == 0.0 and r["ci95"][0] == 0.0 and r["ci95"][1] > 0.0
    assert "point estimate" in r["method"]


def test_uninformative_axes_are_left_out_and_named() -> None:
    axes = {"robustness": _entry(30, 40, informative=False), "privacy": _entry(2, 20)}
    r = risk_score(axes, resamples=500, seed=0)
    assert r["axes_assessed"] == ["privacy"] and r["not_informative"] == ["robustness"]
    assert "robustness" not in r["by_axis"]
    assert r["score"] == 10.0  # privacy alone: 2/20
    only = risk_score({"robustness": _entry(30, 40, informative=False)}, resamples=500)
    assert only["score"] is None and only["tier"] == "not assessed"
    assert only["reason"].startswith("no informative axis: robustness")
    assert risk_score({}, resamples=10)["reason"] == "no axis produced scored cases"
    legacy = risk_score({"robustness": _entry(30, 40, informative=False)})
    assert legacy["score"] is None and legacy["not_informative"] == ["robustness"]
