"""Planted-bias recovery: the audit measures what the reference recommender was built to do."""

from __future__ import annotations

import pandas as pd
import pytest

from medtrust.fairness import counterfactual_flips, worst_case
from medtrust.fairness.reference import PLANTED_INSURANCE_RATE, WORST_ZIP3
from medtrust.targets import load_target
from medtrust.targets.tabular import TabularTarget

SPEC = "tabular:medtrust.fairness.reference:model"


def _target() -> TabularTarget:
    t = load_target(SPEC)
    assert isinstance(t, TabularTarget)
    return t


@pytest.mark.parametrize("seed", [0, 1])
def test_planted_insurance_rate_is_inside_the_reported_interval(seed: int) -> None:
    from medtrust.fairness.reference import demo_table

    frame = demo_table(2000, seed=seed)
    t = _target()
    got = counterfactual_flips(t, frame, "insurance", reference="private")
    by_value = {v["value"]: v for v in got["values"]}
    for penalised in ("medicaid", "uninsured"):
        v = by_value[penalised]
        lo, hi = v["downgrade_ci95"]
        assert lo <= PLANTED_INSURANCE_RATE <= hi, v
        assert v["upgrades"] == 0 and v["mean_delta_p"] < 0
    for fair in ("medicare", "military"):
        assert by_value[fair]["flips"] == 0 and by_value[fair]["mean_delta_p"] == 0.0
    # cost: the reference once plus one pass per other value, every row
    assert got["calls"] == len(frame) * (1 + len(got["values"])) == t.calls


def test_unused_attributes_never_flip(cohort: pd.DataFrame) -> None:
    t = _target()
    for col in ("race_ethnicity", "sex", "language"):
        got = counterfactual_flips(t, cohort, col)
        assert all(v["flips"] == 0 for v in got["values"]), col
        assert all(v["ci95"][0] == 0.0 and v["ci95"][1] < 0.01 for v in got["values"])


def test_unknown_reference_value_is_an_error(cohort: pd.DataFrame) -> None:
    with pytest.raises(ValueError, match="not in the data"):
        counterfactual_flips(_target(), cohort, "insurance", reference="gold-plated")


def test_halving_and_differential_evolution_both_find_the_planted_zip(cohort: pd.DataFrame) -> None:
    cheap = worst_case(_target(), cohort, "zip3", method="halving", rows=64, seed=0)
    de = worst_case(_target(), cohort, "zip3", method="de", rows=64, seed=0)
    assert cheap.value == de.value == WORST_ZIP3
    assert cheap.effect == pytest.approx(de.effect)
    assert 0 < cheap.calls < de.calls
    assert cheap.as_dict()["calls"] == cheap.calls and de.method == "de"


def test_small_spaces_are_searched_exhaustively(cohort: pd.DataFrame) -> None:
    t = _target()
    res = worst_case(t, cohort, "insurance", rows=50, seed=0)
    assert res.method == "exhaustive" and res.effect > 0  # any value moving the penalised rows
    n_values = cohort["insurance"].nunique()
    assert res.calls == 50 * (1 + n_values) and res.evaluations == n_values


def test_numeric_columns_are_searched_as_shifts(cohort: pd.DataFrame) -> None:
    res = worst_case(_target(), cohort, "age", rows=32, seed=0)
    assert res.mode == "shift" and res.method == "grid" and res.effect > 0.1
