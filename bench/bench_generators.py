"""Benchmark for issue 17.5: the conditional VAE against the Gaussian copula on real tables.

For each real table (bundled with scikit-survival; no download) and each of ``--seeds`` seeds:
hold out 20% of the rows (``split_holdout``), fit both generators on the rest, sample as many
rows as were fitted, and score the sample against the fitted rows:

* quality: SDMetrics ``QualityReport`` (overall, column shapes, column pair trends);
* time: fit and sample wall seconds (and CPU seconds, the machine being shared);
* privacy: SDMetrics ``DCRBaselineProtection`` and ``DCROverfittingProtection`` (1 = private;
  the latter on a training subsample of the holdout's size),
  and medtrust's own block (exact copies against the whole real table, median distance to the
  closest record, share of synthetic rows closer to a training row than to a holdout row,
  distance-based membership-inference AUC);
* plausibility: rows rejected by the clinical validator while sampling (both generators), on a
  derived table that has sex, age and diagnoses (real tables here carry none);
* twins: how much closer a CVAE counterfactual twin stays to its own (held-out) patient than to
  a random one.

CTGAN/TVAE are not compared: ``ctgan`` 0.12.1 and ``sdv`` 2.0.0 are BUSL-1.1 (PyPI metadata),
and the Apache-2.0 ``synthcity`` 0.2.12 requires torch<2.3 and numpy<2 (incompatible with the
pinned torch 2.13.0). Every figure is a mean over seeds with its min-max range.

    python bench/bench_generators.py [--seeds 3] [--epochs 150] [--out FILE.json]

(default output: bench/results/generators.json)
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd

ROOT = Path(__file__).resolve().parent


def _aids() -> tuple[pd.DataFrame, list[str]]:
    from sksurv.datasets import load_aids

    x, y = load_aids()
    df = x.copy()
    df["time"], df["censor"] = y["time"], y["censor"]
    return df, ["raceth", "sex"]


def _whas500() -> tuple[pd.DataFrame, list[str]]:
    from sksurv.datasets import load_whas500

    x, y = load_whas500()
    df = x.copy()
    df["fstat"], df["lenfol"] = y["fstat"], y["lenfol"]
    return df, ["gender"]


def _flchain() -> tuple[pd.DataFrame, list[str]]:
    from sksurv.datasets import load_flchain

    x, y = load_flchain()
    df = x.copy()
    df["death"], df["futime"] = y["death"], y["futime"]
    return df.iloc[:2500].reset_index(drop=True), ["sex"]


TABLES: dict[str, Callable[[], tuple[pd.DataFrame, list[str]]]] = {
    "aids (ACTG 320)": _aids, "whas500": _whas500, "flchain (first 2,500)": _flchain}


def _cpu() -> float:
    ru = resource.getrusage(resource.RUSAGE_SELF)
    return ru.ru_utime + ru.ru_stime


def _timed(fn: Callable[[], Any]) -> tuple[Any, float, float]:
    t, c = time.perf_counter(), _cpu()
    out = fn()
    return out, time.perf_counter() - t, _cpu() - c


def _metadata(df: pd.DataFrame) -> dict[str, Any]:
    from medtrust.cohort._copula import _kind

    sdtype = {"numeric": "numerical", "integer": "numerical", "categorical": "categorical",
              "boolean": "categorical", "datetime": "datetime"}
    return {"columns": {c: {"sdtype": sdtype[_kind(df[c])]} for c in df.columns}}


def _as_real_types(synth: pd.DataFrame, real: pd.DataFrame) -> pd.DataFrame:
    out = synth[real.columns].copy()
    for c in real.columns:
        if isinstance(real[c].dtype, pd.CategoricalDtype) or real[c].dtype == object:
            out[c] = out[c].astype(str)
    return out


def score(train: pd.DataFrame, holdout: pd.DataFrame, synth: pd.DataFrame) -> dict[str, float]:
    """SDMetrics quality and privacy, and medtrust's privacy block, for one sample."""
    from sdmetrics.reports.single_table import QualityReport
    from sdmetrics.single_table import DCRBaselineProtection, DCROverfittingProtection

    from medtrust.cohort._copula import _kind
    from medtrust.cohort._evaluate import copies, privacy

    real = train.copy()
    hold = holdout.copy()
    for c in real.columns:
        if isinstance(real[c].dtype, pd.CategoricalDtype) or real[c].dtype == object:
            real[c], hold[c] = real[c].astype(str), hold[c].astype(str)
    synth = _as_real_types(synth, train)
    meta = _metadata(real)
    report = QualityReport()
    report.generate(real, synth, meta, verbose=False)
    props = report.get_properties().set_index("Property")["Score"]
    multi = {"tables": {"t": meta}}
    kinds = {c: _kind(real[c]) for c in real.columns}
    mine = {**privacy(real, hold, synth, kinds), **copies(pd.concat([real, hold]), synth, kinds)}
    return {
        "quality": float(report.get_score()),
        "column_shapes": float(props["Column Shapes"]),
        "column_pair_trends": float(props["Column Pair Trends"]),
        "dcr_baseline_protection": float(DCRBaselineProtection.compute(real, synth, multi, "t")),
        # Training rows subsampled to the holdout's size: with 4x more training rows, a
        # synthetic row is closer to one of them by chance alone.
        "dcr_overfitting_protection": float(DCROverfittingProtection.compute(
            real.sample(len(hold), random_state=0), synth, hold, multi, "t")),
        "exact_copies": mine["exact_copies"],
        "dcr_real_median": mine["dcr_real_median"],
        "share_closer_to_train": mine["share_closer_to_train"],
        "membership_inference_auc": mine["membership_inference_auc"],
    }


def run_table(name: str, seeds: int, epochs: int) -> dict[str, Any]:
    from medtrust.cohort._evaluate import split_holdout

    df, condition = TABLES[name]()
    runs: dict[str, list[dict[str, float]]] = {"gaussian_copula": [], "cvae": []}
    for seed in range(seeds):
        train, holdout = split_holdout(df, 0.2, seed)
        for model in runs:
            runs[model].append(_one(model, train, holdout, condition, seed, epochs))
    summary = {m: {k: _agg([r[k] for r in rs]) for k in rs[0]} for m, rs in runs.items()}
    return {"table": name, "rows": len(df), "columns": df.shape[1],
            "missing_cells": int(df.isna().sum().sum()), "condition": condition,
            "seeds": seeds, "cvae_epochs": epochs, "summary": summary, "runs": runs}


def _one(model: str, train: pd.DataFrame, holdout: pd.DataFrame, condition: list[str],
         seed: int, epochs: int) -> dict[str, float]:
    from medtrust.cohort._copula import fit_copula, sample_copula
    from medtrust.cohort._cvae import fit_cvae, sample_cvae

    if model == "cvae":
        fitted, fit_s, fit_cpu = _timed(lambda: fit_cvae(train, condition, seed=seed,
                                                         epochs=epochs))
        synth, sample_s, sample_cpu = _timed(lambda: sample_cvae(fitted, len(train), seed=seed))
    else:
        fitted, fit_s, fit_cpu = _timed(lambda: fit_copula(train, seed=seed))
        synth, sample_s, sample_cpu = _timed(lambda: sample_copula(fitted, len(train),
                                                                   seed=seed))
    return {**score(train, holdout, synth), "fit_s": fit_s, "sample_s": sample_s,
            "cpu_s": fit_cpu + sample_cpu}


def _agg(values: list[float]) -> dict[str, float]:
    return {"mean": round(statistics.fmean(values), 4), "min": round(min(values), 4),
            "max": round(max(values), 4)}


def plausibility(seeds: int, epochs: int) -> dict[str, Any]:
    """Records rejected while sampling, on a generated cohort cut to a few diagnoses."""
    from medtrust.cohort import CohortConfig, generate_table
    from medtrust.cohort._copula import fit_copula, sample_copula_plausible
    from medtrust.cohort._cvae import fit_cvae, sample_cvae_plausible
    from medtrust.metrics import wilson

    t = generate_table(3000, config=CohortConfig(seed=7)).to_pandas()
    keep = {"N40.1", "C61", "E66.9", "I10", "E11.9", "N80.9", "E28.2", "N95.1"}
    conds = t["conditions"].map(lambda v: ";".join(sorted(set(v) & keep)))
    df = pd.DataFrame({"sex": t["sex"].astype(str), "age": t["age"].astype(int),
                       "conditions": conds.where(conds != "", None), "lab_hgb": t["lab_hgb"],
                       "vital_bmi": t["vital_bmi"]})
    out: dict[str, Any] = {}
    for model in ("gaussian_copula", "cvae"):
        checked = rejected = 0
        for seed in range(seeds):
            if model == "cvae":
                cvae = fit_cvae(df, ["sex"], seed=seed, epochs=epochs)
                _, rep = sample_cvae_plausible(cvae, 3000, seed=seed)
            else:
                _, rep = sample_copula_plausible(fit_copula(df, seed=seed), 3000, seed=seed)
            checked += rep["checked"]
            rejected += rep["rejected"]
        lo, hi = wilson(rejected, checked) or (0.0, 0.0)
        out[model] = {"checked": checked, "rejected": rejected,
                      "rate": round(rejected / checked, 4), "ci95": [round(lo, 4), round(hi, 4)]}
    return out


def twin_distance(seeds: int, epochs: int) -> dict[str, Any]:
    """Counterfactual twins (raceth 1 -> 2) of held-out ACTG 320 patients: distance of a twin
    to its own patient vs to a random other patient, non-protected columns, encoded scale."""
    import numpy as np

    from medtrust.cohort._cvae import fit_cvae, twins
    from medtrust.cohort._cvae_codec import encode
    from medtrust.cohort._evaluate import split_holdout

    df, condition = _aids()
    ratios, wins, n = [], 0, 0
    for seed in range(seeds):
        train, holdout = split_holdout(df, 0.2, seed)
        model = fit_cvae(train, condition, seed=seed, epochs=epochs)
        src = holdout[holdout["raceth"].astype(str) == "1"].reset_index(drop=True)
        twin = twins(model, src, {"raceth": 2}).drop(columns=["source_row"])
        x_src, x_tw = encode(model.meta.columns, src), encode(model.meta.columns, twin)
        own = np.linalg.norm(x_tw - x_src, axis=1)
        other = np.linalg.norm(x_tw - x_src[np.random.default_rng(seed).permutation(len(src))],
                               axis=1)
        ratios.append(float(np.median(own) / np.median(other)))
        wins += int((own < other).sum())
        n += len(src)
    from medtrust.metrics import wilson

    lo, hi = wilson(wins, n) or (0.0, 0.0)
    return {"median_ratio_own_to_random": _agg(ratios), "twin_closer_than_random": wins,
            "pairs": n, "share": round(wins / n, 4), "ci95": [round(lo, 4), round(hi, 4)]}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, default=3)
    ap.add_argument("--epochs", type=int, default=150)
    ap.add_argument("--tables", nargs="*", default=list(TABLES))
    ap.add_argument("--out", type=Path, default=ROOT / "results" / "generators.json")
    args = ap.parse_args()
    warnings.filterwarnings("ignore")
    t0 = time.perf_counter()
    results = {"tables": [run_table(n, args.seeds, args.epochs) for n in args.tables],
               "plausibility": plausibility(args.seeds, args.epochs),
               "twins": twin_distance(args.seeds, args.epochs)}
    results["wall_s"] = round(time.perf_counter() - t0, 1)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    for tab in results["tables"]:
        for model, s in tab["summary"].items():
            print(tab["table"], model, {k: v["mean"] for k, v in s.items()})
    print(json.dumps(results["plausibility"]))
    print(json.dumps(results["twins"]))


if __name__ == "__main__":
    main()
