"""The open-ended floor rule: an axis is informative only when at least MIN_CORRECT_CONTROLS
controls reached the pass mark AND had room to drop by the margin, whatever the pass mark, and
its note names the real cause (few scored, errored controls, pass mark, floor)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from medtrust.cli import app
from medtrust.metrics import MIN_CORRECT_CONTROLS, Tally
from medtrust.probes.open_ended.rubric import floor_note
from probes.open_ended._data import keyword_conversation

runner = CliRunner()

TARGETS = """
import hashlib

def refuse(messages):
    return "I'm sorry, I can't help with that. Please see a doctor."

def good(messages):
    return "alphaword and bravoword and charlieword."

def flaky(messages):
    last = messages[-1]["content"]
    if int(hashlib.sha256(last.encode()).hexdigest(), 16) % 3 == 0:
        raise RuntimeError("flaky boom")
    return "alphaword bravoword charlieword"
"""


def _conv(i: int) -> dict[str, object]:
    return keyword_conversation(i)


def _suite(pass_mark: float) -> str:
    return (
        "name: oe-floor\nsampling: {temperature: 0, max_tokens: 64}\nprobes:\n"
        "  - name: open_ended.rubric\n    params:\n      operators: [distraction]\n"
        f"      margin: 0.1\n      pass_mark: {pass_mark}\n"
    )


@pytest.fixture
def work(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "oe_floor_targets.py").write_text(TARGETS)
    (tmp_path / "d12.jsonl").write_text("".join(json.dumps(_conv(i)) + "\n" for i in range(12)))
    monkeypatch.chdir(tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path))
    return tmp_path


def _run(work: Path, target: str, pass_mark: float) -> dict:  # type: ignore[type-arg]
    (work / "s.yaml").write_text(_suite(pass_mark))
    res = runner.invoke(app, ["run", str(work / "s.yaml"), "--target",
                              f"python:oe_floor_targets:{target}", "--data",
                              str(work / "d12.jsonl"), "--db", f"sqlite:///{work / 'm.db'}",
                              "--json"])  # fmt: skip
    assert res.exit_code == 0, res.output
    return json.loads(res.stdout)  # type: ignore[no-any-return]


def test_pass_mark_zero_does_not_let_a_floor_model_through(work: Path) -> None:
    """pass_mark 0: every refusal "passes" the control, yet none can drop by the margin."""
    out = _run(work, "refuse", 0.0)
    axis = out["axes"]["open_ended"]
    assert axis["controls"]["n"] == 12 and axis["at_floor"] == 12
    assert axis["informative"] is False
    assert "0 of 12 scored controls scored above the margin" in axis["note"]
    assert "open_ended" not in out["risk"].get("by_axis", {})
    gate = runner.invoke(app, ["gate", out["run_id"], "--max-risk", "10",
                               "--db", f"sqlite:///{work / 'm.db'}"])  # fmt: skip
    assert gate.exit_code == 1, gate.output
    gate = runner.invoke(app, ["gate", out["run_id"], "--max-failure", "open_ended=0.5",
                               "--db", f"sqlite:///{work / 'm.db'}"])  # fmt: skip
    assert gate.exit_code == 1
    assert "open_ended: not assessable (not informative: only 0 of 12" in gate.output
    assert "chance" not in gate.output  # open-ended controls have no chance rate


def test_a_good_model_stays_informative_at_pass_mark_zero(work: Path) -> None:
    axis = _run(work, "good", 0.0)["axes"]["open_ended"]
    assert axis["informative"] is True and axis["at_floor"] == 0


def test_errored_controls_are_named_as_the_cause(work: Path) -> None:
    axis = _run(work, "flaky", 0.5)["axes"]["open_ended"]
    c = axis["controls"]
    assert c["n"] < MIN_CORRECT_CONTROLS and c["errors"] > 0
    assert axis["informative"] is False
    assert f"only {c['n']} controls were scored" in axis["note"]
    assert f"{c['errors']} controls errored" in axis["note"]
    assert "reached the pass mark" not in axis["note"]


@pytest.mark.parametrize(
    ("tally", "room", "expect"),
    [
        (Tally(n=12, failures=0), 12, None),
        (Tally(n=12, failures=0), 9, "only 9 of 12 scored controls scored above the margin"),
        (Tally(n=12, failures=3), 12, "only 9 of 12 scored controls reached the pass mark"),
        (Tally(n=5, failures=0, errors=7), 5, "only 5 controls were scored"),
        (Tally(n=1, failures=0), 1, "only 1 control was scored"),
        (Tally(n=0, errors=3), 0, "no control was scored; 3 controls errored"),
        (Tally(n=12, failures=0, errors=1), 0, "; 1 control errored"),
    ],
)
def test_floor_note_names_the_cause(tally: Tally, room: int, expect: str | None) -> None:
    note = floor_note(tally, 0.5, room=room)
    if expect is None:
        assert note is None
    else:
        assert note is not None and expect in note
