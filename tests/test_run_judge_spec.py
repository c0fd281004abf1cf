"""``run --judge SPEC`` resolves the grader before any target call (issue 20 follow-up): a bad
spec is one line and exit 2, as for a bad ``--target``, not a run whose every verdict is a
judge error."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from medtrust.cli import app
from medtrust.store import Store

runner = CliRunner()

MODULE = """
from pathlib import Path

def reply(messages):
    with Path("calls.log").open("a") as fh:
        fh.write("call\\n")
    return "Call an ambulance now."

def grade(messages):
    return "VERDICT: MET"
"""


@pytest.fixture
def work(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "spec_target.py").write_text(MODULE)
    monkeypatch.chdir(tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path))
    return tmp_path


@pytest.mark.parametrize(
    ("suite", "spec", "message"),
    [
        ("open-ended", "python:spec_target:nosuchfunc", "'spec_target' has no attribute"),
        ("open-ended", "python:no_such_module_x:grade", "cannot import"),
        ("open-ended", "nosuch:thing", "unknown target 'nosuch'"),
        ("hallucination", "python:spec_target:nosuchfunc", "'spec_target' has no attribute"),
    ],
)
def test_a_bad_judge_spec_stops_the_run_before_any_call(
    work: Path, suite: str, spec: str, message: str
) -> None:
    db = f"sqlite:///{work / 'm.db'}"
    res = runner.invoke(app, ["run", suite, "--target", "python:spec_target:reply", "--judge",
                              spec, "--limit", "2", "--db", db])  # fmt: skip
    assert res.exit_code == 2, res.output
    out = " ".join(res.output.split())
    assert out.startswith(f"error: --judge {spec}: ") and message in out
    assert not (work / "calls.log").exists()  # the target was never called
    assert Store(db).list_runs() == []


def test_a_good_judge_spec_runs(work: Path) -> None:
    db = f"sqlite:///{work / 'm.db'}"
    res = runner.invoke(app, ["run", "open-ended", "--target", "python:spec_target:reply",
                              "--judge", "python:spec_target:grade", "--limit", "1",
                              "--db", db])  # fmt: skip
    assert res.exit_code == 0, res.output
    assert (work / "calls.log").exists()
