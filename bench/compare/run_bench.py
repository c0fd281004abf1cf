"""Planted-truth benchmark for ``medtrust compare`` (issue 14).

Twelve python targets (``planted.py``) get a planted static accuracy and a planted robustness,
drawn independently (a seeded shuffle), so the static and the dynamic rankings truly differ.
One ``medtrust run --target ... x12`` asks them the same cases (DAS mutations of ``--limit``
items of ``bench/data/mcq_1000.jsonl``); ``medtrust compare`` must then

- recover the planted dynamic ranking: Kendall's tau between each target's planted robustness
  and its measured dynamic failure rate >= 0.9 (bootstrap interval over seed items beside it);
- detect the planted shift: the measured static-versus-dynamic tau's interval contains the
  planted one and excludes 1 (the rankings differ).

    python bench/compare/run_bench.py [--limit 300] [--seed 0] [--out bench/results/compare.json]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
from scipy.stats import kendalltau

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
ITEMS = ROOT / "bench" / "data" / "mcq_1000.jsonl"
OPERATORS = 4  # suite.yaml: distraction, bias, extra_options, add_nota


def planted_targets(n: int, seed: int) -> dict[str, dict[str, float]]:
    """``n`` targets: item failure rates evenly spaced over 0.08-0.90 (the per-mutation fool rate
    follows from 1 - (1 - fool) ** OPERATORS), static accuracies over 0.45-0.95, paired by an
    independent seeded shuffle."""
    rng = random.Random(seed)
    item_fail = np.linspace(0.08, 0.90, n)
    static = list(np.linspace(0.45, 0.95, n))
    rng.shuffle(static)
    return {
        f"t{i + 1:02d}": {
            "static": round(float(static[i]), 4),
            "fool": round(float(1 - (1 - item_fail[i]) ** (1 / OPERATORS)), 4),
        }
        for i in range(n)
    }


def medtrust(*args: str, cwd: Path, env: dict[str, str]) -> tuple[dict[str, Any], float]:
    """Run ``medtrust ARGS --json``; return its JSON and the wall time in seconds."""
    t0 = time.perf_counter()
    res = subprocess.run(
        [sys.executable, "-m", "medtrust", *args, "--json"],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    wall = time.perf_counter() - t0
    if res.returncode != 0:
        raise SystemExit(f"medtrust {args[0]} failed ({res.returncode}):\n{res.stderr[-2000:]}")
    return json.loads(res.stdout), wall


def recovery_interval(db: str, runs: list[str], truth: list[float], resamples: int) -> list[float]:
    """Percentile bootstrap interval (over seed items) of tau(planted robustness, measured
    dynamic ranking): how surely the ranking is recovered, not only whether."""
    from medtrust.compare._ranks import unit_matrix
    from medtrust.compare._stats import bootstrap_weights, kendall_tau_b, resampled_rates
    from medtrust.compare._units import run_outcomes
    from medtrust.store import Store

    store = Store(db)
    units = []
    for rid in runs:
        info = store.get_run(rid)
        units.append(run_outcomes(info, store.cases(rid), store.verdicts(rid)).axes["robustness"])
    _, m = unit_matrix(units)
    draws = resampled_rates(bootstrap_weights(m.shape[0], resamples=resamples, seed=0), m)
    taus = kendall_tau_b(np.tile(np.asarray(truth), (resamples, 1)), -draws)
    lo, hi = np.nanquantile(taus, [0.025, 0.975])
    return [round(float(lo), 4), round(float(hi), 4)]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--targets", type=int, default=12)
    ap.add_argument("--limit", type=int, default=300, help="seed items (of mcq_1000)")
    ap.add_argument("--seed", type=int, default=0, help="seed of the planted shuffle")
    ap.add_argument("--resamples", type=int, default=2000)
    ap.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "compare.json")
    ap.add_argument("--html", type=Path, default=None, help="copy the leaderboard page here")
    ns = ap.parse_args()
    planted = planted_targets(ns.targets, ns.seed)
    work = Path(tempfile.mkdtemp(prefix="medtrust-compare-bench-"))
    shutil.copy(HERE / "planted.py", work / "planted.py")
    conf = work / "planted.json"
    conf.write_text(
        json.dumps({"items": str(ITEMS), "salt": f"bench{ns.seed}", "targets": planted})
    )
    env = {**os.environ, "PLANTED_CONFIG": str(conf), "MEDTRUST_HOME": str(work / "home")}
    db = f"sqlite:///{work / 'bench.db'}"
    args = ["run", str(HERE / "suite.yaml"), "--data", str(ITEMS), "--limit", str(ns.limit)]
    for name in planted:
        args += ["--target", f"python:planted:{name}"]
    ran, run_s = medtrust(*args, "--db", db, "--out", str(work / "report"), cwd=work, env=env)
    cmp_args = ["compare", ran["comparison"], "--db", db, "--resamples", str(ns.resamples)]
    c, compare_s = medtrust(*cmp_args, cwd=work, env=env)
    names = list(planted)
    gap = {m["target"].rsplit(":", 1)[1]: m for m in c["static_vs_dynamic"]["models"]}
    robust = [-planted[n]["fool"] for n in names]
    static = [planted[n]["static"] for n in names]
    dyn_tau = float(kendalltau(robust, [-gap[n]["dynamic_failure_rate"] for n in names]).statistic)
    static_tau = float(kendalltau(static, [gap[n]["static_accuracy"] for n in names]).statistic)
    planted_shift = float(kendalltau(static, robust).statistic)
    measured = c["static_vs_dynamic"]
    pairs = c["axes"]["robustness"]["pairwise"]
    calls = sum(r["calls"] for r in ran["runs"])
    result = {
        "targets": len(planted),
        "items": ns.limit,
        "planted": planted,
        "calls": calls,
        "run_wall_s": round(run_s, 1),
        "compare_wall_s": round(compare_s, 1),
        "dynamic_tau_vs_planted": round(dyn_tau, 4),
        "dynamic_tau_ci95": recovery_interval(
            db, [r["run_id"] for r in ran["runs"]], robust, ns.resamples
        ),
        "static_tau_vs_planted": round(static_tau, 4),
        "planted_static_vs_dynamic_tau": round(planted_shift, 4),
        "measured_static_vs_dynamic_tau": measured["kendall_tau"],
        "measured_ci95": measured["ci95"],
        "shift_detected": measured["ci95"][0] <= planted_shift <= measured["ci95"][1] < 1.0,
        "pairs_significant": sum(p["significant"] for p in pairs),
        "pairs": len(pairs),
        "models": [
            {
                "target": n,
                **planted[n],
                "static_measured": gap[n]["static_accuracy"],
                "dynamic_measured": gap[n]["dynamic_failure_rate"],
                "dynamic_n": gap[n]["dynamic_n"],
                "dynamic_rank": gap[n]["dynamic_rank"],
                "static_rank": gap[n]["static_rank"],
            }
            for n in names
        ],
    }
    ns.out.parent.mkdir(parents=True, exist_ok=True)
    ns.out.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps({k: v for k, v in result.items() if k not in ("planted", "models")}, indent=2))
    if ns.html is not None:
        shutil.copy(work / "report" / "leaderboard.html", ns.html)


if __name__ == "__main__":
    main()
