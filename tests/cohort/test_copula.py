"""Learned generator: types and missing values survive; fidelity matches SDMetrics exactly."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from medtrust.cohort import evaluate, fidelity, fit_copula, sample_copula, split_holdout
from medtrust.cohort._copula import CopulaModel, _kind
from medtrust.cohort._fidelity import (
    contingency_similarity,
    correlation_similarity,
    discretize,
    ks_complement,
    tv_complement,
)


@pytest.fixture(scope="module")
def flchain() -> pd.DataFrame:
    from sksurv.datasets import load_flchain

    x, y = load_flchain()
    df = x.copy()
    df["death"] = y["death"]
    df["futime"] = y["futime"]
    return df.iloc[:1500].reset_index(drop=True)


def test_types_and_missing_preserved(flchain: pd.DataFrame, tmp_path) -> None:  # type: ignore[no-untyped-def]
    model = fit_copula(flchain, seed=1)
    model.save(tmp_path / "m.json")
    loaded = CopulaModel.load(tmp_path / "m.json")
    assert loaded == model
    synth = sample_copula(loaded, 3000, seed=2)
    assert list(synth.columns) == list(flchain.columns)
    for col in flchain.columns:
        real_missing = flchain[col].isna().mean()
        assert abs(synth[col].isna().mean() - real_missing) < 0.03, col
        kind = _kind(flchain[col])
        if kind in ("categorical", "boolean"):
            assert set(synth[col].dropna().unique()) <= set(flchain[col].dropna().unique())
        else:
            vals = pd.to_numeric(synth[col].dropna())
            assert vals.min() >= flchain[col].min() and vals.max() <= flchain[col].max()
            if kind == "integer":
                assert np.all(np.mod(vals, 1) == 0)
    assert sample_copula(model, 50, seed=5).equals(sample_copula(model, 50, seed=5))


def test_fidelity_matches_sdmetrics(flchain: pd.DataFrame) -> None:
    sdm = pytest.importorskip("sdmetrics")
    from sdmetrics.column_pairs import ContingencySimilarity, CorrelationSimilarity
    from sdmetrics.reports.single_table import QualityReport
    from sdmetrics.single_column import KSComplement, TVComplement

    real = flchain
    synth = sample_copula(fit_copula(real, seed=0), len(real), seed=1)
    kinds = {c: _kind(real[c]) for c in real.columns}
    for col, kind in kinds.items():
        if kind in ("categorical", "boolean"):
            assert tv_complement(real[col], synth[col]) == pytest.approx(
                TVComplement.compute(real[col], synth[col]), abs=1e-9)
        else:
            assert ks_complement(real[col], synth[col]) == pytest.approx(
                KSComplement.compute(real[col], synth[col]), abs=1e-9)
    assert correlation_similarity(real[["age", "creatinine"]], synth[["age", "creatinine"]]) \
        == pytest.approx(CorrelationSimilarity.compute(real[["age", "creatinine"]],
                                                       synth[["age", "creatinine"]]), abs=1e-9)
    assert contingency_similarity(real[["sex", "mgus"]], synth[["sex", "mgus"]]) == pytest.approx(
        ContingencySimilarity.compute(real[["sex", "mgus"]], synth[["sex", "mgus"]]), abs=1e-9)
    r, s = real[["sex", "age"]].copy(), synth[["sex", "age"]].copy()
    r["age"], s["age"] = discretize(real["age"], synth["age"])
    assert contingency_similarity(r, s) == pytest.approx(ContingencySimilarity.compute(
        real[["sex", "age"]], synth[["sex", "age"]], continuous_column_names=["age"]), abs=1e-9)
    sdtype = {"numeric": "numerical", "integer": "numerical", "categorical": "categorical",
              "boolean": "categorical", "datetime": "datetime"}
    meta = {"columns": {c: {"sdtype": sdtype[k]} for c, k in kinds.items()}}
    report = QualityReport()
    report.generate(real, synth, meta, verbose=False)
    props = report.get_properties().set_index("Property")["Score"]
    ours = fidelity(real, synth, kinds)
    assert ours["column_shapes"] == pytest.approx(props["Column Shapes"], abs=1e-3)
    # The report scores only pairs whose real association passes its threshold; every pair it
    # scores must equal ours (our aggregate averages all pairs).
    details = report.get_details("Column Pair Trends").dropna(subset=["Score"])
    assert len(details) > 0
    for _, row in details.iterrows():
        key = f"{row['Column 1']} | {row['Column 2']}"
        assert ours["by_pair"][key] == pytest.approx(row["Score"], abs=1e-3), key
    del sdm


def test_evaluate_report_shape() -> None:
    from sklearn.datasets import load_breast_cancer

    data = load_breast_cancer(as_frame=True).frame.iloc[:, [0, 1, 2, 3, -1]]
    from medtrust.cohort import split_holdout

    train, _ = split_holdout(data, 0.25, 0)
    synth = sample_copula(fit_copula(train), len(train), seed=3)
    rep = evaluate(data, synth, target="target", holdout_frac=0.25)
    util = rep["utility"]
    assert util["metric"] == "accuracy" and util["train_synthetic"] > 0.7
    assert util["ratio"] > 0.8
    priv = rep["privacy"]
    assert priv["exact_copies"] == 0 and 0.35 < priv["membership_inference_auc"] < 0.65
    copy = evaluate(data, train, target="target", holdout_frac=0.25)["privacy"]
    assert copy["membership_inference_auc"] > 0.9  # copying the real rows leaks membership


def test_sample_is_safe_harbor_by_construction(tmp_path: Path) -> None:
    """Fit on a table with ages 95, full dates, restricted and 5-digit zips, names; sample;
    `cohort check` on the sample passes, while the real table fails it."""
    from typer.testing import CliRunner

    from medtrust.cohort.cli import cohort_app

    rng = np.random.default_rng(0)
    n = 120
    real = pd.DataFrame({
        "patient_name": [f"Person {i}" for i in range(n)],
        "age_at_visit": np.where(np.arange(n) % 4 == 0, 95, rng.integers(20, 89, n)),
        "admission_date": [f"2021-0{1 + i % 9}-1{i % 10}" for i in range(n)],
        "zip3": rng.choice(["036", "205", "369", "021", "100"], n),
        "zip": rng.choice(["03601", "02139", "10001"], n),
        "birth_year": rng.integers(1925, 2000, n),
        "encounter_year": np.full(n, 2024),
        "note": rng.choice(["seen March 7, 1958", "a 95-year-old", "stable", "SSN 912-34-5678"],
                           n),
        "sbp": rng.normal(130, 15, n).round(),
    })
    src = tmp_path / "real.csv"
    real.drop(columns=["patient_name"]).to_csv(src, index=False, encoding="utf-8-sig")
    runner = CliRunner()
    assert runner.invoke(cohort_app, ["check", str(src)]).exit_code == 1
    model, out = tmp_path / "m.json", tmp_path / "synth.csv"
    res = runner.invoke(cohort_app, ["fit", str(src), "--out", str(model)])
    assert res.exit_code == 0, res.output
    res = runner.invoke(cohort_app, ["sample", str(model), "-n", "2000", "--out", str(out)])
    assert res.exit_code == 0, res.output
    res = runner.invoke(cohort_app, ["check", str(out), "--json"])
    assert res.exit_code == 0, res.stdout
    synth = pd.read_csv(out, dtype={"zip3": str, "zip": str})
    assert synth["age_at_visit"].max() == 90 and (synth["age_at_visit"] == 90).mean() > 0.1
    assert set(synth["zip3"].dropna()) <= {"000", "021", "100"} and "000" in set(synth["zip3"])
    assert set(synth["admission_date"].dropna()) == {2021}
    # the names column, fitted from a frame, is dropped by construction
    frame = sample_copula(fit_copula(real.drop(columns=["note"]).iloc[:, :2].assign(
        patient_name=["A B"] * n)), 50)
    assert frame["patient_name"].isna().all()


def test_evaluate_counts_copies_against_the_whole_real_table() -> None:
    from sklearn.datasets import load_breast_cancer

    data = load_breast_cancer(as_frame=True).frame.iloc[:, [0, 1, 2, 3, -1]]
    train, holdout = split_holdout(data, 0.25, 0)
    whole = evaluate(data, train, target="target", holdout_frac=0.25)["privacy"]
    assert whole["exact_copies"] == len(train) and whole["dcr_real_median"] == 0.0
    assert whole["n_real"] == len(data)  # every real row, not a sample of them
    # holdout rows are real rows too: a copy of them is a copy
    held = evaluate(data, holdout, target="target", holdout_frac=0.25)["privacy"]
    assert held["exact_copies"] == len(holdout) and held["dcr_real_min"] == 0.0
    every = evaluate(data, data, target="target", holdout_frac=0.0)["privacy"]
    assert every["exact_copies"] == len(data) and every["exact_copy_share"] == 1.0
