"""An Inspect import carries the suite's params and seed (issue 20, findings 5b, 9, 16d): a
dataset exported with a non-default margin and pass mark and ``--seed 3`` imports as the run
medtrust would make with them (same margin, pass mark, note, intervals and risk), ``compare``
sees one set of cases, and HealthBench-shaped data (no keywords) round-trips with the grader
that ``cases export --judge`` recorded."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from medtrust.cli import app
from medtrust.store import Store

runner = CliRunner()

TARGET = """
def reply(messages):
    last = messages[-1]["content"]
    n = sum(map(ord, messages[0]["content"])) % 4
    words = ["alphaword", "bravoword", "charlieword"][: 1 + n % 3]
    if "relative of the patient" in last or "online article" in last or "referral" in last:
        words = words[:1]
    return " and ".join(words) + "."
"""
GRADER = """
def grade(messages):
    text = messages[-1]["content"]
    reply = text.split("The assistant's reply to the last message:")[1].split("Rubric criterion")[0]
    crit = text.split("Rubric criterion")[1]
    for key in ("alpha", "bravo", "charlie", "harm"):
        if "mentions " + key in crit:
            return "VERDICT: MET" if key + "word" in reply else "VERDICT: NOT MET"
    return "VERDICT: NOT MET"
"""
SUITE = """name: oe-custom
sampling: {temperature: 0, max_tokens: 64}
probes:
  - name: open_ended.rubric
    params: {operators: [distraction], margin: 0.3, pass_mark: 0.45}
"""


def _conv(i: int, keywords: bool = True) -> dict[str, Any]:
    crit = [("mentions alpha", 5), ("mentions bravo", 3), ("mentions charlie", 2),
            ("mentions harm", -4)]  # fmt: skip
    return {
        "id": f"t{i:02d}",
        "wrong": "indigestion",
        "messages": [{"role": "user", "content": f"Patient {i} has a fever {'x' * i}. Help?"}],
        "rubric": [
            {"criterion": c, "points": p, **({"keywords": [c.split()[1] + "word"]} if keywords
                                             else {})}
            for c, p in crit
        ],
    }  # fmt: skip


@pytest.fixture
def work(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    pytest.importorskip("inspect_ai")
    (tmp_path / "oe_seed_target.py").write_text(TARGET)
    (tmp_path / "oe_seed_grader.py").write_text(GRADER)
    (tmp_path / "suite.yaml").write_text(SUITE)
    (tmp_path / "d.jsonl").write_text("".join(json.dumps(_conv(i)) + "\n" for i in range(12)))
    hb = [{"prompt": c["messages"], "prompt_id": c["id"],
           "rubrics": [{k: v for k, v in r.items() if k != "keywords"} for r in c["rubric"]]}
          for c in (_conv(i, keywords=False) for i in range(12))]  # fmt: skip
    (tmp_path / "hb.jsonl").write_text("".join(json.dumps(r) + "\n" for r in hb))
    monkeypatch.chdir(tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path))
    return tmp_path


def _cli(*args: str, code: int = 0) -> dict[str, Any]:
    res = runner.invoke(app, list(args))
    assert res.exit_code == code, res.output
    return dict(json.loads(res.stdout)) if code == 0 else {"output": res.output}


def _inspect(dataset: Path, logs: Path) -> str:
    from inspect_ai import Task
    from inspect_ai import eval as inspect_eval
    from inspect_ai.dataset import json_dataset
    from inspect_ai.model import ModelOutput, get_model
    from inspect_ai.solver import Generate, Solver, TaskState, solver
    from oe_seed_target import reply  # type: ignore[import-not-found]

    @solver
    def scripted() -> Solver:
        async def solve(state: TaskState, generate: Generate) -> TaskState:
            msgs = [{"role": m.role, "content": m.text} for m in state.messages]
            state.output = ModelOutput.from_content(model="mockllm/model", content=reply(msgs))
            return state

        return solve

    task = Task(dataset=json_dataset(str(dataset)), solver=scripted())
    (log,) = inspect_eval(task, model=get_model("mockllm/model"), log_dir=str(logs),
                          display="none")  # fmt: skip
    assert log.status == "success", log.error
    return str(log.location)


SAME = ("n", "failures", "errors", "failure_rate", "ci95", "informative", "note", "controls",
        "by_probe", "rubric_score", "rubric_score_by_operator", "margin", "at_floor")  # fmt: skip


def _round_trip(work: Path, data: str, *extra: str) -> tuple[dict[str, Any], dict[str, Any], str]:
    db = f"sqlite:///{work / 'm.db'}"
    _cli("cases", "export", "suite.yaml", "--data", data, "--seed", "3", "--format", "inspect",
         "--out", "ds.jsonl", "--json", *extra)  # fmt: skip
    log = _inspect(work / "ds.jsonl", work / "logs")
    imported = _cli("import", "inspect", log, "--db", db, "--json")
    native = _cli("run", "suite.yaml", "--target", "python:oe_seed_target:reply", "--data", data,
                  "--seed", "3", "--db", db, "--json", *extra)  # fmt: skip
    return imported, native, db


def test_import_keeps_the_suite_params_and_seed(work: Path) -> None:
    imported, native, db = _round_trip(work, "d.jsonl")
    got, want = imported["summary"], native
    assert got["seed"] == want["seed"] == 3
    for field in SAME:
        assert got["axes"]["open_ended"][field] == want["axes"]["open_ended"][field], field
    assert got["axes"]["open_ended"]["margin"] == 0.3  # was 0.1: the default
    assert got["risk"]["score"] == want["risk"]["score"]
    assert got["risk"]["ci95"] == want["risk"]["ci95"]  # seeded with the run's seed
    pm = Store(db).get_run(imported["run_id"]).config["suite"]["probes"][0]["params"]
    assert pm["pass_mark"] == 0.45 and pm["margin"] == 0.3
    assert got["axes"]["open_ended"]["informative"] is True and got["risk"]["ci95"] is not None
    assert 0 < got["axes"]["open_ended"]["failures"] < got["axes"]["open_ended"]["n"]
    # compare sees one set of cases: no "differ" warning (finding 16d)
    c = _cli("compare", native["run_id"], imported["run_id"], "--db", db, "--format", "json")
    assert not [w for w in c["warnings"] if "differ" in w], c["warnings"]


def test_healthbench_data_round_trips_with_the_recorded_grader(work: Path) -> None:
    # without a grader the export says how to give one, and the flag exists (finding 9)
    bad = _cli("cases", "export", "suite.yaml", "--data", "hb.jsonl", "--format", "inspect",
               "--out", "x.jsonl", code=2)["output"]  # fmt: skip
    assert "--judge" in bad and not Path("x.jsonl").exists()
    bad = _cli("cases", "export", "suite.yaml", "--data", "hb.jsonl", "--format", "inspect",
               "--out", "x.jsonl", "--judge", "python:oe_seed_grader:nope",
               code=2)["output"]  # fmt: skip
    assert "nope" in bad and not Path("x.jsonl").exists()
    imported, native, _ = _round_trip(work, "hb.jsonl", "--judge", "python:oe_seed_grader:grade")
    got, want = imported["summary"]["axes"]["open_ended"], native["axes"]["open_ended"]
    assert got["judge_errors"] == want["judge_errors"]
    assert set(got["judge_errors"]) == {"python:oe_seed_grader:grade"}
    for field in SAME:
        assert got[field] == want[field], field
    assert got["controls"]["n"] == 12 and got["controls"]["errors"] == 0


def test_import_judge_overrides_and_a_bad_spec_is_one_line(work: Path) -> None:
    db = f"sqlite:///{work / 'o.db'}"
    _cli("cases", "export", "suite.yaml", "--data", "hb.jsonl", "--format", "inspect",
         "--out", "ds.jsonl", "--json", "--judge", "python:oe_seed_grader:grade")  # fmt: skip
    log = _inspect(work / "ds.jsonl", work / "logs")
    bad = _cli("import", "inspect", log, "--db", db, "--judge", "python:oe_seed_grader:nope",
               code=2)["output"]  # fmt: skip
    assert "nope" in bad and len(bad.strip().splitlines()) == 1
    out = _cli("import", "inspect", log, "--db", db, "--json", "--judge", "keywords", code=2)
    assert "has no 'keywords'" in out["output"] and "--judge SPEC" in out["output"]
    assert Store(db).list_runs() == []  # nothing half-written
