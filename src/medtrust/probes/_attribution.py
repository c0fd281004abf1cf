"""Attributions of an LLM's answer to the sentences of its prompt, from its own answer changes.

The game: the players are the vignette's sentences (the question is always kept); the value of
a coalition S is the share of the target's sampled answers, asked the vignette with only the
sentences in S, that equal the answer under study (a flipped variant's answer). Two estimates:

* **occlusion** (leave one out): ``v(all) - v(all without i)``, one extra prompt per sentence;
* **Shapley values** (Shapley 1953), ``phi_i = sum over S not containing i of
  |S|! (n - |S| - 1)! / n! * (v(S + i) - v(S))``: exact over all ``2**n`` coalitions when
  ``2**n <= budget``; otherwise the permutation-sampling estimator of Castro, Gomez & Tejada
  (2009, Computers & Operations Research 36:1726), the mean over ``budget // n`` seeded random
  orderings of each sentence's marginal contribution, which asks at most ``budget`` coalitions.
  Either way the values add up to ``v(all) - v(empty)`` (efficiency), which the tests check.

``budget`` is the stated sample budget: the most coalitions (prompts) asked per explained case.
The attribute-level attribution is the Shapley value of the sentence that carries the
demographic attribute. Nothing here calls a target: a probe asks for the coalitions
(:func:`coalitions`) as follow-up cases, and :func:`shapley_from` reads their verdicts.
"""

from __future__ import annotations

import itertools
import math
import re
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

from medtrust.records import Case

Coalition = frozenset[int]
Method = Literal["exact", "permutation"]
DEFAULT_BUDGET = 16
"""Coalitions asked per explained case by default: exact Shapley values up to four sentences."""


def shapley_exact(n: int, value: Callable[[Coalition], float]) -> list[float]:
    """Exact Shapley values of ``n`` players under ``value`` (``2**n`` evaluations)."""
    phi = [0.0] * n
    fact = math.factorial
    for i in range(n):
        others = [j for j in range(n) if j != i]
        for size in range(n):
            w = fact(size) * fact(n - size - 1) / fact(n)
            for s in itertools.combinations(others, size):
                base = frozenset(s)
                phi[i] += w * (value(base | {i}) - value(base))
    return phi


def orderings(n: int, budget: int, seed: int | str) -> list[tuple[int, ...]]:
    """The ``max(1, budget // n)`` seeded random orderings permutation sampling uses."""
    import numpy as np  # only here: importing numpy is ~0.1 s of every run's start-up

    key = seed if isinstance(seed, int) else int.from_bytes(str(seed).encode()[-8:], "big")
    rng = np.random.Generator(np.random.PCG64([key, n, 0x5A7]))
    return [tuple(int(x) for x in rng.permutation(n)) for _ in range(max(1, budget // n))]


@dataclass(frozen=True, kw_only=True)
class Plan:
    """Which coalitions to ask for one case, and how their values become Shapley values."""

    n: int
    method: Method
    budget: int
    perms: tuple[tuple[int, ...], ...] = ()

    @property
    def coalitions(self) -> list[Coalition]:
        """Every coalition the estimate needs, smallest first (the full one included)."""
        if self.method == "exact":
            sets = {frozenset(s) for k in range(self.n + 1)
                    for s in itertools.combinations(range(self.n), k)}
        else:
            sets = {frozenset(p[:k]) for p in self.perms for k in range(self.n + 1)}
        return sorted(sets, key=lambda s: (len(s), sorted(s)))


def plan(n: int, budget: int = DEFAULT_BUDGET, *, seed: int | str = 0) -> Plan:
    """Exact when ``2**n <= budget``, else permutation sampling with ``budget // n`` orderings
    (each ordering adds at most ``n - 1`` coalitions besides the empty and the full one)."""
    if n < 1:
        raise ValueError("a Shapley plan needs at least one sentence")
    if 2**n <= budget:
        return Plan(n=n, method="exact", budget=budget)
    return Plan(n=n, method="permutation", budget=budget,
                perms=tuple(orderings(n, budget, seed)))


def shapley_from(p: Plan, values: Mapping[Coalition, float]) -> list[float] | None:
    """Shapley values from the coalitions' values; None when one the plan needs is missing
    (its prompt errored or was unreadable: no estimate rather than a biased one)."""
    if any(s not in values for s in p.coalitions):
        return None
    if p.method == "exact":
        return shapley_exact(p.n, lambda s: values[s])
    phi = [0.0] * p.n
    for perm in p.perms:
        for k, i in enumerate(perm):
            phi[i] += values[frozenset(perm[: k + 1])] - values[frozenset(perm[:k])]
    return [x / len(p.perms) for x in phi]


def occlusion_from(n: int, values: Mapping[Coalition, float]) -> list[float | None]:
    """Leave-one-out attributions ``v(all) - v(all without i)`` (None where not asked)."""
    full = frozenset(range(n))
    if full not in values:
        return [None] * n
    return [values[full] - values[full - {i}] if full - {i} in values else None
            for i in range(n)]


def keep(sentences: Sequence[str], coalition: Coalition) -> str:
    """The vignette with only the coalition's sentences (the last one, the question, always)."""
    last = len(sentences) - 1
    return " ".join(x for i, x in enumerate(sentences) if i in coalition or i == last)


def share(votes: Sequence[str], answer: str) -> float | None:
    """The value of a coalition: the share of its votes equal to ``answer`` (None: no vote)."""
    return sum(v == answer for v in votes) / len(votes) if votes else None


_SPLIT = re.compile(r"(?<=[.?!])\s+(?=[A-Z0-9\"'(])")


def question_sentences(case: Case) -> list[str] | None:
    """The sentences of a multiple-choice case's question (as ``render_mc`` wrote it: the
    question, a blank line, the options), the asking sentence last; None when the prompt is
    not in that shape or has fewer than two sentences."""
    options = case.gold.get("options")
    if not isinstance(options, dict) or not case.messages:
        return None
    content = case.messages[-1].get("content")
    lines = "\n".join(f"{k}. {v}" for k, v in options.items())
    if not isinstance(content, str) or f"\n\n{lines}" not in content:
        return None
    question = content[: content.rindex(f"\n\n{lines}")]
    parts = [p.strip() for p in _SPLIT.split(question) if p.strip()]
    return parts if len(parts) >= 2 else None


def leave_one_out(n: int) -> frozenset[Coalition]:
    """The ``n`` coalitions of all sentences but one: the prompts occlusion asks."""
    full = frozenset(range(n))
    return frozenset(full - {i} for i in range(n))


def coalition_cases(
    case: Case,
    answer: str,
    sentences: Sequence[str],
    budget: int,
    *,
    stage: int,
    asked: Collection[Coalition] = frozenset(),
) -> list[Case]:
    """Follow-up cases asking the coalitions a Shapley plan needs to explain ``answer`` of
    ``case`` over its ``sentences`` (the last, the question, always kept).

    Not asked again: the full set (that is ``case`` itself) and the coalitions in ``asked``,
    which other follow-ups of ``case`` already ask with the same prompt (the occlusion cases:
    :func:`leave_one_out`); :func:`medtrust.probes._attribution_rows.explain_one` reads their
    answers, so each distinct prompt reaches the target once and the Shapley values are the
    same. At least one coalition case is kept (it carries the plan for the summary), so with a
    single sentence (``n == 1``, whose only other coalition is the empty one) nothing is saved.
    """
    from medtrust.probes.mcq_format import render_mc

    n = len(sentences) - 1
    if budget <= 0 or n < 1:
        return []
    p = plan(n, budget, seed=case.id)
    subs = [sub for sub in p.coalitions if len(sub) < n]
    subs = [sub for sub in subs if sub not in asked] or subs
    return [
        Case.make(
            axis=case.axis, probe=case.probe,
            operator="coalition:" + (",".join(map(str, sorted(sub))) or "none"),
            role="perturbation", messages=render_mc(keep(sentences, sub), case.gold["options"]),
            gold=case.gold, parent_id=case.id, item_id=case.item_id, stage=stage,
            meta={**case.meta, "sentences": list(sentences), "coalition": sorted(sub),
                  "explains": answer, "shapley": {"method": p.method, "budget": p.budget, "n": n}},
        )
        for sub in subs
    ]
