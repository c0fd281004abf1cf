"""Baseline: ``bench/stub_load.py``, a raw asyncio HTTP/1.1 client with no harness at all.

It sends the same N rendered prompts over ``concurrency`` keep-alive connections.  Its req/s is
the ceiling for any Python client on this machine, with the stub sharing the 2 cores.
"""

from __future__ import annotations

import sys
from pathlib import Path

from harness import BENCH_DIR, Invocation, RunContext

NAME = "raw-asyncio"
DIST = None


def available() -> str | None:
    return None


def python() -> Path:
    return Path(sys.executable)


def build(ctx: RunContext) -> Invocation:
    cmd = [
        sys.executable,
        str(BENCH_DIR / "stub_load.py"),
        "--port",
        str(ctx.port),
        "--n",
        str(ctx.n),
        "--concurrency",
        str(ctx.concurrency),
        "--data",
        str(ctx.data),
    ]
    return Invocation(cmd=cmd, cwd=ctx.workdir, note="no harness: raw asyncio keep-alive client")
