"""Planted targets for the comparison tests: ``bench/compare/planted.py`` (the benchmark's own
targets) copied into the ``oracle_dir`` working directory, with a small configuration over the
bundled items. Each target's static accuracy and robustness are planted, independently."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from medtrust.cli import app

ROOT = Path(__file__).resolve().parents[2]
BENCH = ROOT / "bench" / "compare"
SUITE = str(BENCH / "suite.yaml")
runner = CliRunner()

Planted = Callable[[dict[str, dict[str, Any]]], Path]


@pytest.fixture
def planted(oracle_dir: Path, monkeypatch: pytest.MonkeyPatch) -> Planted:
    """``planted({"a": {"static": 0.9, "fool": 0.1}, ...})`` makes ``python:planted:a`` ...
    answer with those planted rates over the bundled items; returns the working directory."""
    shutil.copy(BENCH / "planted.py", oracle_dir / "planted.py")
    conf = oracle_dir / "planted.json"
    monkeypatch.setenv("PLANTED_CONFIG", str(conf))

    def make(targets: dict[str, dict[str, Any]]) -> Path:
        conf.write_text(json.dumps({"items": "bundled", "salt": "tests", "targets": targets}))
        return oracle_dir

    return make


def invoke(*args: str) -> Any:
    """Run the CLI in-process; exceptions propagate so a crash shows its traceback."""
    return runner.invoke(app, list(args), catch_exceptions=False)


def json_of(*args: str) -> Any:
    """Run a ``--json`` command that must succeed; return its JSON."""
    res = invoke(*args, "--json")
    assert res.exit_code == 0, res.output
    return json.loads(res.stdout)
