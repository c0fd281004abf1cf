"""Benchmark for issue 3 (synthetic cohorts).

1. ``generate`` throughput: patients/s at 100k and 1M (Safe Harbor, Parquet, streamed), each in
   a fresh process so that its peak RSS is its own; CPU seconds are reported beside wall time
   because a shared machine's load changes wall time but not the work done.
2. The learned generator against SDV's GaussianCopulaSynthesizer on the same real tables
   (shipped with lifelines and scikit-survival): fit+sample time and SDMetrics quality, side by
   side. SDV (Business Source License) runs from its own venv, ``bench/.venvs/sdv``; without it
   that column is reported as unavailable.

    python bench/bench_cohort.py [--sizes 100000 1000000] [--out bench/results/cohort.json]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent
SDV_PYTHON = ROOT / ".venvs" / "sdv" / "bin" / "python"

GEN_CHILD = """
import json, sys, time, resource
from pathlib import Path
from medtrust.cohort import CohortConfig, generate_cohort
n, out, workers = int(sys.argv[1]), Path(sys.argv[2]), int(sys.argv[3])
t = time.perf_counter()
s = generate_cohort(n, out, config=CohortConfig(seed=1), workers=workers)
wall = time.perf_counter() - t
ru = resource.getrusage(resource.RUSAGE_SELF)
print(json.dumps({"n": n, "workers": workers, "wall_s": round(wall, 2),
                  "cpu_s": round(ru.ru_utime + ru.ru_stime, 2),
                  "peak_rss_mb": round(ru.ru_maxrss / 1024, 1),
                  "file_mb": round(out.stat().st_size / 2**20, 1)}))
"""

SDV_CHILD = """
import json, sys, time, warnings
warnings.filterwarnings("ignore")
import pandas as pd
from sdv.metadata import Metadata
from sdv.single_table import GaussianCopulaSynthesizer
df = pd.read_csv(sys.argv[1])
t = time.perf_counter()
meta = Metadata.detect_from_dataframes({"real": df})
synth = GaussianCopulaSynthesizer(meta)
synth.fit({"real": df})
fit_s = time.perf_counter() - t
t = time.perf_counter()
out = synth.sample(num_rows=len(df))
out = out["real"] if isinstance(out, dict) else out
sample_s = time.perf_counter() - t
out.to_csv(sys.argv[2], index=False)
import sdv
print(json.dumps({"fit_s": round(fit_s, 3), "sample_s": round(sample_s, 3),
                  "version": sdv.__version__}))
"""


def bench_generate(sizes: list[int], workers: int) -> list[dict[str, Any]]:
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for n in sizes:
            out = Path(tmp) / f"cohort_{n}.parquet"
            res = subprocess.run(
                [sys.executable, "-c", GEN_CHILD, str(n), str(out), str(workers)],
                capture_output=True,
                text=True,
                check=True,
            )
            row = json.loads(res.stdout.strip().splitlines()[-1])
            row["patients_per_s"] = round(n / row["wall_s"])
            row["patients_per_cpu_s"] = round(n / row["cpu_s"])
            row["load_avg_1m"] = round(os.getloadavg()[0], 2)
            rows.append(row)
            print(
                f"generate n={n:>9,}: {row['patients_per_s']:>9,} patients/s wall, "
                f"{row['patients_per_cpu_s']:>9,} per CPU-s, peak RSS {row['peak_rss_mb']} MB",
                flush=True,
            )
    return rows


def _tables() -> dict[str, Any]:
    from lifelines.datasets import load_gbsg2, load_rossi
    from sksurv.datasets import load_flchain

    x, y = load_flchain()
    flchain = x.copy()
    flchain["death"] = y["death"]
    flchain["futime"] = y["futime"]
    return {
        "rossi (lifelines)": load_rossi(),
        "gbsg2 (lifelines)": load_gbsg2(),
        "flchain (scikit-survival)": flchain,
    }


def _quality(real: Any, synth: Any) -> dict[str, float]:
    from sdmetrics.reports.single_table import QualityReport

    from medtrust.cohort._copula import _kind

    sdtype = {
        "numeric": "numerical",
        "integer": "numerical",
        "categorical": "categorical",
        "boolean": "categorical",
        "datetime": "datetime",
    }
    meta = {"columns": {c: {"sdtype": sdtype[_kind(real[c])]} for c in real.columns}}
    report = QualityReport()
    report.generate(real, synth[list(real.columns)], meta, verbose=False)
    props = report.get_properties().set_index("Property")["Score"]
    return {
        "quality": round(float(report.get_score()), 4),
        "column_shapes": round(float(props["Column Shapes"]), 4),
        "column_pair_trends": round(float(props["Column Pair Trends"]), 4),
    }


def bench_learned() -> list[dict[str, Any]]:
    import pandas as pd

    from medtrust.cohort import fit_copula, sample_copula

    warnings.filterwarnings("ignore")
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for name, df in _tables().items():
            real_csv = Path(tmp) / "real.csv"
            df.to_csv(real_csv, index=False)
            real = pd.read_csv(real_csv)
            t = time.perf_counter()
            model = fit_copula(real, seed=0)
            fit_s = time.perf_counter() - t
            t = time.perf_counter()
            ours = sample_copula(model, len(real), seed=1)
            sample_s = time.perf_counter() - t
            row: dict[str, Any] = {
                "table": name,
                "rows": len(real),
                "columns": real.shape[1],
                "missing_cells": int(real.isna().sum().sum()),
                "medtrust": {
                    "fit_s": round(fit_s, 3),
                    "sample_s": round(sample_s, 3),
                    **_quality(real, ours),
                },
            }
            if SDV_PYTHON.exists():
                synth_csv = Path(tmp) / "sdv.csv"
                res = subprocess.run(
                    [str(SDV_PYTHON), "-c", SDV_CHILD, str(real_csv), str(synth_csv)],
                    capture_output=True,
                    text=True,
                )
                if res.returncode == 0:
                    info = json.loads(res.stdout.strip().splitlines()[-1])
                    row["sdv"] = {**info, **_quality(real, pd.read_csv(synth_csv))}
                else:
                    row["sdv"] = {"error": res.stderr.strip().splitlines()[-1][:200]}
            else:
                row["sdv"] = {"error": f"SDV venv not found at {SDV_PYTHON}"}
            rows.append(row)
            sdv = row["sdv"]
            print(
                f"{name:28s} medtrust q={row['medtrust']['quality']} "
                f"t={row['medtrust']['fit_s'] + row['medtrust']['sample_s']:.3f}s | SDV "
                f"q={sdv.get('quality')} t={sdv.get('fit_s', 0) + sdv.get('sample_s', 0):.3f}s",
                flush=True,
            )
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000])
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--skip-learned", action="store_true")
    ap.add_argument("--out", type=Path, default=ROOT / "results" / "cohort.json")
    args = ap.parse_args()
    result: dict[str, Any] = {
        "machine": {"cpus": os.cpu_count(), "python": sys.version.split()[0]},
        "generate": bench_generate(args.sizes, args.workers),
    }
    if not args.skip_learned:
        result["learned_vs_sdv"] = bench_learned()
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
