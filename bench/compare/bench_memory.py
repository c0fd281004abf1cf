"""Peak memory of the commands that read stored runs: compare, drift, gate, compliance (issue 15).

Runs each command on the first two runs of a store (``A`` = the older, ``B`` = the newer) under
``/usr/bin/time -v`` and records its peak RSS, wall time and exit code; every command's stdout
is kept under ``--out`` so that two code versions can be diffed byte for byte
(``diff -r before/ after/``). ``--src`` puts another source tree first on ``PYTHONPATH`` (the
code before a change, copied aside).

    python bench/compare/bench_memory.py --db sqlite:///r10k.db --out after10k
    python bench/compare/bench_memory.py --db sqlite:///r10k.db --out before10k --src old/
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
from pathlib import Path

from medtrust.store import Store


def commands(a: str, b: str) -> dict[str, list[str]]:
    """Name -> medtrust arguments (without ``--db``)."""
    return {
        "compare_json": ["compare", a, b, "--format", "json"],
        "compare_md": ["compare", a, b, "--format", "md"],
        "compare_table": ["compare", a, b],
        "drift_json": ["compare", "--baseline", a, b, "--format", "json"],
        "drift_md": ["compare", "--baseline", a, b, "--format", "md"],
        "drift_table": ["compare", "--baseline", a, b],
        "gate": ["gate", b],
        "gate_drift": ["gate", b, "--baseline", a, "--max-regression", "robustness=0.01"],
        "compliance": ["compliance", b],
    }


def measure(args: list[str], db: str, src: str | None, out: Path) -> dict[str, object]:
    """Run ``medtrust ARGS --db DB``; its stdout goes to ``out`` and its stderr (the terminal
    tables and gate lines) to ``out`` with ``.err``; returns RSS, wall, rc."""
    env = {**os.environ, "COLUMNS": "200", "NO_COLOR": "1", "TERM": "dumb"}
    if src:
        env["PYTHONPATH"] = src + os.pathsep + env.get("PYTHONPATH", "")
    stats = out.with_suffix(".time")
    cmd = [
        "/usr/bin/time",
        "-o",
        str(stats),
        "-v",
        sys.executable,
        "-m",
        "medtrust",
        *args,
        "--db",
        db,
    ]
    with out.open("wb") as fh, out.with_suffix(".err").open("wb") as eh:
        p = subprocess.run(cmd, stdout=fh, stderr=eh, env=env, check=False)
    err = stats.read_text(errors="replace")
    rss = re.search(r"Maximum resident set size \(kbytes\): (\d+)", err)
    wall = re.search(r"Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): ([\d:.]+)", err)
    seconds = 0.0
    if wall:
        for part in wall.group(1).split(":"):
            seconds = seconds * 60 + float(part)
    return {
        "rss_mib": round(int(rss.group(1)) / 1024, 1) if rss else None,
        "wall_s": round(seconds, 1),
        "rc": p.returncode,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--db", required=True)
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--src", default=None, help="a source tree to put first on PYTHONPATH")
    ap.add_argument("--only", nargs="*", default=None, help="command names to run")
    a = ap.parse_args()
    runs = sorted(Store(a.db).list_runs(), key=lambda r: r.created_at)
    if len(runs) < 2:
        raise SystemExit(f"{a.db}: needs two runs, has {len(runs)}")
    a.out.mkdir(parents=True, exist_ok=True)
    results = {}
    for name, args in commands(runs[0].id, runs[1].id).items():
        if a.only and name not in a.only:
            continue
        results[name] = measure(args, a.db, a.src, a.out / f"{name}.out")
        print(name, results[name], flush=True)
    (a.out / "memory.json").write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
