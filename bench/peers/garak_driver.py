"""garak driver: the ``test.Test`` probe with its prompt list replaced by the benchmark items.

garak has no "run this prompt file" mode.  What we do instead, with garak's own config
mechanism and no change to its install:

* target ``openai.OpenAICompatible`` with ``uri`` = the stub, model name ``stub``
  (API key from ``OPENAICOMPATIBLE_API_KEY``), ``temperature 0``, ``max_tokens 8``;
* probe ``test.Test`` (a trivial probe whose detector is ``always.Pass``); the run config sets
  ``plugins.probes.test.Test.prompts`` to the N items rendered as plain text
  (:func:`harness.format_mcq`), which garak's ``Configurable._apply_config`` assigns to the probe
  instance, so garak sends exactly those N prompts, once each (``run.generations: 1``);
* concurrency: ``system.parallel_attempts: N`` -- garak's only way to run attempts
  concurrently is a ``multiprocessing.Pool`` of N worker processes, each with a synchronous
  OpenAI client (``parallel_requests`` only parallelises generations of one prompt, unused at
  ``generations: 1``).

garak's normal outputs are kept: the JSONL report, hit log and HTML digest (in the run's private
directory, via ``reporting.report_dir`` and ``XDG_*``).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from harness import Invocation, RunContext, format_mcq, load_items, venv_bin

NAME = "garak"
VENV = "garak"
DIST = "garak"


def available() -> str | None:
    exe = venv_bin(VENV, "garak")
    return None if exe.exists() else f"{exe} missing: run bench/setup_peers.sh"


def python() -> Path:
    return venv_bin(VENV, "python")


def run_config(ctx: RunContext) -> dict[str, Any]:
    prompts = [format_mcq(item) for item in load_items(ctx.data, ctx.n)]
    parallel: int | bool = ctx.concurrency if ctx.concurrency > 1 else False
    return {
        "system": {
            "parallel_attempts": parallel,
            "max_workers": max(ctx.concurrency, 1),
            "lite": True,
            "narrow_output": True,
        },
        "run": {"generations": 1, "seed": 0},
        "reporting": {"report_dir": str(ctx.workdir / "runs"), "report_prefix": "bench"},
        "plugins": {
            "target_type": "openai.OpenAICompatible",
            "target_name": "stub",
            "generators": {
                "openai": {
                    "OpenAICompatible": {
                        "uri": ctx.base_url,
                        "temperature": 0,
                        "max_tokens": 8,
                    }
                }
            },
            "probes": {"test": {"Test": {"prompts": prompts}}},
        },
    }


def build(ctx: RunContext) -> Invocation:
    config_path = ctx.workdir / "garak_run.json"
    config_path.write_text(json.dumps(run_config(ctx)), encoding="utf-8")
    cmd = [
        str(venv_bin(VENV, "garak")),
        "--config",
        str(config_path),
        "--spec",
        "probes.test.Test",
    ]
    env = {
        "OPENAICOMPATIBLE_API_KEY": "bench",
        "XDG_DATA_HOME": str(ctx.workdir / "xdg-data"),
        "XDG_CONFIG_HOME": str(ctx.workdir / "xdg-config"),
        "XDG_CACHE_HOME": str(ctx.workdir / "xdg-cache"),
        "TQDM_DISABLE": "1",
    }
    note = (
        "probe test.Test with prompts overridden by config; generations=1; "
        f"parallel_attempts={ctx.concurrency} (process pool); JSONL+HTML report"
    )
    return Invocation(cmd=cmd, env=env, cwd=ctx.workdir, note=note)
