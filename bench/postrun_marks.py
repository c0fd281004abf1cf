#!/usr/bin/env python3
"""Where a whole ``medtrust run``'s time goes after the last reply: ``python
bench/postrun_marks.py OUT.json run SUITE ...`` (arguments after OUT.json as for ``medtrust``).

Runs the command in this process with marks (wall and CPU seconds from this script's first
line, ``time.perf_counter`` and ``getrusage``): the first and the last chat reply received (the
HTTP client's ``POST`` returning), the end of the run's stages (``run_stages``: judging the
last window), the concern trigger, the summary, the HTML report, the printed ``--json``
summary, and ``atexit`` (the interpreter's teardown after it is not counted; the caller's
wall clock around the process sees it). Writes ``{"marks": [[name, wall_s, cpu_s], ...]}`` to
OUT.json. Used by ``bench/postrun_bench.py``.
"""

from __future__ import annotations

import atexit
import json
import resource
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

T0 = time.perf_counter()
T0_EPOCH = time.time()
MARKS: list[tuple[str, float, float]] = []
LAST_REPLY: list[tuple[float, float]] = []


def now() -> tuple[float, float]:
    u = resource.getrusage(resource.RUSAGE_SELF)
    return round(time.perf_counter() - T0, 4), round(u.ru_utime + u.ru_stime, 4)


def mark(name: str) -> None:
    MARKS.append((name + (" [numpy loaded]" if "numpy" in sys.modules else ""), *now()))


def wrap(module: Any, name: str, label: str) -> None:
    inner: Callable[..., Any] = getattr(module, name)

    def outer(*args: Any, **kwargs: Any) -> Any:
        out = inner(*args, **kwargs)
        mark(label)
        return out

    setattr(module, name, outer)


GC: dict[int, float] = {}
GC_START: list[float] = [0.0]


def gc_clock(phase: str, info: dict[str, int]) -> None:
    """Seconds spent in the cyclic garbage collector, per generation."""
    if phase == "start":
        GC_START[0] = time.perf_counter()
    else:
        gen = info["generation"]
        GC[gen] = GC.get(gen, 0.0) + time.perf_counter() - GC_START[0]


def main() -> None:
    out = Path(sys.argv[1])
    mark("interpreter")
    import gc

    gc.callbacks.append(gc_clock)

    def last() -> None:  # registered first: runs after every other atexit handler
        with out.open("a", encoding="utf-8") as fh:
            fh.write("\n" + json.dumps({"atexit_last_epoch": time.time()}))

    atexit.register(last)
    import medtrust._cli_run as run_cmd
    import medtrust.api._run as api_run
    import medtrust.cli as cli
    import medtrust.targets._http11 as http

    send = http.Http11Pool.request

    async def request(self: Any, method: str, path: str, body: bytes | None = None) -> Any:
        res = await send(self, method, path, body)
        if method == "POST":
            if not LAST_REPLY:
                mark("first reply")
            LAST_REPLY[:] = [now()]
        return res

    http.Http11Pool.request = request  # type: ignore[method-assign]
    stages = api_run.run_stages

    async def run_stages(*args: Any, **kwargs: Any) -> Any:
        res = await stages(*args, **kwargs)
        MARKS.append(("last reply", *LAST_REPLY[0]))
        mark("(numpy?)")
        mark("run stages done (last window judged)")
        return res

    api_run.run_stages = run_stages  # type: ignore[assignment]
    import medtrust.review as review

    wrap(review, "trigger_review", "concern trigger")
    import medtrust.report as report

    wrap(report, "summarize_run", "summary")
    wrap(report, "write_report", "HTML report")
    wrap(run_cmd, "_print_result", "printed the summary")

    def done() -> None:
        mark("atexit")
        gc_s = {str(k): round(v, 4) for k, v in GC.items()}
        doc = {"marks": MARKS, "t0_epoch": T0_EPOCH, "atexit_epoch": time.time(), "gc_s": gc_s}
        out.write_text(json.dumps(doc), encoding="utf-8")

    atexit.register(done)
    sys.argv = ["medtrust", *sys.argv[2:]]
    cli.main()


if __name__ == "__main__":
    main()
