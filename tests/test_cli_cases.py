"""``medtrust cases export --format jsonl|inspect`` through the CLI."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from medtrust.cli import app

runner = CliRunner()


def test_cases_export_inspect_format(tmp_path: Path) -> None:
    out = tmp_path / "ds.jsonl"
    res = runner.invoke(
        app,
        ["cases", "export", "robustness", "--limit", "2", "--format", "inspect", "--out", str(out),
         "--json"],
    )  # fmt: skip
    assert res.exit_code == 0, res.output
    summary = json.loads(res.stdout)
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert summary["format"] == "inspect" and summary["cases"] == len(rows) > 0
    assert {"id", "input", "target", "metadata"} <= set(rows[0])


def test_cases_export_default_is_jsonl(tmp_path: Path) -> None:
    out = tmp_path / "c.jsonl"
    res = runner.invoke(app, ["cases", "export", "robustness", "--limit", "1", "--out", str(out)])
    assert res.exit_code == 0, res.output
    first = json.loads(out.read_text().splitlines()[0])
    assert {"id", "messages", "gold"} <= set(first)


def test_cases_export_unknown_format_is_one_line_exit_2(tmp_path: Path) -> None:
    out = tmp_path / "c.csv"
    res = runner.invoke(
        app, ["cases", "export", "robustness", "--format", "csv", "--out", str(out)]
    )
    assert res.exit_code == 2
    assert "--format 'csv'" in res.output and len(res.output.strip().splitlines()) == 1
    assert not out.exists()
