#!/usr/bin/env python3
"""Harness throughput benchmark (issue 2): medtrust vs Inspect AI vs garak, one run.

For each stub latency (default 0 ms and 50 ms) this starts ``bench/stub_server.py``, then for
each concurrency (default 64) runs every tool on the same N multiple-choice items against it,
measuring each tool the same way (see ``bench/harness.py``).  It writes
``bench/results/throughput.json`` and prints a Markdown table with ratios vs Inspect and the
fraction of the stub's limit (concurrency / latency).

    python3 bench/run_throughput.py                       # everything that is installed
    python3 bench/run_throughput.py --tools inspect,garak --n 1000 --concurrency 16,64
    python3 bench/run_throughput.py --tools medtrust --latencies 50 --repeats 3

Peers need their venvs: ``bash bench/setup_peers.sh``.  medtrust is looked up as described in
``bench/peers/medtrust_driver.py``.  Tools that are not installed are skipped (and listed).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import signal
import subprocess
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

from harness import (
    BENCH_DIR,
    DEFAULT_DATA,
    RunContext,
    RunResult,
    StubProcess,
    dist_version,
    load_items,
    run_dir,
    run_measured,
    write_subset,
)
from peers import garak_driver, inspect_driver, medtrust_driver, raw_driver

DRIVERS: dict[str, ModuleType] = {
    "medtrust": medtrust_driver,
    "inspect": inspect_driver,
    "garak": garak_driver,
    "raw": raw_driver,
}
BASELINE = "inspect"
GOAL_RATIO_VS_INSPECT = 3.0
GOAL_LIMIT_FRACTION = 0.8
GOAL_LATENCY_MS = 50.0
GOAL_CONCURRENCY = 64
CORES = os.cpu_count() or 1
NOISE_FRACTION = 0.1  # flag runs where foreign processes used >10% of the machine


def _csv(text: str) -> list[str]:
    return [part.strip() for part in text.split(",") if part.strip()]


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--tools", default="medtrust,inspect,garak,raw", help="comma list")
    ap.add_argument("--n", type=int, default=1000, help="items per run (first N of --data)")
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA)
    ap.add_argument("--latencies", default="0,50", help="stub latencies in ms, comma list")
    ap.add_argument("--concurrency", default="64", help="comma list, e.g. 16,64")
    ap.add_argument("--repeats", type=int, default=1, help="runs per cell")
    ap.add_argument(
        "--pick",
        choices=("best", "median"),
        default="best",
        help="which of the repeats a cell reports, by steady req/s (default best: on a shared "
        "machine interference only ever slows a run down)",
    )
    ap.add_argument("--no-warmup", action="store_true", help="skip the untimed warm-up runs")
    ap.add_argument("--timeout", type=float, default=900.0, help="seconds per tool run")
    ap.add_argument("--out", type=Path, default=BENCH_DIR / "results" / "throughput.json")
    ap.add_argument("--keep-workdirs", type=Path, help="keep each run's files under this dir")
    args = ap.parse_args(argv)
    unknown = [t for t in _csv(args.tools) if t not in DRIVERS]
    if unknown:
        ap.error(f"unknown tools {unknown}; choose from {sorted(DRIVERS)}")
    return args


# -- running -------------------------------------------------------------------------------
def one_run(
    tool: str,
    stub: StubProcess,
    concurrency: int,
    items: list[dict[str, Any]],
    timeout_s: float,
    keep: Path | None,
    label: str,
) -> RunResult:
    driver = DRIVERS[tool]
    name = f"{tool}-{stub.latency_ms:g}ms-c{concurrency}-n{len(items)}-{label}"
    with run_dir(keep, name) as workdir:
        data = write_subset(items, workdir / "items.jsonl")
        ctx = RunContext(
            tool=tool,
            port=stub.port,
            base_url=stub.base_url,
            latency_ms=stub.latency_ms,
            concurrency=concurrency,
            n=len(items),
            data=data,
            workdir=workdir,
        )
        inv = driver.build(ctx)
        return run_measured(ctx, inv, stub, timeout_s=timeout_s)


def stub_ceiling(stub: StubProcess) -> dict[str, Any]:
    """The stub's own limit with the cheapest client (20,000 requests, concurrency 64)."""
    cmd = [sys.executable, str(BENCH_DIR / "stub_load.py"), "--port", str(stub.port)]
    cmd += ["--n", "20000", "--concurrency", "64"]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True, timeout=300)
    stub.stats(reset=True)
    result: dict[str, Any] = json.loads(out.stdout)
    return result


def pick_run(runs: list[RunResult], how: str) -> RunResult:
    ok = [r for r in runs if r.returncode == 0 and not r.timed_out] or runs
    ranked = sorted(ok, key=lambda r: r.req_per_s_steady or 0.0)
    return ranked[-1] if how == "best" else ranked[(len(ranked) - 1) // 2]


# -- reporting -----------------------------------------------------------------------------
def summarize(
    cells: dict[tuple[str, float, int], list[RunResult]], how: str
) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for (_tool, latency, conc), runs in cells.items():
        best = pick_run(runs, how)
        row = best.as_dict()
        row["repeats"] = len(runs)
        row["req_per_s_steady_all"] = [r.req_per_s_steady for r in runs]
        row["req_per_s_e2e_all"] = [r.req_per_s_e2e for r in runs]
        base_runs = cells.get((BASELINE, latency, conc))
        base = pick_run(base_runs, how) if base_runs else None
        base_steady = base.req_per_s_steady if base else None
        base_e2e = base.req_per_s_e2e if base else None
        row["x_inspect_steady"] = _ratio(best.req_per_s_steady, base_steady)
        row["x_inspect_e2e"] = _ratio(best.req_per_s_e2e, base_e2e)
        limit = conc / (latency / 1000.0) if latency > 0 else None
        row["stub_limit_req_per_s"] = round(limit, 1) if limit else None
        row["limit_fraction_steady"] = _ratio(best.req_per_s_steady, limit)
        row["limit_fraction_e2e"] = _ratio(best.req_per_s_e2e, limit)
        row["noisy"] = best.other_cpu_s > NOISE_FRACTION * best.wall_s * CORES
        row["ok"] = best.returncode == 0 and not best.timed_out and best.requests == best.n
        rows.append(row)
    return rows


def _ratio(a: float | None, b: float | None) -> float | None:
    return round(a / b, 3) if a and b else None


def check_goals(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    goals: list[dict[str, Any]] = []
    med = [r for r in rows if r["tool"] == "medtrust"]
    for r in med:
        if r["x_inspect_steady"] is None:
            continue
        goals.append(
            {
                "ok": r["ok"],
                "goal": f">= {GOAL_RATIO_VS_INSPECT:g}x Inspect throughput",
                "latency_ms": r["latency_ms"],
                "concurrency": r["concurrency"],
                "value_steady": r["x_inspect_steady"],
                "value_e2e": r["x_inspect_e2e"],
                "pass": r["ok"] and r["x_inspect_steady"] >= GOAL_RATIO_VS_INSPECT,
            }
        )
    for r in med:
        if r["latency_ms"] == GOAL_LATENCY_MS and r["concurrency"] == GOAL_CONCURRENCY:
            goals.append(
                {
                    "ok": r["ok"],
                    "goal": f">= {GOAL_LIMIT_FRACTION:.0%} of stub limit "
                    f"({GOAL_CONCURRENCY}/{GOAL_LATENCY_MS:g} ms)",
                    "latency_ms": r["latency_ms"],
                    "concurrency": r["concurrency"],
                    "value_steady": r["limit_fraction_steady"],
                    "value_e2e": r["limit_fraction_e2e"],
                    "pass": r["ok"] and (r["limit_fraction_steady"] or 0) >= GOAL_LIMIT_FRACTION,
                }
            )
    return goals


def _fmt(v: Any, spec: str = "") -> str:
    if v is None:
        return "-"
    return format(v, spec) if spec else str(v)


def markdown(
    rows: list[dict[str, Any]], goals: list[dict[str, Any]], skipped: dict[str, str]
) -> str:
    head = (
        "| tool | latency ms | conc | requests | wall s | startup s | req/s e2e | req/s steady "
        "| peak RSS MiB (tree) | peak PSS MiB | procs | CPU ms/req (all / after 1st req) "
        "| x Inspect steady "
        "| x Inspect e2e | frac of limit steady | frac of limit e2e |"
    )
    lines = [head, "|" + "---|" * head.count(" | ") + "---|"]
    order = {t: i for i, t in enumerate(DRIVERS)}
    for r in sorted(rows, key=lambda r: (r["latency_ms"], r["concurrency"], order[r["tool"]])):
        tool = r["tool"]
        if r["timed_out"]:
            tool += " ⚠ timed out"
        elif not r["ok"]:
            tool += f" ⚠ rc={r['returncode']} requests={r['requests']}/{r['n']}"
        lines.append(
            f"| {tool} | {r['latency_ms']:g} | {r['concurrency']} | {r['requests']} "
            f"| {r['wall_s']:.2f} | {_fmt(r['startup_s'], '.2f')} | {r['req_per_s_e2e']:.1f} "
            f"| {_fmt(r['req_per_s_steady'], '.1f')} | {r['peak_rss_mib']:.0f} "
            f"| {r['peak_pss_mib']:.0f} | {r['peak_procs']} | {_fmt(r['cpu_ms_per_request'])} / "
            f"{_fmt(r['cpu_ms_per_request_after_start'])} "
            f"| {_fmt(r['x_inspect_steady'], '.2f')} | {_fmt(r['x_inspect_e2e'], '.2f')} "
            f"| {_fmt(r['limit_fraction_steady'], '.1%')} "
            f"| {_fmt(r['limit_fraction_e2e'], '.1%')} |"
        )
    out = "\n".join(lines)
    if goals:
        out += "\n\nGoals (judged on steady req/s):\n"
        for g in goals:
            verdict = "PASS" if g["pass"] else "FAIL"
            if not g["ok"]:
                verdict += " (the medtrust run failed)"
            out += (
                f"- {verdict}: medtrust {g['goal']} at {g['latency_ms']:g} ms, "
                f"c={g['concurrency']}: steady {_fmt(g['value_steady'])}, "
                f"e2e {_fmt(g['value_e2e'])}\n"
            )
    for r in (r for r in rows if r["noisy"]):
        out += (
            f"\nNoise: during {r['tool']} at {r['latency_ms']:g} ms c={r['concurrency']}, other "
            f"processes used {r['other_cpu_s']:.1f} CPU s ({r['wall_s']:.1f} s wall x {CORES} "
            "cores): numbers are pessimistic; rerun on a quiet machine."
        )
    for tool, why in skipped.items():
        out += f"\nSkipped {tool}: {why}"
    return out


def environment(tools: list[str]) -> dict[str, Any]:
    versions: dict[str, str | None] = {}
    for tool in tools:
        driver = DRIVERS[tool]
        py = driver.python()
        if driver.DIST and py is not None:
            versions[driver.DIST] = dist_version(py, driver.DIST)
    return {
        "date_utc": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "platform": platform.platform(),
        "cpu_count": os.cpu_count(),
        "python": platform.python_version(),
        "versions": versions,
    }


# -- main ----------------------------------------------------------------------------------
def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    # SIGTERM -> SystemExit, so the stub and the running tool are cleaned up on the way out.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    tools = _csv(args.tools)
    skipped: dict[str, str] = {}
    for tool in list(tools):
        why = DRIVERS[tool].available()
        if why:
            skipped[tool] = why
            tools.remove(tool)
            print(f"skip {tool}: {why}", file=sys.stderr)
    latencies = [float(x) for x in _csv(args.latencies)]
    concurrencies = [int(x) for x in _csv(args.concurrency)]
    items = load_items(args.data, args.n)
    if args.keep_workdirs:
        args.keep_workdirs.mkdir(parents=True, exist_ok=True)

    cells: dict[tuple[str, float, int], list[RunResult]] = {}
    ceilings: dict[str, Any] = {}
    for latency in latencies:
        with StubProcess(latency) as stub:
            print(f"stub {stub.base_url} latency={latency:g} ms", file=sys.stderr)
            if latency == 0:
                ceilings["0"] = stub_ceiling(stub)
                print(f"  stub ceiling (raw client, c=64): {ceilings['0']}", file=sys.stderr)
            if not args.no_warmup and latency == latencies[0]:
                for tool in tools:
                    print(f"  warm-up {tool}", file=sys.stderr)
                    one_run(tool, stub, concurrencies[0], items[:50], args.timeout, None, "warm")
            for conc in concurrencies:
                for rep in range(args.repeats):
                    for tool in tools:
                        res = one_run(
                            tool, stub, conc, items, args.timeout, args.keep_workdirs, f"r{rep}"
                        )
                        cells.setdefault((tool, latency, conc), []).append(res)
                        print(
                            f"  {tool:<11} c={conc:<3} rep={rep} rc={res.returncode} "
                            f"requests={res.requests} wall={res.wall_s:.2f}s "
                            f"e2e={res.req_per_s_e2e:.1f}/s steady={res.req_per_s_steady}/s "
                            f"rss={res.peak_rss_mib:.0f}MiB",
                            file=sys.stderr,
                        )
                        if res.returncode != 0 or res.timed_out:
                            print(res.log_tail, file=sys.stderr)

    rows = summarize(cells, args.pick)
    goals = check_goals(rows)
    report = {
        "benchmark": "harness throughput (issue 2)",
        "n": args.n,
        "data": str(args.data),
        "latencies_ms": latencies,
        "concurrency": concurrencies,
        "repeats": args.repeats,
        "pick": args.pick,
        "environment": environment(tools),
        "stub_ceiling": ceilings,
        "skipped": skipped,
        "rows": rows,
        "goals": goals,
        "runs": [r.as_dict() for runs in cells.values() for r in runs],
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    table = markdown(rows, goals, skipped)
    args.out.with_suffix(".md").write_text(table + "\n", encoding="utf-8")
    print(table)
    print(f"\nwrote {args.out} and {args.out.with_suffix('.md')}", file=sys.stderr)
    return 0 if all(r["ok"] for r in rows) else 1


if __name__ == "__main__":
    raise SystemExit(main())
