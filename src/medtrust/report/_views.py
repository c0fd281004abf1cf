"""What the HTML and Markdown reports show, derived from the summary and the store.

Kept apart from the renderers so that both formats show the same rows: bars with intervals,
the worst failing cases beside their originals, fairness by group and attribution disparity.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from pydantic import BaseModel

from medtrust.metrics import SEVERITY
from medtrust.probes._glossary import define
from medtrust.records import AXES, Case, RunInfo, message_text
from medtrust.report._redact import redactor
from medtrust.store import Store
from medtrust.summary import AxisSummary, Rates, RiskSummary, RunSummary

MAX_EXAMPLES = 12


def content(messages: list[dict[str, Any]]) -> str:
    """The user-visible prompt (system messages left out)."""
    return "\n\n".join(
        message_text(m.get("content")) for m in messages if m.get("role") != "system"
    )


def _rates(e: object) -> Rates | None:
    """A tally from a model or a probe's extra figures (a mapping with the tally fields)."""
    if isinstance(e, Rates):
        return e
    if isinstance(e, BaseModel):
        e = e.model_dump()
    if not isinstance(e, Mapping):
        return None
    try:
        return Rates.model_validate(e)
    except ValueError:
        return None


def bars(entries: Mapping[str, object]) -> list[dict[str, Any]]:
    """Rows for a failure-rate bar chart: rate, Wilson interval, counts (entries without a
    rate or interval are left out)."""
    rows = []
    for name, raw in entries.items():
        e = _rates(raw)
        if e is None or e.failure_rate is None or not e.ci95:
            continue
        lo, hi = e.ci95
        rows.append(
            {
                "name": name,
                "rate": e.failure_rate,
                "lo": lo,
                "hi": hi,
                "label": f"{100 * e.failure_rate:.0f}% ({e.failures}/{e.n})",
            }
        )
    return rows


def risk_bars(risk: RiskSummary) -> list[dict[str, Any]]:
    """Rows for the per-axis risk chart (0-100 mapped to 0-1)."""
    rows = []
    for axis, r in risk.by_axis.items():
        lo, hi = r.ci95
        rows.append(
            {
                "name": axis if r.in_overall else f"{axis} (not in overall)",
                "rate": r.score / 100,
                "lo": lo / 100,
                "hi": hi / 100,
                "label": f"{r.score:.0f} {r.tier}",
            }
        )
    return rows


def fairness_view(axis: AxisSummary) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Flip rates by group and attribution disparity, from the fairness axis's extras.

    Groups: ``by_group`` (or ``flip_rate_by_group``) mapping group -> tally fields. Disparity:
    ``attribution_disparity`` mapping feature -> number or ``{value|disparity, ...}``.
    """
    entry = axis.extras
    groups = entry.get("by_group") or entry.get("flip_rate_by_group") or {}
    group_rows = bars(groups) if isinstance(groups, Mapping) else []
    disp = entry.get("attribution_disparity") or {}
    values: list[tuple[str, float]] = []
    if isinstance(disp, Mapping):
        for name, v in disp.items():
            value = v.get("value", v.get("disparity")) if isinstance(v, Mapping) else v
            if isinstance(value, int | float):
                values.append((str(name), float(value)))
    top = max((abs(v) for _, v in values), default=0.0) or 1.0
    disp_rows = [{"name": n, "value": v, "width": abs(v) / top} for n, v in values]
    return group_rows, disp_rows


def _answer(gold: Mapping[str, Any]) -> str:
    accept = gold.get("accept")
    if isinstance(accept, list | tuple):
        return ", ".join(str(a) for a in accept)
    if gold.get("expect"):
        return f"expected to {gold['expect']}"
    return str(accept) if accept is not None else ""


def failing_examples(
    store: Store,
    info: RunInfo,
    *,
    redact: bool,
    limit: int = MAX_EXAMPLES,
    summary: RunSummary | None = None,
) -> list[dict[str, Any]]:
    """The worst failures first, each beside its unmutated original when it has one.

    Worst = outputs violating a compliance rule, then failures by axis severity, one per
    operator before any repeats so that one operator does not fill the list.
    """
    cases = {c.id: c for c in store.cases(info.id)}
    verdicts = store.verdicts(info.id)
    replies = store.replies(info.id)

    def cleaner(case: Case | None) -> Callable[[str], str]:
        # each case's planted identity (names included) is hidden, not only shaped identifiers
        return redactor(case.gold if case else None) if redact else (lambda s: s)

    violating: dict[str, str] = {}
    for rule in summary.compliance.rules if summary else []:
        for cid in rule.evidence.get("case_ids") or []:
            violating.setdefault(cid, rule.id)
    failed = [c for c in cases.values() if (v := verdicts.get(c.id)) and v.outcome == "fail"]
    failed += [cases[cid] for cid in violating if cid in cases and cases[cid] not in failed]
    failed.sort(key=lambda c: (c.id not in violating, -SEVERITY.get(c.axis, 1.0)))
    seen: set[tuple[str, str]] = set()
    ordered = []
    for c in failed:
        if (c.axis, c.operator) not in seen:
            seen.add((c.axis, c.operator))
            ordered.append(c)
    ordered += [c for c in failed if c not in ordered]

    def first_reply(cid: str) -> str:
        rs = replies.get(cid, [])
        return cleaner(cases.get(cid))(rs[0].text or rs[0].error or "") if rs else ""

    out = []
    for c in ordered[:limit]:
        parent = cases.get(c.parent_id or "")
        v = verdicts.get(c.id)
        clean, clean_parent = cleaner(c), cleaner(parent)
        out.append(
            {
                "case_id": c.id,
                "axis": c.axis,
                "operator": c.operator,
                "rule": violating.get(c.id),
                "prompt": clean(content(c.messages)),
                "reply": first_reply(c.id),
                "answer": v.answer if v else None,
                "gold": clean(_answer(c.gold)),
                "original_prompt": clean_parent(content(parent.messages)) if parent else None,
                "original_reply": first_reply(parent.id) if parent else None,
                "original_answer": verdicts[parent.id].answer
                if parent and parent.id in verdicts
                else None,
            }
        )
    return out


UNDEFINED = "(no definition recorded)"


def glossary(summary: RunSummary, cases: list[Case]) -> list[dict[str, str]]:
    """Every probe and operator name the report shows, with its definition (issue 12, item 8).

    Names come from the summary's ``by_probe`` keys and from the run's cases (probe and
    operator of every case, which covers the failing examples); definitions from
    :mod:`medtrust.probes._glossary`, compliance rules from their policy pack. A name with no
    definition is listed as :data:`UNDEFINED` rather than hidden.
    """
    rules = {
        r.id: f"{r.title} ({r.regulation} {r.article}): {r.requirement}"
        for r in summary.compliance.rules
    }
    seen: dict[tuple[str, str], str] = {}

    def add(axis: str, name: str) -> None:
        if (axis, name) not in seen:
            text = rules.get(name) if axis == "compliance" else None
            seen[(axis, name)] = text or define(axis, name) or UNDEFINED

    for axis, entry in summary.axes.items():
        for name in entry.by_probe:
            add(axis, name)
    for c in cases:
        add(c.axis, c.probe)
        add(c.axis, c.operator)
    order = {a: i for i, a in enumerate(AXES)}
    return [
        {"axis": a, "name": n, "definition": d}
        for (a, n), d in sorted(seen.items(), key=lambda x: (order.get(x[0][0], 99), x[0][1]))
    ]
