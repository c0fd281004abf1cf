"""SHAP attributions add up (prediction = base + sum) and flag the planted proxy."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from medtrust.fairness import attribution_report, audit_rossi, rossi_model, shap_values
from medtrust.targets import load_target
from medtrust.targets.tabular import TabularTarget


def test_permutation_shap_sums_to_prediction_minus_base(cohort: pd.DataFrame) -> None:
    t = load_target("tabular:medtrust.fairness.reference:model")
    assert isinstance(t, TabularTarget)
    frame = cohort.drop(columns=["trial_eligible"])
    out = shap_values(t, frame, rows=20, background=20, seed=0)
    assert out["explainer"] == "permutation"
    np.testing.assert_allclose(out["values"].sum(axis=1), out["predicted"] - out["base"], atol=1e-9)
    rep = attribution_report(out, frame, ["insurance", "race_ethnicity"])
    ranked = [r["feature"] for r in rep["ranking"]]
    assert ranked[0] == "age"
    unread = {"race_ethnicity", "sex", "language"}
    assert all(r["mean_abs"] == 0 for r in rep["ranking"] if r["feature"] in unread)
    assert {"feature": "insurance", "rank": ranked.index("insurance") + 1,
            "kind": "protected"} in rep["flags"]
    assert rep["calls"] == out["calls"] > 0
    assert set(rep["disparity"]["insurance"]["groups"]) <= set(frame["insurance"].unique())


def test_tree_shap_on_a_real_table_sums_to_prediction_minus_base() -> None:
    pytest.importorskip("lifelines")  # the Rossi data ship with lifelines (`crosscheck` extra)
    model, table = rossi_model(seed=0)
    t = TabularTarget(spec="tabular:rossi", model=model)
    x = table.drop(columns=["arrest"])
    out = shap_values(t, x, rows=60, background=50, seed=0)
    assert out["explainer"] == "tree"
    np.testing.assert_allclose(out["values"].sum(axis=1), out["predicted"] - out["base"], atol=1e-6)


def test_rossi_example_audit_runs_end_to_end() -> None:
    pytest.importorskip("lifelines")
    rep = audit_rossi(seed=0, shap_rows=40, resamples=100)
    assert rep["rows"] == 432 and rep["label"] == "arrest"
    race = rep["counterfactual"]["race"]
    assert race["values"] and race["calls"] == 432 * 2
    assert rep["worst_case"]["age"]["mode"] == "shift"
    assert rep["groups"]["race"]["differences"]["equalized_odds"]["assessed"]
    assert rep["attribution"]["explainer"] == "tree"
    assert rep["attribution"]["max_additivity_error"] < 1e-6
    assert rep["calls"] > 0
