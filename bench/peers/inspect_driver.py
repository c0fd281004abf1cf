"""Inspect AI driver: ``inspect eval bench/peers/inspect_task.py`` against the stub.

Provider: ``openai-api/stub/stub`` (Inspect's generic OpenAI-compatible provider; the service
name ``stub`` makes it read ``STUB_API_KEY``; the URL is passed with ``--model-base-url``).
Concurrency: ``--max-connections N --max-samples N`` (explicit ``--max-connections`` also turns
off adaptive connections).  Logging: ``--display none`` (no TUI) and ``--no-log-realtime``
(no live event streaming); the final ``.eval`` log with all samples is still written, like
medtrust's result DB, into the run's private work directory.
"""

from __future__ import annotations

from pathlib import Path

from harness import BENCH_DIR, Invocation, RunContext, venv_bin

NAME = "inspect"
VENV = "inspect"
DIST = "inspect-ai"
TASK = BENCH_DIR / "peers" / "inspect_task.py"


def available() -> str | None:
    """None if runnable, else why not."""
    exe = venv_bin(VENV, "inspect")
    return None if exe.exists() else f"{exe} missing: run bench/setup_peers.sh"


def python() -> Path:
    return venv_bin(VENV, "python")


def build(ctx: RunContext) -> Invocation:
    cmd = [
        str(venv_bin(VENV, "inspect")),
        "eval",
        f"{TASK}@mcq_throughput",
        "-T",
        f"data={ctx.data}",
        "-T",
        f"n={ctx.n}",
        "--model",
        "openai-api/stub/stub",
        "--model-base-url",
        ctx.base_url,
        "--max-connections",
        str(ctx.concurrency),
        "--max-samples",
        str(ctx.concurrency),
        "--temperature",
        "0",
        "--max-tokens",
        "8",
        "--display",
        "none",
        "--no-log-realtime",
        "--log-dir",
        str(ctx.workdir / "logs"),
    ]
    env = {
        "STUB_API_KEY": "bench",
        "INSPECT_LOG_DIR": str(ctx.workdir / "logs"),
        "XDG_DATA_HOME": str(ctx.workdir / "xdg-data"),
    }
    note = "multiple_choice() + choice(); .eval log with samples; --no-log-realtime"
    return Invocation(cmd=cmd, env=env, cwd=ctx.workdir, note=note)
