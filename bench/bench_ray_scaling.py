#!/usr/bin/env python3
"""Issue 15, item 6: throughput of ``run --ray`` at 1, 2 and 4 replicas, the overhead of
``--ray --replicas 1`` against the plain engine, and ``cohort generate --ray`` at 1 and 2 workers.

Targets (``python:`` callables, written to a scratch folder):

- ``latency``: a model that serves one request at a time in a fixed 50 ms (a lock around a
  sleep), like one llama.cpp instance or a per-replica concurrency limit of 1. Replicas are
  latency-bound, so N replicas can reach N x the rate on any number of cores: this is how the
  2-core machine measures scaling to 4 replicas.
- ``cpu``: a fixed ~20 ms of pure-Python CPU per call (GIL-bound). It scales only with real
  cores: on this 2-core, shared machine, at most 2 replicas, and only when the machine is idle.

Each cell runs ``medtrust.api.run`` on the DAS probe with no operators over N synthetic items
(one call per item), ``--no-cache``, a fresh SQLite store, a local Ray started once
(``num_cpus=4`` logical CPUs), ``replica_cpus=1``, concurrency 64. The rate counts calls per
second of the stage loop (``ExecStats.elapsed_s``: from the first call to the last reply),
leaving out start-up and the report. Efficiency = rate(N) / (N x rate(1)).

    python bench/bench_ray_scaling.py --calls 200

Results: ``bench/results/ray_scaling.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
TARGETS = '''
import threading, time
_LOCK = threading.Lock()

def latency(messages):
    with _LOCK:  # one request at a time per process, like one model instance
        time.sleep(0.05)
    return "A"

def cpu(messages):
    t = time.thread_time()
    x = 0
    while time.thread_time() - t < 0.02:
        x += 1
    return "A"
'''


def cell(target: str, calls: int, replicas: int | None, work: Path, items: Path) -> dict[str, Any]:
    from medtrust.api import make_config, run
    from medtrust.store import Store

    overrides: dict[str, Any] = {"target": f"python:bench_scale_targets:{target}",
                                 "data": str(items), "use_cache": False, "concurrency": 64}
    config = make_config(str(HERE / "suites" / "throughput.yaml"), **overrides)
    if replicas is not None:
        config = config.model_copy(
            update={"ray": "local", "replicas": replicas, "replica_cpus": 1.0}
        )
    db = work / f"{target}_{replicas}_{time.monotonic_ns()}.db"
    t0 = time.perf_counter()
    result = run(config, store=Store(f"sqlite:///{db}"))
    wall = time.perf_counter() - t0
    stats = result.stats
    assert stats is not None and stats.replies == calls and stats.errors == 0
    return {
        "target": target, "replicas": replicas, "calls": calls,
        "stage_s": round(stats.elapsed_s, 3), "rate": round(calls / stats.elapsed_s, 1),
        "wall_s": round(wall, 2), "load_avg_1m": os.getloadavg()[0],
    }


def cohort(n: int, workers: int, work: Path) -> dict[str, Any]:
    out = work / f"cohort_{workers}_{time.monotonic_ns()}"
    cmd = [sys.executable, "-m", "medtrust", "cohort", "generate", "-n", str(n), "--ray",
           "--workers", str(workers), "--partition-size", str(1 << 17), "--out", str(out),
           "--json"]
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, check=True)
    wall = time.perf_counter() - t0
    summary = json.loads(proc.stdout[proc.stdout.index("{"):])
    return {"cohort_n": n, "workers": workers, "generate_s": summary["seconds"],
            "wall_s": round(wall, 2), "patients_per_s": summary["patients_per_second"]}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--calls", type=int, default=200)
    ap.add_argument("--cohort", type=int, default=1 << 19)
    ap.add_argument("--out", type=Path, default=HERE / "results" / "ray_scaling.json")
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="mt-ray-bench-"))
    (work / "bench_scale_targets.py").write_text(TARGETS)
    sys.path.insert(0, str(work))
    items = work / "items.jsonl"
    subprocess.run([sys.executable, str(HERE / "make_prompts.py"), "--n", str(args.calls),
                    "--out", str(items)], check=True, stdout=subprocess.DEVNULL)
    os.environ.setdefault("RAY_AUTH_MODE", "disabled")
    from medtrust.engine._ray import connect

    connect("local", num_cpus=4)
    rows = []
    plan = [("latency", None), ("latency", 1), ("latency", 2), ("latency", 4),
            ("cpu", None), ("cpu", 1), ("cpu", 2)]
    for target, replicas in plan:
        row = cell(target, args.calls, replicas, work, items)
        print(json.dumps(row), flush=True)
        rows.append(row)
    import ray

    ray.shutdown()
    for workers in (1, 2):
        row = cohort(args.cohort, workers, work)
        print(json.dumps(row), flush=True)
        rows.append(row)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(rows, indent=2) + "\n")


if __name__ == "__main__":
    main()
