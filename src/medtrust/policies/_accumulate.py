"""Reply-level rules counted as the run streams past (issue 15: flat memory).

A run of a million outputs judged by several rules would otherwise keep a million judgements per
rule. What the rule rows and the compliance axis read is a tally, the first few violating case
ids (with their excerpts) and how often each identifier type was found; the axis's union over
rules is taken case by case, since every rule judges an output at the same point of the pass.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from medtrust.metrics import Tally
from medtrust.policies._outputs import OutputJudgement

KEEP = 10
"""Violating case ids (and excerpts) kept per rule: the evidence shows the first ones."""
OUTCOME = {"violation": "fail", "ok": "pass", "error": "error"}
RANK = {"error": 0, "ok": 1, "violation": 2}


@dataclass
class RuleOutputs:
    """One rule's judgements so far: ``tally`` (violation = failure, error apart), the first
    :data:`KEEP` violating case ids in run order (``bad``) with their ``excerpts`` (output
    rules), and ``found``: violations per identifier type (each violation counts every type
    it found)."""

    tally: Tally = field(default_factory=Tally)
    bad: list[str] = field(default_factory=list)
    excerpts: dict[str, str] = field(default_factory=dict)
    found: dict[str, int] = field(default_factory=dict)

    def add(self, j: OutputJudgement, excerpt: str | None = None) -> None:
        """Count one output's judgement (``excerpt``: the violation's redacted excerpt)."""
        self.tally.add(OUTCOME[j.status])
        if j.status != "violation":
            return
        for f in j.found:
            self.found[f] = self.found.get(f, 0) + 1
        if len(self.bad) < KEEP:
            self.bad.append(j.case_id)
            if excerpt is not None:
                self.excerpts[j.case_id] = excerpt


def add_union(tally: Tally, judged: list[OutputJudgement]) -> None:
    """Count one output under several rules: it fails when any rule finds a violation, is an
    error only when every rule that judged it errored (nothing: no rule judged it)."""
    if judged:
        tally.add(("error", "pass", "fail")[max(RANK[j.status] for j in judged)])
