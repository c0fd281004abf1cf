"""The adaptive mutation orchestrator: which operator combination to try next on each item.

Pure and deterministic given its inputs (the attempts so far and a seed), so it is testable
without a model and a run resumes to the same plan. Each round, every item that is still
answered correctly gets one combination: single operators first, pairs next, larger ones later;
never a combination already tried on that item, never one the conflict rules forbid. Among the
allowed ones it picks the highest upper confidence bound of the fooling rate observed so far
across items, with an operator-level prior for combinations not seen yet (a small UCB bandit).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from medtrust.records import Outcome, content_hash

Combo = tuple[str, ...]


@dataclass(frozen=True, kw_only=True)
class Attempt:
    """One attack on one item: ``outcome`` ``fail`` means the model was fooled."""

    item: str
    combo: Combo
    round: int
    outcome: Outcome


def size_window(round_: int, max_size: int) -> tuple[int, int]:
    """Combination sizes allowed in a round: 1, then 1-2, then 2-3, then 2-``max_size``."""
    lo, hi = {1: (1, 1), 2: (1, 2), 3: (2, 3)}.get(round_, (2, max_size))
    return min(lo, max_size), min(hi, max_size)


@dataclass(kw_only=True)
class Rates:
    """Fooled / tried counts per combination and per operator, errors left out."""

    combo: dict[Combo, list[int]] = field(default_factory=dict)
    op: dict[str, list[int]] = field(default_factory=dict)
    total: int = 0

    @classmethod
    def of(cls, attempts: Iterable[Attempt]) -> Rates:
        r = cls()
        for a in attempts:
            if a.outcome == "error":
                continue
            r.total += 1
            fooled = a.outcome == "fail"
            cells = [r.combo.setdefault(a.combo, [0, 0])]
            cells += [r.op.setdefault(o, [0, 0]) for o in a.combo]
            for cell in cells:
                cell[0] += fooled
                cell[1] += 1
        return r

    def prior(self, combo: Combo) -> float:
        """P(fooled) if operators acted independently, each with a Laplace-smoothed rate."""
        keep = 1.0
        for o in combo:
            f, n = self.op.get(o, [0, 0])
            keep *= 1 - (f + 1) / (n + 2)
        return 1 - keep

    def score(self, combo: Combo, explore: float) -> float:
        """Upper confidence bound of the fooling rate (prior worth two pseudo-attempts)."""
        f, n = self.combo.get(combo, [0, 0])
        mean = (f + 2 * self.prior(combo)) / (n + 2)
        return mean + explore * math.sqrt(math.log(self.total + 2) / (n + 1))


class Orchestrator:
    """Plans each round's combination per item under the no-repeat and conflict rules.

    ``candidates`` are the conflict-free combinations (for the DAS operators,
    ``probes.robustness.allowed_combos`` of each size): the conflict rules belong to the
    operators, so the orchestrator takes them as data and stays independent of any probe.
    """

    def __init__(
        self,
        *,
        candidates: Iterable[Sequence[str]],
        max_iter: int = 5,
        max_size: int = 3,
        explore: float = 0.25,
        seed: int = 0,
    ) -> None:
        if max_iter < 1 or max_size < 1:
            raise ValueError("max_iter and max_size must be at least 1")
        self.max_iter, self.max_size, self.explore, self.seed = max_iter, max_size, explore, seed
        self.candidates: list[Combo] = [
            tuple(c) for c in candidates if 1 <= len(c) <= max_size and len(set(c)) == len(c)
        ]

    def next_combo(
        self,
        item: str,
        round_: int,
        attempts: Sequence[Attempt],
        rates: Rates | None = None,
        exclude: Iterable[Combo] = (),
    ) -> Combo | None:
        """The combination to try on ``item`` in ``round_``, or None when the item is done
        (fooled, out of rounds, or every allowed combination tried). ``exclude`` removes
        combinations that cannot be applied to this item without spending a round."""
        mine = [a for a in attempts if a.item == item]
        if round_ > self.max_iter or len(mine) >= self.max_iter:
            return None
        if any(a.outcome == "fail" for a in mine):
            return None
        tried = {a.combo for a in mine} | set(exclude)
        lo, hi = size_window(round_, self.max_size)
        pool = [c for c in self.candidates if c not in tried and lo <= len(c) <= hi]
        pool = pool or [c for c in self.candidates if c not in tried]
        if not pool:
            return None
        rates = rates or Rates.of(attempts)

        def key(c: Combo) -> tuple[float, str]:
            return (-rates.score(c, self.explore), content_hash((self.seed, item, c), 12))

        return min(pool, key=key)

    def plan(
        self, round_: int, items: Iterable[str], attempts: Sequence[Attempt]
    ) -> dict[str, Combo]:
        """One combination per item still in play (rates pooled over every item so far)."""
        rates = Rates.of(attempts)
        out: dict[str, Combo] = {}
        for item in items:
            combo = self.next_combo(item, round_, attempts, rates)
            if combo is not None:
                out[item] = combo
        return out
