"""What the HTML and Markdown reports show, derived from the summary and the store.

Kept apart from the renderers so that both formats show the same rows: bars with intervals,
the worst failing cases beside their originals, fairness by group and attribution disparity.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from pydantic import BaseModel

from medtrust.probes._glossary import define
from medtrust.records import AXES, Case
from medtrust.report._examples import MAX_EXAMPLES, content, failing_examples
from medtrust.summary import AxisSummary, Rates, RiskSummary, RunSummary

__all__ = ["MAX_EXAMPLES", "content", "failing_examples"]  # re-exported: now in _examples


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


def _flip_rates(entry: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """``{attribute=value: tally}`` from the counterfactual probe's ``flip_rates`` rows
    (``{attribute, value, n, flips, rate, ci95, errors}``, under its probe-keyed block)."""
    out: dict[str, dict[str, Any]] = {}
    for block in entry.values():
        rows = block.get("flip_rates") if isinstance(block, Mapping) else None
        for r in rows if isinstance(rows, list) else ():
            if isinstance(r, Mapping) and {"attribute", "value", "n", "flips"} <= set(r):
                out[f"{r['attribute']}={r['value']}"] = {
                    "n": r["n"], "failures": r["flips"], "failure_rate": r.get("rate"),
                    "ci95": r.get("ci95"), "errors": r.get("errors", 0), "error_rate": None,
                }  # fmt: skip
    return out


def fairness_view(axis: AxisSummary) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Flip rates by group and attribution disparity, from the fairness axis's extras.

    Groups: ``by_group`` (or ``flip_rate_by_group``) mapping group -> tally fields. Disparity:
    ``attribution_disparity`` mapping feature -> number or ``{value|disparity, ...}``.
    """
    entry = axis.extras
    groups = entry.get("by_group") or entry.get("flip_rate_by_group") or _flip_rates(entry)
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


def error_split(summary: RunSummary) -> dict[str, int]:
    """Why the run's judged cases could not be scored: the axes' ``error_reasons`` (the
    judge's reason: ``target error``, ``unreadable reply``, or why the judge could not decide)
    added up, largest first. Compliance re-reads the probes' outputs, so it adds nothing."""
    out: dict[str, int] = {}
    for axis, e in summary.axes.items():
        if axis != "compliance":
            for why, n in (e.error_reasons or {}).items():
                out[why] = out.get(why, 0) + n
    return dict(sorted(out.items(), key=lambda kv: (-kv[1], kv[0])))


def error_line(summary: RunSummary) -> str | None:
    """The run's errors in words, e.g. ``1 of 77 judged cases could not be scored (1.3%):
    no absolute dose stated 1`` (None: nothing was judged). An error is a failed target call,
    an unreadable reply or a verdict the judge could not reach: never a pass or a failure."""
    if summary.error_rate is None:
        return None
    split = error_split(summary)
    why = ", ".join(f"{k} {v}" for k, v in split.items())
    return (
        f"{summary.errors} of {summary.calls} judged cases could not be scored "
        f"({100 * summary.error_rate:.1f}%)" + (f": {why}" if why else "")
    )


UNDEFINED = "(no definition recorded)"


def glossary(summary: RunSummary, cases: Iterable[Case]) -> list[dict[str, str]]:
    """Every probe and operator name the report shows, with its definition (issue 12, item 8).

    Names come from the summary's ``by_probe`` keys and from the run's cases (probe and
    operator of every case, which covers the failing examples; a stream such as
    ``Store.iter_cases`` is read once); definitions from
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
