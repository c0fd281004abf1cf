"""Group metrics equal fairlearn's MetricFrame; the guard reports small groups, never drops them."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from fairlearn.metrics import (
    MetricFrame,
    demographic_parity_difference,
    equalized_odds_difference,
    false_positive_rate,
    selection_rate,
    true_positive_rate,
)

from medtrust.fairness import group_metrics
from medtrust.fairness.reference import model
from medtrust.metrics import parity_bootstrap


def _decisions(frame: pd.DataFrame) -> np.ndarray:
    return np.asarray(model.predict_proba(frame)[:, 1] >= 0.5)


def test_per_group_rates_and_differences_equal_fairlearn(cohort: pd.DataFrame) -> None:
    pred, truth = _decisions(cohort).astype(int), cohort["trial_eligible"].to_numpy()
    got = group_metrics(pred, cohort[["insurance"]], y_true=truth, min_group=1, resamples=50)
    mf = MetricFrame(
        metrics={"sr": selection_rate, "tpr": true_positive_rate, "fpr": false_positive_rate},
        y_true=truth,
        y_pred=pred,
        sensitive_features=cohort["insurance"],
    )
    for g in got["groups"]:
        row = mf.by_group.loc[g["group"]["insurance"]]
        assert g["selection_rate"] == pytest.approx(row["sr"], abs=1e-6)
        assert g["tpr"] == pytest.approx(row["tpr"], abs=1e-6)
        assert g["fpr"] == pytest.approx(row["fpr"], abs=1e-6)
    dp = demographic_parity_difference(truth, pred, sensitive_features=cohort["insurance"])
    eo = equalized_odds_difference(truth, pred, sensitive_features=cohort["insurance"])
    assert got["differences"]["demographic_parity"]["value"] == pytest.approx(dp, abs=1e-6)
    assert got["differences"]["equalized_odds"]["value"] == pytest.approx(eo, abs=1e-6)
    assert got["fairlearn_unguarded"]["demographic_parity_difference"] == pytest.approx(
        dp, abs=1e-6
    )
    lo, hi = got["differences"]["demographic_parity"]["ci95"]
    assert lo <= dp <= hi


def test_small_groups_and_groups_without_positives_are_flagged_not_dropped() -> None:
    sens = pd.DataFrame({"g": ["a"] * 50 + ["b"] * 50 + ["tiny"] * 3 + ["allneg"] * 40})
    rng = np.random.default_rng(0)
    truth = np.r_[rng.integers(0, 2, 103), np.zeros(40, dtype=int)]
    pred = rng.integers(0, 2, 143)
    got = group_metrics(pred, sens, y_true=truth, min_group=30, resamples=50)
    by = {g["label"]: g for g in got["groups"]}
    assert set(by) == {"g=a", "g=b", "g=tiny", "g=allneg"}
    assert by["g=tiny"]["flags"] == ["small"] + (
        ["no_positives"] if not truth[100:103].any() else []
    )
    assert "no_positives" in by["g=allneg"]["flags"] and by["g=allneg"]["tpr"] is None
    excluded = {e["label"] for e in got["excluded"]}
    assert excluded == {"g=tiny", "g=allneg"}
    assert got["differences"]["demographic_parity"]["groups"] == 3  # allneg still has rates
    assert got["differences"]["equalized_odds"]["groups"] == 2
    # guarded value = fairlearn's over the eligible groups only
    keep = sens["g"].isin(["a", "b"]).to_numpy()
    eo = equalized_odds_difference(truth[keep], pred[keep], sensitive_features=sens["g"][keep])
    assert got["differences"]["equalized_odds"]["value"] == pytest.approx(eo, abs=1e-6)


def test_intersectional_groups_skip_empty_cells(cohort: pd.DataFrame) -> None:
    pred = _decisions(cohort)
    got = group_metrics(pred, cohort[["race_ethnicity", "sex"]], resamples=20)
    assert sum(g["n"] for g in got["groups"]) == len(cohort)
    assert all(" & sex=" in g["label"] for g in got["groups"])
    assert not got["differences"]["equalized_odds"]["assessed"]


def test_bootstrap_without_resampling_noise_is_the_point_estimate() -> None:
    pred = np.array([1, 1, 0, 0, 1, 0] * 20, dtype=bool)
    groups = np.array([0, 0, 0, 1, 1, 1] * 20, dtype=np.int64)
    ci = parity_bootstrap(
        pred, groups, y_true=None, dp_groups=[0, 1], eo_groups=[], resamples=400, seed=0
    )
    lo, hi = ci["demographic_parity"] or (None, None)
    assert lo is not None and hi is not None and lo <= 1 / 3 <= hi
    assert ci["equalized_odds"] is None
