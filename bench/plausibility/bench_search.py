"""Joint counterfactual search: differential evolution versus successive halving at equal power.

    python bench/plausibility/bench_search.py [--seeds 8] [--rows 32] [--n 1500] [--out FILE]

On a generated cohort scored by the reference recommender (planted insurance penalty for
Medicaid/uninsured and a ZIP dip whose bottom is zip3 104), each seed runs the joint search over
race, sex, insurance and zip3 (7 x 2 x 5 x 1000 = 70,000 joint candidates) with successive
halving, then with differential evolution given the SAME budget of target calls (rows scored):
its ``maxiter`` is set from halving's calls. Success = the worst counterfactual found has a
penalised insurance value and zip3 104. Reports successes with Wilson intervals, calls and the
best score. Results: bench/README.md ("Clinical plausibility").
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from medtrust.cohort import CohortConfig, generate_cohort
from medtrust.fairness._data import read_table
from medtrust.fairness._joint import joint_search
from medtrust.fairness.reference import PENALISED_INSURANCE, WORST_ZIP3
from medtrust.metrics import wilson
from medtrust.targets import load_target

COLUMNS = ["race_ethnicity", "sex", "insurance", "zip3"]
POPSIZE = 10


def _found(worst: dict[str, Any]) -> bool:
    return worst["insurance"] in PENALISED_INSURANCE and worst["zip3"] == WORST_ZIP3


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, default=8)
    ap.add_argument("--rows", type=int, default=32)
    ap.add_argument("--n", type=int, default=1500)
    ap.add_argument("--out", type=Path, default=None)
    ap.add_argument("--de-maxiter", type=int, nargs="*", default=None,
                    help="DE only, at each of these maxiter budgets (the power curve)")
    args = ap.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "cohort.csv"
        generate_cohort(args.n, path, config=CohortConfig(seed=3))
        frame = read_table(path)
    if args.de_maxiter:
        return _curve(frame, args)
    runs: dict[str, list[dict[str, Any]]] = {"halving": [], "de": []}
    for seed in range(args.seeds):
        target = load_target("tabular:medtrust.fairness.reference:model")
        t0 = time.perf_counter()
        h = joint_search(target, frame, COLUMNS, method="halving", rows=args.rows, seed=seed)
        t1 = time.perf_counter()
        per_gen = POPSIZE * len(COLUMNS) * args.rows
        maxiter = max(1, round(h.calls / per_gen) - 1)
        d = joint_search(target, frame, COLUMNS, method="de", rows=args.rows, seed=seed,
                         de_maxiter=maxiter, de_popsize=POPSIZE)
        t2 = time.perf_counter()
        for name, res, secs in (("halving", h, t1 - t0), ("de", d, t2 - t1)):
            runs[name].append({"seed": seed, "found": _found(res.as_dict()["worst"]),
                               "worst": res.as_dict()["worst"], "score": round(res.score, 4),
                               "calls": res.calls, "seconds": round(secs, 1),
                               **({"maxiter": maxiter} if name == "de" else {})})
        sys.stderr.write(f"seed {seed}: halving {runs['halving'][-1]}\n  de {runs['de'][-1]}\n")
    summary: dict[str, Any] = {"rows": args.rows, "seeds": args.seeds, "cohort": args.n,
                               "space": 7 * 2 * 5 * 1000}
    for name, rs in runs.items():
        k = sum(r["found"] for r in rs)
        lo, hi = wilson(k, len(rs)) or (0.0, 0.0)
        summary[name] = {"found": k, "of": len(rs), "ci95": [round(lo, 3), round(hi, 3)],
                         "median_calls": statistics.median(r["calls"] for r in rs),
                         "median_score": statistics.median(r["score"] for r in rs),
                         "median_seconds": statistics.median(r["seconds"] for r in rs)}
    summary["runs"] = runs
    text = json.dumps(summary, indent=2)
    if args.out:
        args.out.write_text(text + "\n", encoding="utf-8")
    sys.stdout.write(text + "\n")
    return 0


def _curve(frame: Any, args: argparse.Namespace) -> int:
    """DE alone at several budgets: successes (Wilson interval) and median calls per budget."""
    out: dict[str, Any] = {"rows": args.rows, "seeds": args.seeds, "curve": []}
    for maxiter in args.de_maxiter:
        rs = []
        for seed in range(args.seeds):
            target = load_target("tabular:medtrust.fairness.reference:model")
            d = joint_search(target, frame, COLUMNS, method="de", rows=args.rows, seed=seed,
                             de_maxiter=maxiter, de_popsize=POPSIZE)
            rs.append((_found(d.as_dict()["worst"]), d.calls))
        k = sum(f for f, _ in rs)
        lo, hi = wilson(k, len(rs)) or (0.0, 0.0)
        out["curve"].append({"maxiter": maxiter, "found": k, "of": len(rs),
                             "ci95": [round(lo, 3), round(hi, 3)],
                             "median_calls": statistics.median(c for _, c in rs)})
        sys.stderr.write(f"{out['curve'][-1]}\n")
    text = json.dumps(out, indent=2)
    if args.out:
        args.out.write_text(text + "\n", encoding="utf-8")
    sys.stdout.write(text + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
