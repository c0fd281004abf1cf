"""What the adaptive loop reports: iterations to failure and conditional failure rates."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from statistics import fmean, median
from typing import Any

from medtrust.attack._orchestrator import Attempt, Rates
from medtrust.metrics import Tally, wilson


def _rate(f: int, n: int) -> dict[str, Any]:
    ci = wilson(f, n)
    return {
        "n": n,
        "failures": f,
        "failure_rate": round(f / n, 6) if n else None,
        "ci95": [round(ci[0], 6), round(ci[1], 6)] if ci else None,
    }


def attack_report(
    attempts: Sequence[Attempt], attacked: Iterable[str], max_iter: int
) -> dict[str, Any]:
    """Per item: rounds to the first fooling attempt; per operator and combination: fooled /
    tried among attempts that used it (the conditional failure rate); cumulative curve."""
    first: dict[str, int] = {}
    used: Counter[str] = Counter()
    for a in sorted(attempts, key=lambda a: a.round):
        used[a.item] += 1
        if a.outcome == "fail" and a.item not in first:
            first[a.item] = used[a.item]
    items = sorted(set(attacked))
    rates = Rates.of(attempts)
    iters = sorted(first.values())
    curve, fooled = [], 0
    hist = Counter(iters)
    for r in range(1, max_iter + 1):
        fooled += hist.get(r, 0)
        curve.append(round(fooled / len(items), 6) if items else None)
    return {
        "items_attacked": len(items),
        "items_fooled": len(first),
        "attempts": len(attempts),
        "attack_calls_per_failure": round(len(attempts) / len(first), 3) if first else None,
        "iterations_to_failure": {
            "mean": round(fmean(iters), 3) if iters else None,
            "median": median(iters) if iters else None,
            "histogram": {str(k): v for k, v in sorted(hist.items())},
        },
        "cumulative_fooled_by_round": curve,
        "by_operator": {o: _rate(*rates.op[o]) for o in sorted(rates.op)},
        "by_combination": {"+".join(c): _rate(*rates.combo[c]) for c in sorted(rates.combo)},
    }


def combo_tallies(attempts: Iterable[Attempt]) -> dict[str, Tally]:
    """One tally per combination (errors counted apart), keyed ``op+op``."""
    out: dict[str, Tally] = {}
    for a in attempts:
        out.setdefault("+".join(a.combo), Tally()).add(a.outcome)
    return out
