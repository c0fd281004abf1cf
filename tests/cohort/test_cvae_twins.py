"""Counterfactual twins keep the clinical picture, and say how faithful they are.

A CVAE conditioned on race and sex, fitted on a plausible generated table with diagnoses,
drugs and a male-only lab (PSA): a sex twin keeps age, diagnoses and drugs verbatim, a twin whose
counterfactual is its own value is its record exactly, and ``--json`` gives per column the share
of twins equal to their record, which the test recomputes from the files.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

torch = pytest.importorskip("torch")

from medtrust.cohort import CohortConfig, generate_table  # noqa: E402
from medtrust.cohort.cli import cohort_app  # noqa: E402

runner = CliRunner()
KEPT = ("age", "conditions", "medications")


def _run(*args: str) -> tuple[int, str]:
    res = runner.invoke(cohort_app, list(args))
    return res.exit_code, res.output


@pytest.fixture(scope="module")
def real(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, pd.DataFrame]:
    """(table CSV, fitted cvae.pt, table): generated records (plausible as a whole) whose
    diagnosis and drug lists are among the 40 most frequent, so that a model can hold them."""
    t = generate_table(8000, config=CohortConfig(seed=7)).to_pandas()
    df = pd.DataFrame({
        "sex": t["sex"].astype(str), "age": t["age"].astype(int),
        "race_ethnicity": t["race_ethnicity"].astype(str),
        "conditions": t["conditions"].map(lambda v: ";".join(v)),
        "medications": t["medications"].map(lambda v: ";".join(v)),
        "lab_hgb": t["lab_hgb"], "lab_psa": t["lab_psa"]})
    for col in ("conditions", "medications"):
        top = set(df[col].value_counts().index[:40])
        df = df[df[col].isin(top)]
    df = df.replace({"conditions": {"": None}, "medications": {"": None}})
    df = df.iloc[:1500].reset_index(drop=True)
    d = tmp_path_factory.mktemp("twins")
    src, model = d / "real.csv", d / "cvae.pt"
    df.to_csv(src, index=False)
    assert _run("validate", str(src))[0] == 0  # the real table is plausible
    assert df.groupby("sex")["lab_psa"].apply(lambda s: s.notna().mean()).to_dict() == {
        "female": 0.0, "male": 1.0}
    code, out = _run("fit", str(src), "--model", "cvae", "--condition", "race_ethnicity,sex",
                     "--epochs", "15", "--holdout-frac", "0", "--out", str(model), "--json")
    assert code == 0, out
    assert json.loads(out)["input_implausible"] == {"rows": 0, "of": len(df)}
    return src, model, df


def _twins(model: Path, data: Path, out: Path, spec: str, *extra: str) -> dict:
    code, text = _run("sample", str(model), "--counterfactual", spec, "--data", str(data),
                      "--out", str(out), "--json", *extra)
    assert code == 0, text
    return json.loads(text)


def _equal(a: pd.Series, b: pd.Series) -> pd.Series:
    return (a.astype(str) == b.astype(str)) | (a.isna() & b.isna())


def test_sex_twin_keeps_the_clinical_picture_and_reports_fidelity(
        real: tuple[Path, Path, pd.DataFrame], tmp_path: Path) -> None:
    _, model, df = real
    data, out = tmp_path / "recs.csv", tmp_path / "tw.csv"
    df.iloc[:300].to_csv(data, index=False)
    info = _twins(model, data, out, "sex=female")
    assert info["kept_columns"] == list(KEPT)
    twin = pd.read_csv(out)
    src = pd.read_csv(data).iloc[twin["source_row"] - 1].reset_index(drop=True)
    assert len(twin) == info["rows"] == 300 - info["plausibility"]["not_applicable"]
    assert (twin["sex"] == "female").all()
    for col in KEPT:  # copied verbatim, every twin
        assert _equal(twin[col], src[col]).all(), col
    # fidelity is what the files show, per column, with its denominator and interval
    for col, f in info["fidelity"].items():
        k = int(_equal(twin[col], src[col]).sum())
        assert (f["kept"], f["of"]) == (k, len(twin)), col
        assert f["ci95"][0] <= f["share"] <= f["ci95"][1]
    assert info["fidelity"]["sex"]["kept"] == int((src["sex"] == "female").sum())
    assert info["fidelity"]["race_ethnicity"]["share"] == 1.0
    # a woman's twin under sex=female is her record, exactly
    fem = (src["sex"] == "female").to_numpy()
    assert fem.any() and (~fem).any()
    pd.testing.assert_frame_equal(twin[fem].drop(columns="source_row").reset_index(drop=True),
                                  src[fem].reset_index(drop=True))
    # nothing implausible written: no woman with a PSA value
    assert twin.loc[twin["sex"] == "female", "lab_psa"].isna().all()
    assert _run("validate", str(out))[0] == 0


def test_a_counterfactual_equal_to_the_record_is_the_record(
        real: tuple[Path, Path, pd.DataFrame], tmp_path: Path) -> None:
    _, model, df = real
    race = df["race_ethnicity"].value_counts().index[0]
    data, out = tmp_path / "same.csv", tmp_path / "tw.csv"
    df[df["race_ethnicity"] == race].iloc[:200].to_csv(data, index=False)
    info = _twins(model, data, out, f"race_ethnicity={race}", "--keep", "none")
    assert info["kept_columns"] == [] and info["plausibility"]["not_applicable"] == 0
    assert {c: f["share"] for c, f in info["fidelity"].items()} == {c: 1.0 for c in df.columns}
    pd.testing.assert_frame_equal(pd.read_csv(out).drop(columns="source_row"),
                                  pd.read_csv(data))


def test_cvae_sample_respects_the_sex_specific_lab(
        real: tuple[Path, Path, pd.DataFrame], tmp_path: Path) -> None:
    _, model, _ = real
    out = tmp_path / "s.csv"
    code, text = _run("sample", str(model), "-n", "600", "--seed", "3", "--out", str(out),
                      "--json")
    assert code == 0, text
    check = json.loads(text)["plausibility"]
    assert check["checked"] == 600 + check["rejected"]
    synth = pd.read_csv(out)
    assert len(synth) == 600 and synth.loc[synth["sex"] == "female", "lab_psa"].isna().all()
    assert _run("validate", str(out))[0] == 0


@pytest.mark.parametrize("args, why", [
    (["--counterfactual", "sex=female,sex=male"], "sex given twice"),
    (["--counterfactual", "race_ethnicity=None"], "known: "),
    (["--counterfactual", "sex=female", "--keep", "sex"], "--keep sex: not a column"),
    (["--counterfactual", "sex=female", "-n", "3"], "-n does not apply"),
])
def test_bad_twin_requests_exit_2_with_one_line(real: tuple[Path, Path, pd.DataFrame],
                                                tmp_path: Path, args: list[str],
                                                why: str) -> None:
    src, model, _ = real
    out = tmp_path / "t.csv"
    code, text = _run("sample", str(model), "--data", str(src), "--out", str(out), *args)
    assert code == 2 and why in text and len(text.strip().splitlines()) == 1, text
    assert not out.exists()


def test_an_empty_value_the_model_never_saw_is_refused(real: tuple[Path, Path, pd.DataFrame],
                                                      tmp_path: Path) -> None:
    _, model, df = real
    data, out = tmp_path / "nan.csv", tmp_path / "t.csv"
    bad = df.iloc[:10].copy()
    bad["age"] = bad["age"].astype(float)
    bad.loc[[3, 7], "age"] = None
    bad.to_csv(data, index=False)
    code, text = _run("sample", str(model), "--counterfactual", "sex=male", "--data", str(data),
                      "--out", str(out))
    assert code == 2 and "row 4: age is empty (2 of 10 rows)" in " ".join(text.split())
    assert not out.exists()


def test_files_that_are_no_model_say_what_they_are_not(tmp_path: Path) -> None:
    out = tmp_path / "x.csv"
    cases = {"fake.pt": (b"x\n", "fake.pt: not a medtrust CVAE model (not a torch.save"),
             "fake.json": (b"x", "not a medtrust copula model (JSON) nor a CVAE"),
             "other.json": (b'{"a": 1}', "columns: Field required")}
    for name, (content, why) in cases.items():
        (tmp_path / name).write_bytes(content)
        code, text = _run("sample", str(tmp_path / name), "-n", "5", "--out", str(out))
        assert code == 2 and why in " ".join(text.split()), text
        assert len(text.strip().splitlines()) == 1, text


def test_help_and_check_of_n_agree(real: tuple[Path, Path, pd.DataFrame],
                                   tmp_path: Path) -> None:
    _, model, _ = real
    res = runner.invoke(cohort_app, ["sample", "--help"], terminal_width=200)
    line = next(x for x in res.output.splitlines() if "-n " in x)
    assert "x>=1" in line and "default" not in line
    code, text = _run("sample", str(model), "-n", "0", "--out", str(tmp_path / "x.csv"))
    assert code == 2 and "greater than or equal to 1" in " ".join(text.split())
