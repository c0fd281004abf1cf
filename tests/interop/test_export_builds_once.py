"""``cases export --judge`` builds the suite's probes once (review debt: the judge check built
them, then the case listing built them again) and writes the same cases as before."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

import medtrust.api._stored as stored
from medtrust.api._config import make_config
from medtrust.cli import app

runner = CliRunner()
ROW = {"id": "hb0", "messages": [{"role": "user", "content": "Chest pain?"}],
       "rubric": [{"id": "c1", "criterion": "Says to call 911.", "points": 5,
                   "keywords": ["911"]}]}


@pytest.fixture
def builds(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    calls: list[int] = []
    real = stored.build_probes

    def spy(*a: Any, **k: Any) -> Any:
        calls.append(1)
        return real(*a, **k)

    monkeypatch.setattr(stored, "build_probes", spy)
    return calls


def test_export_with_a_judge_builds_the_probes_once(
    tmp_path: Path, builds: list[int]
) -> None:
    data = tmp_path / "hb.jsonl"
    data.write_text(json.dumps(ROW) + "\n")
    out = tmp_path / "cases.jsonl"
    res = runner.invoke(app, ["cases", "export", "open-ended", "--data", str(data),
                              "--judge", "keywords", "--out", str(out), "--json"])
    assert res.exit_code == 0, res.output
    assert len(builds) == 1
    got = [json.loads(x) for x in out.read_text().splitlines()]
    config = make_config("open-ended", seed=0, limit=None, data=str(data), judge="keywords")
    want = [c.model_dump(mode="json") for c in stored.suite_cases(config)]  # built afresh
    assert got == want and len(got) > 1
    assert {c["meta"].get("grader") for c in got} == {"keywords"}


def test_a_bad_judge_spec_is_still_one_line_before_any_case(
    tmp_path: Path, builds: list[int]
) -> None:
    data = tmp_path / "hb.jsonl"
    data.write_text(json.dumps(ROW) + "\n")
    out = tmp_path / "cases.jsonl"
    res = runner.invoke(app, ["cases", "export", "open-ended", "--data", str(data),
                              "--judge", "python:no_such_module_x:grade", "--out", str(out)])
    assert res.exit_code == 2 and "no_such_module_x" in res.output
    assert not out.exists() and len(builds) == 1
