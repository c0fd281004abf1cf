"""Proportions with intervals, and the paired test for before/after comparisons."""

from __future__ import annotations

import math
from dataclasses import dataclass
from statistics import NormalDist
from typing import Any


def wilson(k: int, n: int, confidence: float = 0.95) -> tuple[float, float] | None:
    """Wilson score interval for k successes in n trials (None when n == 0).

    Chosen over the normal approximation because rates here are often near 0 or 1 and n small.
    """
    if n <= 0:
        return None
    if not 0 <= k <= n:
        raise ValueError(f"need 0 <= k <= n, got k={k}, n={n}")
    z = NormalDist().inv_cdf(0.5 + confidence / 2)
    p = k / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return (max(0.0, centre - half), min(1.0, centre + half))


def mcnemar(b: int, c: int) -> float:
    """Exact two-sided McNemar p-value from the discordant pair counts b and c."""
    from scipy import stats  # heavy; imported only when a paired test is asked for

    n = b + c
    if n == 0:
        return 1.0
    return float(stats.binomtest(min(b, c), n, 0.5, alternative="two-sided").pvalue)


@dataclass(kw_only=True)
class Tally:
    """Failures out of scored cases; errors are counted apart and never in ``n``."""

    n: int = 0
    failures: int = 0
    errors: int = 0

    def add(self, outcome: str) -> None:
        """Count one verdict outcome: ``fail``, ``pass`` or ``error``."""
        if outcome == "error":
            self.errors += 1
        else:
            self.n += 1
            self.failures += outcome == "fail"

    def merge(self, other: Tally) -> Tally:
        """The sum of two tallies."""
        return Tally(
            n=self.n + other.n,
            failures=self.failures + other.failures,
            errors=self.errors + other.errors,
        )

    @property
    def failure_rate(self) -> float | None:
        """failures / n, or None when nothing was scored."""
        return self.failures / self.n if self.n else None

    def as_dict(self) -> dict[str, Any]:
        """The contract's fields: n, failures, failure_rate, ci95, errors."""
        ci = wilson(self.failures, self.n)
        rate = self.failure_rate
        return {
            "n": self.n,
            "failures": self.failures,
            "failure_rate": round(rate, 6) if rate is not None else None,
            "ci95": [round(ci[0], 6), round(ci[1], 6)] if ci else None,
            "errors": self.errors,
        }
