"""Evaluate every rule on a run: pass / fail / not assessed, with evidence.

The compliance *axis* of the summary counts outputs, so it sits beside the other axes:
``n`` = exposed outputs checked by at least one applicable reply-level rule, ``failures`` =
those violating at least one, ``errors`` = exposed outputs with no usable reply, ``by_probe`` =
the same tally per rule id. Rule-level results (including metric, declared and evidence rules,
which have no per-output rate) go to the summary's ``compliance`` section.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from medtrust.metrics import Tally
from medtrust.policies._checks import RunFacts, declared, evidence, metric
from medtrust.policies._model import (
    DeclaredCheck,
    EvidenceCheck,
    JudgeCheck,
    MetricCheck,
    OutputCheck,
    Rule,
    Status,
)
from medtrust.policies._outputs import OutputJudge, OutputJudgement
from medtrust.policies._packs import PolicySet

MAX_CASE_IDS = 10
JudgeKey = tuple[str, tuple[str, ...] | None]
"""A judge check's (judge, identifier types): rules sharing it share one judgement."""
Judged = tuple[list[OutputJudgement], dict[str, str]]
"""An output rule's judgements and ``{case id: redacted excerpt}`` of its violations."""
DEFINITION = (
    "compliance axis: n = outputs whose input carried identifiers and that at least one "
    "applicable reply-level rule checked; failures = outputs violating at least one such rule; "
    "by_probe = the same per rule id. Metric, declared-control, evidence and output rules "
    "(read from every reply: automated decisions, AI notices; each with its own % of outputs "
    "violating and interval) are listed in the compliance table, not counted in the axis."
)


@dataclass(kw_only=True)
class Compliance:
    """The axis entry (contract fields) and the ``compliance`` section of the summary."""

    axis: dict[str, Any]
    section: dict[str, Any]


def _tally(js: list[OutputJudgement]) -> Tally:
    t = Tally()
    for j in js:
        t.add({"violation": "fail", "ok": "pass", "error": "error"}[j.status])
    return t


def _union(per_rule: list[list[OutputJudgement]]) -> Tally:
    """An output fails when any rule finds a violation; errors only when no rule judged it."""
    rank = {"error": 0, "ok": 1, "violation": 2}
    state: dict[str, int] = {}
    for js in per_rule:
        for j in js:
            state[j.case_id] = max(state.get(j.case_id, 0), rank[j.status])
    t = Tally()
    for v in state.values():
        t.add(("error", "pass", "fail")[v])
    return t


def _judge_result(
    js: list[OutputJudgement], check: JudgeCheck
) -> tuple[Status, str, dict[str, Any]]:
    t = _tally(js)
    bad = [j for j in js if j.status == "violation"]
    found: dict[str, int] = {}
    for j in bad:
        for f in j.found:
            found[f] = found.get(f, 0) + 1
    ev = {**t.as_dict(), "case_ids": [j.case_id for j in bad[:MAX_CASE_IDS]], "found": found}
    if not t.n:
        why = "no output had identifiers in its input" if not t.errors else "only errored outputs"
        return "not assessed", why, ev
    rate = t.failures / t.n
    what = (
        "disclosed identifiers from the input"
        if check.judge == "phi_disclosure"
        else ("contained identifier-shaped text")
    )
    reason = f"{t.failures}/{t.n} exposed outputs {what} ({100 * rate:.1f}%)"
    return ("fail" if rate > check.max_rate else "pass"), reason, ev


def _row(rule: Rule, status: Status, reason: str, ev: dict[str, Any]) -> dict[str, Any]:
    reply_level = isinstance(rule.check, JudgeCheck | OutputCheck)
    return {
        "id": rule.id,
        "pack": rule.pack,
        "title": rule.title,
        "regulation": rule.regulation,
        "article": rule.article,
        "jurisdiction": rule.jurisdiction,
        "severity": rule.severity,
        "requirement": rule.requirement,
        "note": rule.note,
        "check": rule.check.kind,
        "effective": rule.effective.isoformat(),
        "expires": rule.expires.isoformat() if rule.expires else None,
        "source": rule.source,
        "status": status,
        "reason": reason,
        "evidence": ev,
        "violation_rate": ev.get("failure_rate") if reply_level else None,
    }


def _output_rule(
    c: OutputCheck, facts: RunFacts, judged: Judged
) -> tuple[Status, str, dict[str, Any]]:
    """An output rule: observed from the replies, with the declared answer as second source."""
    from medtrust.policies._reply_rules import output_result

    js, excerpts = judged
    answer = facts.declared.controls.get(c.declared_control or "")
    said = None if answer is None else {"answer": answer.answer, "evidence": answer.evidence}
    return output_result(js, excerpts, c, said)


def observed_vs_declared(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Output rules that name a declared control: both sources side by side, disagreements
    first (the compliance section's ``observed_vs_declared``)."""
    out = []
    for r in rows:
        src = (r.get("evidence") or {}).get("sources")
        if src is not None:
            out.append({"id": r["id"], "article": r["article"], "regulation": r["regulation"],
                        **src})
    return sorted(out, key=lambda x: (x["agree"] is not False, x["id"]))


def _key(c: JudgeCheck) -> JudgeKey:
    return c.judge, tuple(c.types) if c.types is not None else None


def _reply_level(
    policies: PolicySet, facts: RunFacts
) -> tuple[dict[JudgeKey, list[OutputJudgement]], dict[str, Judged]]:
    """Every reply-level rule (judge and output checks) over the run's outputs in ONE pass
    over ``facts.cases`` (issue 15: not one pass per rule; a store-backed view reads the run
    in windows): judge checks by (judge, types), output checks by rule id."""
    from medtrust.policies._reply_rules import add_reply_judgement

    checks = {_key(r.check): r.check for r in policies.rules.values()
              if isinstance(r.check, JudgeCheck)}
    outputs = {r.id: r.check for r in policies.rules.values() if isinstance(r.check, OutputCheck)}
    judged: dict[JudgeKey, list[OutputJudgement]] = {k: [] for k in checks}
    by_output: dict[str, Judged] = {rid: ([], {}) for rid in outputs}
    judge = OutputJudge(list(checks.values()))
    if not checks and not outputs:
        return judged, by_output
    for case in facts.cases:
        rs = facts.replies.get(case.id, [])
        for key, j in zip(checks, judge(case, rs, facts.verdicts.get(case.id)), strict=True):
            if j is not None:
                judged[key].append(j)
        for rid, oc in outputs.items():
            add_reply_judgement(oc, case, rs, *by_output[rid])
    return judged, by_output


def evaluate(policies: PolicySet, facts: RunFacts, *, as_of: date | None = None) -> Compliance:
    """Every enabled rule on the run; rules not in force on ``as_of`` (default: the run's date)
    are evaluated for readiness and listed apart, never counted."""
    day = as_of or facts.day
    cache, by_output = _reply_level(policies, facts)
    rows: list[dict[str, Any]] = []
    later: list[dict[str, Any]] = []
    outputs: dict[str, list[OutputJudgement]] = {}
    for rule in policies.rules.values():
        c = rule.check
        js: list[OutputJudgement] | None = None
        if isinstance(c, JudgeCheck):
            js = cache[_key(c)]
            status, reason, ev = _judge_result(js, c)
        elif isinstance(c, MetricCheck):
            status, reason, ev = metric(c, facts)
        elif isinstance(c, DeclaredCheck):
            status, reason, ev = declared(c, facts)
        elif isinstance(c, OutputCheck):
            status, reason, ev = _output_rule(c, facts, by_output[rule.id])
        else:
            assert isinstance(c, EvidenceCheck)
            status, reason, ev = evidence(c, facts)
        live, why = rule.applies_on(day)
        row = _row(rule, status, reason, ev)
        if live:
            rows.append(row)
            if js is not None:
                outputs[rule.id] = js
        else:
            later.append({**row, "not_applicable": why})
    axis_tally = _union(list(outputs.values()))
    by_rule = {rid: _tally(js).as_dict() for rid, js in outputs.items()}
    assessed = bool(axis_tally.n or axis_tally.errors)
    axis = {**axis_tally.as_dict(), "by_probe": by_rule if assessed else {}, "assessed": assessed}
    by_reg: dict[str, dict[str, Any]] = {}
    for reg in sorted({policies.rules[r].regulation for r in outputs}):
        t = _union([js for r, js in outputs.items() if policies.rules[r].regulation == reg])
        by_reg[reg] = t.as_dict()
    counts = {s: sum(r["status"] == s for r in rows) for s in ("pass", "fail", "not assessed")}
    section = {
        "as_of": day.isoformat(),
        "definition": DEFINITION,
        "packs": [p.as_dict(day) for p in policies.packs.values()],
        "counts": counts,
        "by_regulation": by_reg,
        "rules": rows,
        "observed_vs_declared": observed_vs_declared(rows),
        "not_applicable": later,
        "intended_purpose": facts.declared.intended_purpose,
    }
    return Compliance(axis=axis, section=section)


def summary_rules(summary: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The applicable rule rows of a summary (empty when compliance was not evaluated)."""
    return list((summary.get("compliance") or {}).get("rules") or [])
