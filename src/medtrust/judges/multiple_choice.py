"""The multiple-choice judge: majority vote over samples, pass when the vote is a gold letter."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence

from medtrust.judges._base import judges
from medtrust.judges._mc_parse import parse_choice
from medtrust.records import Case, Reply, Verdict


def vote_entropy(counts: Counter[str]) -> float:
    """Shannon entropy (bits) of the answer distribution across samples."""
    total = sum(counts.values())
    return -sum((c / total) * math.log2(c / total) for c in counts.values() if c) if total else 0.0


@judges.register
class MultipleChoiceJudge:
    """Gold is ``{"options": {...}, "accept": [letters]}``.

    Every reply is read by :func:`~medtrust.judges.parse_choice`, the one multiple-choice
    reader of all axes. Replies that errored or that nobody could read (no option, several
    options, a hedge, a refusal, an echo of the option list) are not votes; ``detail`` counts
    them as ``errors`` and ``unreadable``. A case with no votes at all is an ``error`` verdict
    (counted apart, never a pass or a failure) whose ``detail.reason`` is ``"unreadable
    reply"`` when at least one reply had text, else ``"target error"``. Ties go to the letter
    that came first.
    """

    name = "multiple_choice"

    def __call__(self, case: Case, replies: Sequence[Reply]) -> Verdict:
        options: dict[str, str] = case.gold["options"]
        accept = set(case.gold["accept"])
        votes: list[str] = []
        unreadable = errors = 0
        for r in replies:
            if not r.ok or r.text is None:
                errors += 1
                continue
            choice = parse_choice(r.text, options)
            if choice is None:
                unreadable += 1
            else:
                votes.append(choice)
        detail: dict[str, object] = {
            "votes": votes,
            "unreadable": unreadable,
            "errors": errors,
            "samples": len(replies),
        }
        if not votes:
            reason = "unreadable reply" if unreadable else "target error" if errors else "no reply"
            detail["reason"] = reason
            return Verdict(case_id=case.id, judge=self.name, outcome="error", detail=detail)
        counts = Counter(votes)
        top = max(counts.values())
        answer = next(v for v in votes if counts[v] == top)
        detail["entropy_bits"] = round(vote_entropy(counts), 4)
        return Verdict(
            case_id=case.id,
            judge=self.name,
            outcome="pass" if answer in accept else "fail",
            score=counts[answer] / len(votes),
            answer=answer,
            detail=detail,
        )
