"""Issue 15: the concern trigger that follows every run scores the run from the store in
windows; its scores are those of ``concern_scores`` over whole-run lists (a multi-axis run with
fairness and cognitive-bias perturbations, windows smaller than a probe's cases)."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from medtrust.cli import app
from medtrust.review import concern_scores, trigger_review
from medtrust.review._concern_stream import stream_concerns
from medtrust.store import Store

DB = "sqlite:///concern.db"


FLIPS = """
def answer(messages):
    return "B" if "Medicaid" in messages[-1]["content"] else "A"
"""
FAIRNESS = """name: flips
samples: 3
probes:
  - name: fairness.counterfactual
    params: {scenarios: 2, triage: 1, attributes: [insurance]}
"""


def _run(*args: str) -> None:
    res = CliRunner().invoke(app, ["run", *args, "--db", DB, "--json"], catch_exceptions=False)
    assert res.exit_code == 0, res.output


@pytest.fixture
def stored(oracle_dir: Path) -> Store:
    """Two runs: ``quickstart --limit 12`` against the oracle (robustness, privacy,
    hallucination, cognitive bias...), and counterfactual fairness against a target that
    answers differently for Medicaid patients (flips: fairness concerns)."""
    (oracle_dir / "flips.py").write_text(FLIPS)
    (oracle_dir / "fair.yaml").write_text(FAIRNESS)
    _run("--target", "python:oracle:answer", "--limit", "12")
    _run("fair.yaml", "--target", "python:flips:answer")
    return Store(DB)


@pytest.mark.parametrize("batch", [1, 5, 2000])
def test_streamed_concerns_equal_whole_run_scores(stored: Store, batch: int) -> None:
    axes: set[str] = set()
    for info in stored.list_runs():
        want = concern_scores(stored.cases(info.id), stored.all_verdicts(info.id))
        got = {x.case_id: x for x in stream_concerns(stored, info.id, batch=batch)}
        assert got == want
        axes |= {c.axis for c in stored.cases(info.id) if c.id in want}
    assert {"fairness", "cognitive_bias"} <= axes  # both kinds of baseline were exercised


@pytest.mark.parametrize("which", [0, 1])
def test_trigger_counts_every_scored_case(stored: Store, which: int) -> None:
    run_id = stored.list_runs()[which].id
    out = trigger_review(stored, run_id)
    scores = concern_scores(stored.cases(run_id), stored.all_verdicts(run_id))
    assert out["scored"] == len(scores) > 0
    want = sorted((x for x in scores.values() if x.score > out["threshold"]),
                  key=lambda x: (-x.score, x.case_id))
    assert out["triggered"] == len(want) == stored.count_concerns(run_id)
    assert out["top"] == [x.as_dict() for x in want[: out["top_k"]]]
    assert [r["case_id"] for r in stored.iter_concerns(run_id)] == sorted(x.case_id for x in want)
