"""Checks that read the run summary, the declarations or the store, not individual replies.

Each returns ``(status, reason, evidence)``. The rule is: no evidence, no pass. An axis the run
did not assess, an unanswered control or a missing interval is "not assessed".
"""

from __future__ import annotations

import heapq
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from medtrust.config import Declarations
from medtrust.policies._model import DeclaredCheck, EvidenceCheck, MetricCheck, Status
from medtrust.records import Case, Reply, Verdict

Result = tuple[Status, str, dict[str, Any]]


@dataclass(kw_only=True)
class RunFacts:
    """Everything the checks may read about one run."""

    run_id: str
    status: str
    day: date
    cases: Sequence[Case]
    replies: Mapping[str, Sequence[Reply]]
    verdicts: Mapping[str, Verdict]
    axes: Mapping[str, Mapping[str, Any]]
    declared: Declarations = field(default_factory=Declarations)
    audit: tuple[bool, str] | None = None
    """``(signed roots verify, detail)`` from the audit trail, or None when it is unavailable."""
    logging: LoggingGaps | None = None
    """The ``logging`` evidence's counts when the caller already counted them (None: the
    first rule that needs them passes over ``cases`` once)."""


def _dig(obj: Mapping[str, Any], path: str) -> tuple[Any, Mapping[str, Any] | None]:
    parent: Mapping[str, Any] | None = None
    cur: Any = obj
    for part in path.split("."):
        if not isinstance(cur, Mapping) or part not in cur:
            return None, None
        parent, cur = cur, cur[part]
    return cur, parent


def metric(check: MetricCheck, facts: RunFacts) -> Result:
    """Compare ``axes.AXIS.FIELD`` (or a bound of the interval beside it) with the threshold.

    The evidence's ``n`` (and ``failures``) are those of the mapping that holds the field: a
    rule on ``controls.accuracy`` reads the controls' own n, not the axis's (issue 12), and is
    assessed whenever a control was scored, also when none was answered correctly (accuracy 0
    fails a ``min`` rule; it is not "not assessed"). A rule on a rate of an axis that is not
    informative (controls at chance) is not assessed: the rate of a guessing target is no
    evidence either way; rules on the controls themselves still apply.
    """
    entry = facts.axes.get(check.axis, {})
    bound = f"max {check.max:g}" if check.max is not None else f"min {check.min:g}"
    ev: dict[str, Any] = {"axis": check.axis, "field": check.field, "use": check.use}
    ev["threshold"] = bound
    if not entry.get("assessed") and not check.field.startswith("controls."):
        # assessed: the axis scored something; its controls may be scored without it (n below)
        return "not assessed", f"{check.axis} was not assessed in this run", ev
    value, parent = _dig(entry, check.field)
    holder = parent if parent is not None else entry
    n = holder.get("n")
    where = check.axis if holder is entry else f"{check.axis}.{check.field.rpartition('.')[0]}"
    if not n:
        return "not assessed", f"{where} has no scored cases in this run (n=0)", ev
    if isinstance(value, bool) or not isinstance(value, int | float):
        return "not assessed", f"{check.axis}.{check.field} is not in this run's results", ev
    on_controls = check.field.startswith("controls.")
    if entry.get("informative") is False and not on_controls:
        return "not assessed", f"{check.axis} is not assessable: {entry.get('note')}", ev
    ci = holder.get("ci95")
    ev.update(value=value, ci95=ci, n=n, failures=holder.get("failures"))
    if on_controls:
        ev["correct"] = holder.get("correct")
    compared = float(value)
    if check.use != "estimate":
        if not ci:
            return "not assessed", f"{check.axis}.{check.field} has no interval", ev
        compared = float(ci[1] if check.use == "ci_upper" else ci[0])
    ev["compared"] = compared
    what = f"{check.axis} {check.field}" + ("" if check.use == "estimate" else f" ({check.use})")
    breached = (check.max is not None and compared > check.max) or (
        check.min is not None and compared < check.min
    )
    rel = (">" if check.max is not None else "<") if breached else "within"
    reason = f"{what} {compared:.3g} {rel} {bound} (n={n})"
    return ("fail" if breached else "pass"), reason, ev


def declared(check: DeclaredCheck, facts: RunFacts) -> Result:
    """The user's answer to the control's question; unanswered is not assessed."""
    ans = facts.declared.controls.get(check.control)
    question = " ".join(check.question.split())
    ev: dict[str, Any] = {"control": check.control, "question": question}
    if ans is None:
        return "not assessed", f"control {check.control!r} unanswered: {question}", ev
    ev.update(answer=ans.answer, evidence=ans.evidence)
    said = "yes" if ans.answer else "no"
    reason = f"declared {said}" + (f" ({ans.evidence})" if ans.evidence else "")
    return ("pass" if ans.answer == check.expect else "fail"), reason, ev


def documentation_gaps(
    status: str, n_cases: int, axes: Mapping[str, Mapping[str, Any]]
) -> list[str]:
    """What the testing part of the technical documentation would lack for this run."""
    gaps = []
    if status != "done":
        gaps.append(f"run not finished ({status})")
    if not n_cases:
        gaps.append("no cases stored")
    if not tested_axes(axes):
        gaps.append("no axis produced informative scored results")
    return gaps


def tested_axes(axes: Mapping[str, Mapping[str, Any]]) -> list[str]:
    """The axes a run can be said to have tested: assessed, with scored cases, and informative.

    An axis whose baseline is not informative (controls at chance or at the floor: the target
    could not do the task, so an attack could not lower it) produced no measurement, the same
    rule by which the gate and the risk score leave it out; saying it was "tested with
    intervals" would pass a regulation's testing duty on a run that measured nothing.
    """
    return [
        a for a, e in axes.items()
        if e.get("assessed") and e.get("n") and e.get("informative") is not False
    ]  # fmt: skip


@dataclass
class _Smallest:
    """How many ids were seen and the ``keep`` smallest of them (a bounded ``sorted()[:keep]``)."""

    keep: int = 10
    n: int = 0
    ids: list[str] = field(default_factory=list)

    def add(self, case_id: str) -> None:
        self.n += 1
        self.ids = heapq.nsmallest(self.keep, [*self.ids, case_id])

    def __bool__(self) -> bool:
        return self.n > 0

    def __iter__(self) -> Iterator[str]:
        return iter(self.ids)


@dataclass
class LoggingGaps:
    """What the ``logging`` evidence reads, counted case by case (so that a caller already
    passing over the run, e.g. the summary, counts it there): answered cases (any stored
    reply, errors included), cases with an output (a reply with text: what the rule says is
    recorded), answered cases without a verdict and verdicts without replies (the 10 smallest
    ids of each kept)."""

    answered: int = 0
    outputs: int = 0
    unjudged: _Smallest = field(default_factory=_Smallest)
    orphans: _Smallest = field(default_factory=_Smallest)

    def add(self, case_id: str, has_reply: bool, has_verdict: bool, *, has_output: bool) -> None:
        """Count one case of the run (``has_output``: one of its replies has text)."""
        self.answered += has_reply
        self.outputs += has_output
        if has_reply and not has_verdict:
            self.unjudged.add(case_id)
        elif has_verdict and not has_reply:
            self.orphans.add(case_id)


def has_output(replies: Sequence[Reply]) -> bool:
    """Whether any of a case's replies is an output: a call that returned non-blank text (an
    error or a blank reply records a call, not an output anyone could read)."""
    return any(r.ok and bool(r.text and r.text.strip()) for r in replies)


def _logging_gaps(facts: RunFacts) -> LoggingGaps:
    """The caller's logging counts when it gave them, else one pass over the run's cases (a
    store-backed view loads each window's replies and verdicts)."""
    gaps = facts.logging
    if gaps is None:
        gaps = LoggingGaps()
        for c in facts.cases:
            rs = facts.replies.get(c.id) or ()
            has_verdict = facts.verdicts.get(c.id) is not None
            gaps.add(c.id, bool(rs), has_verdict, has_output=has_output(rs))
        facts.logging = gaps  # several rules read it: one pass
    return gaps


def evidence(check: EvidenceCheck, facts: RunFacts) -> Result:
    """Evidence the stored run shows by itself (see each branch for what it proves)."""
    if check.evidence == "risk_assessed":
        done = tested_axes(facts.axes)
        if not done:
            why = "no axis produced informative scored results"
            if idle := [a for a, e in facts.axes.items() if e.get("informative") is False]:
                why += f" ({', '.join(idle)} not informative)"
            return "not assessed", why, {"axes": []}
        return "pass", f"tested with intervals on {', '.join(done)}", {"axes": done}
    if check.evidence == "documentation":
        gaps = documentation_gaps(facts.status, len(facts.cases), facts.axes)
        reason = "; ".join(gaps) if gaps else "testing documentation generable (medtrust docs)"
        return ("fail" if gaps else "pass"), reason, {"gaps": gaps}
    # logging: every answered case has a verdict, every verdict has the replies it judged.
    logged = _logging_gaps(facts)
    answered, unjudged, orphans = logged.answered, logged.unjudged, logged.orphans
    ev: dict[str, Any] = {
        "cases_with_replies": answered,
        "cases_with_outputs": logged.outputs,
        "unjudged": sorted(unjudged)[:10],
        "verdicts_without_replies": sorted(orphans)[:10],
        "audit_chain": None if facts.audit is None else facts.audit[0],
        "audit_detail": None if facts.audit is None else facts.audit[1],
    }
    problems = []
    if unjudged:
        problems.append(f"{unjudged.n} answered cases have no verdict")
    if orphans:
        problems.append(f"{orphans.n} verdicts have no stored replies")
    if facts.audit is not None and not facts.audit[0]:
        problems.append(f"signed audit roots do not verify: {facts.audit[1]}")
    if not answered:
        return "not assessed", "no replies stored", ev
    if problems:
        return "fail", "; ".join(problems), ev
    if not logged.outputs:  # only failed calls were recorded: no output whose logging to check
        return "not assessed", f"no outputs: all {answered} answered cases are errors", ev
    chain = (
        "signed audit roots verify (byte-level check: medtrust audit verify)"
        if facts.audit
        else "audit trail unavailable"
    )
    return "pass", f"{logged.outputs} outputs and their verdicts persisted; {chain}", ev
