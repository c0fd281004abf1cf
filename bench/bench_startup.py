#!/usr/bin/env python3
"""Start-up of ``medtrust run`` (issue 15 item 7): from the command to the first request.

Starts ``bench/stub_server.py`` on loopback, then runs ``medtrust run`` as a fresh process
``--repeats`` times per suite on the first ``--n`` items of ``bench/data/mcq_1000.jsonl`` and
reads, from the stub, when the first chat request arrived (``CLOCK_MONOTONIC`` is shared by
all processes on Linux, so spawn time and first-request time are on one clock).

Two suites: ``quickstart`` (the default suite; the brief's command) and
``bench/suites/throughput.yaml`` (one call per item, the suite the Inspect comparison uses).
Second measure, ``--probe`` (default on): the same command in a process that, when its HTTP
client is about to send the first chat request (the first ``POST``; the ``GET`` before it is the
target's preflight), prints the wall time and the CPU time (user + system) spent so far, then
exits. CPU time is what start-up costs on an idle machine; wall time on a shared machine also
counts other processes. ``--baseline-src DIR`` measures another source tree the same way (e.g.
the last commit: ``git archive HEAD src | tar -x -C /tmp/base`` then ``--baseline-src
/tmp/base/src``). ``interpreter`` is the floor: ``python -c pass`` in this environment.

``--scales 1,10,100`` also probes runs on 10 and 100 times the items (the 1,000 items repeated,
each copy's questions numbered so that no two cases are the same), the throughput suite only.

``--phases`` runs ``bench/startup_phases.py`` (the same command, marks around each phase of
the path to the first request) ``--repeats`` times per suite and prints the median seconds of
each phase.

With ``--profile`` one more run of each is made under ``python -X importtime`` and the 25
slowest imports (cumulative) are printed.

    python3 bench/bench_startup.py                      # 5 repeats, 1,000 items
    python3 bench/bench_startup.py --repeats 9 --profile --scales 1,10,100

Writes ``bench/results/startup.json``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))

from harness import StubProcess  # noqa: E402

SUITES = {"quickstart": "quickstart", "throughput": str(BENCH / "suites" / "throughput.yaml")}
GOAL_S = 0.5


def _command(suite: str, base_url: str, data: Path, n: int, work: Path) -> list[str]:
    return [
        sys.executable, "-m", "medtrust", "run", suite,
        "--target", f"openai:stub@{base_url}",
        "--data", str(data), "--limit", str(n), "--concurrency", "64",
        "--db", f"sqlite:///{work / 'bench.db'}", "--out", str(work / "report"), "--json",
    ]  # fmt: skip


def one_run(stub: StubProcess, suite: str, data: Path, n: int, prefix: list[str]) -> dict[str, Any]:
    """Spawn one run; returns seconds to the first request and to the end, and requests."""
    stub.stats(reset=True)
    with tempfile.TemporaryDirectory(prefix="mt-startup-") as tmp:
        work = Path(tmp)
        cmd = _command(suite, stub.base_url, data, n, work)
        cmd = [cmd[0], *prefix, *cmd[1:]]
        env = {**os.environ, "OPENAI_API_KEY": "bench"}
        t0 = time.monotonic()
        proc = subprocess.run(cmd, cwd=work, env=env, capture_output=True, text=True, timeout=600)
        end = time.monotonic()
    st = stub.stats(reset=True)
    if proc.returncode != 0:
        raise RuntimeError(f"medtrust run failed ({proc.returncode}): {proc.stderr[-2000:]}")
    first = st.get("first_request_mono")
    return {
        "first_request_s": round(first - t0, 3) if first is not None else None,
        "wall_s": round(end - t0, 3),
        "requests": st.get("chat_requests"),
        "stderr": proc.stderr,
    }


PROBE = """
import json, os, resource, sys, time
T0 = time.perf_counter()
import medtrust.targets._http11 as h
send = h.Http11Pool.request
async def request(self, method, path, body=None):
    if method == "POST":
        u = resource.getrusage(resource.RUSAGE_SELF)
        print(json.dumps({"wall_s": time.perf_counter() - T0, "cpu_s": u.ru_utime + u.ru_stime,
                          "modules": len(sys.modules)}), flush=True)
        os._exit(0)
    return await send(self, method, path, body)
h.Http11Pool.request = request
sys.argv = ["medtrust", *sys.argv[1:]]
from medtrust.cli import main
main()
"""


def probe_run(
    stub: StubProcess, suite: str, data: Path, n: int, src: Path | None
) -> dict[str, Any]:
    """Wall and CPU seconds from interpreter start to the first chat request (module doc)."""
    with tempfile.TemporaryDirectory(prefix="mt-probe-") as tmp:
        work = Path(tmp)
        cmd = [sys.executable, "-c", PROBE, *_command(suite, stub.base_url, data, n, work)[3:]]
        env = {**os.environ, "OPENAI_API_KEY": "bench"}
        if src is not None:
            env["PYTHONPATH"] = str(src)
        proc = subprocess.run(cmd, cwd=work, env=env, capture_output=True, text=True, timeout=300)
    stub.stats(reset=True)
    lines = [x for x in proc.stdout.splitlines() if x.startswith("{")]
    if not lines:
        raise RuntimeError(f"probe run failed ({proc.returncode}): {proc.stderr[-2000:]}")
    out: dict[str, Any] = json.loads(lines[-1])
    return out


def scaled_data(data: Path, times: int, folder: Path) -> Path:
    """``data`` repeated ``times`` times, copy ``k`` with ids ``ID-k`` and questions prefixed
    ``[k]`` (distinct cases), written under ``folder``."""
    rows = [json.loads(line) for line in data.read_text(encoding="utf-8").splitlines() if line]
    out = folder / f"items_x{times}.jsonl"
    with out.open("w", encoding="utf-8") as fh:
        for k in range(times):
            for row in rows:
                if k:
                    row = {**row, "id": f"{row['id']}-{k}", "question": f"[{k}] {row['question']}"}
                fh.write(json.dumps(row) + "\n")
    return out


def interpreter_floor(repeats: int) -> dict[str, float]:
    """Median wall and CPU seconds of ``python -c pass`` (site and .pth files included)."""
    walls, cpus = [], []
    for _ in range(repeats):
        r0 = os.times()
        t0 = time.perf_counter()
        subprocess.run([sys.executable, "-c", "pass"], check=True)
        walls.append(time.perf_counter() - t0)
        r1 = os.times()
        cpus.append(r1.children_user + r1.children_system - r0.children_user - r0.children_system)
    return {
        "wall_s": round(statistics.median(walls), 3),
        "cpu_s": round(statistics.median(cpus), 3),
    }


def scaling(stub: StubProcess, args: argparse.Namespace) -> dict[str, Any]:
    """Probe rows (CPU and wall to the first request) at each ``--scales`` multiple of 1,000
    items, throughput suite."""
    out: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="mt-scale-") as tmp:
        for times in (int(x) for x in args.scales.split(",")):
            data = scaled_data(args.data, times, Path(tmp))
            n = 1000 * times
            rows = [probe_run(stub, SUITES["throughput"], data, n, None)
                    for _ in range(args.repeats)]  # fmt: skip
            out[str(n)] = _median_row(rows)
            print(f"  {n:>7} items: first request after {out[str(n)]['cpu_s_median']:.3f} s CPU "
                  f"({out[str(n)]['wall_s_median']:.3f} s wall)", flush=True)  # fmt: skip
    return out


def phases(stub: StubProcess, suite: str, args: argparse.Namespace) -> list[dict[str, Any]]:
    """Median wall and CPU seconds of each phase (``bench/startup_phases.py``) over
    ``--repeats`` runs; the lines ``... before X`` are the gaps between two marked phases."""
    runs = []
    for _ in range(args.repeats):
        with tempfile.TemporaryDirectory(prefix="mt-phases-") as tmp:
            work = Path(tmp)
            cmd = _command(suite, stub.base_url, args.data, args.n, work)
            cmd = [cmd[0], str(BENCH / "startup_phases.py"), *cmd[3:]]
            env = {**os.environ, "OPENAI_API_KEY": "bench"}
            proc = subprocess.run(
                cmd, cwd=work, env=env, capture_output=True, text=True, timeout=300
            )
        stub.stats(reset=True)
        lines = [x for x in proc.stdout.splitlines() if x.startswith("[")]
        if not lines:
            raise RuntimeError(f"phases run failed ({proc.returncode}): {proc.stderr[-2000:]}")
        runs.append(json.loads(lines[-1]))
    out = []
    for k, (name, _, _) in enumerate(runs[0]):
        wall = statistics.median(r[k][1] - (r[k - 1][1] if k else 0.0) for r in runs)
        cpu = statistics.median(r[k][2] - (r[k - 1][2] if k else 0.0) for r in runs)
        out.append({"phase": name, "wall_s": round(wall, 3), "cpu_s": round(cpu, 3)})
        print(f"  {wall:6.3f} s wall {cpu:6.3f} s CPU  {name}", flush=True)
    return out


def _median_row(rows: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "cpu_s_median": round(statistics.median(r["cpu_s"] for r in rows), 3),
        "wall_s_median": round(statistics.median(r["wall_s"] for r in rows), 3),
        "cpu_s": [round(r["cpu_s"], 3) for r in rows],
        "modules": rows[0]["modules"],
    }


def full_runs(stub: StubProcess, suite: str, args: argparse.Namespace) -> dict[str, Any]:
    """``--repeats`` complete runs (after one warm-up): seconds to the stub's first request."""
    one_run(stub, suite, args.data, args.n, [])  # warm the page cache
    runs = [one_run(stub, suite, args.data, args.n, []) for _ in range(args.repeats)]
    firsts = [r["first_request_s"] for r in runs]
    row = {
        "first_request_s": firsts,
        "median_s": statistics.median(firsts),
        "min_s": min(firsts),
        "max_s": max(firsts),
        "wall_s": [r["wall_s"] for r in runs],
        "requests": runs[0]["requests"],
    }
    print(f"  first request after {row['median_s']:.3f} s median (min {row['min_s']:.3f}, "
          f"max {row['max_s']:.3f}; {args.repeats} runs), {row['requests']} requests, "
          f"goal {GOAL_S} s", flush=True)  # fmt: skip
    return row


def importtime_top(stderr: str, k: int = 25) -> list[tuple[float, str]]:
    """The ``k`` slowest imports (cumulative ms) from ``-X importtime`` output."""
    rows = []
    for line in stderr.splitlines():
        if not line.startswith("import time:") or "cumulative" in line:
            continue
        _self_us, cum_us, name = (p.strip() for p in line[len("import time:") :].split("|"))
        rows.append((int(cum_us) / 1000, name))
    return sorted(rows, reverse=True)[:k]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--n", type=int, default=1000)
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--latency-ms", type=float, default=0.0)
    ap.add_argument("--data", type=Path, default=BENCH / "data" / "mcq_1000.jsonl")
    ap.add_argument("--suites", default="quickstart,throughput")
    ap.add_argument("--profile", action="store_true", help="also print -X importtime's top 25")
    ap.add_argument("--no-probe", action="store_true", help="skip the CPU-to-first-connect probe")
    ap.add_argument("--probe-only", action="store_true", help="only the probe (no full runs)")
    ap.add_argument("--baseline-src", type=Path, help="also probe this source tree (PYTHONPATH)")
    ap.add_argument("--scales", default="", help="e.g. 1,10,100: probe N x 1,000 items too")
    ap.add_argument("--phases", action="store_true", help="also time each start-up phase")
    ap.add_argument("--out", type=Path, default=BENCH / "results" / "startup.json")
    args = ap.parse_args(argv)
    results: dict[str, Any] = {
        "recorded": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "n": args.n, "repeats": args.repeats, "latency_ms": args.latency_ms,
        "cpus": os.cpu_count(), "load_avg": os.getloadavg(), "goal_s": GOAL_S, "suites": {},
    }  # fmt: skip
    results["interpreter"] = interpreter_floor(args.repeats)
    print(f"interpreter (python -c pass): {results['interpreter']}", flush=True)
    with StubProcess(args.latency_ms) as stub:
        if args.scales:
            print("scaling (throughput suite, probe):", flush=True)
            results["scaling"] = scaling(stub, args)
        for name in args.suites.split(","):
            row: dict[str, Any] = {}
            results["suites"][name] = row
            print(f"{name}:", flush=True)
            if not args.probe_only:
                row.update(full_runs(stub, SUITES[name], args))
            if not args.no_probe:
                for label, src in (("probe", None), ("baseline_probe", args.baseline_src)):
                    if label == "baseline_probe" and src is None:
                        continue
                    rows = [probe_run(stub, SUITES[name], args.data, args.n, src)
                            for _ in range(args.repeats)]  # fmt: skip
                    row[label] = _median_row(rows)
                    print(f"  {label}: first request after {row[label]['cpu_s_median']:.3f} s CPU "
                          f"({row[label]['wall_s_median']:.3f} s wall; {row[label]['modules']} "
                          "modules imported)", flush=True)  # fmt: skip
            if args.phases:
                row["phases"] = phases(stub, SUITES[name], args)
            if args.profile:
                prof = one_run(stub, SUITES[name], args.data, args.n, ["-X", "importtime"])
                top = importtime_top(prof["stderr"])
                row["importtime_top"] = top
                for ms, mod in top:
                    print(f"  {ms:8.1f} ms  {mod}")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
