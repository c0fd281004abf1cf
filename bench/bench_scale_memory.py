#!/usr/bin/env python3
"""Issue 15, item 1: a run's peak memory and wall time against its size.

For each size N it writes N synthetic MedQA-format items (``make_prompts.py``), then runs, in a
fresh process, ``medtrust run bench/suites/throughput.yaml --data ITEMS`` (the DAS probe with no
operators: N baseline calls) against a local 0 ms target, ``python:bench_zero:answer`` (an async
callable returning a fixed letter), into a fresh SQLite store, with ``--json`` (no HTML report).
It records the child's peak RSS (``ru_maxrss`` of the waited child), wall time and CPU time, and
the peak RSS reached by the end of the stage loop (``VmHWM`` read right after ``run_stages``
returns: cases, calls, replies, verdicts, follow-ups), before the summary and report, and the
peak reached once the concern trigger (``review.trigger_review``, run after the stage loop) has
scored the run; the rest of the whole-run peak is the summary (``summarize_run``).

    python bench/bench_scale_memory.py --sizes 10000 100000 1000000
    python bench/bench_scale_memory.py --sizes 1000000 --stage-only  # the stage loop alone

Results: ``bench/results/scale_memory.json`` (one object per size, appended).
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

HERE = Path(__file__).resolve().parent
LAUNCH = """
import sys, time
import medtrust.api._run as r
orig, t0, OUT = r.run_stages, time.perf_counter(), sys.argv[1]
STAGE_ONLY = sys.argv[2] == "1"
async def wrapped(*a, **k):  # the peak RSS so far when the stage loop ends (before the summary)
    await orig(*a, **k)
    hwm = next(l for l in open("/proc/self/status") if l.startswith("VmHWM")).split()[1]
    open(OUT, "w").write(f"{hwm} {time.perf_counter() - t0:.2f}")
    if STAGE_ONLY:  # the stage loop alone: skip the summary and report
        import os
        print("{}")
        sys.stdout.flush()
        os._exit(0)
r.run_stages = wrapped
import medtrust.review as rv
orig_trigger = rv.trigger_review
def trigger(*a, **k):  # the peak RSS once the concern trigger has scored the run
    out = orig_trigger(*a, **k)
    hwm = next(l for l in open("/proc/self/status") if l.startswith("VmHWM")).split()[1]
    open(OUT + ".review", "w").write(f"{hwm} {time.perf_counter() - t0:.2f}")
    return out
rv.trigger_review = trigger
from medtrust.cli import main
sys.argv = ["medtrust", *sys.argv[3:]]
main()
"""
ZERO = '''
async def answer(messages):
    return "A"
'''


def measure(n: int, work: Path, concurrency: int, stage_only: bool) -> dict[str, object]:
    items = work / f"items_{n}.jsonl"
    if not items.exists():
        subprocess.run(
            [sys.executable, str(HERE / "make_prompts.py"), "--n", str(n), "--out", str(items)],
            check=True, stdout=subprocess.DEVNULL,
        )
    db = work / f"run_{n}.db"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)
    (work / "bench_zero.py").write_text(ZERO)
    path = os.pathsep.join([str(work), os.environ.get("PYTHONPATH", "")])
    env = {**os.environ, "PYTHONPATH": path, "MEDTRUST_HOME": str(work / "home")}
    args = ["run", str(HERE / "suites" / "throughput.yaml"),
            "--target", "python:bench_zero:answer", "--data", str(items),
            "--concurrency", str(concurrency), "--db", f"sqlite:///{db}", "--json", "--no-cache"]
    stage_hwm = work / "stage_hwm.txt"
    stage_hwm.unlink(missing_ok=True)
    Path(f"{stage_hwm}.review").unlink(missing_ok=True)
    cmd = [sys.executable, "-c", LAUNCH, str(stage_hwm), "1" if stage_only else "0", *args]
    out, err = work / "stdout.json", work / "stderr.txt"
    t0 = time.perf_counter()
    with out.open("w") as fo, err.open("w") as fe:
        proc = subprocess.Popen(cmd, env=env, cwd=work, stdout=fo, stderr=fe)
        _, status, usage = os.wait4(proc.pid, 0)  # this child's own peak RSS and CPU
    wall = time.perf_counter() - t0
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise SystemExit(f"run failed ({proc.returncode}):\n{err.read_text()[-3000:]}")
    summary = json.loads(out.read_text())
    hwm, stage_s = stage_hwm.read_text().split()
    review = Path(f"{stage_hwm}.review")
    rhwm, review_s = review.read_text().split() if review.exists() else ("0", "nan")
    cpu = usage.ru_utime + usage.ru_stime
    return {
        "cases": n,
        "replies": summary.get("replies"),
        "stage_only": stage_only,
        "peak_rss_mib": round(usage.ru_maxrss / 1024, 1),  # KiB on Linux
        "stage_loop_peak_rss_mib": round(int(hwm) / 1024, 1),
        "stage_loop_end_s": float(stage_s),
        "review_trigger_peak_rss_mib": round(int(rhwm) / 1024, 1),  # stage loop + concern scores
        "review_trigger_end_s": float(review_s),
        "wall_s": round(wall, 2),
        "cpu_s": round(cpu, 2),
        "cpu_ms_per_case": round(1000 * cpu / n, 3),
        "wall_ms_per_case": round(1000 * wall / n, 3),
        "load_avg_1m": os.getloadavg()[0],
        "when": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    ap.add_argument("--concurrency", type=int, default=64)
    ap.add_argument("--stage-only", action="store_true",
                    help="stop after the stage loop (no summary, no report)")
    ap.add_argument("--work", type=Path, default=None, help="scratch folder (default: a temp dir)")
    ap.add_argument("--out", type=Path, default=HERE / "results" / "scale_memory.json")
    args = ap.parse_args()
    work = args.work or Path(tempfile.mkdtemp(prefix="mt-scale-"))
    work.mkdir(parents=True, exist_ok=True)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    for n in args.sizes:  # one fresh process per size
        row = measure(n, work, args.concurrency, args.stage_only)
        print(json.dumps(row), flush=True)
        # appended at once: a later size killed mid-run keeps the sizes already measured
        old = json.loads(args.out.read_text()) if args.out.exists() else []
        args.out.write_text(json.dumps([*old, row], indent=2) + "\n")


if __name__ == "__main__":
    main()
