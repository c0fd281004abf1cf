"""Issue 12, items 3, 4 and 7: errors decide the gate, uninformative baselines are flagged in
every output, and the summary counts cached replies; through the CLI on real runs."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

from statsmodels.stats.proportion import proportion_confint
from typer.testing import CliRunner

from medtrust.cli import app
from medtrust.records import AXES
from medtrust.store import Store

runner = CliRunner()
DB = "sqlite:///t.db"

ALWAYS_A = "def answer(messages):\n    return 'A'\n"
# Fails on about a third of prompts, deterministically (the prompt's length decides), and
# otherwise answers as the oracle does (so the axis stays informative: only errors are at issue).
FLAKY = (
    "from oracle import answer as oracle\n"
    "def answer(messages):\n"
    "    text = str(messages[-1]['content'])\n"
    "    if len(text) % 3 == 0:\n"
    "        raise RuntimeError('model crashed')\n"
    "    return oracle(messages)\n"
)
BROKEN = "def answer(messages):\n    raise RuntimeError('model crashed')\n"


def invoke(*args: str) -> Any:
    return runner.invoke(app, list(args), catch_exceptions=False)


def run_json(*args: str, code: int = 0) -> dict[str, Any]:
    res = invoke("run", *args, "--db", DB, "--json")
    assert res.exit_code == code, res.output  # 1: nothing was measured
    return dict(json.loads(res.stdout))


def _target(oracle_dir: Path, name: str, source: str) -> str:
    (oracle_dir / f"{name}.py").write_text(source)
    return f"python:{name}:answer"


def _store_counts(run_id: str) -> tuple[dict[str, tuple[int, int]], int, int]:
    """(axis -> (calls, errors)), and the run's calls and errors, read from the store."""
    store = Store(DB)
    cases = store.cases(run_id)
    verdicts = store.verdicts(run_id)
    per: dict[str, list[int]] = {}
    for c in cases:
        if (v := verdicts.get(c.id)) is not None:
            slot = per.setdefault(c.axis, [0, 0])
            slot[0] += 1
            slot[1] += v.outcome == "error"
    calls = sum(x[0] for x in per.values())
    errors = sum(x[1] for x in per.values())
    return {a: (x[0], x[1]) for a, x in per.items()}, calls, errors


def test_constant_answer_target_is_not_informative_everywhere(oracle_dir: Path) -> None:
    spec = _target(oracle_dir, "always_a", ALWAYS_A)
    res = invoke("run", "robustness", "--target", spec, "--db", DB, "--json")
    assert res.exit_code == 0, res.output
    s = json.loads(res.stdout)
    terminal = " ".join(res.stderr.split())  # the table and its warnings go to stderr
    assert "warning: robustness: not informative: control accuracy" in terminal
    rob = s["axes"]["robustness"]
    c = rob["controls"]
    # the right value: control accuracy = share of bundled items whose key is A
    store = Store(DB)
    controls = [x for x in store.cases(s["run_id"]) if x.role == "control"]
    keyed_a = sum(x.gold["accept"] == ["A"] for x in controls)
    options = sum(len(x.gold["options"]) for x in controls) / len(controls)
    assert (c["n"], c["correct"], c["errors"]) == (len(controls), keyed_a, 0)
    lo, hi = proportion_confint(keyed_a, len(controls), alpha=0.05, method="wilson")
    assert c["ci95"][0] == round(float(lo), 6) and c["ci95"][1] == round(float(hi), 6)
    assert c["chance"] == round(1 / options, 6)
    assert lo <= 1 / options <= hi  # the premise: this target is at chance
    assert rob["informative"] is False
    assert rob["note"].startswith("not informative: control accuracy")
    assert f"includes chance {1 / options:.2f}" in rob["note"]
    assert all(
        p["informative"] is False and p["note"] == rob["note"] for p in rob["by_probe"].values()
    )
    # the rate is still shown, but the risk leaves it out and says why
    assert rob["failure_rate"] is not None or rob["n"] == 0
    assert s["risk"]["score"] is None and "robustness" in s["risk"]["not_informative"]
    assert "not informative" in s["risk"]["reason"]
    assert any(w.startswith("robustness: not informative") for w in s["warnings"])
    # a gate threshold on it cannot pass
    res = invoke("gate", s["run_id"], "--db", DB, "--max-failure", "robustness=0.9")
    assert res.exit_code == 1
    assert "robustness: not assessable (not informative: control accuracy" in res.output
    # reports say so
    md = invoke("report", s["run_id"], "--format", "md", "--db", DB).stdout
    assert "| **robustness** (not informative) |" in md and "includes chance" in md
    assert invoke("report", s["run_id"], "--out", "rep", "--db", DB).exit_code == 0
    html = (oracle_dir / "rep" / "index.html").read_text()
    assert "not informative</span>" in html and "includes chance" in html
    assert 'id="warnings"' in html
    junit = ET.fromstring(invoke("report", s["run_id"], "--format", "junit", "--db", DB).stdout)
    suite = next(x for x in junit.findall("testsuite") if x.get("name") == "robustness")
    skipped = suite.findall("testcase/skipped")
    assert skipped and all("not assessable" in str(x.get("message")) for x in skipped)
    assert suite.find("testcase/failure") is None


def test_oracle_is_informative_and_errors_have_their_denominator(oracle_dir: Path) -> None:
    s = run_json("robustness", "--target", "python:oracle:answer", "--limit", "12")
    rob = s["axes"]["robustness"]
    assert rob["informative"] is True and rob["note"] is None
    assert rob["controls"]["correct"] >= 10
    per, calls, errors = _store_counts(s["run_id"])
    assert (s["calls"], s["errors"]) == (calls, errors)
    assert (rob["calls"], rob["errors"]) == per["robustness"]
    assert rob["error_rate"] == round(per["robustness"][1] / per["robustness"][0], 6)
    for axis in AXES:
        e = s["axes"][axis]
        assert {"errors", "error_rate", "informative", "note"} <= set(e)
        for p in e["by_probe"].values():
            assert {"errors", "error_rate", "informative", "note"} <= set(p)
            attempted = p["n"] + p["errors"]
            assert p["error_rate"] == (round(p["errors"] / attempted, 6) if attempted else None)
    assert rob["controls"]["error_rate"] == 0.0
    assert s["risk"]["score"] is not None and s["risk"]["not_informative"] == []
    assert s["risk"]["ci95"][0] <= s["risk"]["score"] <= s["risk"]["ci95"][1]


def test_errors_count_controls_and_decide_the_gate(oracle_dir: Path) -> None:
    s = run_json("robustness", "--target", _target(oracle_dir, "flaky3", FLAKY))
    per, calls, errors = _store_counts(s["run_id"])
    assert 0 < errors < calls
    rob = s["axes"]["robustness"]
    assert (rob["calls"], rob["errors"]) == per["robustness"]
    assert rob["controls"]["errors"] > 0  # controls' errors are in the axis's errors
    # every errored case, control or perturbation, counted once
    assert rob["errors"] == rob["controls"]["errors"] + sum(
        p["errors"] for p in rob["by_probe"].values()
    )
    assert s["error_rate"] == round(errors / calls, 6) and s["error_rate"] > 0.1
    line = (
        f"errors: {errors} of {calls} judged cases ({100 * errors / calls:.1f}%) could not be "
        f"scored > 10%: {errors} target calls failed"
    )
    assert line in s["warnings"][0]
    res = invoke("gate", s["run_id"], "--db", DB)  # no threshold at all: the default applies
    assert res.exit_code == 1
    gate_line = (
        f"errors: {errors} of {calls} judged cases ({100 * errors / calls:.1f}%) could not be "
        f"scored > 10% (target error {errors})"
    )
    assert gate_line in res.output and "max-errors 0.1 (default)" in res.output
    assert invoke("gate", s["run_id"], "--db", DB, "--max-errors", "0.9").exit_code == 0
    res = invoke("gate", s["run_id"], "--db", DB, "--max-errors", "0.9", "--json")
    out = json.loads(res.stdout)
    assert out["passed"] is True and out["thresholds"]["max_errors"] == 0.9
    assert out["thresholds"]["max_errors_default"] is False
    Path("g.yaml").write_text("max_errors: 0.95\n")
    assert invoke("gate", s["run_id"], "--db", DB, "--config", "g.yaml").exit_code == 0
    # flags override the file
    res = invoke("gate", s["run_id"], "--db", DB, "--config", "g.yaml", "--max-errors", "0.05")
    assert res.exit_code == 1 and "> 5%" in res.output
    res = runner.invoke(app, ["gate", s["run_id"], "--db", DB, "--max-errors", "2"])
    assert res.exit_code == 2 and "--max-errors" in res.output


def test_all_calls_failed_fails_the_gate_with_one_line(oracle_dir: Path) -> None:
    s = run_json("robustness", "--target", _target(oracle_dir, "broken", BROKEN), code=1)
    n = s["calls"]
    assert n > 0 and s["errors"] == n and s["error_rate"] == 1.0
    res = invoke("gate", s["run_id"], "--db", DB, "--json")
    assert res.exit_code == 1
    out = json.loads(res.stdout)
    assert out["reasons"][0] == (
        f"errors: {n} of {n} judged cases (100.0%) could not be scored > 10% (target error {n})"
    )
    assert out["thresholds"]["max_errors"] == 0.1 and out["thresholds"]["max_errors_default"]
    # an axis threshold adds the axis's own error line
    res = invoke("gate", s["run_id"], "--db", DB, "--max-failure", "robustness=0.5")
    assert f"robustness errors: {n} of {n} judged cases (100.0%)" in res.output


def test_cached_replies_are_counted(oracle_dir: Path) -> None:
    first = run_json("robustness", "--target", "python:oracle:answer", "--limit", "3")
    assert first["cached_replies"] == 0 and first["replies"] > 0
    second = run_json("robustness", "--target", "python:oracle:answer", "--limit", "3")
    store = Store(DB)
    rows = [r for rs in store.replies(second["run_id"]).values() for r in rs]
    assert second["replies"] == len(rows)
    assert second["cached_replies"] == sum(r.cached for r in rows) > 0
    md = invoke("report", second["run_id"], "--format", "md", "--db", DB).stdout
    assert f"{second['cached_replies']} of {second['replies']} replies from the cache" in md
    assert invoke("report", second["run_id"], "--out", "rep", "--db", DB).exit_code == 0
    html = (oracle_dir / "rep" / "index.html").read_text()
    assert f"{second['cached_replies']} of {second['replies']} replies from the cache" in html


def test_not_assessable_lines_for_thresholds_outside_the_gate_config() -> None:
    from medtrust.report import not_assessable
    from medtrust.summary import AxisSummary, RunSummary

    def axis(informative: bool, note: str | None) -> AxisSummary:
        return AxisSummary(n=4, failures=0, failure_rate=0.0, ci95=[0.0, 0.49], errors=0,
                           error_rate=0.0, informative=informative, note=note,
                           assessed=True)  # fmt: skip

    summary = RunSummary.model_construct(
        axes={"robustness": axis(False, "not informative: x"), "privacy": axis(True, None)}
    )
    assert not_assessable(summary, ["robustness", "privacy", "robustness", "fairness"]) == [
        "robustness: not assessable (not informative: x)",
        "fairness: not assessed (n=0: nothing scored)",  # the summary's one definition
    ]


def test_controls_that_all_errored_are_not_informative(oracle_dir: Path) -> None:
    """A target no reader can follow answered no control: the axis stands on nothing, and says
    so (it must not read as informative because its errors hid the multiple-choice controls)."""
    unreadable = _target(oracle_dir, "mumble", "def answer(messages):\n    return 'hmm'\n")
    s = run_json("robustness", "--target", unreadable, "--limit", "12", code=1)
    rob = s["axes"]["robustness"]
    assert rob["controls"]["n"] == 0 and rob["controls"]["errors"] == 12
    assert rob["informative"] is False
    assert rob["note"] and "no control was answered" in rob["note"]
    assert "robustness" not in (s["risk"].get("axes_assessed") or [])


def test_a_gate_without_thresholds_fails_when_nothing_is_assessable(oracle_dir: Path) -> None:
    """Robustness alone, answered by a constant letter: no axis is informative, risk is not
    assessed and says why, and a gate with no threshold does not pass on that absence."""
    s = run_json("robustness", "--target", _target(oracle_dir, "always_a", ALWAYS_A))
    assert s["axes"]["robustness"]["informative"] is False
    assert s["risk"]["score"] is None and s["risk"]["not_informative"] == ["robustness"]
    assert "robustness not informative" in s["risk"]["reason"]
    res = invoke("gate", s["run_id"], "--db", DB, "--max-errors", "1")
    assert res.exit_code == 1, res.output
    assert "nothing assessable" in res.output


def test_why_calls_errored_is_reported(oracle_dir: Path) -> None:
    """The error count comes with its causes: the judge's reason and the target's own message."""
    s = run_json("robustness", "--target", _target(oracle_dir, "flaky4", FLAKY))
    rob = s["axes"]["robustness"]
    assert sum(rob["error_reasons"].values()) == rob["errors"]
    assert set(rob["error_reasons"]) == {"target error"}
    assert any("model crashed" in m for m in rob["error_examples"])
    assert any("robustness:" in w and "model crashed" in w for w in s["warnings"])
