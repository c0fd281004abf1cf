"""Worst-case search: the value (or shift) of one attribute that moves the model's decision most.

Small discrete spaces are searched exhaustively. Many-valued ones (zip3, language) use
successive halving: every value is scored on two random rows, the best third on three times as
many, and so on; all values share the same rows in each round, so a monotone effect is ranked
from very few calls. (One first row misses a planted worst case about 1 time in 20: that row may
live in the penalised region itself, where the worst value changes nothing.) Numeric columns
are shifted by a delta found by a coarse-to-fine grid. ``method="de"`` is the seed's scipy
``differential_evolution`` (popsize 15, maxiter 100), kept for comparison. Every result reports
the target calls (rows scored) it used. A row whose counterfactual would be clinically
impossible (an age shift that makes a child of a patient on an adults-only drug; see
:mod:`._plausible`) is not scored: effects are means over the applicable rows only.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import numpy.typing as npt

from medtrust.fairness._data import DOMAINS, positive_probability
from medtrust.fairness._plausible import Applicability

if TYPE_CHECKING:
    import pandas as pd

    from medtrust.targets.tabular import TabularTarget

Method = Literal["auto", "exhaustive", "halving", "grid", "de"]
EXHAUSTIVE_MAX = 16
"""Up to this many values a search is exhaustive: it costs little and cannot miss."""
FloatArray = npt.NDArray[np.float64]


@dataclass(kw_only=True)
class SearchResult:
    """The worst value found, its effect on the rows searched, and what it cost."""

    column: str
    method: str
    mode: Literal["value", "shift"]
    value: Any
    effect: float
    flip_rate: float
    calls: int
    evaluations: int
    rows: int
    not_applicable: int = 0
    trace: list[tuple[int, Any, float]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready; ``trace`` is (calls so far, best value, best effect) at each improvement."""
        value = self.value if isinstance(self.value, str) else round(float(self.value), 6)
        return {
            "column": self.column,
            "method": self.method,
            "mode": self.mode,
            "value": value,
            "mean_abs_delta_p": round(self.effect, 6),
            "flip_rate": round(self.flip_rate, 6),
            "calls": self.calls,
            "evaluations": self.evaluations,
            "rows": self.rows,
            "not_applicable": self.not_applicable,
        }


class _Objective:
    """Mean |change in P(positive)| over the search rows when ``column`` takes a candidate."""

    def __init__(
        self, target: TabularTarget, frame: pd.DataFrame, column: str, mode: str, threshold: float
    ) -> None:
        self.target, self.frame, self.column, self.mode = target, frame, column, mode
        self.threshold = threshold
        self.start = target.calls
        self.base = positive_probability(target, frame)
        self.evaluations = 0
        self.app = Applicability(frame)
        self.best_na = 0
        self.best: tuple[Any, float, float] | None = None
        self.trace: list[tuple[int, Any, float]] = []
        if mode == "shift":
            col = frame[column].astype(float)
            self.lo, self.hi = float(col.min()), float(col.max())

    @property
    def calls(self) -> int:
        return self.target.calls - self.start

    def _shifted(self, sub: pd.DataFrame, candidate: Any) -> pd.DataFrame:
        out = sub.copy()
        if self.mode == "shift":
            moved = sub[self.column].astype(float) + float(candidate)
            out[self.column] = moved.clip(self.lo, self.hi).astype(sub[self.column].dtype)
        else:
            out[self.column] = candidate
        self.evaluations += 1
        return out

    def deltas(self, candidates: Sequence[Any], rows: npt.NDArray[np.int64]) -> FloatArray:
        """|delta p| on some rows (a halving round), candidates x rows, in one target call."""
        if not candidates:
            return np.zeros((0, len(rows)))
        k = len(rows)
        batch = self.frame.iloc[np.tile(rows, len(candidates))].reset_index(drop=True)
        if self.mode == "shift":
            moved = batch[self.column].astype(float) + np.repeat(np.asarray(candidates, float), k)
            batch[self.column] = moved.clip(self.lo, self.hi).astype(self.frame[self.column].dtype)
        else:
            batch[self.column] = np.repeat(np.asarray(candidates, dtype=object), k)
        self.evaluations += len(candidates)
        where = np.tile(rows, len(candidates))
        ok = self.app.mask_rows(self.column, batch[self.column].tolist(), where)
        p = self.base[where].copy()  # an impossible row is not scored: it moves nothing
        if ok.any():
            p[ok] = positive_probability(self.target, batch[ok])
        p = p.reshape(len(candidates), len(rows))
        return np.asarray(np.abs(p - self.base[rows][None, :]), dtype=np.float64)

    def full(self, candidate: Any) -> float:
        """Score a candidate on every applicable search row and keep the best (with its flip
        rate); a candidate no row can take scores 0."""
        shifted = self._shifted(self.frame, candidate)
        ok = self.app.mask_rows(self.column, shifted[self.column].tolist())
        if not ok.any():
            if self.best is None:
                self.best, self.best_na = (candidate, 0.0, 0.0), len(ok)
            return 0.0
        p = positive_probability(self.target, shifted[ok])
        base = self.base[ok]
        effect = float(np.abs(p - base).mean())
        if self.best is None or effect > self.best[1]:
            flips = float(((p >= self.threshold) != (base >= self.threshold)).mean())
            self.best_na = int((~ok).sum())
            self.best = (candidate, effect, flips)
            self.trace.append((self.calls, candidate, effect))
        return effect


def _halving(
    obj: _Objective, values: Sequence[Any], rng: np.random.Generator, eta: int, first: int
) -> None:
    # Random rows, not those nearest the threshold: a row sitting in the penalised region is
    # near the threshold *because* of the penalty, and would rank the worst value last.
    order = rng.permutation(len(obj.frame)).astype(np.int64)
    alive = list(values)
    sums = np.zeros(len(values))
    idx = list(range(len(values)))
    used, want = 0, first
    while len(idx) > 1 and used < len(order):
        rows = order[used : min(want, len(order))]
        sums[idx] += obj.deltas([alive[i] for i in idx], rows).sum(axis=1)
        used = min(want, len(order))
        idx.sort(key=lambda i: -float(sums[i]))
        idx = idx[: max(1, int(np.ceil(len(idx) / eta)))]
        want *= eta
    for i in idx:
        obj.full(alive[i])


def _grid(obj: _Objective, lo: float, hi: float, points: int, rounds: int) -> None:
    for _ in range(rounds):
        grid = np.linspace(lo, hi, points)
        scores = [obj.full(float(x)) for x in grid]
        best = float(grid[int(np.argmax(scores))])
        half = (hi - lo) / (points - 1)
        lo, hi = best - half, best + half


def _de(obj: _Objective, decode: Callable[[float], Any], lo: float, hi: float, seed: int) -> None:
    from scipy.optimize import differential_evolution

    differential_evolution(
        lambda x: -obj.full(decode(float(x[0]))),
        bounds=[(lo, hi)],
        popsize=15,
        maxiter=100,
        seed=seed,
        polish=False,
    )


def worst_case(
    target: TabularTarget,
    frame: pd.DataFrame,
    column: str,
    *,
    method: Method = "auto",
    values: Sequence[Any] | None = None,
    bounds: tuple[float, float] | None = None,
    rows: int = 64,
    threshold: float = 0.5,
    seed: int = 0,
    eta: int = 3,
    first_rows: int = 2,
) -> SearchResult:
    """Search ``column`` for the candidate with the largest mean |delta P(positive)|.

    Candidates are ``values`` (default: every value observed, or the whole domain of a column
    in :data:`~medtrust.fairness._data.DOMAINS` such as zip3) for a categorical column, or an
    additive shift in ``bounds`` (default: +/- the column's range) for a numeric one. The search
    runs on ``rows`` rows drawn with ``seed``; calls include scoring those rows unchanged once.
    """
    import pandas as pd

    rng = np.random.default_rng(seed)
    sample = frame if len(frame) <= rows else frame.iloc[rng.choice(len(frame), rows, False)]
    sample = sample.reset_index(drop=True)
    col = frame[column]
    numeric = pd.api.types.is_numeric_dtype(col) and not pd.api.types.is_bool_dtype(col)
    numeric = numeric and values is None and col.nunique() > 2
    mode: Literal["value", "shift"] = "shift" if numeric else "value"
    obj = _Objective(target, sample, column, mode, threshold)
    if mode == "shift":
        span = float(col.max() - col.min())
        lo, hi = bounds if bounds is not None else (-span, span)
        chosen = "grid" if method in ("auto", "halving", "exhaustive") else method
        if chosen == "de":
            _de(obj, lambda x: x, lo, hi, seed)
        else:
            _grid(obj, lo, hi, points=9, rounds=4)
    else:
        seen = {str(v) for v in col.dropna().unique()}
        if values is not None:
            cands = list(values)
        elif column in DOMAINS and seen <= set(DOMAINS[column]):
            cands = list(DOMAINS[column])
        else:
            cands = sorted(col.dropna().unique(), key=str)
        chosen = method
        if method == "auto":
            chosen = "exhaustive" if len(cands) <= EXHAUSTIVE_MAX else "halving"
        if chosen == "de":
            top = len(cands) - 1e-9
            _de(obj, lambda x: cands[min(int(x), len(cands) - 1)], 0.0, top, seed)
        elif chosen == "halving":
            _halving(obj, cands, rng, eta, first_rows)
        else:
            chosen = "exhaustive"
            for v in cands:
                obj.full(v)
    assert obj.best is not None
    value, effect, flips = obj.best
    return SearchResult(
        column=column,
        method=chosen,
        mode=mode,
        value=value.item() if hasattr(value, "item") else value,
        effect=effect,
        flip_rate=flips,
        calls=obj.calls,
        evaluations=obj.evaluations,
        rows=len(sample),
        not_applicable=obj.best_na,
        trace=obj.trace,
    )
