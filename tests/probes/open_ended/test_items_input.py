"""Open-ended input faults found by issue 20's second breaker (finding 10): OpenAI text parts
are message text, other parts are one line naming file:line; ``pass_mark: true`` is no number;
a criterion the stand-in cannot grade is named by file:line, not only by case id."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from medtrust.cli import app
from medtrust.errors import ConfigError
from medtrust.probes.open_ended import load_conversations

runner = CliRunner()
RUBRIC = [{"criterion": "a", "points": 5, "keywords": ["alphaword"]}]


def _row(content: object, **extra: object) -> dict[str, object]:
    return {"messages": [{"role": "user", "content": content}], "rubric": RUBRIC, **extra}


def _write(path: Path, *rows: object) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


_part = st.text(st.characters(blacklist_categories=["Cs"]), min_size=1, max_size=20)


@settings(max_examples=60, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(texts=st.lists(_part, min_size=1, max_size=4))
def test_text_parts_are_joined(tmp_path: Path, texts: list[str]) -> None:
    path = _write(tmp_path / "p.jsonl", _row([{"type": "text", "text": t} for t in texts]))
    joined = "\n".join(texts)
    try:
        (conv,) = load_conversations(path)
    except ConfigError as exc:
        assert not joined.strip() and f"{path}:1: " in str(exc)
    else:
        assert conv.messages[0]["content"] == joined


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ([{"type": "text", "text": "hi"}, {"type": "image_url", "image_url": {"url": "x"}}],
         "messages[1].content[2] is a 'image_url' part"),
        ([{"text": "hi"}], "content[1] is not a text part"),
        ([], "must be text or a list of text parts"),
        ([{"type": "text", "text": 3}], "content[1] is a 'text' part"),
    ],
)  # fmt: skip
def test_other_parts_are_one_line_naming_file_and_line(
    tmp_path: Path, content: object, message: str
) -> None:
    path = _write(tmp_path / "p.jsonl", _row("fine"), _row(content, id="two"))
    with pytest.raises(ConfigError) as err:
        load_conversations(path)
    assert str(err.value).startswith(f"{path}:2: ") and message in str(err.value)


@pytest.fixture
def work(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "tgt.py").write_text("def reply(messages):\n    return 'alphaword'\n")
    monkeypatch.chdir(tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path))
    return tmp_path


def test_a_run_reads_text_parts(work: Path) -> None:
    data = _write(work / "d.jsonl", _row([{"type": "text", "text": "Chest pain?"}], id="x1"))
    db = f"sqlite:///{work / 'm.db'}"
    res = runner.invoke(app, ["run", "open-ended", "--target", "python:tgt:reply", "--data",
                              str(data), "--db", db, "--json"])  # fmt: skip
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout)["axes"]["open_ended"]["rubric_score"]["mean"] == 1.0


@pytest.mark.parametrize("value", ["true", "false", "'0.5'"])
def test_pass_mark_and_margin_must_be_numbers(work: Path, value: str) -> None:
    data = _write(work / "d.jsonl", _row("Chest pain?", id="x1"))
    for key in ("pass_mark", "margin"):
        (work / "s.yaml").write_text(f"name: s\nprobes:\n  - name: open_ended.rubric\n"
                                     f"    params:\n      {key}: {value}\n")  # fmt: skip
        db = f"sqlite:///{work / 'm.db'}"
        res = runner.invoke(app, ["run", str(work / "s.yaml"), "--target", "python:tgt:reply",
                                  "--data", str(data), "--db", db])  # fmt: skip
        assert res.exit_code == 2 and key in res.output, (key, value, res.output)


def test_a_criterion_without_keywords_is_named_by_file_and_line(work: Path) -> None:
    bare = {"messages": [{"role": "user", "content": "Q2?"}], "id": "hb0",
            "rubric": [{"criterion": "x", "points": 1}]}  # fmt: skip
    data = _write(work / "hb.jsonl", _row("Chest pain?", id="x1"), bare)
    res = runner.invoke(app, ["run", "open-ended", "--target", "python:tgt:reply", "--data",
                              str(data), "--db", f"sqlite:///{work / 'm.db'}"])  # fmt: skip
    assert res.exit_code == 2 and f"{data}:2" in res.output and "'hb0'" in res.output
