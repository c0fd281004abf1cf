"""What the reports show of issue 18's figures, read from the summary (nothing computed here):
sentence attributions beside the failing cases they explain, compliance observed in the replies
beside what was declared, and what clinician feedback changed in generation.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from medtrust.summary import RunSummary

EXPLANATION_OPERATORS = ("occlude:", "coalition:")
"""Follow-up cases that explain a flip or failure: shown as attributions, never as failures."""
TOP_SENTENCES = 3


def _extras(summary: RunSummary) -> Iterator[tuple[str, Mapping[str, Any]]]:
    """(axis, mapping) for every axis's extras and each probe-keyed block inside them."""
    for axis, entry in summary.axes.items():
        extras = entry.extras
        yield axis, extras
        for value in extras.values():
            if isinstance(value, Mapping):
                yield axis, value


def attribution_rows(summary: RunSummary) -> dict[str, dict[str, Any]]:
    """``{explained case id: row}`` from every axis's ``attributions`` (fairness, robustness),
    each row trimmed to its top sentences by |Shapley| (else |occlusion|)."""
    out: dict[str, dict[str, Any]] = {}
    for _, block in _extras(summary):
        att = block.get("attributions")
        if not isinstance(att, Mapping):
            continue
        for row in att.get("rows") or []:
            def weight(s: Mapping[str, Any]) -> float:
                w = s.get("shapley") if s.get("shapley") is not None else s.get("occlusion")
                return abs(float(w)) if w is not None else -1.0

            top = sorted(row["sentences"], key=weight, reverse=True)[:TOP_SENTENCES]
            out[str(row["variant"])] = {**row, "top": top}
    return out


def feedback_notes(summary: RunSummary) -> list[dict[str, Any]]:
    """One entry per probe whose generation clinician feedback changed (``run --from-feedback``):
    the note, the weights and how many new items matched."""
    out = []
    for axis, block in _extras(summary):
        fb = block.get("feedback")
        if isinstance(fb, Mapping) and fb.get("note"):
            out.append({"axis": axis, **fb})
    return out


def observed_vs_declared(summary: RunSummary) -> list[dict[str, Any]]:
    """The compliance section's output rules with their declared counterpart."""
    rows = (summary.compliance.model_extra or {}).get("observed_vs_declared") or []
    return [dict(r) for r in rows if isinstance(r, Mapping)]


def md_lines(summary: RunSummary) -> list[str]:
    """Markdown for the three parts (empty when the run has none of them)."""
    lines: list[str] = []
    pairs = observed_vs_declared(summary)
    if pairs:
        lines += ["", "## Compliance observed in the replies vs declared", "",
                  "| rule | observed (replies) | declared | agree |", "|---|---|---|---|"]
        for p in pairs:
            obs, dec = p["observed"], p["declared"]
            said = "unanswered" if dec["answer"] is None else ("yes" if dec["answer"] else "no")
            agree = {True: "yes", False: "**no**", None: "n/a"}[p["agree"]]
            lines.append(f"| {p['id']} | {obs['status']} | {dec['control']}: {said} | {agree} |")
    rows = attribution_rows(summary)
    if rows:
        lines += ["", "## Why the failing cases failed (sentence attributions)", ""]
        for cid, row in rows.items():
            lines.append(f"- case {cid} ({row['attribute']}"
                         f"{'=' + str(row['value']) if row.get('value') else ''}, answered "
                         f"{row['answer']}; Shapley {row['method']}, budget {row['budget']}):")
            for s in row["top"]:
                lines.append(f"  - {s['shapley'] if s['shapley'] is not None else 'n/a'} "
                             f"(occlusion {s['occlusion']}): {s['text']}")
    for fb in feedback_notes(summary):
        lines += ["", f"**Clinician feedback ({fb['axis']})**: {fb['note']}."]
    return lines
