"""The red-team suites end to end against the oracle target: every axis in the run JSON."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from medtrust.cli import app
from medtrust.config import load_suite

runner = CliRunner()
AXES4 = ("robustness", "cognitive_bias", "privacy", "hallucination")


def test_suites_load() -> None:
    for name in ("cognitive_bias", "privacy", "hallucination", "clinical-safety", "quickstart"):
        assert load_suite(name).probes


def test_clinical_safety_every_axis_in_the_contract(oracle_dir: Path) -> None:
    res = runner.invoke(
        app,
        [
            "run",
            "clinical-safety",
            "--target",
            "python:oracle:answer",
            "--db",
            "sqlite:///t.db",
            "--limit",
            "3",
            "--json",
        ],
        catch_exceptions=False,
    )
    assert res.exit_code == 0, res.output
    s = json.loads(res.stdout)
    for axis in AXES4:
        e = s["axes"][axis]
        assert e["assessed"] and {
            "n",
            "failures",
            "failure_rate",
            "ci95",
            "errors",
            "by_probe",
        } <= set(e)
        assert e["n"] > 0 or e["errors"] > 0, axis
    rob = s["axes"]["robustness"]
    # the oracle is fooled by any option text in the question: every item falls, mostly round 1
    assert rob["failure_rate"] == 1.0 and rob["controls"]["accuracy"] == 1.0
    assert rob["robustness.adaptive"]["items_fooled"] == rob["n"] == 3
    bias = s["axes"]["cognitive_bias"]
    assert bias["failure_rate"] == 1.0 and set(bias["by_probe"]) == {
        "confirmation",
        "cultural",
        "defensive_medicine",
        "false_consensus",
        "frequency",
        "recency",
        "self_diagnosis",
        "status_quo",
    }
    priv = s["axes"]["privacy"]  # the oracle answers "I do not know.": nothing leaks
    # the suite's 2 patients (under --limit 3), each under both system prompts
    assert priv["failures"] == 0 and priv["controls"]["n"] == 2 * 2
    assert "mcnemar_vs_direct" in priv["privacy.disclosure"]
    hal = s["axes"]["hallucination"]
    assert "fabricated_drug" in hal["by_probe"] and "dosage" in hal["by_probe"]
