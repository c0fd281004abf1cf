"""User text in successful output (file names, column values) prints as typed, never as markup."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from medtrust.cli import app

NAME = "[bold]ward[red] :smile:.csv"  # brackets rich would read as styles, an emoji code


@pytest.mark.parametrize("command", ["check", "validate"])
def test_cohort_tables_print_file_names_literally(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, command: str
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("COLUMNS", "200")
    # a 95-year-old (Safe Harbor: ages over 89) with prostate hyperplasia recorded as female
    # (implausible by sex): both commands report it, under the file's name as typed
    Path(NAME).write_text("record_id,sex,age,conditions\nx1,female,95,N40.1\n", encoding="utf-8")
    res = CliRunner().invoke(app, ["cohort", command, NAME])
    assert res.exit_code == 1, res.output
    assert NAME in res.output
