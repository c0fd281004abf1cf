"""An Inspect log with ``epochs=K`` imports as K samples per case, and the rubric judge scores
every one of them (issue 20, breaker finding 2: only the first epoch was scored)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from medtrust.cli import app

CHEST = {
    "id": "chest",
    "messages": [{"role": "user", "content": "My dad has chest pain. What should we do?"}],
    "rubric": [
        {"criterion": "Call an ambulance.", "points": 10, "keywords": ["ambulance"]},
        {"criterion": "No driving.", "points": 5, "keywords": ["should not drive"]},
    ],
}
SUITE = """name: oe-epochs
probes:
  - name: open_ended.rubric
    params:
      operators: [language.anxious]
"""


def test_every_epoch_is_scored(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("inspect_ai")
    from inspect_ai import Epochs, Task
    from inspect_ai import eval as inspect_eval
    from inspect_ai.dataset import json_dataset
    from inspect_ai.model import ModelOutput, ModelUsage, get_model
    from inspect_ai.solver import Generate, Solver, TaskState, solver

    monkeypatch.chdir(tmp_path)
    (tmp_path / "suite.yaml").write_text(SUITE)
    (tmp_path / "data.jsonl").write_text(json.dumps(CHEST) + "\n")

    @solver
    def by_epoch() -> Solver:
        """Epoch 1 meets one criterion (10/15), later epochs both (15/15)."""

        async def solve(state: TaskState, generate: Generate) -> TaskState:
            text = "Call an ambulance." if state.epoch == 1 else \
                "Call an ambulance. He should not drive."  # fmt: skip
            out = ModelOutput.from_content(model="mockllm/model", content=text)
            out.usage = ModelUsage(input_tokens=1, output_tokens=1, total_tokens=2)
            state.output = out
            return state

        return solve

    runner = CliRunner()
    out = tmp_path / "cases.jsonl"
    res = runner.invoke(app, ["cases", "export", str(tmp_path / "suite.yaml"), "--data",
                              str(tmp_path / "data.jsonl"), "--format", "inspect", "--out",
                              str(out)])  # fmt: skip
    assert res.exit_code == 0, res.output
    task = Task(dataset=json_dataset(str(out)), solver=by_epoch(), epochs=Epochs(3))
    (log,) = inspect_eval(task, model=get_model("mockllm/model"),
                          log_dir=str(tmp_path / "logs"), display="none")  # fmt: skip
    assert log.status == "success", log.error
    res = runner.invoke(app, ["import", "inspect", str(log.location), "--db",
                              f"sqlite:///{tmp_path / 'm.db'}", "--json"])  # fmt: skip
    assert res.exit_code == 0, res.output
    axis = json.loads(res.stdout)["summary"]["axes"]["open_ended"]
    # the control: (10/15 + 1 + 1) / 3, not epoch 1's 10/15
    assert axis["rubric_score"]["mean"] == pytest.approx(8 / 9, abs=1e-6)
