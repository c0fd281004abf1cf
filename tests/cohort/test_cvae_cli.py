"""`cohort fit --model cvae` and `cohort sample --counterfactual` through the CLI.

Twins are checked by the plausibility validator: a sex counterfactual that keeps a prostate
diagnosis is dropped and counted "not applicable", with the count the validator gives.
"""

from __future__ import annotations

import json
import sys
import zipfile
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

torch = pytest.importorskip("torch")

from medtrust.cohort._cvae import FORMAT, CvaeModel, twins  # noqa: E402
from medtrust.cohort.cli import cohort_app  # noqa: E402

from .conftest import PROSTATE  # noqa: E402

runner = CliRunner()


def _run(*args: str) -> tuple[int, str]:
    res = runner.invoke(cohort_app, list(args))
    return res.exit_code, res.output


@pytest.fixture(scope="module")
def fitted(clinical_table: pd.DataFrame, tmp_path_factory: pytest.TempPathFactory
           ) -> tuple[Path, Path]:
    """The clinical table as CSV and a CVAE conditioned on sex and the diagnoses."""
    d = tmp_path_factory.mktemp("cvae")
    src, model = d / "real.csv", d / "cvae.pt"
    clinical_table.to_csv(src, index=False)
    code, out = _run("fit", str(src), "--model", "cvae", "--condition", "sex,conditions",
                     "--epochs", "15", "--holdout-frac", "0", "--out", str(model), "--json")
    assert code == 0, out
    info = json.loads(out)
    assert info["conditions"] == ["sex", "conditions"] and info["rows_fitted"] == 3000
    return src, model


def test_sex_twins_with_a_prostate_diagnosis_are_not_applicable(
        fitted: tuple[Path, Path], clinical_table: pd.DataFrame, tmp_path: Path) -> None:
    _, model = fitted
    males = clinical_table[clinical_table["sex"] == "male"]
    data = tmp_path / "males.csv"
    males.to_csv(data, index=False)
    out = tmp_path / "twins.csv"
    code, text = _run("sample", str(model), "--counterfactual", "sex=female", "--data",
                      str(data), "--out", str(out), "--json")
    assert code == 0, text
    info = json.loads(text)
    check = info["plausibility"]
    # Expected from the data alone: every male row holding a prostate code keeps it (the
    # diagnoses are a condition column) and becomes an anatomy violation.
    prostate_rows = int(males["conditions"].fillna("").map(
        lambda c: bool(set(c.split(";")) & PROSTATE)).sum())
    prostate_codes = int(males["conditions"].fillna("").map(
        lambda c: len(set(c.split(";")) & PROSTATE)).sum())
    assert prostate_rows > 0
    assert check["applied"] and check["twins"] == len(males)
    assert check["findings_by_family"]["anatomy"] == prostate_codes
    # The dropped count is the validator's own count on the unfiltered twins.
    raw = tmp_path / "raw.csv"
    twins(CvaeModel.load(model), males, {"sex": "female"}).to_csv(raw, index=False)
    code, text = _run("validate", str(raw), "--json", "--limit", "0")
    assert code == 1
    assert check["not_applicable"] == json.loads(text)["records_flagged"] >= prostate_rows
    kept = pd.read_csv(out)
    assert len(kept) == len(males) - check["not_applicable"] == info["rows"]
    assert (kept["sex"] == "female").all()
    assert _run("validate", str(out))[0] == 0  # nothing implausible written


def test_cvae_sample_is_plausibility_filtered(fitted: tuple[Path, Path], tmp_path: Path) -> None:
    _, model = fitted
    out = tmp_path / "s.csv"
    code, text = _run("sample", str(model), "-n", "400", "--seed", "2", "--out", str(out),
                      "--json")
    assert code == 0, text
    info = json.loads(text)
    assert info["model"] == "cvae" and info["rows"] == 400
    check = info["plausibility"]
    assert check["applied"] and check["checked"] == 400 + check["rejected"]
    assert len(pd.read_csv(out)) == 400 and _run("validate", str(out))[0] == 0


def _rewrite(src: Path, dst: Path, **change: object) -> None:
    blob = torch.load(src, weights_only=True)
    meta = json.loads(blob["meta"])
    meta.update(change)
    blob["meta"] = json.dumps(meta)
    torch.save(blob, dst)


class Evil:
    """An arbitrary object: torch.load(weights_only=True) must refuse to build it."""


def test_bad_model_files_exit_2_with_one_line(fitted: tuple[Path, Path], tmp_path: Path) -> None:
    src, model = fitted
    out = tmp_path / "t.csv"
    twin = ["--counterfactual", "sex=female", "--data", str(src), "--out", str(out)]
    truncated = tmp_path / "cut.pt"
    truncated.write_bytes(model.read_bytes()[:2000])
    mismatched = tmp_path / "mismatch.pt"
    _rewrite(model, mismatched, latent=4)
    wrong = tmp_path / "wrong.pt"
    _rewrite(model, wrong, columns=json.loads(torch.load(model, weights_only=True)["meta"])[
        "columns"][:2])
    other_zip = tmp_path / "other.pt"
    with zipfile.ZipFile(other_zip, "w") as z:
        z.writestr("x.txt", "hello")
    pickled = tmp_path / "pickled.pt"
    torch.save({"format": FORMAT, "meta": "{}", "state": {}, "x": Evil()}, pickled)
    copula = tmp_path / "copula.json"
    assert _run("fit", str(src), "--out", str(copula))[0] == 0
    cases = {
        truncated: "not a medtrust CVAE model",
        mismatched: "do not match its schema",
        wrong: "do not match its schema",
        other_zip: "not a medtrust CVAE model",
        pickled: "not a medtrust CVAE model",
        copula: "needs a CVAE model",
    }
    for path, why in cases.items():
        code, text = _run("sample", str(path), *twin)
        assert code == 2 and why in text and len(text.strip().splitlines()) == 1, (path, text)
        assert not out.exists()
    bad = [
        (["sample", str(model), "--counterfactual", "sex=other", "--data", str(src)],
         "not a value of sex"),
        (["sample", str(model), "--counterfactual", "sex=female"], "go together"),
        (["sample", str(model)], "-n"),
        (["fit", str(src), "--model", "cvae", "--condition", "race"], "no column 'race'"),
        (["fit", str(src), "--model", "gan"], "use copula or cvae"),
    ]
    for args, why in bad:
        code, text = _run(*args, "--out", str(out))
        assert code == 2 and why in text, (args, text)
        assert not out.exists()


def test_without_torch_the_cvae_says_how_to_install(fitted: tuple[Path, Path],
                                                    monkeypatch: pytest.MonkeyPatch,
                                                    tmp_path: Path) -> None:
    src, model = fitted
    monkeypatch.setitem(sys.modules, "torch", None)  # `import torch` now raises ImportError
    code, text = _run("sample", str(model), "-n", "5", "--out", str(tmp_path / "x.csv"))
    assert code == 2 and "pip install torch==2.13.0" in text
    code, text = _run("fit", str(src), "--model", "cvae", "--condition", "sex",
                      "--out", str(tmp_path / "m.pt"))
    assert code == 2 and "pip install torch==2.13.0" in text
