"""Implausible records in a generated cohort: generate N patients, validate them, print JSON.

    python bench/plausibility/bench_generator.py -n 1000000 [--seed 0] [--rare-boost 50]
        [--balance E66.9] [--out results.json]

Writes the cohort to a temporary Parquet file, runs the same validator as
``medtrust cohort validate`` on it, and reports records, flagged records (with a Wilson
interval), counts per rule family and the 20 most frequent rules, plus the wall time of each
stage. Results are recorded in bench/README.md ("Clinical plausibility").
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

from medtrust.cohort import CohortConfig
from medtrust.cohort._generate import generate_cohort
from medtrust.cohort._validate import validate_file
from medtrust.metrics import wilson


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("-n", type=int, default=1_000_000)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--rare-boost", type=float, default=1.0)
    ap.add_argument("--balance", default=None)
    ap.add_argument("--out", type=Path, default=None)
    args = ap.parse_args(argv)
    cfg = CohortConfig(seed=args.seed, rare_boost=args.rare_boost, balance=args.balance)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "cohort.parquet"
        t0 = time.perf_counter()
        generate_cohort(args.n, path, config=cfg)
        t1 = time.perf_counter()
        report = validate_file(path, limit=20)
        t2 = time.perf_counter()
    lo, hi = wilson(report.records_flagged, report.records) or (0.0, 0.0)
    result = {
        "n": report.records, "seed": args.seed, "rare_boost": args.rare_boost,
        "balance": args.balance, "records_flagged": report.records_flagged,
        "flagged_ci95": [round(lo, 8), round(hi, 8)], "findings": report.total,
        "counts": report.counts, "top_rules": dict(list(report.rules.items())[:20]),
        "generate_s": round(t1 - t0, 1), "validate_s": round(t2 - t1, 1),
        "examples": [f.model_dump() for f in report.findings[:5]],
    }
    text = json.dumps(result, indent=2)
    if args.out:
        args.out.write_text(text + "\n", encoding="utf-8")
    sys.stdout.write(text + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
