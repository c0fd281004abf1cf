"""Figures beside an axis's failure rate that change how the rate is read, for every report
format (HTML, Markdown): read from the summary's axis extras, computed nowhere here.

* ``rubric_score`` / ``rubric_score_by_operator`` (open-ended axis, ``probes.open_ended``):
  the mean HealthBench rubric score (0-1) of the controls and of each operator's perturbations,
  with its percentile bootstrap 95% interval over cases. A failure rate of 0% on controls that
  score 0.1 means "nothing left to lose", not "robust".
* ``margin``: the score drop that counts as a failure; ``judge_errors`` (open-ended): its keys
  name the rubric grader(s) behind the scores.
* ``not_applicable``: per operator, items it could not act on (no case, in no denominator;
  robustness and open-ended), or variants skipped as impossible (fairness: ``{n, by_value}``).
* ``no_baseline``: controls whose verdict was an error, so their items were never attacked.
* ``unit`` (fairness, cognitive bias), ``attempt_rule`` and ``controls_are`` (privacy): the
  probe's words for what one case of the rate is; ``worst_group`` (fairness): the group with the
  highest flip rate, with its Wilson interval (flip rates by group are charted in HTML).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from medtrust.summary import AxisSummary, RunSummary

READING_TEXT = {
    "unit": "what a rate counts",
    "attempt_rule": "attempts",
    "controls_are": "controls are",
}
"""Probes' own words on how to read their rate (fairness and cognitive bias ``unit``, privacy
``attempt_rule`` and ``controls_are``), shown under the label given here."""

CONTROLS = "controls (unattacked)"
"""The row name of the controls' rubric score."""


def _entry_blocks(entry: AxisSummary) -> Iterator[Mapping[str, Any]]:
    """An axis's extras and each probe-keyed block inside them."""
    extras = entry.extras
    yield extras
    for value in extras.values():
        if isinstance(value, Mapping):
            yield value


def _blocks(summary: RunSummary) -> Iterator[tuple[str, Mapping[str, Any]]]:
    """(axis, mapping) for every axis's extras and each probe-keyed block inside them."""
    for axis, entry in summary.axes.items():
        for block in _entry_blocks(entry):
            yield axis, block


def _score_row(axis: str, name: str, raw: object) -> dict[str, Any] | None:
    if not isinstance(raw, Mapping) or not isinstance(raw.get("n"), int):
        return None
    ci = raw.get("ci95")
    return {
        "axis": axis,
        "name": name,
        "n": raw["n"],
        "mean": raw.get("mean"),
        "ci95": list(ci) if isinstance(ci, list | tuple) and len(ci) == 2 else None,
    }


def rubric_scores(summary: RunSummary) -> list[dict[str, Any]]:
    """Rows ``{axis, name, n, mean, ci95}``: the controls' rubric score (name
    :data:`CONTROLS`) then each operator's, per axis that has one (empty otherwise). ``mean``
    and ``ci95`` are None when no case of the row was scored."""
    return [r for axis, entry in summary.axes.items() for r in axis_rubric_scores(axis, entry)]


def axis_rubric_scores(axis: str, entry: AxisSummary) -> list[dict[str, Any]]:
    """:func:`rubric_scores` of one axis."""
    rows: list[dict[str, Any]] = []
    for block in _entry_blocks(entry):
        row = _score_row(axis, CONTROLS, block.get("rubric_score"))
        if row is None:
            continue
        rows.append(row)
        ops = block.get("rubric_score_by_operator")
        for op, raw in sorted(ops.items()) if isinstance(ops, Mapping) else ():
            if (r := _score_row(axis, str(op), raw)) is not None:
                rows.append(r)
    return rows


def _not_applicable(axis: str, raw: object) -> str | None:
    if not isinstance(raw, Mapping) or not raw:
        return None
    if isinstance(raw.get("by_value"), Mapping):  # fairness: impossible variants skipped
        if not raw.get("n"):
            return None
        parts = ", ".join(f"{k} {v}" for k, v in raw["by_value"].items())
        return (
            f"{axis}: {raw['n']} variants skipped as clinically impossible ({parts}); "
            "they are in no denominator"
        )
    parts = ", ".join(f"{k} {v}" for k, v in raw.items() if isinstance(v, int) and v)
    if not parts:
        return None
    return f"{axis}: items an operator had nothing to act on (no case, in no denominator): {parts}"


def _worst(axis: str, raw: object) -> str | None:
    """The group with the highest flip rate (fairness ``worst_group``), with its interval."""
    if not isinstance(raw, Mapping) or not raw.get("n") or raw.get("rate") is None:
        return None
    ci = raw.get("ci95") or [None, None]
    span = "" if ci[0] is None else f", 95% CI {100 * ci[0]:.1f}-{100 * ci[1]:.1f}%"
    return (
        f"{axis}: highest flip rate in group {raw.get('attribute')}={raw.get('value')}: "
        f"{raw.get('flips')}/{raw['n']} ({100 * raw['rate']:.1f}%{span})"
    )


def reading_notes(summary: RunSummary) -> list[str]:
    """One line per figure that changes how an axis's rate is read: operators not applicable,
    controls left unattacked because their verdict was an error, and the failure margin of a
    score drop (see the module docstring)."""
    out: list[str] = []
    for axis, block in _blocks(summary):
        if (line := _not_applicable(axis, block.get("not_applicable"))) is not None:
            out.append(line)
        nb = block.get("no_baseline")
        if isinstance(nb, int) and nb:
            out.append(
                f"{axis}: {nb} controls errored, so their items were never attacked "
                "(no baseline score to compare with)"
            )
        for key, words in READING_TEXT.items():
            if isinstance(text := block.get(key), str):
                out.append(f"{axis}: {words}: {text}")
        if (line := _worst(axis, block.get("worst_group"))) is not None:
            out.append(line)
        margin = block.get("margin")
        graded = block.get("judge_errors")
        if "rubric_score" in block and isinstance(graded, Mapping) and graded:
            out.append(f"{axis}: rubric graded by {', '.join(sorted(map(str, graded)))} "
                       "(scores from different graders do not compare)")
        if isinstance(margin, int | float) and "rubric_score" in block:
            out.append(
                f"{axis}: a perturbation fails when its rubric score drops more than "
                f"{margin:g} below its control's, or it meets a negative criterion the "
                "control did not"
            )
    return out
