"""`medtrust cohort check` at scale: a generated cohort and its identified twin (issue 13).

    python bench/bench_safe_harbor.py [-n 1000000] [--workdir /tmp/medtrust-bench-sh]

Generates a Safe Harbor cohort and its identified twin (same seed) as Parquet, then runs
``/usr/bin/time -v medtrust cohort check FILE --json`` once on each (wall time, CPU time, peak
RSS of that process alone). Expected: 0 violations on the cohort; on the twin, every planted
identifier column flagged on every record where it is filled, and every age over 90 flagged.
Writes ``bench/results/safe_harbor.json``.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
from pathlib import Path

import pyarrow.compute as pc
import pyarrow.parquet as pq

NOT_IDENTIFIERS = {"state", "relative_relation"}  # a state is allowed; a relation names nobody


def _timed(cmd: list[str]) -> tuple[dict[str, object], dict[str, float], int]:
    proc = subprocess.run(["/usr/bin/time", "-v", *cmd], capture_output=True, text=True,
                          check=False)
    err = proc.stderr

    def grab(label: str) -> str:
        m = re.search(rf"{re.escape(label)}: (.+)", err)
        return m.group(1).strip() if m else ""

    wall = grab("Elapsed (wall clock) time (h:mm:ss or m:ss)")
    parts = [float(x) for x in wall.split(":")]
    seconds = sum(p * 60 ** i for i, p in enumerate(reversed(parts)))
    stats = {"wall_s": round(seconds, 2),
             "cpu_s": round(float(grab("User time (seconds)") or 0)
                            + float(grab("System time (seconds)") or 0), 2),
             "peak_rss_mb": round(int(grab("Maximum resident set size (kbytes)") or 0) / 1024, 1)}
    out = json.loads(proc.stdout) if proc.stdout.strip() else {"error": err[-2000:]}
    return out, stats, proc.returncode


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("-n", type=int, default=1_000_000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--workdir", type=Path, default=Path("/tmp/medtrust-bench-sh"))
    args = ap.parse_args()
    args.workdir.mkdir(parents=True, exist_ok=True)
    results: dict[str, object] = {"n": args.n, "seed": args.seed}
    for name, extra in (("safe_harbor", []), ("identified", ["--identified"])):
        path = args.workdir / f"{name}_{args.n}.parquet"
        if not path.exists():
            subprocess.run(["medtrust", "cohort", "generate", "-n", str(args.n), "--seed",
                            str(args.seed), "--out", str(path), *extra], check=True)
        cmd = ["medtrust", "cohort", "check", str(path), "--json", "--limit", "5"]
        report, stats, rc = _timed(cmd)
        entry: dict[str, object] = {"command": " ".join(["/usr/bin/time", "-v", *cmd]),
                                    "exit_code": rc, **stats,
                                    "records": report.get("records"),
                                    "records_flagged": report.get("records_flagged"),
                                    "total": report.get("total"), "counts": report.get("counts")}
        if name == "identified":
            from medtrust.cohort._identifiers import IDENTIFIER_COLUMNS

            meta = pq.ParquetFile(path)
            flagged = report.get("columns") or {}
            planted: dict[str, dict[str, int]] = {}
            for col in IDENTIFIER_COLUMNS:
                if col in NOT_IDENTIFIERS:
                    continue
                arr = meta.read(columns=[col])[col]
                planted[col] = {"filled": len(arr) - arr.null_count,
                                "flagged": int(flagged.get(col, 0))}
            age = meta.read(columns=["age"])["age"]
            planted["age (over 90)"] = {"filled": int(pc.sum(pc.greater(age, 90)).as_py() or 0),
                                        "flagged": int(flagged.get("age", 0))}
            entry["planted"] = planted
            entry["every_planted_class_found"] = all(
                v["filled"] == v["flagged"] for v in planted.values())
        results[name] = entry
        print(json.dumps({name: entry}, indent=1), file=sys.stderr)
    out = Path(__file__).parent / "results" / "safe_harbor.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {out}", file=sys.stderr)


if __name__ == "__main__":
    main()
