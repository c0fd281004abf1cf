"""One "no keywords" rule for the keyword stand-in grader (review debt: it was written at each
site): the grader's ``ungradable`` grade and the up-front checks of ``run``, ``cases export``
and ``judge validate`` agree on every criterion, and say it in the same line."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from medtrust.cli import app
from medtrust.errors import ConfigError
from medtrust.judges._rubric_grade import keyword_grade
from medtrust.judges._stand_in import STAND_IN, require_keywords

runner = CliRunner()

keywords = st.one_of(st.none(), st.just([]), st.lists(st.from_regex(r"[a-z]{1,8}",
                                                                     fullmatch=True),
                                                       min_size=1, max_size=3))


@given(st.lists(keywords, min_size=1, max_size=4), st.text(max_size=40))
@settings(max_examples=100, deadline=None)
def test_the_grader_and_the_up_front_check_agree(kws: list[Any], reply: str) -> None:
    criteria = [{"id": f"c{i}", "criterion": "x", "points": 1,
                 **({} if k is None else {"keywords": k})} for i, k in enumerate(kws)]
    grades = [keyword_grade(reply, c) for c in criteria]
    ungradable = [c["id"] for c, g in zip(criteria, grades, strict=True)
                  if g.status == "ungradable"]
    if not ungradable:
        require_keywords(STAND_IN, criteria, "f.jsonl:1")
    else:
        with pytest.raises(ConfigError) as exc:
            require_keywords(STAND_IN, criteria, "f.jsonl:1")
        assert str(exc.value).startswith(f"f.jsonl:1: criterion {ungradable[0]} has no")
    require_keywords("openai:gpt-4o", criteria, "f.jsonl:1")  # an LLM grades every criterion


def _row(**crit: Any) -> dict[str, Any]:
    return {"id": "hb0", "messages": [{"role": "user", "content": "Chest pain?"}],
            "rubric": [{"criterion": "Says to call 911.", "points": 5, **crit}]}


@pytest.mark.parametrize("crit", [{}, {"keywords": []}, {"keywords": None}])
def test_run_export_and_validate_say_the_same_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, crit: dict[str, Any]
) -> None:
    (tmp_path / "tgt.py").write_text("def reply(messages):\n    return 'Call 911.'\n")
    monkeypatch.chdir(tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path))
    data = tmp_path / "hb.jsonl"
    data.write_text(json.dumps(_row(id="c1", **crit)) + "\n")
    tail = ("has no 'keywords', so the stand-in grader 'keywords' cannot grade it; add them, "
            "or pass --judge SPEC (an LLM grader)")
    run = runner.invoke(app, ["run", "open-ended", "-t", "python:tgt:reply", "--data",
                              str(data), "--db", f"sqlite:///{tmp_path / 'm.db'}"])
    out = tmp_path / "cases.jsonl"
    export = runner.invoke(app, ["cases", "export", "open-ended", "--data", str(data),
                                 "--judge", STAND_IN, "--out", str(out)])
    for res in (run, export):
        assert res.exit_code == 2, res.output
        assert f"{data}:1: case 'hb0': criterion c1 {tail}" in " ".join(res.output.split())
    assert not out.exists()  # nothing half-written
    labels = tmp_path / "labels.jsonl"
    labels.write_text(json.dumps({"prompt": "Chest pain?", "completion": "Call 911.",
                                  "rubric": "Says to call 911.", "label": 1, **crit}) + "\n")
    val = runner.invoke(app, ["judge", "validate", "--judge", STAND_IN, "--data", str(labels)])
    assert val.exit_code == 2, val.output
    assert f"{labels}:1: this criterion {tail}" in " ".join(val.output.split())
    ok = tmp_path / "ok.jsonl"
    ok.write_text(json.dumps(_row(id="c1", keywords=["911"])) + "\n")
    res = runner.invoke(app, ["cases", "export", "open-ended", "--data", str(ok),
                              "--judge", STAND_IN, "--out", str(out)])
    assert res.exit_code == 0, res.output
