"""``medtrust audit-model`` through its Typer app: JSON report, table, and one-line errors."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest
from typer.testing import CliRunner

from medtrust.cohort import CohortConfig, generate_cohort
from medtrust.fairness.cli import app
from medtrust.fairness.reference import PLANTED_INSURANCE_RATE

runner = CliRunner()
SPEC = "tabular:medtrust.fairness.reference:model"


@pytest.fixture(scope="module")
def cohort_files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    d = tmp_path_factory.mktemp("cohort")
    out = {}
    for ext in ("csv", "parquet", "jsonl"):
        out[ext] = d / f"cohort.{ext}"
        generate_cohort(1500, out[ext], config=CohortConfig(seed=3))
    return out


def invoke(*args: str) -> tuple[int, str, str]:
    res = runner.invoke(app, list(args))
    return res.exit_code, res.stdout, res.stderr


def test_audit_model_json_and_out_file(cohort_files: dict[str, Path], tmp_path: Path) -> None:
    out = tmp_path / "audit.json"
    code, stdout, stderr = invoke(
        "-t", SPEC, "--data", str(cohort_files["csv"]), "--protected", "race,sex,insurance",
        "--reference", "insurance=private", "--shap-rows", "10", "--resamples", "50",
        "--out", str(out), "--json",
    )
    assert code == 0, stderr
    rep = json.loads(stdout)
    assert json.loads(out.read_text()) == rep
    assert rep["protected"] == {"race": "race_ethnicity", "sex": "sex", "insurance": "insurance"}
    med = next(v for v in rep["counterfactual"]["insurance"]["values"] if v["value"] == "medicaid")
    lo, hi = med["downgrade_ci95"]
    assert lo <= PLANTED_INSURANCE_RATE <= hi
    assert rep["worst_case"]["zip3"]["value"] == "104"  # the proxy, searched by default
    assert set(rep["groups"]) == {"race", "sex", "insurance"} and "intersectional" in rep
    assert rep["attribution"]["flags"]
    assert rep["calls"] > 0
    assert "counterfactual flips" in stderr and "target calls" in stderr


@pytest.mark.parametrize("ext", ["parquet", "jsonl"])
def test_other_cohort_formats_read_the_same(cohort_files: dict[str, Path], ext: str) -> None:
    args = ["-t", SPEC, "--protected", "insurance", "--no-shap", "--no-search",
            "--resamples", "20", "--json"]
    a = json.loads(invoke(*args, "--data", str(cohort_files["csv"]))[1])
    b = json.loads(invoke(*args, "--data", str(cohort_files[ext]))[1])
    assert a["counterfactual"] == b["counterfactual"]


BAD_MODEL = textwrap.dedent('''
    import numpy as np
    def scores(frame):
        return np.full(len(frame), 3.5)
''')


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--protected", "nope"], "--protected 'nope': no such column"),
        (["--protected", "insurance", "--label", "nope"], "--label 'nope'"),
        (["--protected", "insurance", "--reference", "insurance=gold"], "not in the data"),
        (["--protected", "insurance", "--reference", "race"], "expected COLUMN=VALUE"),
        (["--protected", "insurance", "-t", "tabular:badmodel:scores"], "not probabilities"),
        (["--protected", "insurance", "-t", "python:badmodel:scores"], "needs a tabular"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(
    cohort_files: dict[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    args: list[str], message: str,
) -> None:
    (tmp_path / "badmodel.py").write_text(BAD_MODEL)
    monkeypatch.chdir(tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path))
    full = ["-t", SPEC, "--data", str(cohort_files["csv"]), "--no-shap", *args]
    code, stdout, stderr = invoke(*full)
    assert code == 2 and stdout == ""
    assert message in stderr and len(stderr.strip().splitlines()) == 1, stderr


def test_missing_data_file(tmp_path: Path) -> None:
    code, _, stderr = invoke("-t", SPEC, "--data", str(tmp_path / "x.csv"), "--protected", "a")
    assert code == 2 and "no such file" in stderr
