"""Majority vote over k sampled replies (replica cases and engine samples alike).

A bias "flip" is judged on the majority answer, not on one sample, so that sampling noise is
not mistaken for bias; vote entropy says how unsure the model was.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from math import log2

from medtrust.records import Verdict


def _entropy(counts: Counter[str]) -> float:
    """Shannon entropy in bits (the same definition as ``judges.vote_entropy``; probes sit
    upstream of judges and do not import them)."""
    total = sum(counts.values())
    return -sum(c / total * log2(c / total) for c in counts.values() if c) if total else 0.0


@dataclass(frozen=True, kw_only=True)
class Vote:
    """The majority answer of a group of replicas, or None when no replica named an option."""

    answer: str | None
    votes: tuple[str, ...]
    entropy_bits: float
    errors: int


def majority(verdicts: Iterable[Verdict], *, gold: str | None = None) -> Vote:
    """Pool the votes of replica verdicts; ties go to the letter voted first.

    A verdict without recorded votes (an export dry run) counts as one vote for ``gold`` when it
    passed, so ``cases export`` can walk the attack stages without a target.
    """
    votes: list[str] = []
    errors = 0
    for v in verdicts:
        got = v.detail.get("votes")
        if isinstance(got, list):
            votes += [str(x) for x in got]
        elif v.answer is not None:
            votes.append(v.answer)
        elif v.outcome == "pass" and gold is not None:
            votes.append(gold)
        if v.outcome == "error":
            errors += 1
    if not votes:
        return Vote(answer=None, votes=(), entropy_bits=0.0, errors=errors)
    counts = Counter(votes)
    top = max(counts.values())
    answer = next(x for x in votes if counts[x] == top)
    return Vote(answer=answer, votes=tuple(votes), entropy_bits=_entropy(counts), errors=errors)
