"""A reviewer's queue, ordered by what a review is worth, and the view of one case.

Clinician time is the scarce resource, so the queue puts first the cases whose concern score
exceeds the run's ``review.concern_threshold`` (:mod:`._concern`), then those where the automated
verdict is least certain (judges disagree, a vote was split, or judging errored), then the
failures (the findings a report will rest on), then a seeded random sample of passes so that
the judges' pass decisions get calibrated too. The sample is seeded by the run, not the
reviewer, so reviewers overlap on it and inter-rater agreement can be measured.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from medtrust._redaction import redactor
from medtrust.records import Case, Reply, Verdict
from medtrust.review._concern import (
    EXPLANATION_OPERATORS,
    Concern,
    majority_vote,
)
from medtrust.store import Review, Store

Category = Literal["concern", "uncertain", "failure", "calibration"]
CATEGORY_ORDER: tuple[Category, ...] = ("concern", "uncertain", "failure", "calibration")
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
    concern: float | None = None
    """The case's concern score when it exceeds the run's threshold (:mod:`._concern`)."""

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
            "concern": self.concern,
        }


FLIP_AXES = frozenset({"cognitive_bias", "fairness"})
"""Axes whose failure is a changed answer (a flip from the unbiased or unchanged control's
majority answer), not a wrong one: ``cognitive_bias.biasmedqa`` and ``fairness.counterfactual``
summaries count flips."""


def _majority(verdicts: Sequence[Verdict]) -> str | None:
    """Majority answer over every vote of ``verdicts`` (ties to the letter voted first), as
    ``cognitive_bias._votes.majority`` counts it."""
    return majority_vote([x for v in verdicts for x in v.votes()])


def _split(verdicts: Sequence[Verdict]) -> str | None:
    """A "split vote (share)" label when a judge's majority rests on samples that disagree; a score
    that is not a vote share (an open-answer judge's 0 or 0.5) is not a split vote."""
    for v in verdicts:
        votes = v.detail.get("votes")
        if isinstance(votes, list) and votes:
            if len(set(map(str, votes))) > 1:
                return f"split vote ({v.score if v.score is not None else 0:.2f})"
        elif v.judge == "multiple_choice" and v.score is not None and v.score < 1:
            return f"split vote ({v.score:.2f})"  # its score is the majority's vote share
    return None


def classify(verdicts: Sequence[Verdict]) -> tuple[Category, str] | None:
    """Why a case is worth reviewing, from its verdicts alone (``None``: a pass, eligible only
    for calibration). For axes whose failure is a wrong or unsafe reply (robustness
    perturbations, privacy, hallucination); :func:`classify_case` applies each axis's own
    definition (controls, flips)."""
    outcomes = {v.outcome for v in verdicts}
    if "error" in outcomes:
        return "uncertain", "judging errored"
    if len(outcomes) > 1:
        return "uncertain", "judges disagree"
    if (split := _split(verdicts)) is not None:
        return "uncertain", split
    if "fail" in outcomes:
        scores = sorted({v.score for v in verdicts if v.score is not None})
        partial = [x for x in scores if 0 < x < 1]
        if partial:  # e.g. privacy's "warned, then disclosed" (0.5)
            return "failure", f"judged a failure (partial score {partial[0]:.2f})"
        return "failure", "judged a failure"
    return None


@dataclass(frozen=True)
class _Flips:
    """Per flip-axis case: the majority answer it is compared against (its control's); per
    multi-modal patient: how many of its modalities have a scored (non-error) answer."""

    baseline: dict[str, str | None]
    answer: dict[str, str | None]
    scored_modalities: dict[str, int] = field(default_factory=dict)


def _flips(cases: Sequence[Case], verdicts: Mapping[str, Sequence[Verdict]]) -> _Flips:
    """For every perturbation case of a flip axis: its comparison answer and its own majority.

    Cognitive bias pools the replica cases of one (item, style) and compares with the pooled
    baseline replicas of the item; fairness compares a variant with its own control."""
    groups: dict[tuple[str, str, str], list[Verdict]] = defaultdict(list)
    for c in cases:
        if c.axis == "cognitive_bias":
            groups[(c.probe, str(c.item_id), c.operator)] += list(verdicts.get(c.id, []))
    by_id = {c.id: c for c in cases}
    baseline: dict[str, str | None] = {}
    answer: dict[str, str | None] = {}
    for c in cases:
        if c.axis not in FLIP_AXES or c.role != "perturbation":
            continue
        if c.axis == "cognitive_bias":
            baseline[c.id] = _majority(groups.get((c.probe, str(c.item_id), "baseline"), []))
            answer[c.id] = _majority(groups.get((c.probe, str(c.item_id), c.operator), []))
        else:
            parent = by_id.get(str(c.parent_id))
            baseline[c.id] = _majority(list(verdicts.get(parent.id, []))) if parent else None
            answer[c.id] = _majority(list(verdicts.get(c.id, [])))
    scored: dict[str, int] = defaultdict(int)
    for c in cases:
        if c.axis == "multimodal" and "patient_key" in c.meta:
            vs = verdicts.get(c.id, [])
            if vs and all(v.outcome != "error" for v in vs):
                scored[str(c.meta["patient_key"])] += 1
    return _Flips(baseline, answer, dict(scored))


def classify_case(
    case: Case, verdicts: Sequence[Verdict], flips: _Flips | None = None
) -> tuple[Category, str] | None:
    """Why ``case`` is worth reviewing, by its axis's definition of failure (the one its
    probe's ``summarize`` counts):

    * a control is never a failure: a wrong control answer lowers the baseline accuracy (it is
      queued as uncertain, "control answered wrong", so the reading can be checked);
    * cognitive bias and fairness fail on a flip: the case's majority answer differs from the
      unbiased baseline's (its control's); a wrong answer that did not change is no failure;
    * multi-modal consistency fails a patient unless every scored modality gives the gold
      answer, so a wrong answer in any modality (the text "control" too) is a failure;
    * every other axis fails on the judge's ``fail`` (an open-answer judge's score 0 is a
      failure, never a "split vote": only disagreeing samples are a split vote).
    """
    outcomes = {v.outcome for v in verdicts}
    if "error" in outcomes:
        return "uncertain", "judging errored"
    if len(outcomes) > 1:
        return "uncertain", "judges disagree"
    if case.axis == "multimodal" and "patient_key" in case.meta and flips is not None:
        # the unit is the patient: it fails unless every scored modality gives the gold answer,
        # so a wrong answer in any modality (the text control included) is its failure
        modality = case.meta.get("modality", "?")
        if "fail" in outcomes:
            if flips.scored_modalities.get(str(case.meta["patient_key"]), 0) < 2:
                return (
                    "uncertain",
                    f"wrong in {modality}, but the patient is not counted "
                    "(fewer than two modalities scored)",
                )
            return "failure", f"wrong in {modality}: the patient is not consistent and correct"
        return None
    if case.operator.startswith(EXPLANATION_OPERATORS):
        return None  # occlusion and coalitions explain a flip or failure; never counted
    if case.role == "control":
        if (split := _split(verdicts)) is not None:
            return "uncertain", split
        if "fail" in outcomes:
            return "uncertain", "control answered wrong (lowers the baseline; not a failure)"
        return None
    if case.axis in FLIP_AXES and flips is not None and case.id in flips.answer:
        base, now = flips.baseline.get(case.id), flips.answer.get(case.id)
        if base is None or now is None:
            return "uncertain", "no readable answer to compare (counted as an error)"
        if now != base:
            return "failure", f"flipped from {base} to {now}"
        if (split := _split(verdicts)) is not None:
            return "uncertain", f"{split}, not flipped"
        return None
    return classify(verdicts)


def _stored_concerns(store: Store, run_id: str) -> dict[str, Concern]:
    """The run's concern queue as the trigger wrote it (``review_concerns``), by case id."""
    return {
        r["case_id"]: Concern(case_id=r["case_id"], score=r["score"], source=r["source"],
                              components=r["components"])
        for r in store.iter_concerns(run_id)
    }


def review_queue(
    store: Store,
    run_id: str,
    *,
    reviewer: str | None = None,
    share: float = CALIBRATION_SHARE,
    minimum: int = CALIBRATION_MIN,
) -> list[QueueItem]:
    """The run's queue: concerning cases (score above the run's ``review.concern_threshold``),
    then uncertain, then failures, then a seeded sample of passes.

    ``reviewed`` marks the cases ``reviewer`` has already reviewed (they stay in the queue so
    the reviewer can revise them; the next case to open is the first one not reviewed). The
    whole list: :class:`~medtrust.review._queue_stream.QueueStream` gives the same items
    without holding the run (issue 15).
    """
    from medtrust.review._queue_stream import QueueStream  # imports this module

    stream = QueueStream(store, run_id, reviewer=reviewer, share=share, minimum=minimum)
    try:
        return list(stream)
    finally:
        stream.close()


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
    # this case and its parent only, never the whole run (issue 15, flat memory)
    case = store.cases_for(run_id, [case_id]).get(case_id)
    if case is None:
        return None
    hide = not store.unredacted(run_id)
    # the case's planted identity (names included) as well as identifier-shaped text
    show = redactor(case.gold) if hide else (lambda s: s)
    pid = case.parent_id
    parent = store.cases_for(run_id, [pid]).get(pid) if pid else None
    replies = store.replies_for(run_id, [case_id]).get(case_id, [])
    verdicts = store.all_verdicts_for(run_id, [case_id]).get(case_id, [])
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
