#!/usr/bin/env python3
"""Audit trail overhead (issue 7): one 100,000-event run with auditing on vs off.

A run of N multiple-choice items with the ``bench/suites/throughput.yaml`` suite (controls only)
against an instant ``python:`` target writes one case, one reply and one verdict per item, so
N = 33,333 gives 99,999 row events plus the run's own (run, status) events: about 100,000
audit events. Each repeat runs the same suite twice on fresh SQLite files, ``Store(audit=False)``
and ``Store(audit=True)``, alternating the order; the table reports medians. With auditing on it
also times ``medtrust.audit.verify`` of the whole trail and the Merkle root.

    python bench/bench_audit.py                 # N=33,333, 3 repeats
    python bench/bench_audit.py --n 3000 --repeats 1

Wall time is what the goal is stated in; CPU time (``time.process_time``) is recorded too
because it is stable on a shared machine. Writes ``bench/results/audit_overhead.json`` and
prints a Markdown table.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))

from make_prompts import make_items  # noqa: E402

from medtrust import api, audit  # noqa: E402
from medtrust.store import Store  # noqa: E402

TARGET = "def answer(messages):\n    return 'A'\n"
GOAL = 0.10


def one_run(work: Path, items: Path, *, audited: bool, tag: str) -> dict[str, Any]:
    """Time ``api.run`` end to end on a fresh store; count what it wrote."""
    db = work / f"{tag}.db"
    store = Store(f"sqlite:///{db}", audit=audited)
    config = api.make_config(
        str(BENCH / "suites" / "throughput.yaml"),
        target="python:instant_target:answer",
        data=str(items),
        concurrency=64,
    )
    t0, c0 = time.perf_counter(), time.process_time()
    result = api.run(config, store=store, out_dir=None)
    run_s, cpu_s = time.perf_counter() - t0, time.process_time() - c0
    out: dict[str, Any] = {"audit": audited, "run_s": run_s, "cpu_s": cpu_s}
    events = store.audit_events()
    out["events"] = len(events)
    out["replies"] = sum(len(v) for v in store.replies(result.run.id).values())
    if audited:
        t0 = time.perf_counter()
        report = audit.verify(store)
        out["verify_s"] = time.perf_counter() - t0
        out["verify_ok"] = report.ok
        t0 = time.perf_counter()
        audit.merkle_root([bytes.fromhex(e.hash) for e in events])
        out["merkle_s"] = time.perf_counter() - t0
    store.close()
    for p in work.glob(f"{tag}.db*"):
        p.unlink()
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--n", type=int, default=33_333, help="items (3 audit events each)")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--out", type=Path, default=BENCH / "results" / "audit_overhead.json")
    args = ap.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="medtrust-audit-bench-") as tmp:
        work = Path(tmp)
        os.environ["MEDTRUST_HOME"] = str(work / "home")  # a throwaway signing key
        items = work / "items.jsonl"
        with items.open("w", encoding="utf-8") as fh:
            for it in make_items(args.n):
                fh.write(json.dumps(it, ensure_ascii=False) + "\n")
        (work / "instant_target.py").write_text(TARGET)
        sys.path.insert(0, str(work))
        os.chdir(work)
        runs: list[dict[str, Any]] = []
        for i in range(args.repeats):
            order = (False, True) if i % 2 == 0 else (True, False)
            for audited in order:
                r = one_run(work, items, audited=audited, tag=f"r{i}-{int(audited)}")
                print(json.dumps(r), file=sys.stderr)
                runs.append(r)
    on_runs = [r for r in runs if r["audit"]]
    off_runs = [r for r in runs if not r["audit"]]
    off = statistics.median(r["run_s"] for r in off_runs)
    on = statistics.median(r["run_s"] for r in on_runs)
    cpu_off = statistics.median(r["cpu_s"] for r in off_runs)
    cpu_on = statistics.median(r["cpu_s"] for r in on_runs)
    result = {
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "python": platform.python_version(),
        "machine": f"{platform.machine()} {os.cpu_count()} CPUs",
        "items": args.n,
        "events": on_runs[0]["events"],
        "repeats": args.repeats,
        "run_s_audit_off": round(off, 3),
        "run_s_audit_on": round(on, 3),
        "overhead": round(on / off - 1, 4),
        "cpu_s_audit_off": round(cpu_off, 3),
        "cpu_s_audit_on": round(cpu_on, 3),
        "cpu_overhead": round(cpu_on / cpu_off - 1, 4),
        "load_average": os.getloadavg(),
        "verify_s": round(statistics.median(r["verify_s"] for r in on_runs), 3),
        "merkle_root_s": round(statistics.median(r["merkle_s"] for r in on_runs), 3),
        "all_verified": all(r["verify_ok"] for r in on_runs),
        "goal": f"overhead < {GOAL:.0%}",
        "runs": runs,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(f"| audit | wall s (median of {args.repeats}) | CPU s | events |")
    print("|---|---|---|---|")
    print(f"| off | {off:.2f} | {cpu_off:.2f} | 0 |")
    print(f"| on | {on:.2f} | {cpu_on:.2f} | {result['events']:,} |")
    print(
        f"\noverhead wall {result['overhead']:+.1%}, CPU {result['cpu_overhead']:+.1%} "
        f"(goal < {GOAL:.0%}); verify of the whole trail {result['verify_s']:.2f} s; "
        f"Merkle root {result['merkle_root_s']:.3f} s; load average {os.getloadavg()[0]:.1f}"
    )
    return 0 if result["overhead"] < GOAL else 1


if __name__ == "__main__":
    raise SystemExit(main())
