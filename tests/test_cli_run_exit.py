"""``medtrust run``'s exit code and what it says: 1 when nothing was measured (every judged
case of the run, of an axis it asked, or of one of several targets errored), 0 when only some
calls failed; the target calls it made counted per sample; and Ctrl-C advice that fits where
the run stands in the store (resume it, or write the report of a run that had finished)."""

from __future__ import annotations

import importlib
import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from medtrust.cli import app
from medtrust.store import Store

runner = CliRunner()
DB = "sqlite:///t.db"

FAILS = "def answer(messages):\n    raise RuntimeError('model crashed')\n"
MC_ONLY = (  # answers multiple choice; every other prompt (privacy, hallucination) crashes
    "from oracle import answer as _a\n"
    "def answer(messages):\n"
    "    if '\\nA. ' not in messages[-1]['content']:\n"
    "        raise RuntimeError('only multiple choice')\n"
    "    return _a(messages)\n"
)
FLAKY = (  # the inverted questions crash, the rest are answered
    "from oracle import answer as _a\n"
    "def answer(messages):\n"
    "    if 'NOT' in messages[-1]['content']:\n"
    "        raise RuntimeError('model crashed')\n"
    "    return _a(messages)\n"
)
STOPS = (  # Ctrl-C at the 5th call
    "from pathlib import Path\n"
    "from oracle import answer as _a\n"
    "def answer(messages):\n"
    "    log = Path('oracle_calls.log')\n"
    "    if log.exists() and len(log.read_text().splitlines()) == 5 and Path('stop').exists():\n"
    "        Path('stop').unlink()\n"
    "        raise KeyboardInterrupt\n"
    "    return _a(messages)\n"
)


def said(res: Any) -> str:
    """stderr with rich's line wrapping undone."""
    return " ".join(res.stderr.split())


def error_line(res: Any) -> str:
    """The "nothing was measured" line (rich's wrapping undone; it comes last)."""
    text = said(res)
    return text[text.index("error: nothing was measured") :]


def run(*args: str) -> Any:
    return runner.invoke(app, ["run", *args, "--db", DB], catch_exceptions=False)


def runs() -> list[dict[str, Any]]:
    res = runner.invoke(app, ["runs", "--db", DB, "--json"], catch_exceptions=False)
    listed: list[dict[str, Any]] = json.loads(res.stdout)["runs"]
    return listed


def test_every_call_failing_exits_1_and_the_run_is_still_stored(oracle_dir: Path) -> None:
    (oracle_dir / "fails.py").write_text(FAILS)
    res = run("robustness", "-t", "python:fails:answer", "--limit", "2", "--samples", "3",
              "--json")  # fmt: skip
    assert res.exit_code == 1
    s = json.loads(res.stdout)  # the summary is still printed, and stored
    assert s["calls"] > 0 and s["errors"] == s["calls"]
    rid = s["run_id"]
    line = error_line(res)
    assert line.startswith(
        f"error: nothing was measured: {s['errors']} of {s['calls']} judged cases errored "
        f"(target error: {s['errors']}); {3 * s['calls']} of {3 * s['calls']} target calls "
        f"failed; run {rid} is stored: `medtrust report {rid}`"
    )
    assert [(r["id"], r["status"]) for r in runs()] == [(rid, "done")]
    assert (oracle_dir / "medtrust-report" / rid / "index.html").is_file()


def test_a_server_answering_500_to_everything_exits_1(oracle_dir: Path, stub: Any) -> None:
    stub.plan[""] = [("status", 500)] * 1000  # "" is in every prompt: every call gets a 500
    res = run("robustness", "-t", f"openai:m@{stub.base_url}", "--limit", "2", "--retries", "0")
    assert res.exit_code == 1, res.output
    assert stub.total > 0
    ((rid, status),) = [(r["id"], r["status"]) for r in runs()]
    assert status == "done"
    assert f"of {stub.total} target calls failed; run {rid} is stored" in said(res)
    assert [ln for ln in res.stderr.splitlines() if ln.startswith("error:")] == [
        res.stderr[res.stderr.index("error: nothing") :].splitlines()[0]
    ]


def test_an_axis_that_measured_nothing_exits_1_and_is_named(oracle_dir: Path) -> None:
    (oracle_dir / "mconly.py").write_text(MC_ONLY)
    res = run("quickstart", "-t", "python:mconly:answer", "--limit", "2", "--json")
    assert res.exit_code == 1
    axes = json.loads(res.stdout)["axes"]
    empty = [a for a, e in axes.items() if a != "compliance" and e["calls"] and
             e["errors"] == e["calls"]]  # fmt: skip
    assert empty and axes["robustness"]["n"] > 0  # something else was measured
    line = error_line(res)
    assert f"error: nothing was measured on {' and '.join(empty)}: every judged case" in line
    assert "the other axes were scored" in line and "robustness" not in line


def test_some_failed_calls_exit_0_the_summary_counts_them(oracle_dir: Path) -> None:
    (oracle_dir / "flaky.py").write_text(FLAKY)
    res = run("robustness", "-t", "python:flaky:answer", "--limit", "4", "--json")
    assert res.exit_code == 0, res.output
    rob = json.loads(res.stdout)["axes"]["robustness"]
    assert 0 < rob["errors"] < rob["calls"]
    assert "nothing was measured" not in said(res)


def test_a_target_of_several_that_measured_nothing_exits_1(oracle_dir: Path) -> None:
    (oracle_dir / "fails.py").write_text(FAILS)
    res = run("robustness", "-t", "python:oracle:answer", "-t", "python:fails:answer",
              "--limit", "2", "--json")  # fmt: skip
    assert res.exit_code == 1
    members = {m["target"]: m for m in json.loads(res.stdout)["runs"]}
    bad = members["python:fails:answer"]["run_id"]
    line = error_line(res)
    assert line.startswith(
        f"error: nothing was measured on 1 target(s): python:fails:answer (run {bad}: robustness)"
    )
    assert "python:oracle:answer" not in line


def test_target_calls_are_counted_per_sample(oracle_dir: Path) -> None:
    args = ("robustness", "-t", "python:oracle:answer", "--limit", "2", "--samples", "3", "--json")
    first = run(*args)
    assert first.exit_code == 0, first.output
    s = json.loads(first.stdout)
    calls = len((oracle_dir / "oracle_calls.log").read_text().splitlines())  # what the target saw
    stored = sum(len(r) for r in Store(DB).replies(s["run_id"]).values())
    assert calls == stored == s["replies"] == 3 * s["cases"]
    assert f"0 of {calls} replies from the cache; {calls} target calls (0 failed)" in said(first)
    again = run(*args)
    assert f"{calls} of {calls} replies from the cache; 0 target calls (0 failed)" in said(again)
    assert len((oracle_dir / "oracle_calls.log").read_text().splitlines()) == calls


def test_ctrl_c_mid_run_names_the_run_to_resume(oracle_dir: Path) -> None:
    (oracle_dir / "stops.py").write_text(STOPS)
    (oracle_dir / "stop").touch()
    res = run("robustness", "-t", "python:stops:answer", "--limit", "3", "--concurrency", "1")
    assert res.exit_code == 130
    ((rid, status),) = [(r["id"], r["status"]) for r in runs()]
    assert status == "interrupted"
    assert (
        f"interrupted: every reply received so far is stored; finish with `medtrust run "
        f"--resume {rid}`" in said(res)
    )
    assert "RUN_ID" not in said(res)
    resumed = run("--resume", rid)  # the advice works
    assert resumed.exit_code == 0, resumed.output


def test_ctrl_c_while_the_review_queue_is_built_leaves_the_run_resumable(
    oracle_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A run is done once its review queue is built (``api._run``): stopped in the concern
    trigger it is interrupted, and ``--resume`` builds the queue and the report."""

    def ctrl_c(*args: Any, **kwargs: Any) -> Any:
        raise KeyboardInterrupt

    real = importlib.import_module("medtrust.review").trigger_review
    monkeypatch.setattr("medtrust.review.trigger_review", ctrl_c)
    res = run("robustness", "-t", "python:oracle:answer", "--limit", "2", "--out", "rep")
    assert res.exit_code == 130
    ((rid, status),) = [(r["id"], r["status"]) for r in runs()]
    assert status == "interrupted"
    assert f"finish with `medtrust run --resume {rid}`" in said(res)
    monkeypatch.setattr("medtrust.review.trigger_review", real)
    resumed = run("--resume", rid, "--out", "rep")
    assert resumed.exit_code == 0, resumed.output
    assert [r["status"] for r in runs()] == ["done"]
    assert (Path("rep") / rid / "index.html").is_file()


@pytest.mark.parametrize("step", ["medtrust.report.write_report"])
def test_ctrl_c_after_the_run_is_done_says_how_to_write_the_report(
    oracle_dir: Path, monkeypatch: pytest.MonkeyPatch, step: str
) -> None:
    def ctrl_c(*args: Any, **kwargs: Any) -> Any:
        raise KeyboardInterrupt

    module, name = step.rsplit(".", 1)
    real = getattr(importlib.import_module(module), name)
    monkeypatch.setattr(step, ctrl_c)
    res = run("robustness", "-t", "python:oracle:answer", "--limit", "2", "--out", "rep")
    assert res.exit_code == 130
    ((rid, status),) = [(r["id"], r["status"]) for r in runs()]
    assert status == "done"
    out = Path("rep") / rid
    line = said(res)
    assert f"interrupted: run {rid} had finished" in line
    assert f"`medtrust report {rid} --format html --out {out}`" in line
    assert "--resume" not in line and not (out / "index.html").exists()
    monkeypatch.setattr(step, real)
    args = line.split("`medtrust ", 2)[1].split("`")[0].split()  # the advice, word for word
    written = runner.invoke(app, [*args, "--db", DB], catch_exceptions=False)
    assert written.exit_code == 0, written.output
    assert (out / "index.html").is_file()


def test_ctrl_c_before_the_run_exists_says_nothing_was_stored(
    oracle_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def ctrl_c(*args: Any, **kwargs: Any) -> Any:
        raise KeyboardInterrupt

    monkeypatch.setattr("medtrust.api._run.open_target", ctrl_c)
    res = run("robustness", "-t", "python:oracle:answer", "--limit", "2")
    assert res.exit_code == 130
    assert "interrupted: before the run was created; nothing was stored" in said(res)
    assert runs() == []


def test_ctrl_c_after_a_member_of_several_is_done_says_how_to_write_its_report(
    oracle_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def ctrl_c(*args: Any, **kwargs: Any) -> Any:
        raise KeyboardInterrupt

    monkeypatch.setattr("medtrust.report.write_report", ctrl_c)
    (oracle_dir / "other.py").write_text("from oracle import answer\n")
    res = run("robustness", "-t", "python:oracle:answer", "-t", "python:other:answer",
              "--limit", "2", "--out", "rep")  # fmt: skip
    assert res.exit_code == 130
    ((rid, status, comparison),) = [(r["id"], r["status"], r["comparison"]) for r in runs()]
    assert status == "done"
    line = said(res)
    assert "targets not started: python:other:answer" in line
    assert f"run {rid} (python:oracle:answer) had finished" in line
    assert f"`medtrust report {rid} --format html --out rep/01-python_oracle_answer`" in line
    assert f"`medtrust compare {comparison} --format html --out rep/leaderboard.html`" in line
    assert "--resume" not in line


def test_help_states_the_exit_codes() -> None:
    res = runner.invoke(app, ["run", "--help"], env={"COLUMNS": "200"})
    text = " ".join(res.output.split())
    assert "Exit codes: 0 measured, also when some calls failed" in text
    assert "1 nothing was measured" in text and "130 interrupted (Ctrl-C)" in text
