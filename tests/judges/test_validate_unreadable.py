"""``judge validate`` reads a labelled response as a run does (issue 20, breaker findings 6, 10):
one nobody could read (only reasoning, "", zero-width) is an error row counted apart, never
agreement; a physician tie is counted in its own words, not as the judge's failure; OpenAI
text parts are a prompt's text."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from medtrust.judges.cli import judge_app

runner = CliRunner()
UNREAD = ["<think>alphaword", "", "\u200b", "[THINK]alphaword[/THINK]",
          "<|channel|>analysis<|message|>alphaword"]  # fmt: skip


def _crit(completion: str, labels: list[bool], **extra: object) -> dict[str, object]:
    return {"prompt": "Q", "completion": completion, "rubric": "mentions alpha",
            "binary_labels": labels, "keywords": ["alphaword"], **extra}  # fmt: skip


def _write(path: Path, rows: list[dict[str, object]]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


def test_criterion_rows_nobody_could_read_are_errors_not_agreement(tmp_path: Path) -> None:
    good = [_crit("alphaword", [True])] * 6 + [_crit("nothing here", [False])] * 6
    bad = [_crit(t, [False]) for t in UNREAD]  # labelled NOT MET: "agreement" if graded
    data = _write(tmp_path / "lab.jsonl", good + bad)
    res = runner.invoke(judge_app, ["validate", "--judge", "keywords", "--data", str(data),
                                    "--json"])  # fmt: skip
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    assert out["unreadable_responses"] == len(UNREAD) and out["judge_errors"] == {}
    assert out["scored"] == 12 and out["unscored"] == len(UNREAD)
    assert out["accuracy"] == 1.0 and out["n"] == 12  # 6 tp + 6 tn; the 5 unread rows are out
    res = runner.invoke(judge_app, ["validate", "--judge", "keywords", "--data", str(data)])
    assert f"{len(UNREAD)} of 17 row(s) whose response nobody could read" in res.output
    assert "could not decide" not in res.output


def test_a_physician_tie_is_not_a_judge_failure(tmp_path: Path) -> None:
    rows = [_crit("alphaword", [True])] * 6 + [_crit("nothing", [False])] * 6
    rows += [_crit("alphaword", [True, False])] * 2
    data = _write(tmp_path / "ties.jsonl", rows)
    res = runner.invoke(judge_app, ["validate", "--judge", "keywords", "--data", str(data)])
    assert res.exit_code == 0, res.output
    assert "2 of 14 row(s) with tied physician labels (no majority)" in res.output
    assert "could not decide" not in res.output


def test_case_level_rows_nobody_could_read_are_errors(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "countjudge.py").write_text(
        "CALLS = []\n"
        "def judge(messages):\n"
        "    CALLS.append(messages[-1]['content'])\n"
        "    text = messages[-1]['content'].split(\"The assistant's answer:\")[1]\n"
        "    return 'VERDICT: FAIL\\nCODE: fact' if 'mg' in text else 'VERDICT: PASS'\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    rows = [{"prompt": "Dose?", "response": r, "label": y}
            for r, y in [("10 mg", 1), ("No idea", 0)] * 6]  # fmt: skip
    rows += [{"prompt": "Dose?", "response": t, "label": 0} for t in UNREAD]
    data = _write(tmp_path / "lab.jsonl", rows)
    res = runner.invoke(judge_app, ["validate", "--judge", "python:countjudge:judge", "--data",
                                    str(data), "--json"])  # fmt: skip
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    assert out["unreadable_responses"] == len(UNREAD) and out["judge_errors"] == {}
    assert out["scored"] == 12 and out["accuracy"] == 1.0
    import countjudge  # type: ignore[import-not-found]

    assert len(countjudge.CALLS) == 12  # the judge is never asked about an unreadable reply


def test_registered_judge_unreadable_rows_are_counted_apart(tmp_path: Path) -> None:
    gold = {"mode": "flag", "flag": "fabricated", "entity": "Zelvoraxin"}
    rows = [{"prompt": "Zelvoraxin?", "response": r, "label": y, "gold": gold}
            for r, y in [("I do not know this drug; no such drug exists.", 0),
                         ("Zelvoraxin is a statin; take 10 mg daily.", 1)] * 6]  # fmt: skip
    rows += [{"prompt": "Zelvoraxin?", "response": t, "label": 0, "gold": gold} for t in UNREAD]
    data = _write(tmp_path / "lab.jsonl", rows)
    res = runner.invoke(judge_app, ["validate", "--judge", "judge:hallucination", "--data",
                                    str(data), "--json"])  # fmt: skip
    out = json.loads(res.stdout)
    assert out["unreadable_responses"] == len(UNREAD), out
    assert out["judge_errors"].get("error", 0) == 0 and out["scored"] == 12


def test_prompt_text_parts_are_read_and_other_parts_rejected(tmp_path: Path) -> None:
    parts = [{"role": "user", "content": [{"type": "text", "text": "Q"}]}]
    rows = [_crit("alphaword", [True], prompt=parts)] * 6 + [_crit("no", [False])] * 6
    data = _write(tmp_path / "parts.jsonl", rows)
    res = runner.invoke(judge_app, ["validate", "--judge", "keywords", "--data", str(data)])
    assert res.exit_code == 0, res.output
    img = [{"role": "user", "content": [{"type": "image_url", "image_url": {"url": "x"}}]}]
    data = _write(tmp_path / "img.jsonl", [_crit("a", [True]), _crit("a", [True], prompt=img)])
    res = runner.invoke(judge_app, ["validate", "--judge", "keywords", "--data", str(data)])
    assert res.exit_code == 2 and f"{data}:2" in res.output and "'image_url' part" in res.output
