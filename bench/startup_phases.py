#!/usr/bin/env python3
"""Where ``medtrust run``'s start-up goes: ``python bench/startup_phases.py run SUITE ...``.

Runs ``medtrust`` in this process (arguments as for the command) with marks around each
phase of the path to the first chat request, and exits at that request, printing one JSON list
of ``[phase, wall_s, cpu_s]`` (cumulative, from this script's first line). The phases wrap the
command's own functions (``_cli_run.open_store``, ``config_of``, ``api._run.open_target``,
``build_probes``, ``_check_cases``) and the HTTP client's requests (the preflight ``GET``, the
first ``POST``). Used by ``bench_startup.py --phases``.
"""

from __future__ import annotations

import json
import os
import resource
import sys
import time
from collections.abc import Callable
from typing import Any

T0 = time.perf_counter()
MARKS: list[tuple[str, float, float]] = []


def mark(name: str) -> None:
    """Record ``name`` with wall and CPU seconds so far."""
    u = resource.getrusage(resource.RUSAGE_SELF)
    MARKS.append((name, round(time.perf_counter() - T0, 4), round(u.ru_utime + u.ru_stime, 4)))


def wrap(module: Any, name: str, label: str) -> None:
    """Mark before (``... before LABEL``) and after (``LABEL``) each call of ``module.name``."""
    inner: Callable[..., Any] = getattr(module, name)

    def outer(*args: Any, **kwargs: Any) -> Any:
        mark(f"... before {label}")
        out = inner(*args, **kwargs)
        mark(label)
        return out

    setattr(module, name, outer)


def main() -> None:
    mark("interpreter")
    import medtrust.cli as cli

    mark("import medtrust.cli (pydantic, typer, rich, YAML, records)")
    import medtrust._cli_run as run_cmd
    import medtrust.targets._http11 as http

    send = http.Http11Pool.request

    async def request(self: Any, method: str, path: str, body: bytes | None = None) -> Any:
        if method == "POST":
            mark("preflight, create the run, store the first window, start the calls")
            print(json.dumps(MARKS), flush=True)
            os._exit(0)
        mark("... preflight sent")
        return await send(self, method, path, body)

    http.Http11Pool.request = request  # type: ignore[method-assign]
    wrap(run_cmd, "open_store", "open the store (SQLAlchemy, schema)")
    wrap(run_cmd, "config_of", "configuration (suite, registry lookup)")
    progress = run_cmd._with_progress

    def with_progress(call: Any) -> Any:
        import medtrust.api._run as api_run

        mark("import the run API and engine")
        wrap(api_run, "open_target", "open the target")
        wrap(api_run, "build_probes", "build the probes")
        wrap(api_run, "_check_cases", "make and check the stage-0 cases")
        return progress(call)

    run_cmd._with_progress = with_progress
    sys.argv = ["medtrust", *sys.argv[1:]]
    cli.main()


if __name__ == "__main__":
    main()
