"""Benchmark for issue 5 (fairness audits).

1. **Target calls to detect a planted bias at 90% power.** The reference recommender's planted
   ZIP penalty peaks at zip3 104. Each method searches zip3 (all 1,000 prefixes) for the value
   that moves P(recommend) most, on 64 rows drawn per repetition; "detected" is the first moment
   the method's best-so-far is 104. Over ``--reps`` repetitions (different rows and seeds) the
   calls needed for 90% power are the 90th percentile of calls-to-detection (infinite when more
   than 10% of repetitions never detect). Methods: medtrust's successive halving, the seed's
   scipy ``differential_evolution`` (popsize 15, maxiter 100, polish off), and exhaustive.
   A call is one row scored (``TabularTarget.calls``).
2. **Time per SHAP audit of 10,000 rows**: TreeExplainer on a gradient-boosted model of a
   10,000-row cohort (exact), and the sampled permutation explainer on the reference
   recommender (measured on ``--perm-rows`` rows, then per 10,000 rows); numba's one-time JIT
   compile is timed apart.

    python bench/bench_fairness.py [--reps 20] [--out bench/results/fairness.json]
"""

from __future__ import annotations

import argparse
import json
import math
import time
import warnings
from pathlib import Path
from typing import Any

import numpy as np

from medtrust.fairness import attribution_report, shap_values, worst_case
from medtrust.fairness.reference import WORST_ZIP3, demo_table
from medtrust.targets.tabular import TabularTarget

ROOT = Path(__file__).resolve().parent
SPEC = "tabular:medtrust.fairness.reference:model"


def _target() -> TabularTarget:
    from medtrust.fairness.reference import model

    return TabularTarget(spec=SPEC, model=model)


def detection(reps: int, rows: int) -> dict[str, Any]:
    """Calls-to-detection of the planted worst zip3 per method, over ``reps`` repetitions."""
    frame = demo_table(5000, seed=0).drop(columns=["trial_eligible"])
    out: dict[str, Any] = {}
    configs = {
        "halving (default: 2 first rows, eta 3)": ("halving", {}),
        "halving (1 first row, eta 4)": ("halving", {"first_rows": 1, "eta": 4}),
        "differential_evolution (popsize 15, maxiter 100)": ("de", {}),
        "exhaustive": ("exhaustive", {}),
    }
    for name, (method, kw) in configs.items():
        calls, totals, seconds = [], [], []
        for rep in range(reps if method != "exhaustive" else 1):
            t = _target()
            t0 = time.perf_counter()
            res = worst_case(t, frame, "zip3", method=method, rows=rows, seed=rep, **kw)  # type: ignore[arg-type]
            seconds.append(time.perf_counter() - t0)
            hit = next((c for c, v, _ in res.trace if v == WORST_ZIP3), None)
            calls.append(math.inf if hit is None else hit)
            totals.append(res.calls)
        finite = [c for c in calls if math.isfinite(c)]
        p90 = float(np.percentile(calls, 90)) if len(finite) / len(calls) >= 0.9 else math.inf
        out[name] = {
            "repetitions": len(calls),
            "detected": len(finite),
            "calls_at_90pct_power": p90,
            "median_calls_to_detect": float(np.median(finite)) if finite else None,
            "mean_total_calls": float(np.mean(totals)),
            "mean_seconds": round(float(np.mean(seconds)), 4),
        }
    return out


def shap_timing(perm_rows: int) -> dict[str, Any]:
    """Seconds for SHAP on 10,000 rows: tree (measured), permutation (measured on a sample)."""
    from sklearn.ensemble import GradientBoostingClassifier

    frame = demo_table(10_000, seed=1)
    y = frame.pop("trial_eligible")
    numeric = frame[["age", "lab_cr", "lab_hba1c", "vital_sbp", "vital_bmi"]].fillna(0).copy()
    numeric["insurance"] = frame["insurance"].astype("category").cat.codes
    numeric["zip3"] = frame["zip3"].astype(int)
    numeric["race"] = frame["race_ethnicity"].astype("category").cat.codes
    gbm = GradientBoostingClassifier(n_estimators=100, max_depth=3, random_state=0)
    gbm.fit(numeric, y)
    tree = TabularTarget(spec="tabular:gbm", model=gbm)
    t0 = time.perf_counter()
    out = shap_values(tree, numeric, rows=None, background=100)
    rep = attribution_report(out, numeric, ["race", "insurance"], proxies=("zip3",))
    tree_s = time.perf_counter() - t0
    ref = _target()
    small = frame.drop(columns=["record_id"]).iloc[:200]
    t0 = time.perf_counter()
    shap_values(ref, small, rows=2, background=50)  # first call: numba compiles shap's masker
    jit_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    perm = shap_values(ref, frame, rows=perm_rows, background=50)
    perm_s = time.perf_counter() - t0
    return {
        "tree": {
            "rows": 10_000,
            "features": numeric.shape[1],
            "seconds": round(tree_s, 3),
            "max_additivity_error": rep["max_additivity_error"],
            "calls": out["calls"],
        },
        "permutation": {
            "rows_measured": perm_rows,
            "features": frame.shape[1],
            "background": 50,
            "seconds": round(perm_s, 3),
            "seconds_per_10k_rows": round(perm_s / perm_rows * 10_000, 1),
            "calls_per_row": round(perm["calls"] / perm_rows, 1),
            "numba_jit_first_call_seconds": round(jit_s, 3),
        },
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--reps", type=int, default=20)
    ap.add_argument("--rows", type=int, default=64)
    ap.add_argument("--perm-rows", type=int, default=500)
    ap.add_argument("--out", type=Path, default=ROOT / "results" / "fairness.json")
    args = ap.parse_args()
    warnings.filterwarnings("ignore")
    result = {"detection": detection(args.reps, args.rows), "shap": shap_timing(args.perm_rows)}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
