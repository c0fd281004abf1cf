"""Agreement of a binary judge with human labels: precision, recall, F1, Cohen's kappa.

Precision and recall are proportions, so they get Wilson intervals; F1 has no closed-form
interval and gets a seeded percentile bootstrap; kappa gets the asymptotic standard error of
Fleiss, Cohen and Everitt (1969). "Positive" is a failure (the thing the judge flags).
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from medtrust.metrics._stats import wilson

_Z975 = 1.959963984540054  # scipy.stats.norm.ppf(0.975); scipy is slow to import for the CLI


@dataclass(frozen=True, kw_only=True)
class Confusion:
    """Counts of (label, prediction) pairs with positive = failure."""

    tp: int
    fp: int
    fn: int
    tn: int

    @classmethod
    def of(cls, y_true: Sequence[bool], y_pred: Sequence[bool]) -> Confusion:
        if len(y_true) != len(y_pred):
            raise ValueError("labels and predictions differ in length")
        pairs = list(zip(y_true, y_pred, strict=True))
        return cls(
            tp=sum(t and p for t, p in pairs),
            fp=sum(p and not t for t, p in pairs),
            fn=sum(t and not p for t, p in pairs),
            tn=sum(not t and not p for t, p in pairs),
        )

    @property
    def n(self) -> int:
        return self.tp + self.fp + self.fn + self.tn


def f1_of(c: Confusion) -> float:
    """F1 (0 when there are no positives at all, as scikit-learn's zero_division=0)."""
    den = 2 * c.tp + c.fp + c.fn
    return 2 * c.tp / den if den else 0.0


def kappa_of(c: Confusion) -> tuple[float, float]:
    """Cohen's kappa and its asymptotic standard error (Fleiss, Cohen & Everitt, 1969)."""
    n = c.n
    if n == 0:
        return 0.0, 0.0
    p = [[c.tn / n, c.fp / n], [c.fn / n, c.tp / n]]  # rows: label, cols: prediction
    row = [sum(p[i]) for i in range(2)]
    col = [p[0][j] + p[1][j] for j in range(2)]
    po = p[0][0] + p[1][1]
    pe = row[0] * col[0] + row[1] * col[1]
    if pe >= 1.0:
        return (1.0 if po >= 1.0 else 0.0), 0.0
    k = (po - pe) / (1 - pe)
    a = sum(p[i][i] * (1 - (row[i] + col[i]) * (1 - k)) ** 2 for i in range(2))
    b = (1 - k) ** 2 * sum(
        p[i][j] * (col[i] + row[j]) ** 2 for i in range(2) for j in range(2) if i != j
    )
    cterm = (k - pe * (1 - k)) ** 2
    var = max(a + b - cterm, 0.0) / (n * (1 - pe) ** 2)
    return k, math.sqrt(var)


def kappa_ci95(k: float, se: float) -> list[float]:
    """Wald 95% interval of Cohen's kappa from its asymptotic SE, clipped to [-1, 1]."""
    return [round(max(-1.0, k - _Z975 * se), 6), round(min(1.0, k + _Z975 * se), 6)]


def _ci(x: tuple[float, float] | None) -> list[float] | None:
    return [round(x[0], 6), round(x[1], 6)] if x else None


def agreement(
    y_true: Sequence[bool], y_pred: Sequence[bool], *, n_boot: int = 2000, seed: int = 0
) -> dict[str, Any]:
    """Precision, recall, F1 and kappa with 95% intervals, plus the confusion counts."""
    c = Confusion.of(y_true, y_pred)
    k, se = kappa_of(c)
    rng = random.Random(seed)
    pairs = list(zip(y_true, y_pred, strict=True))
    boots = sorted(
        f1_of(Confusion.of(*zip(*(pairs[rng.randrange(len(pairs))] for _ in pairs), strict=True)))
        for _ in range(n_boot if pairs else 0)
    )
    f1_ci = (boots[int(0.025 * len(boots))], boots[int(0.975 * len(boots)) - 1]) if boots else None
    return {
        "n": c.n,
        "confusion": {"tp": c.tp, "fp": c.fp, "fn": c.fn, "tn": c.tn},
        "precision": round(c.tp / (c.tp + c.fp), 6) if c.tp + c.fp else None,
        "precision_ci95": _ci(wilson(c.tp, c.tp + c.fp)),
        "recall": round(c.tp / (c.tp + c.fn), 6) if c.tp + c.fn else None,
        "recall_ci95": _ci(wilson(c.tp, c.tp + c.fn)),
        "f1": round(f1_of(c), 6),
        "f1_ci95": _ci(f1_ci),
        "kappa": round(k, 6),
        "kappa_se": round(se, 6),
        "kappa_ci95": kappa_ci95(k, se),
        "accuracy": round((c.tp + c.tn) / c.n, 6) if c.n else None,
    }
