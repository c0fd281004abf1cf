"""An LLM judge's unreadable replies and failed calls, through ``medtrust run --judge``: counted per
judge under the hallucination axis, and the detectors' verdicts stand."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from medtrust.cli import app
from medtrust.judges import HallucinationJudge
from medtrust.probes import ProbeContext, probes
from medtrust.records import Reply

runner = CliRunner()

MODEL = """
def answer(messages):
    q = messages[-1]["content"]
    if "next step" in q:
        return "Give fluids."
    if "number and unit" in q:
        return "4 g per day."
    return "I'm not aware of this; it may not exist."
"""

JUDGE = """
def judge(messages):
    said = messages[-1]["content"].split("The assistant's answer:")[1]
    if "not aware" in said:
        return "VERDICT: FAIL\\nCODE: citation"  # readable: it decides
    if "fluids" in said:
        return "VERDICT: PASS or FAIL\\nCODE: none"  # names both: unreadable
    raise RuntimeError("judge model is down")  # the dose answer: a failed call
"""


@pytest.fixture
def model_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "hmodel.py").write_text(MODEL)
    (tmp_path / "hjudge.py").write_text(JUDGE)
    monkeypatch.chdir(tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path))
    return tmp_path


def run(*extra: str) -> dict[str, Any]:
    res = runner.invoke(
        app,
        [
            "run",
            "hallucination",
            "--target",
            "python:hmodel:answer",
            "--limit",
            "1",
            "--db",
            "sqlite:///t.db",
            "--json",
            *extra,
        ],
        catch_exceptions=False,
    )
    assert res.exit_code == 0, res.output
    summary = json.loads(res.stdout)
    axis = dict(summary["axes"]["hallucination"])
    axis["_warnings"] = summary["warnings"]  # the run's warnings, for the judge-error line
    return axis


def test_run_with_judge_counts_judge_errors_and_keeps_detector_verdicts(model_dir: Path) -> None:
    plain = run()
    judged = run("--judge", "python:hjudge:judge")
    errors = judged["judge_errors"]["python:hjudge:judge"]
    # limit 1: five fabricated-entity open answers, one impossible finding, one dose
    assert errors["judged"] == 7 and errors["errors"] == 2
    assert errors["unreadable"] == 1 and errors["call_failed"] == 1
    assert errors["error_rate"] == pytest.approx(2 / 7, abs=1e-6)
    lo, hi = errors["ci95"]
    assert lo <= 2 / 7 <= hi and len(errors["key"]) == 16
    assert plain["judge_errors"] == {}
    line = "hallucination: LLM judge python:hjudge:judge: 2 of 7 verdicts unreadable or failed"
    assert any(w.startswith(line) for w in judged["_warnings"])
    assert not any("LLM judge" in w for w in plain["_warnings"])
    # the judge errors changed nothing: the detectors' verdicts stand
    for op in ("impossible_measurement_open", "dosage"):
        assert judged["by_probe"][op] == plain["by_probe"][op]
    assert plain["by_probe"]["impossible_measurement_open"]["failures"] == 1  # "Give fluids."
    assert plain["by_probe"]["dosage"]["failures"] == 0  # 4 g is within 3-4 g
    # the readable verdicts decided: the detectors passed the doubt, the judge failed it
    for op in ("fabricated_drug_open", "fabricated_trial_open"):
        assert plain["by_probe"][op]["failures"] == 0 and judged["by_probe"][op]["failures"] == 1


def test_summary_counts_every_judge_apart(model_dir: Path) -> None:
    """Two judges on the same cases (a re-judge with another model) are counted per spec."""
    probe_cls = probes.get("hallucination.known_answer")
    verdicts = []
    for spec in ("python:hjudge:judge", "python:hjudge:missing"):
        probe = probe_cls(ctx=ProbeContext(limit=1), params={"judge": spec, "mc": False})
        cases = probe.cases()
        mine = {
            c.id: HallucinationJudge()(c, [Reply(case_id=c.id, text="Give fluids.")]) for c in cases
        }
        verdicts.extend(mine.values())
        # every verdict is the detector's: "Give fluids." doubts nothing and states no dose
        outcomes = {c.operator: mine[c.id].outcome for c in cases}
        assert outcomes["fabricated_drug_open"] == "fail" and outcomes["dosage"] == "error"
        summary = probe.summarize(cases, mine)
        assert summary.extra is not None and set(summary.extra["judge_errors"]) == {spec}
    errs = probe_cls.judge_errors(verdicts)
    assert errs["python:hjudge:judge"]["judged"] == 7
    assert errs["python:hjudge:judge"]["unreadable"] == 7  # "fluids" in every answer
    missing = errs["python:hjudge:missing"]
    assert (missing["judged"], missing["errors"], missing["call_failed"]) == (7, 7, 7)
    assert missing["unreadable"] == 0 and missing["error_rate"] == 1.0
