"""`cohort sample` from a copula rejects implausible records, with the validator's count."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
from typer.testing import CliRunner

from medtrust.cohort import fit_copula, sample_copula
from medtrust.cohort._copula import CopulaModel, sample_copula_plausible
from medtrust.cohort.cli import cohort_app

runner = CliRunner()


def test_copula_sample_rejects_exactly_what_the_validator_flags(
        clinical_table: pd.DataFrame, tmp_path: Path) -> None:
    src, model, out = tmp_path / "real.csv", tmp_path / "m.json", tmp_path / "synth.csv"
    clinical_table.to_csv(src, index=False)
    assert runner.invoke(cohort_app, ["validate", str(src)]).exit_code == 0  # real: plausible
    assert runner.invoke(cohort_app, ["fit", str(src), "--out", str(model)]).exit_code == 0
    res = runner.invoke(cohort_app, ["sample", str(model), "-n", "1500", "--seed", "4",
                                     "--out", str(out), "--json"])
    assert res.exit_code == 0, res.output
    info = json.loads(res.output)
    check = info["plausibility"]
    assert info["rows"] == 1500 and check["applied"]
    assert check["checked"] == 1500 + check["rejected"]
    # The copula's stream has a stable prefix: the rows read are exactly these.
    raw = sample_copula(CopulaModel.load(model), check["checked"], seed=4)
    raw_file = tmp_path / "raw.csv"
    raw.to_csv(raw_file, index=False)
    res = runner.invoke(cohort_app, ["validate", str(raw_file), "--json", "--limit", "0"])
    report = json.loads(res.output)
    assert check["rejected"] == report["records_flagged"] > 0
    assert check["findings_by_family"] == report["counts"]
    synth = pd.read_csv(out)
    assert len(synth) == 1500
    assert runner.invoke(cohort_app, ["validate", str(out)]).exit_code == 0
    # the last row read is plausible and kept: the output is the plausible rows, in order
    assert synth["age"].iloc[-1] == raw["age"].iloc[-1]


def test_tables_without_the_validator_columns_are_sampled_as_drawn() -> None:
    from sklearn.datasets import load_diabetes

    real = load_diabetes(as_frame=True, scaled=False).frame.rename(columns={"sex": "sex_code"})
    model = fit_copula(real, seed=0)
    df, check = sample_copula_plausible(model, 300, seed=1)
    assert not check["applied"] and "no plausibility rule applies" in check["reason"]
    pd.testing.assert_frame_equal(df, sample_copula(model, 300, seed=1))
