"""`cohort sample` from a copula rejects implausible records, with the validator's count."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
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


def test_copula_sample_rejects_a_sex_specific_lab_by_the_validators_count(
        tmp_path: Path) -> None:
    from medtrust.cohort import CohortConfig, generate_table

    t = generate_table(2000, config=CohortConfig(seed=3)).to_pandas()
    real = pd.DataFrame({"sex": t["sex"].astype(str), "age": t["age"].astype(int),
                         "lab_hgb": t["lab_hgb"], "lab_psa": t["lab_psa"]})
    assert real.loc[real["sex"] == "female", "lab_psa"].isna().all()  # PSA is male-only
    src, model, out = tmp_path / "real.csv", tmp_path / "m.json", tmp_path / "s.csv"
    real.to_csv(src, index=False)
    assert runner.invoke(cohort_app, ["fit", str(src), "--out", str(model)]).exit_code == 0
    res = runner.invoke(cohort_app, ["sample", str(model), "-n", "800", "--seed", "1",
                                     "--out", str(out), "--json"])
    assert res.exit_code == 0, res.output
    check = json.loads(res.output)["plausibility"]
    raw_file = tmp_path / "raw.csv"
    sample_copula(CopulaModel.load(model), check["checked"], seed=1).to_csv(raw_file,
                                                                             index=False)
    res = runner.invoke(cohort_app, ["validate", str(raw_file), "--json", "--limit", "0"])
    report = json.loads(res.output)
    # The copula draws PSA for women (missingness is not tied to sex); each is rejected.
    assert check["rejected"] == report["records_flagged"] == report["counts"]["lab_sex"] > 0
    assert check["findings_by_family"] == report["counts"] == {"lab_sex": check["rejected"]}
    synth = pd.read_csv(out)
    assert len(synth) == 800 and synth.loc[synth["sex"] == "female", "lab_psa"].isna().all()


def test_giving_up_names_an_implausible_input_table(tmp_path: Path) -> None:
    # Every row a pregnant man: the model can only learn implausible records.
    real = pd.DataFrame({"sex": ["male"] * 40, "age": list(range(20, 60)),
                         "conditions": ["Z33.1"] * 40, "lab_hgb": [14.0 + i / 10 for i in
                                                                    range(40)]})
    src, model = tmp_path / "real.csv", tmp_path / "m.json"
    real.to_csv(src, index=False)
    assert runner.invoke(cohort_app, ["validate", str(src)]).exit_code == 1
    assert runner.invoke(cohort_app, ["fit", str(src), "--out", str(model)]).exit_code == 0
    assert CopulaModel.load(model).real_implausible == (32, 32)  # 0.2 held out of 40
    res = runner.invoke(cohort_app, ["sample", str(model), "-n", "10", "--out",
                                     str(tmp_path / "s.csv")])
    text = " ".join(res.output.split())
    assert res.exit_code != 0 and "the input table the model was fitted on has 32 " \
        "implausible rows of 32" in text and "does not fit" not in text


def test_giving_up_blames_the_model_when_its_input_was_plausible() -> None:
    from medtrust.cohort._plausible_sample import sample_plausible
    from medtrust.errors import MedtrustError

    bad = pd.DataFrame({"sex": ["male"], "age": [30], "conditions": ["Z33.1"]})

    def more(k: int) -> pd.DataFrame:
        return pd.concat([bad] * k, ignore_index=True)

    with pytest.raises(MedtrustError, match="does not fit the real table"):
        sample_plausible(more, 5, real=(0, 100))
    with pytest.raises(MedtrustError, match="has 360 implausible rows of 600"):
        sample_plausible(more, 5, real=(360, 600))
