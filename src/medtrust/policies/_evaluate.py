"""Evaluate every rule on a run: pass / fail / not assessed, with evidence.

The compliance *axis* of the summary counts outputs, so it sits beside the other axes:
``n`` = exposed outputs checked by at least one applicable reply-level rule, ``failures`` =
those violating at least one, ``errors`` = exposed outputs with no usable reply, ``by_probe`` =
the same tally per rule id. ``by_regulation`` (the section's) counts, per regulation, the
outputs any of its reply-level rules checked, output rules included. Rule-level results
(including metric, declared and evidence rules, which have no per-output rate) go to the
summary's ``compliance`` section.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from medtrust.metrics import Tally
from medtrust.policies._accumulate import RuleOutputs, add_union
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
DEFINITION = (
    "compliance axis: n = outputs whose input carried identifiers and that at least one "
    "applicable reply-level rule checked; failures = outputs violating at least one such rule; "
    "by_probe = the same per rule id. Metric, declared-control, evidence and output rules "
    "(read from every reply: automated decisions, AI notices; each with its own % of outputs "
    "violating and interval) are listed in the compliance table, not counted in the axis. "
    "by_regulation: per regulation, outputs checked by at least one of its applicable "
    "reply-level rules (identifier and output rules); failures = outputs violating at least "
    "one of them."
)


@dataclass(kw_only=True)
class Compliance:
    """The axis entry (contract fields) and the ``compliance`` section of the summary."""

    axis: dict[str, Any]
    section: dict[str, Any]


def _judge_result(acc: RuleOutputs, check: JudgeCheck) -> tuple[Status, str, dict[str, Any]]:
    t, found = acc.tally, acc.found
    bad = acc.bad
    ev = {**t.as_dict(), "case_ids": bad[:MAX_CASE_IDS], "found": dict(found)}
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
    c: OutputCheck, facts: RunFacts, judged: RuleOutputs
) -> tuple[Status, str, dict[str, Any]]:
    """An output rule: observed from the replies, with the declared answer as second source."""
    from medtrust.policies._reply_rules import output_result

    answer = facts.declared.controls.get(c.declared_control or "")
    said = None if answer is None else {"answer": answer.answer, "evidence": answer.evidence}
    return output_result(judged, c, said)


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


@dataclass
class _ReplyLevel:
    """Every reply-level rule counted in one pass: judge checks by (judge, types), output
    checks by rule id, and the compliance axis's union (all live judge rules, and per
    regulation)."""

    by_key: dict[JudgeKey, RuleOutputs]
    by_output: dict[str, RuleOutputs]
    axis: Tally
    by_reg: dict[str, Tally]


def _reply_level(policies: PolicySet, facts: RunFacts, live: set[str]) -> _ReplyLevel:
    """Every reply-level rule (judge and output checks) over the run's outputs in ONE pass
    over ``facts.cases`` (issue 15: not one pass per rule, and running counts, not one
    judgement per output and rule; a store-backed view reads the run in windows). ``live``:
    the ids of the rules in force, whose judge checks make the compliance axis."""
    from medtrust.policies._reply_rules import judge_reply

    rules = policies.rules.values()
    checks = {_key(r.check): r.check for r in rules if isinstance(r.check, JudgeCheck)}
    outputs = {r.id: r.check for r in rules if isinstance(r.check, OutputCheck)}
    keyed = [(r.regulation, _key(r.check)) for r in rules
             if isinstance(r.check, JudgeCheck) and r.id in live]
    # a regulation's outputs are judged by ALL its live reply-level rules, output rules too
    # (GDPR Art. 22 reads every reply): its headline counts what its rule rows count
    out_keyed = [(r.regulation, r.id) for r in rules
                 if isinstance(r.check, OutputCheck) and r.id in live]
    out = _ReplyLevel(by_key={k: RuleOutputs() for k in checks},
                      by_output={rid: RuleOutputs() for rid in outputs}, axis=Tally(),
                      by_reg={reg: Tally() for reg, _ in [*keyed, *out_keyed]})
    if not checks and not outputs:
        return out
    judge = OutputJudge(list(checks.values()))
    for case in facts.cases:
        rs = facts.replies.get(case.id, [])
        now = dict(zip(checks, judge(case, rs, facts.verdicts.get(case.id)), strict=True))
        for key, j in now.items():
            if j is not None:
                out.by_key[key].add(j)
        add_union(out.axis, [j for _, k in keyed if (j := now[k]) is not None])
        seen: dict[str, OutputJudgement] = {}
        for rid, oc in outputs.items():
            judged = judge_reply(oc, case, rs)
            if judged is not None:
                out.by_output[rid].add(*judged)
                seen[rid] = judged[0]
        for reg, t in out.by_reg.items():
            add_union(t, _of_regulation(reg, keyed, now, out_keyed, seen))
    return out


def _of_regulation(
    reg: str,
    keyed: list[tuple[str, JudgeKey]],
    now: dict[JudgeKey, OutputJudgement | None],
    out_keyed: list[tuple[str, str]],
    seen: dict[str, OutputJudgement],
) -> list[OutputJudgement]:
    """One output's judgements by the regulation's judge rules (``now``, by judge key) and
    output rules (``seen``, by rule id)."""
    judged = [j for r, k in keyed if r == reg and (j := now[k]) is not None]
    return judged + [j for r, rid in out_keyed if r == reg and (j := seen.get(rid)) is not None]


def evaluate(policies: PolicySet, facts: RunFacts, *, as_of: date | None = None) -> Compliance:
    """Every enabled rule on the run; rules not in force on ``as_of`` (default: the run's date)
    are evaluated for readiness and listed apart, never counted."""
    day = as_of or facts.day
    applies = {rid: rule.applies_on(day) for rid, rule in policies.rules.items()}
    level = _reply_level(policies, facts, {rid for rid, (live, _) in applies.items() if live})
    rows: list[dict[str, Any]] = []
    later: list[dict[str, Any]] = []
    outputs: dict[str, RuleOutputs] = {}
    for rule in policies.rules.values():
        c = rule.check
        acc: RuleOutputs | None = None
        if isinstance(c, JudgeCheck):
            acc = level.by_key[_key(c)]
            status, reason, ev = _judge_result(acc, c)
        elif isinstance(c, MetricCheck):
            status, reason, ev = metric(c, facts)
        elif isinstance(c, DeclaredCheck):
            status, reason, ev = declared(c, facts)
        elif isinstance(c, OutputCheck):
            status, reason, ev = _output_rule(c, facts, level.by_output[rule.id])
        else:
            assert isinstance(c, EvidenceCheck)
            status, reason, ev = evidence(c, facts)
        live, why = applies[rule.id]
        row = _row(rule, status, reason, ev)
        if live:
            rows.append(row)
            if acc is not None:
                outputs[rule.id] = acc
        else:
            later.append({**row, "not_applicable": why})
    axis_tally = level.axis
    by_rule = {rid: acc.tally.as_dict() for rid, acc in outputs.items()}
    assessed = bool(axis_tally.n or axis_tally.errors)
    axis = {**axis_tally.as_dict(), "by_probe": by_rule if assessed else {}, "assessed": assessed}
    by_reg = {reg: level.by_reg[reg].as_dict() for reg in sorted(level.by_reg)}
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
