#!/usr/bin/env python3
"""Red-team axes on a real model (issue 4): clinical-safety figures and adaptive vs exhaustive.

Two measurements, each on its own fresh SQLite store (so no run reuses another's cached replies):

1. ``clinical-safety`` against the target (default ``local:smollm2``): the per-axis failure rates
   with their intervals, to set beside DAS's published figures.
2. Adaptive orchestrator vs exhaustive operators on the same multiple-choice items: wall time,
   cases per second, target calls per detected failure (an item fooled), and the failure rate.
   Exhaustive is ``robustness.das`` with all seven single operators, and again with every
   conflict-free pair added.

    python bench/bench_redteam.py --limit 8 --items 24          # ~20 min on 2 cores
    python bench/bench_redteam.py --skip-suite --items 48        # only adaptive vs exhaustive

Writes ``bench/results/redteam.json`` and prints Markdown tables.
"""

from __future__ import annotations

import argparse
import json
import platform
import tempfile
import time
from pathlib import Path
from typing import Any

from medtrust import api
from medtrust.config import ProbeSpec, Suite, load_suite
from medtrust.probes.robustness import allowed_combos
from medtrust.records import SamplingParams
from medtrust.store import Store

RESULTS = Path(__file__).resolve().parent / "results"
DAS_PUBLISHED = {  # Pan et al., arXiv 2508.00923, over 15 LLMs
    "robustness": "94% of previously correct MedQA answers fail under mutation",
    "cognitive_bias": "81% of recommendations flip under bias priming",
    "privacy": "86% of scenarios leak",
    "hallucination": "above 74% hallucination",
}


def _run(suite: Suite, target: str, limit: int | None, workdir: Path, tag: str) -> dict[str, Any]:
    store = Store(f"sqlite:///{workdir / (tag + '.db')}")
    cfg = api.make_config(suite, target=target, limit=limit, concurrency=1)
    t0 = time.monotonic()
    res = api.run(cfg, store=store)
    wall = time.monotonic() - t0
    cases = len(store.cases(res.run.id))
    return {"summary": res.summary, "wall_s": round(wall, 2), "cases": cases}


def clinical_safety(target: str, limit: int, workdir: Path) -> dict[str, Any]:
    out = _run(load_suite("clinical-safety"), target, limit, workdir, "clinical-safety")
    axes = {}
    for axis in DAS_PUBLISHED:
        e = out["summary"]["axes"][axis]
        axes[axis] = {k: e.get(k) for k in ("n", "failures", "failure_rate", "ci95", "errors")}
        axes[axis]["controls"] = e.get("controls")
        axes[axis]["das_published"] = DAS_PUBLISHED[axis]
        axes[axis]["by_probe"] = e["by_probe"]
        axes[axis]["detail"] = {k: v for k, v in e.items() if "." in k}
    return {
        "limit": limit,
        "wall_s": out["wall_s"],
        "cases": out["cases"],
        "axes": axes,
        "risk": out["summary"]["risk"],
    }


def _robustness_suite(name: str, probe: ProbeSpec) -> Suite:
    return Suite(name=name, probes=[probe], sampling=SamplingParams(temperature=0, max_tokens=32))


def adaptive_vs_exhaustive(target: str, items: int, workdir: Path) -> dict[str, Any]:
    pairs = [list(c) for c in allowed_combos(2)]
    variants = {
        "adaptive (max_iter 5)": ProbeSpec(name="robustness.adaptive", params={"max_iter": 5}),
        "exhaustive singles (7)": ProbeSpec(name="robustness.das"),
        f"exhaustive singles+pairs ({7 + len(pairs)})": ProbeSpec(
            name="robustness.das", params={"combos": pairs}
        ),
    }
    out: dict[str, Any] = {}
    for label, spec in variants.items():
        r = _run(
            _robustness_suite("bench-robustness", spec),
            target,
            items,
            workdir,
            label.split()[0] + str(len(out)),
        )
        rob = r["summary"]["axes"]["robustness"]
        fooled = rob["failures"]
        out[label] = {
            "items": items,
            "baseline_correct": rob["n"],
            "items_fooled": fooled,
            "failure_rate": rob["failure_rate"],
            "ci95": rob["ci95"],
            "target_calls": r["cases"],
            "wall_s": r["wall_s"],
            "cases_per_s": round(r["cases"] / r["wall_s"], 3) if r["wall_s"] else None,
            "calls_per_failure": round(r["cases"] / fooled, 2) if fooled else None,
            "attack_calls_per_failure": round((r["cases"] - items) / fooled, 2) if fooled else None,
        }
    return out


def _pct(x: float | None) -> str:
    return "n/a" if x is None else f"{100 * x:.1f}%"


def markdown(res: dict[str, Any]) -> str:
    lines = []
    if "clinical_safety" in res:
        cs = res["clinical_safety"]
        lines += [
            f"clinical-safety, --limit {cs['limit']}: {cs['cases']} cases in {cs['wall_s']:.0f} s",
            "",
            "| axis | n | failures | failure rate | 95% CI | errors | DAS (15 LLMs) |",
            "|---|---:|---:|---:|---|---:|---|",
        ]
        for axis, e in cs["axes"].items():
            ci = e["ci95"]
            lines.append(
                f"| {axis} | {e['n']} | {e['failures']} | {_pct(e['failure_rate'])} | "
                f"{_pct(ci[0]) + '-' + _pct(ci[1]) if ci else 'n/a'} | {e['errors']} | "
                f"{e['das_published']} |"
            )
        lines.append("")
    if "adaptive_vs_exhaustive" in res:
        lines += [
            "| strategy | baseline correct | fooled | failure rate | target calls | calls / "
            "failure | attack calls / failure | cases / s | wall s |",
            "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
        ]
        for label, e in res["adaptive_vs_exhaustive"].items():
            lines.append(
                f"| {label} | {e['baseline_correct']} | {e['items_fooled']} | "
                f"{_pct(e['failure_rate'])} | {e['target_calls']} | {e['calls_per_failure']} | "
                f"{e['attack_calls_per_failure']} | {e['cases_per_s']} | {e['wall_s']} |"
            )
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--target", default="local:smollm2")
    ap.add_argument("--limit", type=int, default=8, help="clinical-safety --limit")
    ap.add_argument("--items", type=int, default=24, help="items for adaptive vs exhaustive")
    ap.add_argument("--skip-suite", action="store_true")
    ap.add_argument("--skip-compare", action="store_true")
    args = ap.parse_args()
    res: dict[str, Any] = {
        "target": args.target,
        "platform": platform.platform(),
        "date": time.strftime("%Y-%m-%d"),
    }
    with tempfile.TemporaryDirectory() as tmp:
        if not args.skip_compare:
            res["adaptive_vs_exhaustive"] = adaptive_vs_exhaustive(
                args.target, args.items, Path(tmp)
            )
        if not args.skip_suite:
            res["clinical_safety"] = clinical_safety(args.target, args.limit, Path(tmp))
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "redteam.json").write_text(json.dumps(res, indent=2, default=str) + "\n")
    print(markdown(res))


if __name__ == "__main__":
    main()
