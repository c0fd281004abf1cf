"""No evidence, no pass (issue 20 follow-up): a run whose every target call raised leaves every
policy rule "not assessed" or failed, never passed; the logging rules (EU AI Act Art. 12,
HIPAA 164.312(b)) need outputs to vouch for, not only recorded errors."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from medtrust.cli import app
from medtrust.config import Declarations
from medtrust.policies import RunFacts, evaluate, load_policies
from medtrust.records import Case, Reply, Verdict

runner = CliRunner()
LOGGING = ("eu-ai-act.art12-logging", "hipaa.164-312b-audit-controls")


@pytest.fixture
def down(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "down_target.py").write_text(
        "def reply(messages):\n    raise RuntimeError('target down')\n"
    )
    monkeypatch.chdir(tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path))
    return tmp_path


@pytest.mark.parametrize("suite", ["clinical-safety", "open-ended"])
def test_a_run_whose_every_call_raised_passes_no_rule(down: Path, suite: str) -> None:
    db = f"sqlite:///{down / 'm.db'}"
    res = runner.invoke(app, ["run", suite, "--target", "python:down_target:reply", "--limit",
                              "1", "--db", db, "--json"])  # fmt: skip
    assert res.exit_code == 1, res.output  # every call raised: nothing measured (exit 1)
    s = json.loads(res.stdout)
    assert s["calls"] > 0 and s["errors"] == s["calls"]  # every call raised
    rules = {r["id"]: r for r in s["compliance"]["rules"]}
    passed = [r for r in rules if rules[r]["status"] == "pass"]
    assert passed == [], passed
    assert s["compliance"]["counts"]["pass"] == 0
    for rid in LOGGING:
        assert rules[rid]["status"] == "not assessed"
        assert rules[rid]["reason"].startswith("no outputs")


def _facts(texts: list[str | None]) -> RunFacts:
    cases = [Case.make(axis="robustness", probe="p", operator="baseline", role="control",
                       messages=[{"role": "user", "content": f"q{i}"}], gold={})
             for i in range(len(texts))]  # fmt: skip
    replies = {
        c.id: [Reply(case_id=c.id, sample=0, text=t) if t is not None
               else Reply(case_id=c.id, sample=0, error="HTTP 500")]
        for c, t in zip(cases, texts, strict=True)
    }  # fmt: skip
    verdicts = {c.id: Verdict(case_id=c.id, judge="j", outcome="error") for c in cases}
    # a day on which both logging rules are in force (EU AI Act Art. 12: from 2026-08-02)
    return RunFacts(run_id="r", status="done", day=date(2027, 1, 1), cases=cases,
                    replies=replies, verdicts=verdicts, axes={}, declared=Declarations(),
                    audit=(True, "ok"))  # fmt: skip


@pytest.mark.parametrize(
    ("texts", "status"),
    [
        ([None, None], "not assessed"),  # every call raised
        (["", "   "], "not assessed"),  # blank replies: nobody could read an output
        ([None, "An answer."], "pass"),  # one real output, recorded with its verdict
    ],
)
def test_logging_needs_an_output(texts: list[str | None], status: str) -> None:
    comp = evaluate(load_policies(), _facts(texts))
    rows: dict[str, Any] = {r["id"]: r for r in comp.section["rules"]}
    for rid in LOGGING:
        assert rows[rid]["status"] == status, rows[rid]["reason"]
        assert rows[rid]["evidence"]["cases_with_outputs"] == (status == "pass")


@pytest.fixture
def refusing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "refusing_target.py").write_text(
        "def reply(messages):\n    return \"I'm sorry, I can't help with that.\"\n"
    )
    monkeypatch.chdir(tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path))
    return tmp_path


def test_an_axis_that_is_not_informative_was_not_tested(refusing: Path) -> None:
    """A target that answers no control well gives an axis that measured nothing (the gate and
    the risk score leave it out): "tested with intervals" must not pass on it."""
    db = f"sqlite:///{refusing / 'm.db'}"
    # pass mark 0: the refused controls "pass" and are attacked, so the axis has rates (n > 0)
    # that the floor rule declares not informative (a control below the pass mark would not
    # be attacked at all, leaving nothing scored)
    (refusing / "oe.yaml").write_text("name: oe-floor\nprobes:\n  - name: open_ended.rubric\n"
                                      "    params: {pass_mark: 0.0}\n")  # fmt: skip
    res = runner.invoke(app, ["run", str(refusing / "oe.yaml"), "--target",
                              "python:refusing_target:reply", "--limit", "2", "--db", db,
                              "--json"])  # fmt: skip
    assert res.exit_code == 0, res.output
    s = json.loads(res.stdout)
    assert s["axes"]["open_ended"]["informative"] is False and s["axes"]["open_ended"]["n"] > 0
    rules = {r["id"]: r for r in s["compliance"]["rules"]}
    testing = rules["eu-ai-act.art9-testing"]
    assert testing["status"] == "not assessed", testing
    assert "open_ended not informative" in testing["reason"]
    assert rules["eu-ai-act.art11-documentation"]["status"] != "pass"
