"""``audit-model --explain shap,lime`` through the CLI: both methods on the same rows, their
rank agreement with a bootstrap interval, and the spread of the planted insurance bias across
insurance groups found by the permutation test (issue 18 item 1)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from scipy.stats import spearmanr
from typer.testing import CliRunner

from medtrust.cohort import CohortConfig, generate_cohort
from medtrust.fairness.cli import app

runner = CliRunner()
SPEC = "tabular:medtrust.fairness.reference:model"


@pytest.fixture(scope="module")
def cohort(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("cohort") / "cohort.csv"
    generate_cohort(1500, path, config=CohortConfig(seed=3))
    return path


def test_shap_and_lime_side_by_side(cohort: Path) -> None:
    res = runner.invoke(app, [
        "-t", SPEC, "--data", str(cohort), "--protected", "sex,insurance", "--no-search",
        "--resamples", "200", "--shap-rows", "60", "--lime-samples", "300",
        "--permutations", "199", "--explain", "shap,lime", "--json",
    ])
    assert res.exit_code == 0, res.stderr
    rep = json.loads(res.stdout)
    ex = rep["explanations"]
    assert set(ex["methods"]) == {"shap", "lime"} and rep["attribution"]["rows"] == 60
    shap, lime = ex["methods"]["shap"], ex["methods"]["lime"]
    assert shap["rows"] == lime["rows"] == 60 and lime["explainer"] == "lime"
    # Spearman over the features either method attributes, as scipy computes it
    si = {r["feature"]: r["mean_abs"] for r in shap["importance"]}
    li = {r["feature"]: r["mean_abs"] for r in lime["importance"]}
    feats = [f for f in si if si[f] > 0 or li.get(f, 0) > 0]
    agree = ex["agreement"]
    assert agree["features"] == len(feats)
    want = spearmanr([si[f] for f in feats], [li.get(f, 0.0) for f in feats]).statistic
    assert agree["spearman"] == pytest.approx(want, abs=1e-5)
    lo, hi = agree["ci95"]
    assert lo <= agree["spearman"] <= hi and agree["interval"].startswith("percentile bootstrap")
    for m in (shap, lime):
        assert m["importance"][0]["feature"] == "age"
        ins = m["spread"]["insurance"]
        assert set(ins["compared"]) <= set(ins["groups"])
        for f in ins["features"]:
            assert 0 < f["p_value"] <= 1 and f["q_value"] >= f["p_value"] - 1e-9
            means = list(f["by_group"].values())
            assert f["spread"] == pytest.approx(max(means) - min(means), abs=2e-6)
            assert f["between_group_variance"] == pytest.approx(np.var(means, ddof=1), abs=1e-6)
    shown = " ".join(res.stderr.split())  # titles wrap in a narrow terminal
    assert "Spearman rho" in shown and "permutation test" in shown


def test_unknown_method_is_a_one_line_error(cohort: Path) -> None:
    res = runner.invoke(app, ["-t", SPEC, "--data", str(cohort), "--protected", "insurance",
                              "--explain", "shap,anchors"])
    assert res.exit_code == 2 and "--explain anchors: choose from shap, lime" in res.stderr
