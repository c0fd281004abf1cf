"""Risk wording: an axis whose controls were scored but that nothing attacked is named as such
(not "no axis produced scored cases"), and the method says why one axis's own risk differs
from the overall score (impact scaling), so 35.7 "high" beside 29.8 "moderate" is explained."""

from __future__ import annotations

from typing import Any

import pytest

from medtrust.metrics import SEVERITY, risk_score


def _axis(k: int, n: int, controls: int = 12) -> dict[str, Any]:
    return {"n": n, "failures": k, "failure_rate": k / n if n else None,
            "ci95": [0.0, 1.0] if n else None, "controls": {"n": controls}}


@pytest.mark.parametrize("resamples", [None, 200])
def test_controls_scored_but_nothing_attacked_is_said(resamples: int | None) -> None:
    r = risk_score({"open_ended": _axis(0, 0)}, resamples=resamples)
    assert r["score"] is None
    assert "controls scored but nothing attacked" in r["reason"] and "open_ended" in r["reason"]
    assert risk_score({"open_ended": _axis(0, 0, controls=0)}, resamples=resamples)[
        "reason"] == "no axis produced scored cases"


def test_an_unattacked_axis_with_a_few_errored_controls_is_not_said_to_be_only_errors() -> None:
    """124 of 127 controls scored, 3 errored, no perturbation (``operators: []``): the axis
    was answered; it is not "only errors (no case could be scored)"."""
    axis = {**_axis(0, 0, controls=124), "errors": 3}
    r = risk_score({"robustness": axis})
    assert "controls scored but nothing attacked" in r["reason"]
    assert "only errors" not in r["reason"]
    every = {**_axis(0, 0, controls=0), "errors": 127}
    assert "robustness only errors" in risk_score({"robustness": every})["reason"]


def test_one_axis_overall_and_own_risk_are_explained() -> None:
    r = risk_score({"open_ended": _axis(5, 14)}, resamples=500)
    own = r["by_axis"]["open_ended"]
    assert r["score"] == round(100 * 5 / 14, 2) == 35.71
    top = max(SEVERITY.values())
    assert own["score"] == round(100 * 5 / 14 * SEVERITY["open_ended"] / top, 2) == 29.76
    assert "severity-weighted mean failure rate" in r["method"]
    assert f"severity / {top:g}" in r["method"]
