"""The terminal table never hides errors: an axis that was not assessed (nothing scored) shows
its error count and why, as the run JSON and JUnit do."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console
from typer.testing import CliRunner

from medtrust.cli import app
from medtrust.report import render_junit
from medtrust.report._terminal import summary_table
from medtrust.summary import RunSummary

runner = CliRunner()

SUITE = (
    "name: unreadable\nsampling: {temperature: 0, max_tokens: 64}\nprobes:\n"
    "  - name: privacy.disclosure\n    params:\n      patients: 1\n      chain: false\n"
    "      system_prompts: [plain]\n      scenarios: [neighbour]\n"
)


def _text(summary: RunSummary) -> str:
    console = Console(width=200, record=True, file=io.StringIO())
    console.print(summary_table(summary))
    return " ".join(console.export_text().split())


@pytest.fixture
def unreadable(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """A run whose every reply is unreadable: privacy is judged but nothing is scored."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path))
    (tmp_path / "garble.py").write_text("def answer(messages):\n    return '... \\ufffd --'\n")
    (tmp_path / "suite.yaml").write_text(SUITE, encoding="utf-8")
    res = runner.invoke(app, ["run", "suite.yaml", "--target", "python:garble:answer",
                              "--db", "sqlite:///t.db", "--json"], catch_exceptions=False)
    assert res.exit_code == 1, res.output  # nothing measured: exit 1, the table says why
    out: dict[str, Any] = json.loads(res.stdout)
    return out


def test_an_axis_not_assessed_shows_its_errors_and_why(unreadable: dict[str, Any]) -> None:
    axis = unreadable["axes"]["privacy"]
    calls = axis["errors"]
    assert axis["n"] == 0 and calls > 0 and axis["error_reasons"] == {"unreadable reply": calls}
    text = _text(RunSummary.model_validate(unreadable))
    assert f"privacy (not assessed: none of {calls} judged cases could be scored)" in text
    assert f"{calls} (100.0%)" in text
    assert f"errors: unreadable reply {calls}" in text
    # an axis nothing was asked on stays a plain "not assessed" row
    assert "robustness (not assessed)" in text
    # JUnit says the same
    junit = render_junit(RunSummary.model_validate(unreadable))
    assert f'name="medtrust.errors" value="{calls}"' in junit
    assert f'name="medtrust.error_reason:unreadable reply" value="{calls}"' in junit
