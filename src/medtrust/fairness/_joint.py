"""Joint counterfactual search over several protected attributes, with a plausibility penalty.

The seed's stress tester changes several protected attributes at once (race *and* insurance
*and* ZIP code) and looks for the combination that moves the model most, among counterfactuals
that stay clinically possible. A candidate assigns one value to every protected column (an
additive shift for a numeric one such as age). On the search rows, rows whose counterfactual
breaks a plausibility rule (:mod:`medtrust.fairness._plausible`) are not applicable: they are
not sent to the target, and the candidate is penalised by the share it loses:

    score(c) = mean |P(positive | c) - P(positive)| over applicable rows - penalty * (1 - share)

Two optimisers, one objective, both counting target calls (rows scored):

* ``de``: scipy's ``differential_evolution`` on a box with one integer-decoded coordinate per
  column (Storn & Price 1997), as the seed does; ``maxiter`` bounds its calls.
* ``halving``: successive halving (Jamieson & Talwalkar 2016) over the product of the value sets
  (a seeded sample of at most ``max_candidates`` when the product is larger), every candidate
  on the same few rows, the best ``1/eta`` kept on ``eta`` times as many; the survivor is then
  improved one column at a time (coordinate ascent) on every search row.

The result is the worst *plausible* counterfactual found (largest score), with its effect, flip
rate, share of applicable rows and the calls it took.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import numpy.typing as npt

from medtrust.errors import ConfigError
from medtrust.fairness._data import DOMAINS, positive_probability
from medtrust.fairness._plausible import Applicability

if TYPE_CHECKING:
    import pandas as pd

    from medtrust.targets.tabular import TabularTarget

JointMethod = Literal["de", "halving"]
SHIFT_POINTS = 21
"""Numeric columns are searched over this many evenly spaced additive shifts."""


@dataclass(kw_only=True)
class JointResult:
    """The worst plausible counterfactual: one value (or shift) per column, and what it cost."""

    method: str
    columns: list[str]
    assignment: dict[str, Any]
    score: float
    effect: float
    flip_rate: float
    applicable: float
    calls: int
    evaluations: int
    rows: int
    candidates: int
    penalty: float
    trace: list[tuple[int, float]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready; ``trace`` is (calls so far, best score) at each improvement."""
        return {
            "method": self.method,
            "columns": self.columns,
            "worst": {k: _plain(v) for k, v in self.assignment.items()},
            "score": round(self.score, 6),
            "mean_abs_delta_p": round(self.effect, 6),
            "flip_rate": round(self.flip_rate, 6),
            "applicable_share": round(self.applicable, 6),
            "penalty": self.penalty,
            "calls": self.calls,
            "evaluations": self.evaluations,
            "rows": self.rows,
            "search_space": self.candidates,
            "trace": [[c, round(s, 6)] for c, s in self.trace],
        }


def _plain(v: Any) -> Any:
    v = v.item() if hasattr(v, "item") else v
    return round(v, 6) if isinstance(v, float) else v


class _Space:
    """Per column: the candidate values (all observed in the data, or the column's whole domain),
    or the shifts of a numeric column (within its observed range)."""

    def __init__(self, frame: pd.DataFrame, columns: Sequence[str]) -> None:
        import pandas as pd

        self.columns = list(columns)
        self.values: list[list[Any]] = []
        self.numeric: list[bool] = []
        self.bounds: list[tuple[float, float]] = []
        for col in self.columns:
            s = frame[col]
            num = (pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s)
                   and s.nunique() > 2)
            self.numeric.append(bool(num))
            self.bounds.append((float(s.min()), float(s.max())) if num else (0.0, 0.0))
            if num:
                span = float(s.max() - s.min())
                self.values.append([float(x) for x in np.linspace(-span, span, SHIFT_POINTS)])
            elif col in DOMAINS and {str(v) for v in s.dropna().unique()} <= set(DOMAINS[col]):
                self.values.append(list(DOMAINS[col]))
            else:
                self.values.append(sorted(s.dropna().unique().tolist(), key=str))
            if not self.values[-1]:
                raise ConfigError(f"--protected {col!r}: no values to search")

    @property
    def size(self) -> int:
        return int(np.prod([len(v) for v in self.values], dtype=np.float64))


class _JointObjective:
    def __init__(self, target: TabularTarget, frame: pd.DataFrame, space: _Space,
                 threshold: float, penalty: float, applicable: Applicability) -> None:
        self.target, self.frame, self.space = target, frame, space
        self.threshold, self.penalty, self.app = threshold, penalty, applicable
        self.start = target.calls
        self.base = positive_probability(target, frame)
        self.cache: dict[tuple[tuple[int, ...], bytes], tuple[float, float, float, float]] = {}
        self.evaluations = 0
        self.best: tuple[tuple[int, ...], float, float, float, float] | None = None
        self.trace: list[tuple[int, float]] = []

    @property
    def calls(self) -> int:
        return self.target.calls - self.start

    def _apply(self, cand: tuple[int, ...], rows: npt.NDArray[np.int64]) -> tuple[Any, Any]:
        sub = self.frame.iloc[rows].copy()
        ok = np.ones(len(rows), dtype=bool)
        for j, col in enumerate(self.space.columns):
            value = self.space.values[j][cand[j]]
            if self.space.numeric[j]:
                lo, hi = self.space.bounds[j]
                moved = (sub[col].astype(float) + value).clip(lo, hi)
                sub[col] = moved.astype(self.frame[col].dtype)
                ok &= self.app.mask_rows(col, sub[col].tolist(), rows)
            else:
                sub[col] = value
                ok &= self.app.mask_rows(col, [value] * len(rows), rows)
        return sub, ok

    def score(self, cand: tuple[int, ...], rows: npt.NDArray[np.int64]) -> float:
        """Penalised effect of ``cand`` on ``rows`` (cached; only applicable rows are scored)."""
        key = (cand, rows.tobytes())
        hit = self.cache.get(key)
        if hit is None:
            self.evaluations += 1
            sub, ok = self._apply(cand, rows)
            share = float(ok.mean()) if len(ok) else 0.0
            if ok.any():
                p = positive_probability(self.target, sub[ok])
                base = self.base[rows][ok]
                effect = float(np.abs(p - base).mean())
                flips = float(((p >= self.threshold) != (base >= self.threshold)).mean())
            else:
                effect = flips = 0.0
            hit = (effect - self.penalty * (1.0 - share), effect, flips, share)
            self.cache[key] = hit
            if len(rows) == len(self.frame) and (self.best is None or hit[0] > self.best[1]):
                self.best = (cand, *hit)
                self.trace.append((self.calls, hit[0]))
        return hit[0]


def _halving(obj: _JointObjective, rng: np.random.Generator, eta: int, first: int,
             max_candidates: int) -> None:
    sizes = [len(v) for v in obj.space.values]
    total = obj.space.size
    if total <= max_candidates:
        cands = list(itertools.product(*[range(k) for k in sizes]))
    else:
        draws = {tuple(int(rng.integers(k)) for k in sizes) for _ in range(max_candidates * 2)}
        cands = sorted(draws)[:max_candidates]
    order = rng.permutation(len(obj.frame)).astype(np.int64)
    alive = list(range(len(cands)))
    sums = np.zeros(len(cands))
    used, want = 0, first
    while len(alive) > 1 and used < len(order):
        rows = order[used: min(want, len(order))]
        for i in alive:
            sums[i] += obj.score(cands[i], rows) * len(rows)
        used = min(want, len(order))
        alive.sort(key=lambda i: -float(sums[i]))
        alive = alive[: max(1, int(np.ceil(len(alive) / eta)))]
        want *= eta
    every = np.arange(len(obj.frame), dtype=np.int64)
    best = cands[alive[0]]
    best_score = obj.score(best, every)
    improved = True
    while improved:  # coordinate ascent: one column at a time, on every search row
        improved = False
        for j, k in enumerate(sizes):
            for v in range(k):
                cand = (*best[:j], v, *best[j + 1:])
                s = obj.score(cand, every)
                if s > best_score + 1e-12:
                    best, best_score, improved = cand, s, True


def _de(obj: _JointObjective, seed: int, maxiter: int, popsize: int) -> None:
    from scipy.optimize import differential_evolution

    sizes = [len(v) for v in obj.space.values]
    every = np.arange(len(obj.frame), dtype=np.int64)

    def decode(x: npt.NDArray[np.float64]) -> tuple[int, ...]:
        return tuple(min(int(xi), k - 1) for xi, k in zip(x, sizes, strict=True))

    differential_evolution(lambda x: -obj.score(decode(x), every),
                           bounds=[(0.0, k - 1e-9) for k in sizes], popsize=popsize,
                           maxiter=maxiter, seed=seed, polish=False, tol=0.0)


def joint_search(
    target: TabularTarget,
    frame: pd.DataFrame,
    columns: Sequence[str],
    *,
    method: JointMethod = "halving",
    rows: int = 64,
    threshold: float = 0.5,
    penalty: float = 1.0,
    seed: int = 0,
    eta: int = 3,
    first_rows: int = 2,
    max_candidates: int = 4096,
    de_maxiter: int = 30,
    de_popsize: int = 10,
    applicable: Applicability | None = None,
) -> JointResult:
    """Search ``columns`` jointly for the worst plausible counterfactual (see module doc).

    ``rows`` rows are drawn with ``seed``; ``penalty`` (>= 0) weighs the share of rows a
    candidate makes implausible. Raises :class:`ConfigError` for an unknown method or a
    negative penalty.
    """
    if method not in ("de", "halving"):
        raise ConfigError(f"--search {method!r}: choose de or halving")
    if penalty < 0:
        raise ConfigError("--search-penalty must be 0 or more")
    rng = np.random.default_rng(seed)
    pick = np.sort(rng.choice(len(frame), rows, replace=False)) if len(frame) > rows else None
    sample = (frame if pick is None else frame.iloc[pick]).reset_index(drop=True)
    space = _Space(frame, columns)  # every value the data hold, not only the sample's
    app = Applicability(sample, applicable.rules if applicable is not None else None)
    obj = _JointObjective(target, sample, space, threshold, penalty, app)
    if method == "de":
        _de(obj, seed, de_maxiter, de_popsize)
    else:
        _halving(obj, rng, eta, first_rows, max_candidates)
    assert obj.best is not None
    cand, score, effect, flips, share = obj.best
    return JointResult(
        method=method, columns=list(columns),
        assignment={c: space.values[j][cand[j]] for j, c in enumerate(space.columns)},
        score=score, effect=effect, flip_rate=flips, applicable=share, calls=obj.calls,
        evaluations=obj.evaluations, rows=len(sample), candidates=space.size, penalty=penalty,
        trace=obj.trace,
    )
