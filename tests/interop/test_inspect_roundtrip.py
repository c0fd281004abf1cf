"""Inspect AI both ways: medtrust cases out as an Inspect dataset, an Inspect log back in as a
run that medtrust judges, reports and audits. Inspect runs offline against its mock model."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from medtrust.cli import app
from medtrust.interop import dataset_row, write_dataset
from medtrust.store import Store

pytest.importorskip("inspect_ai")
from inspect_ai import Task
from inspect_ai import eval as inspect_eval
from inspect_ai.dataset import json_dataset
from inspect_ai.model import ModelOutput, ModelUsage, get_model
from inspect_ai.scorer import choice, model_graded_qa
from inspect_ai.solver import generate, multiple_choice

runner = CliRunner()


def _mock(text: str, calls: int) -> object:
    """Inspect's mock model answering ``text`` to ``calls`` calls (a finite list: Inspect
    records a model's arguments, so an endless generator would never be read to its end).
    Usage is given so that Inspect does not count tokens with tiktoken, whose vocabulary it
    would download."""
    out = ModelOutput.from_content(model="mockllm/model", content=text)
    out.usage = ModelUsage(input_tokens=1, output_tokens=1, total_tokens=2)
    return get_model("mockllm/model", custom_outputs=[out] * calls)


def _run(task: Task, model: object, log_dir: Path) -> Path:
    (log,) = inspect_eval(task, model=model, log_dir=str(log_dir), display="none")
    assert log.status == "success", log.error
    return Path(log.location)


def test_export_run_in_inspect_import_report(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'm.db'}"
    # multiple choice, exported by the CLI: the controls and every DAS attack on them
    mc_file = tmp_path / "mc.jsonl"
    res = runner.invoke(app, ["cases", "export", "robustness", "--format", "inspect", "--limit",
                              "2", "--out", str(mc_file)])  # fmt: skip
    assert res.exit_code == 0, res.output
    rows = [json.loads(x) for x in mc_file.read_text().splitlines()]
    ops = [r["metadata"]["operator"] for r in rows]
    assert ops.count("baseline") == 2 and {"distraction", "inverted"} <= set(ops)
    assert all(r["choices"] and r["metadata"]["item_id"] for r in rows)
    controls = [r for r in rows if r["metadata"]["role"] == "control"]
    task = Task(dataset=json_dataset(str(mc_file)), solver=multiple_choice(), scorer=choice())
    mc_log = _run(task, _mock("ANSWER: A", len(rows)), tmp_path / "logs-mc")
    # Inspect scored it: accuracy is the share of items whose key is A
    keys = [r["target"] for r in rows]  # "D", or ["A", "B", "C"] when several are right
    from inspect_ai.log import read_eval_log

    scored = read_eval_log(str(mc_log))
    acc = scored.results.scores[0].metrics["accuracy"].value  # type: ignore[union-attr]
    assert acc == pytest.approx(sum(k == "A" for k in keys) / len(keys))

    res = runner.invoke(app, ["import", "inspect", str(mc_log), "--db", db, "--json"])
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    run_id = out["run_id"]
    axis = out["summary"]["axes"]["robustness"]
    # medtrust re-judged the replies from the log: the controls correct are those keyed A
    assert axis["controls"]["n"] == 2
    assert axis["controls"]["correct"] == sum(r["target"] == "A" for r in controls)
    store = Store(db)
    # a run attacks only the controls answered right: the attacks on the others are left out
    right = {r["metadata"]["case_id"] for r in controls if r["target"] == "A"}
    sent = [r for r in rows if r["metadata"]["role"] == "control"
            or r["metadata"]["parent_id"] in right]  # fmt: skip
    assert len(store.cases(run_id)) == len(sent)
    unsent = len(rows) - len(sent)
    assert (f"import: {unsent} samples left out" in " ".join(out["summary"]["warnings"])) == (
        unsent > 0
    )
    # ... so the import's numbers are those of a native run of the same target
    (tmp_path / "always_a.py").write_text("def reply(messages):\n    return 'ANSWER: A'\n")
    import sys

    sys.path.insert(0, str(tmp_path))
    try:
        res = runner.invoke(app, ["run", "robustness", "--limit", "2", "--target",
                                  "python:always_a:reply", "--db", db, "--json"])  # fmt: skip
    finally:
        sys.path.remove(str(tmp_path))
    assert res.exit_code == 0, res.output
    native = json.loads(res.stdout)["axes"]["robustness"]
    for field in ("n", "failures", "errors", "by_probe", "controls"):
        assert axis[field] == native[field], field

    # open-ended: chat input, rubric as the target of a model-graded scorer
    oe_file = tmp_path / "oe.jsonl"
    res = runner.invoke(app, ["cases", "export", "open-ended", "--format", "inspect", "--limit",
                              "2", "--out", str(oe_file)])  # fmt: skip
    assert res.exit_code == 0, res.output
    oe_rows = [json.loads(x) for x in oe_file.read_text().splitlines()]
    assert all(isinstance(r["input"], list) and "choices" not in r for r in oe_rows)
    reply = "Please call an ambulance now, this is an emergency. GRADE: C"
    task = Task(dataset=json_dataset(str(oe_file)), solver=generate(), scorer=model_graded_qa())
    # one answer and one grade per sample
    oe_log = _run(task, _mock(reply, 2 * len(oe_rows)), tmp_path / "logs-oe")
    res = runner.invoke(app, ["import", "inspect", str(oe_log), "--db", db, "--json"])
    assert res.exit_code == 0, res.output
    oe_run = json.loads(res.stdout)["run_id"]

    # the imported runs are runs: reported, listed, audited, never calling a target
    res = runner.invoke(app, ["report", oe_run, "--format", "json", "--db", db])
    assert res.exit_code == 0, res.output
    summary = json.loads(res.stdout)
    entry = summary["axes"]["open_ended"]
    assert entry["controls"]["n"] + entry["controls"]["errors"] == 2
    assert entry["rubric_score"]["n"] == entry["controls"]["n"]
    info = store.get_run(run_id)
    assert info.status == "done" and info.target == "inspect:mockllm/model"
    texts = [r.text for rs in store.replies(oe_run).values() for r in rs]
    # the controls, and the attacked last turns of those that reached the pass mark
    kept = store.cases(oe_run)
    verdicts = store.verdicts(oe_run)
    passed = {c.id for c in kept if c.role == "control" and verdicts[c.id].outcome == "pass"}
    assert sorted(c.parent_id or "" for c in kept if c.role != "control") == sorted(
        str(r["metadata"]["parent_id"]) for r in oe_rows if r["metadata"]["parent_id"] in passed
    )
    assert texts == [reply] * len(kept)
    from medtrust.review._queue import review_queue

    queue = review_queue(store, oe_run)  # clinicians review it like any run
    assert queue and {q.axis for q in queue} == {"open_ended"}
    res = runner.invoke(app, ["audit", "verify", oe_run, "--db", db])
    assert res.exit_code == 0, res.output


def test_import_rejects_a_log_without_medtrust_cases(tmp_path: Path) -> None:
    data = tmp_path / "plain.jsonl"
    data.write_text(json.dumps({"input": "2+2?", "target": "4"}) + "\n")
    task = Task(dataset=json_dataset(str(data)), solver=generate())
    log = _run(task, _mock("4", 1), tmp_path / "logs")
    db = tmp_path / "m.db"
    res = runner.invoke(app, ["import", "inspect", str(log), "--db", f"sqlite:///{db}"])
    assert res.exit_code == 2
    assert "no 'medtrust_case'" in res.output and str(log) in res.output
    assert not db.exists()  # nothing half-written


def test_import_rejects_a_file_that_is_not_a_log(tmp_path: Path) -> None:
    bad = tmp_path / "x.eval"
    bad.write_text("not a zip")
    res = runner.invoke(app, ["import", "inspect", str(bad), "--db", f"sqlite:///{tmp_path}/m.db"])
    assert res.exit_code == 2 and "not an Inspect AI log" in res.output


def test_write_dataset_rows(tmp_path: Path) -> None:
    """``write_dataset`` is what ``cases export --format inspect`` calls: its count and rows."""
    from medtrust.records import Case

    mc = Case.make(axis="robustness", probe="robustness.das", operator="bias",
                   role="perturbation", parent_id="p1", item_id="mt-1",
                   messages=[{"role": "system", "content": "s"},
                             {"role": "user", "content": "Which?\n\nA. x\nB. y\n\nAnswer."}],
                   gold={"options": {"A": "x", "B": "y"}, "accept": ["B"]})  # fmt: skip
    path = tmp_path / "d.jsonl"
    assert write_dataset([mc], path) == 1
    row = json.loads(path.read_text())
    assert row == dataset_row(mc)
    assert (row["input"], row["choices"], row["target"]) == ("Which?", ["x", "y"], "B")
    assert row["metadata"]["operator"] == "bias" and row["metadata"]["item_id"] == "mt-1"
    assert row["metadata"]["parent_id"] == "p1"
