"""``report`` (html, json, md, junit), ``gate`` (flags and YAML file), ``compliance`` and
``docs``, through the CLI on real runs in a real SQLite store."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest
import typer
from typer.testing import CliRunner

from medtrust._cli_report import register
from medtrust.cli import app as main_app
from medtrust.records import AXES
from policies.crafted import SSN, crafted_run  # tests/ is on sys.path (rootdir conftest)

runner = CliRunner()
app = typer.Typer()
register(app)
DB = "sqlite:///t.db"


def invoke(*args: str) -> Any:
    return runner.invoke(app, list(args), catch_exceptions=False)


@pytest.fixture
def run_id(oracle_dir: Path) -> str:
    res = runner.invoke(
        main_app,
        # 12 items: enough correct controls (>= 10) for robustness to be informative
        ["run", "--target", "python:oracle:answer", "--db", DB, "--limit", "12", "--json"],
        catch_exceptions=False,
    )
    assert res.exit_code == 0, res.output
    return str(json.loads(res.stdout)["run_id"])


def test_json_report_keeps_the_contract_and_adds_compliance(run_id: str) -> None:
    s = json.loads(invoke("report", run_id, "--format", "json", "--db", DB).stdout)
    assert set(s["axes"]) == set(AXES)
    for axis in AXES:
        assert {"n", "failures", "failure_rate", "ci95", "errors", "by_probe"} <= set(
            s["axes"][axis]
        )
    assert {"score", "tier", "ci95", "by_axis"} <= set(s["risk"])
    assert {"rules", "packs", "counts", "by_regulation", "definition"} <= set(s["compliance"])
    assert s["trust"]["score"] is None


def test_junit_parses_with_one_suite_per_axis_and_right_counts(run_id: str) -> None:
    text = invoke("report", run_id, "--format", "junit", "--db", DB).stdout
    s = json.loads(invoke("report", run_id, "--format", "json", "--db", DB).stdout)
    root = ET.fromstring(text)
    suites = {x.get("name"): x for x in root.findall("testsuite")}
    assert list(suites) == list(AXES)
    rob = suites["robustness"]
    by_probe = s["axes"]["robustness"]["by_probe"]
    assert int(rob.get("tests") or 0) == len(by_probe) == len(rob.findall("testcase"))
    failing = {n for n, t in by_probe.items() if t["failures"]}
    assert {
        tc.get("name") for tc in rob.findall("testcase") if tc.find("failure") is not None
    } == failing
    assert int(rob.get("failures") or 0) == len(failing)
    msg = rob.find("testcase/failure").get("message")  # type: ignore[union-attr]
    assert "95% CI" in msg and "/" in msg
    comp = suites["compliance"]
    rules = s["compliance"]["rules"]
    assert int(comp.get("tests") or 0) == len(rules)
    assert int(comp.get("failures") or 0) == sum(r["status"] == "fail" for r in rules)
    assert int(comp.get("skipped") or 0) == sum(r["status"] == "not assessed" for r in rules)
    assert suites["fairness"].find("testcase/skipped") is not None
    total = sum(int(x.get("tests") or 0) for x in suites.values())
    assert int(root.get("tests") or 0) == total


def test_markdown_has_risk_compliance_and_trust(run_id: str, oracle_dir: Path) -> None:
    res = invoke("report", run_id, "--format", "md", "--out", "r.md", "--db", DB)
    assert res.exit_code == 0
    md = (oracle_dir / "r.md").read_text()
    for needle in ("| **robustness** |", "## Risk by axis", "## Compliance", "trust: no clinician"):
        assert needle in md
    # judge agreement appears once clinicians have reviewed something (tests/review), not before
    assert "Judges vs clinicians" not in md
    assert invoke("report", run_id, "--out", "rep", "--db", DB).exit_code == 0
    assert 'id="judge-agreement"' not in (oracle_dir / "rep" / "index.html").read_text()


def test_gate_flags_file_and_exit_codes(run_id: str, oracle_dir: Path) -> None:
    assert invoke("gate", run_id, "--db", DB, "--max-risk", "100").exit_code == 0
    res = invoke("gate", run_id, "--db", DB, "--max-failure", "robustness=0.5")
    assert res.exit_code == 1 and "robustness failure rate" in res.output
    res = invoke("gate", run_id, "--db", DB, "--max-ci-upper", "privacy=0.1")
    assert res.exit_code == 1 and "privacy 95% CI upper bound" in res.output
    (oracle_dir / "gate.yaml").write_text(
        "max_risk: 10\nmax_failure: {fairness: 0.1}\n"
        "require_compliance: [hipaa.164-502b-minimum-necessary]\n"
    )
    res = invoke("gate", run_id, "--db", DB, "--config", "gate.yaml", "--json")
    assert res.exit_code == 1
    reasons = json.loads(res.stdout)["reasons"]
    assert len(reasons) == 3 and any("not assessed" in r for r in reasons)
    assert any("minimum-necessary: not assessed" in r for r in reasons)
    # flags override the file
    res = invoke("gate", run_id, "--db", DB, "--config", "gate.yaml", "--max-risk", "100", "--json")
    reasons = json.loads(res.stdout)["reasons"]
    assert res.exit_code == 1 and len(reasons) == 2 and not reasons[0].startswith("risk")
    (oracle_dir / "bad.yaml").write_text("max_risk: 10\nmax_failure:\n  robustnes: 0.2\n")
    res = invoke("gate", run_id, "--db", DB, "--config", "bad.yaml")
    assert (
        res.exit_code == 2 and "bad.yaml:2: max_failure" in res.output and "robustnes" in res.output
    )
    (oracle_dir / "bad2.yaml").write_text("max_risk: [\n")
    assert invoke("gate", run_id, "--db", DB, "--config", "bad2.yaml").exit_code == 2
    assert invoke("gate", run_id, "--db", DB, "--config", "missing.yaml").exit_code == 2
    assert invoke("gate", run_id, "--db", DB, "--fail-on-severity", "dire").exit_code == 2
    assert invoke("gate", run_id, "--db", DB, "--max-failure", "robustness=2").exit_code == 2
    assert invoke("gate", "no-such-run", "--db", DB).exit_code == 2


def test_gate_on_compliance_severity(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    crafted_run(tmp_path)
    db = f"sqlite:///{tmp_path / 'crafted.db'}"
    res = invoke("gate", "20260101", "--db", db, "--fail-on-severity", "critical")
    assert res.exit_code == 1 and "hipaa.164-502a-disclosure failed [critical]" in res.output
    rule = "hipaa.164-312b-audit-controls"
    res = invoke("gate", "20260101", "--db", db, "--require-compliance", rule)
    # the crafted run has 1 errored case of 6: above the default error limit
    assert res.exit_code == 1
    assert "errors: 1 of 6 judged cases (16.7%) could not be scored > 10%" in res.output
    res = invoke(
        "gate", "20260101", "--db", db, "--require-compliance", rule, "--max-errors", "0.2"
    )
    assert res.exit_code == 0, res.output
    assert "require-compliance hipaa.164-312b-audit-controls, max-errors 0.2" in res.output
    res = invoke("compliance", "20260101", "--db", db, "--json")
    out = json.loads(res.stdout)
    assert out["axis"]["failures"] == 2 and out["counts"]["fail"] >= 3


def test_reports_redact_the_leak_by_default(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    crafted_run(tmp_path)
    db = f"sqlite:///{tmp_path / 'crafted.db'}"
    html = invoke("report", "20260101", "--db", db).stdout
    assert SSN not in html
    assert "[SSN]" in html and "violates gdpr.art9-special-category-disclosure" in html
    raw = invoke("report", "20260101", "--db", db, "--no-redact").stdout
    assert SSN in raw


def test_docs_export(run_id: str, oracle_dir: Path) -> None:
    (oracle_dir / "d.yaml").write_text("intended_purpose: Exam-style medical QA, research only\n")
    res = invoke("docs", run_id, "--db", DB, "--out", "docs/card.md", "--declare", "d.yaml")
    assert res.exit_code == 0, res.output
    text = (oracle_dir / "docs" / "card.md").read_text()
    for h in ("Intended purpose", "Data used for testing", "Metrics and their definitions",
              "Results", "Compliance summary", "Limitations", "Integrity"):  # fmt: skip
        assert h in text
    assert "Exam-style medical QA" in text and "Axes not assessed" in text
    assert "95% CI" in text and f"run `{run_id}`" in text
