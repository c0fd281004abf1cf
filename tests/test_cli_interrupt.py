"""Ctrl-C anywhere in the ``medtrust`` command (importing, parsing, any command) ends with one
line, ``interrupted``, on stderr and exit code 130: never a Python traceback."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from medtrust import cli

CONSOLE_SCRIPT = """
import sys

class CtrlC:  # Ctrl-C arrives while {module} is being imported
    def find_spec(self, name, path=None, target=None):
        if name == {module!r}:
            raise KeyboardInterrupt
        return None

sys.meta_path.insert(0, CtrlC())
from medtrust.cli import main  # what the `medtrust` console script runs
sys.exit(main())
"""

SIGINT_AT_THIRD_CALL = (
    "import os, signal\n"
    "from pathlib import Path\n"
    "from oracle import answer as _a\n"
    "def answer(messages):\n"
    "    log = Path('oracle_calls.log')\n"
    "    if log.exists() and len(log.read_text().splitlines()) == 3:\n"
    "        os.kill(os.getpid(), signal.SIGINT)  # the user presses Ctrl-C\n"
    "    return _a(messages)\n"
)


def ctrl_c(*args: Any, **kwargs: Any) -> Any:
    raise KeyboardInterrupt


def exit_code(argv: list[str]) -> Any:
    """``medtrust ARGV``'s exit code (the entry point always ends with SystemExit)."""
    try:
        cli.main(argv)
    except SystemExit as stop:
        return stop.code
    except KeyboardInterrupt:
        pytest.fail("Ctrl-C escaped medtrust's entry point (a traceback for the user)")
    return 0


@pytest.mark.parametrize("module", ["typer", "rich.console", "medtrust._cli_run"])
def test_ctrl_c_while_the_command_is_importing(module: str, tmp_path: Path) -> None:
    res = subprocess.run(
        [sys.executable, "-c", CONSOLE_SCRIPT.format(module=module), "runs"],
        capture_output=True, text=True, timeout=120, cwd=tmp_path,
    )  # fmt: skip
    assert (res.returncode, res.stderr, res.stdout) == (130, "interrupted\n", "")


def test_ctrl_c_before_the_command_starts(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(cli, "with_ray_default", ctrl_c)
    assert exit_code(["runs"]) == 130
    assert capsys.readouterr().err == "interrupted\n"


def test_ctrl_c_in_a_command(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import medtrust._cli_runs

    monkeypatch.setattr(medtrust._cli_runs, "open_store", ctrl_c)
    assert exit_code(["runs", "--db", f"sqlite:///{tmp_path / 'x.db'}"]) == 130
    assert capsys.readouterr().err == "interrupted\n"


def test_ctrl_c_while_the_arguments_are_parsed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cli.LazyGroup, "_mount", ctrl_c)  # --help imports every command
    res = CliRunner().invoke(cli.app, ["--help"])
    assert (res.exit_code, res.stderr) == (130, "interrupted\n")


def test_a_real_sigint_mid_run_names_the_run_to_resume(oracle_dir: Path) -> None:
    """The call in flight returns at the very moment of the Ctrl-C: the run still stops (with
    Python 3.11's ``asyncio.wait_for`` in the scheduler the cancellation could be lost and the
    run waited for ever; the timeout keeps a hang from blocking the suite)."""
    (oracle_dir / "sigint.py").write_text(SIGINT_AT_THIRD_CALL)
    db = f"sqlite:///{oracle_dir / 's.db'}"
    res = subprocess.run(
        [sys.executable, "-m", "medtrust", "run", "robustness", "-t", "python:sigint:answer",
         "--limit", "3", "--concurrency", "1", "--db", db],
        capture_output=True, text=True, timeout=30, cwd=oracle_dir,
    )  # fmt: skip
    assert res.returncode == 130, res.stderr
    assert "Traceback" not in res.stderr
    listed = subprocess.run(
        [sys.executable, "-m", "medtrust", "runs", "--json", "--db", db],
        capture_output=True, text=True, timeout=120, cwd=oracle_dir, check=True,
    )  # fmt: skip
    ((rid, status),) = [(r["id"], r["status"]) for r in json.loads(listed.stdout)["runs"]]
    assert status == "interrupted"
    assert f"finish with `medtrust run --resume {rid}`" in " ".join(res.stderr.split())
