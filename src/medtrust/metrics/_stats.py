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

    @property
    def error_rate(self) -> float | None:
        """errors / (n + errors): the share of attempted units nobody could score, or None when
        nothing was attempted. The denominator counts the same units as ``n``."""
        return error_share(self.errors, self.n + self.errors)

    def as_dict(self) -> dict[str, Any]:
        """The contract's fields: n, failures, failure_rate, ci95, errors, error_rate."""
        ci = wilson(self.failures, self.n)
        rate, err = self.failure_rate, self.error_rate
        return {
            "n": self.n,
            "failures": self.failures,
            "failure_rate": round(rate, 6) if rate is not None else None,
            "ci95": [round(ci[0], 6), round(ci[1], 6)] if ci else None,
            "errors": self.errors,
            "error_rate": round(err, 6) if err is not None else None,
        }


def error_share(errors: int, attempted: int) -> float | None:
    """errors / attempted (errors included in ``attempted``), None when nothing was attempted."""
    if attempted <= 0:
        return None
    if not 0 <= errors <= attempted:
        raise ValueError(f"need 0 <= errors <= attempted, got {errors}, {attempted}")
    return errors / attempted


MIN_CORRECT_CONTROLS = 10
"""Fewer correct controls than this and a robustness-style rate has too little to stand on
(issue 12: a rate over a handful of initially-correct items is noise, whatever its interval)."""


def chance_note(
    correct: int, n: int, chance: float | None, options: float | None = None
) -> str | None:
    """Why a baseline is not informative, or None when it is.

    ``correct`` of ``n`` scored controls were answered right; ``chance`` is the accuracy of a
    blind guess (mean of 1 / number of options over the controls; None where the controls are
    not multiple choice, then only the count rule applies). Not informative when the 95% Wilson
    interval of control accuracy includes ``chance`` (the target may be guessing) or fewer than
    :data:`MIN_CORRECT_CONTROLS` controls were answered correctly. ``options`` (the mean option
    count) only words the note.
    """
    ci = wilson(correct, n)
    if ci is None:
        return "not informative: no control was answered"
    acc = correct / n
    shown = f"control accuracy {acc:.2f} [{ci[0]:.2f}, {ci[1]:.2f}]"
    if chance is not None and ci[0] <= chance <= ci[1]:
        opts = f" ({options:g} options)" if options is not None else ""
        return f"not informative: {shown} includes chance {chance:.2f}{opts}"
    if correct < MIN_CORRECT_CONTROLS:
        return (
            f"not informative: only {correct} of {n} controls answered correctly "
            f"(at least {MIN_CORRECT_CONTROLS} needed)"
        )
    return None
