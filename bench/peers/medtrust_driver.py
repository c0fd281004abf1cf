"""medtrust driver: ``medtrust run bench/suites/throughput.yaml`` against the stub.

The suite runs the ``robustness.das`` probe with no mutation operators, i.e. each item is asked
once as a plain multiple-choice question: one model call per item, like the peers.  Results go
to a SQLite DB and a report directory inside the run's private work directory.

The executable is, in order: ``$MEDTRUST_BIN``, the repo's ``.venv/bin/medtrust``, the one
next to the interpreter running the benchmark, ``bench/.venvs/medtrust/bin/medtrust``, then
``medtrust`` on ``PATH`` (last, because that may be a pyenv shim adding a shell hop).
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

from harness import BENCH_DIR, REPO_ROOT, Invocation, RunContext, venv_bin

NAME = "medtrust"
DIST = "medtrust"
SUITE = BENCH_DIR / "suites" / "throughput.yaml"


def executable() -> Path | None:
    candidates: list[str | Path | None] = [
        os.environ.get("MEDTRUST_BIN"),
        REPO_ROOT / ".venv" / "bin" / "medtrust",
        Path(sys.executable).parent / "medtrust",
        venv_bin("medtrust", "medtrust"),
        shutil.which("medtrust"),
    ]
    for cand in candidates:
        if cand and Path(cand).is_file() and os.access(cand, os.X_OK):
            return Path(cand)
    return None


def available() -> str | None:
    if executable() is None:
        return "medtrust is not installed (pip install -e . or set MEDTRUST_BIN)"
    return None


def python() -> Path | None:
    """The interpreter named in the medtrust script's shebang (for its version)."""
    exe = executable()
    if exe is None:
        return None
    try:
        first = exe.read_text(encoding="utf-8", errors="replace").splitlines()[0]
    except (OSError, IndexError):
        return None
    return Path(first[2:].strip().split()[0]) if first.startswith("#!") else None


def build(ctx: RunContext) -> Invocation:
    exe = executable()
    if exe is None:
        raise RuntimeError(available())
    cmd = [
        str(exe),
        "run",
        str(SUITE),
        "--target",
        f"openai:stub@{ctx.base_url}",
        "--data",
        str(ctx.data),
        "--concurrency",
        str(ctx.concurrency),
        "--db",
        f"sqlite:///{ctx.workdir / 'bench.db'}",
        "--out",
        str(ctx.workdir / "report"),
        "--json",
    ]
    env = {"OPENAI_API_KEY": "bench", "STUB_API_KEY": "bench"}
    return Invocation(cmd=cmd, env=env, cwd=ctx.workdir, note="suite throughput.yaml; sqlite DB")
