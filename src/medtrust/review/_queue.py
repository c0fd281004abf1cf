"""A reviewer's queue, ordered by what a review is worth, and the view of one case.

Clinician time is the scarce resource, so the queue puts first the cases where the automated
verdict is least certain (judges disagree, a vote was split, or judging errored), then the
failures (the findings a report will rest on), then a seeded random sample of passes so that
the judges' pass decisions get calibrated too. The sample is seeded by the run, not the
reviewer, so reviewers overlap on it and inter-rater agreement can be measured.
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from medtrust.records import Case, Reply, Verdict
from medtrust.report import redact
from medtrust.store import Review, Store

Category = Literal["uncertain", "failure", "calibration"]
CATEGORY_ORDER: tuple[Category, ...] = ("uncertain", "failure", "calibration")
CALIBRATION_SHARE = 0.2
CALIBRATION_MIN = 5


@dataclass(frozen=True, kw_only=True)
class QueueItem:
    """One case in a reviewer's queue, with why it is there."""

    case_id: str
    category: Category
    reason: str
    axis: str
    probe: str
    operator: str
    reviewed: bool

    def as_dict(self) -> dict[str, Any]:
        """JSON form."""
        return {
            "case_id": self.case_id,
            "category": self.category,
            "reason": self.reason,
            "axis": self.axis,
            "probe": self.probe,
            "operator": self.operator,
            "reviewed": self.reviewed,
        }


def classify(verdicts: Sequence[Verdict]) -> tuple[Category, str] | None:
    """Why a case is worth reviewing (``None``: a pass, eligible only for calibration)."""
    outcomes = {v.outcome for v in verdicts}
    if "error" in outcomes:
        return "uncertain", "judging errored"
    if len(outcomes) > 1:
        return "uncertain", "judges disagree"
    split = [v for v in verdicts if v.score is not None and v.score < 1]
    if split:
        return "uncertain", f"split vote ({min(v.score or 0 for v in split):.2f})"
    if "fail" in outcomes:
        return "failure", "judged a failure"
    return None


def review_queue(
    store: Store,
    run_id: str,
    *,
    reviewer: str | None = None,
    share: float = CALIBRATION_SHARE,
    minimum: int = CALIBRATION_MIN,
) -> list[QueueItem]:
    """The run's queue: uncertain, then failures, then a seeded sample of passes.

    ``reviewed`` marks the cases ``reviewer`` has already reviewed (they stay in the queue so
    the reviewer can revise them; the next case to open is the first one not reviewed).
    """
    cases = store.cases(run_id)
    verdicts = store.all_verdicts(run_id)
    done = {r.case_id for r in store.reviews(run_id, reviewer=reviewer)} if reviewer else set()
    picked: dict[Category, list[tuple[Case, str]]] = {c: [] for c in CATEGORY_ORDER}
    passes: list[Case] = []
    for case in cases:
        vs = verdicts.get(case.id)
        if not vs:
            continue  # never answered or judged: nothing to review yet
        why = classify(vs)
        if why is None:
            passes.append(case)
        else:
            picked[why[0]].append((case, why[1]))
    k = min(len(passes), max(minimum, math.ceil(share * len(passes))))
    chosen = set(random.Random(f"calibration:{run_id}").sample(range(len(passes)), k))
    picked["calibration"] = [
        (c, "random pass (calibration)") for i, c in enumerate(passes) if i in chosen
    ]
    return [
        QueueItem(
            case_id=c.id,
            category=cat,
            reason=reason,
            axis=c.axis,
            probe=c.probe,
            operator=c.operator,
            reviewed=c.id in done,
        )
        for cat in CATEGORY_ORDER
        for c, reason in picked[cat]
    ]


def _text(messages: Sequence[dict[str, Any]]) -> str:
    parts = []
    for m in messages:
        content = m.get("content")
        if isinstance(content, list):  # multimodal parts: keep the text, name the rest
            content = "\n".join(
                str(p.get("text")) if p.get("type") == "text" else f"[{p.get('type')}]"
                for p in content
                if isinstance(p, dict)
            )
        parts.append(f"{m.get('role', 'user')}: {content}")
    return "\n\n".join(parts)


@dataclass(frozen=True, kw_only=True)
class CaseView:
    """Everything a reviewer sees about one case (redacted unless the run allows otherwise)."""

    run_id: str
    case_id: str
    axis: str
    probe: str
    operator: str
    role: str
    prompt: str
    original: str | None
    replies: list[str]
    verdicts: list[dict[str, Any]]
    expected: str | None
    redacted: bool
    history: list[Review] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        """JSON form (history included)."""
        return {
            "run_id": self.run_id,
            "case_id": self.case_id,
            "axis": self.axis,
            "probe": self.probe,
            "operator": self.operator,
            "role": self.role,
            "prompt": self.prompt,
            "original": self.original,
            "replies": self.replies,
            "verdicts": self.verdicts,
            "expected": self.expected,
            "redacted": self.redacted,
            "history": [r.as_dict() for r in self.history],
        }


def _expected(gold: dict[str, Any]) -> str | None:
    accept = gold.get("accept")
    if isinstance(accept, list) and accept:
        return ", ".join(str(a) for a in accept)
    answer = gold.get("answer")
    return None if answer is None else str(answer)


def _reply_text(r: Reply) -> str:
    return r.text if r.ok and r.text is not None else f"[error: {r.error}]"


def case_view(
    store: Store, run_id: str, case_id: str, *, reviewer: str | None = None
) -> CaseView | None:
    """The case with its prompt, its parent's prompt (for a mutation), replies and verdicts.

    ``history`` is every review of the case by ``reviewer`` (all reviewers when ``None``).
    """
    by_id = {c.id: c for c in store.cases(run_id)}
    case = by_id.get(case_id)
    if case is None:
        return None
    hide = not store.unredacted(run_id)
    show = redact if hide else (lambda s: s)
    parent = by_id.get(case.parent_id) if case.parent_id else None
    replies = store.replies(run_id).get(case_id, [])
    verdicts = store.all_verdicts(run_id).get(case_id, [])
    history = [
        r
        for r in store.review_history(run_id, case_id)
        if reviewer is None or r.reviewer == reviewer
    ]
    return CaseView(
        run_id=run_id,
        case_id=case_id,
        axis=case.axis,
        probe=case.probe,
        operator=case.operator,
        role=case.role,
        prompt=show(_text(case.messages)),
        original=show(_text(parent.messages)) if parent else None,
        replies=[show(_reply_text(r)) for r in replies],
        verdicts=[
            {
                "judge": v.judge,
                "outcome": v.outcome,
                "score": v.score,
                "answer": None if v.answer is None else show(v.answer),
            }
            for v in verdicts
        ],
        expected=_expected(case.gold),
        redacted=hide,
        history=history,
    )
