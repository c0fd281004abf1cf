"""`medtrust cohort ...` through Typer's runner: exit codes, JSON, no half-written files."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from medtrust.cohort.cli import cohort_app

runner = CliRunner()


def test_generate_and_check(tmp_path: Path) -> None:
    out = tmp_path / "c.parquet"
    res = runner.invoke(cohort_app, ["generate", "-n", "2000", "--seed", "3", "--out", str(out),
                                     "--json"])
    assert res.exit_code == 0, res.output
    summary = json.loads(res.stdout)
    assert summary["n"] == 2000 and summary["policy"] == "safe_harbor"
    res = runner.invoke(cohort_app, ["check", str(out), "--json"])
    assert res.exit_code == 0 and json.loads(res.stdout)["ok"] is True


def test_identified_fails_check(tmp_path: Path) -> None:
    out = tmp_path / "c.csv"
    assert runner.invoke(cohort_app, ["generate", "-n", "20", "--identified",
                                      "--out", str(out)]).exit_code == 0
    res = runner.invoke(cohort_app, ["check", str(out)])
    assert res.exit_code == 1
    res = runner.invoke(cohort_app, ["check", str(out), "--json", "--limit", "3"])
    data = json.loads(res.stdout)
    assert res.exit_code == 1 and len(data["violations"]) == 3 and data["total"] > 100


def test_generate_options(tmp_path: Path) -> None:
    out = tmp_path / "c.jsonl"
    res = runner.invoke(cohort_app, [
        "generate", "-n", "500", "--out", str(out), "--balance", "race_ethnicity",
        "--rare-boost", "50", "--margin", "sex=female:0.7,male:0.3", "--json"])
    assert res.exit_code == 0, res.output
    s = json.loads(res.stdout)
    assert s["balance"]["target"] == "race_ethnicity"
    assert s["demographics"]["sex"]["female"]["share"] > 0.6
    assert len(out.read_text().splitlines()) == 500


def test_bad_input_exit_2_and_nothing_written(tmp_path: Path) -> None:
    out = tmp_path / "c.txt"
    res = runner.invoke(cohort_app, ["generate", "-n", "10", "--out", str(out)])
    assert res.exit_code == 2 and not out.exists()
    out = tmp_path / "c.parquet"
    for args in (["--balance", "nonsense"], ["--margin", "sex=female"],
                 ["--margin", "colour=red:1"]):
        res = runner.invoke(cohort_app, ["generate", "-n", "10", "--out", str(out), *args])
        assert res.exit_code == 2, (args, res.output)
        assert not out.exists() and not list(tmp_path.glob(".c.parquet*"))
    res = runner.invoke(cohort_app, ["check", str(tmp_path / "missing.parquet")])
    assert res.exit_code == 2
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"a": 1}\n{broken\n')
    res = runner.invoke(cohort_app, ["check", str(bad)])
    assert res.exit_code == 2 and "bad.jsonl:2" in res.output.replace("\n", "")


def test_generate_from_fhir(tmp_path: Path) -> None:
    src = tmp_path / "src.ndjson"
    assert runner.invoke(cohort_app, ["generate", "-n", "30", "--out", str(src)]).exit_code == 0
    out = tmp_path / "seeds.parquet"
    res = runner.invoke(cohort_app, ["generate", "-n", "0", "--from-fhir", str(src),
                                     "--out", str(out), "--json"])
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout)["n"] == 30
    assert runner.invoke(cohort_app, ["check", str(out)]).exit_code == 0


def test_fit_sample_evaluate(tmp_path: Path) -> None:
    # lifelines (the Rossi data) is in the `crosscheck` extra: it pins pandas < 3
    load_rossi = pytest.importorskip("lifelines.datasets").load_rossi

    real = tmp_path / "real.csv"
    load_rossi().to_csv(real, index=False)
    model, synth = tmp_path / "model.json", tmp_path / "synth.csv"
    res = runner.invoke(cohort_app, ["fit", str(real), "--out", str(model), "--json"])
    assert res.exit_code == 0, res.output
    res = runner.invoke(cohort_app, ["sample", str(model), "-n", "400", "--out", str(synth)])
    assert res.exit_code == 0, res.output
    assert len(pd.read_csv(synth)) == 400
    res = runner.invoke(cohort_app, ["evaluate", str(synth), "--real", str(real),
                                     "--target", "arrest", "--protected", "race", "--json"])
    assert res.exit_code == 0, res.output
    report = json.loads(res.stdout)
    assert report["fidelity"]["overall"] > 0.8
    assert 0.3 < report["privacy"]["membership_inference_auc"] < 0.7
    assert "race" in report["utility"]["subgroups"]
    res = runner.invoke(cohort_app, ["evaluate", str(synth), "--real", str(real)])
    assert res.exit_code == 0
    res = runner.invoke(cohort_app, ["sample", str(real), "-n", "5", "--out", str(synth)])
    assert res.exit_code == 2


def test_import_splits_a_bundle_of_several_patients(tmp_path: Path) -> None:
    bundle = {"resourceType": "Bundle", "type": "collection", "entry": [
        {"resource": {"resourceType": "Patient", "id": "a", "gender": "male",
                      "birthDate": "1950"}},
        {"resource": {"resourceType": "Patient", "id": "b", "gender": "female",
                      "birthDate": "1990"}},
        {"resource": {"resourceType": "Condition", "id": "c", "subject": {"reference": "Patient/b"},
                      "code": {"coding": [{"system": "http://hl7.org/fhir/sid/icd-10-cm",
                                           "code": "E11.9"}]}, "recordedDate": "2024"}}]}
    src, out = tmp_path / "b.ndjson", tmp_path / "out.jsonl"
    src.write_text(json.dumps(bundle) + "\n", encoding="utf-8")
    res = runner.invoke(cohort_app, ["generate", "-n", "0", "--from-fhir", str(src),
                                     "--out", str(out), "--json"])
    assert res.exit_code == 0, res.output
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert [r["sex"] for r in rows] == ["male", "female"]
    assert rows[0]["conditions"] == [] and rows[1]["conditions"] == ["E11.9"]
    bad = tmp_path / "bad.ndjson"
    bad.write_text('{"resourceType": "Patient", "gender": "male", "birthDate": 12345}\n')
    res = runner.invoke(cohort_app, ["generate", "-n", "0", "--from-fhir", str(bad),
                                     "--out", str(out)])
    assert res.exit_code == 2 and f"{bad}:1" in " ".join(res.output.split())
