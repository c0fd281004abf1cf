"""Axis entries: each probe's tally merged into its axis, the controls, whether the axis's
baseline is informative, and the compliance axis (the policy tally) beside them."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from medtrust.metrics import Tally, chance_note, error_share
from medtrust.probes import Probe, ProbeSummary
from medtrust.probes._guard import summary_of
from medtrust.records import AXES, Case, Verdict
from medtrust.summary._models import AxisSummary, ControlsSummary, ProbeEntry, Rates
from medtrust.summary._pass import AxisCalls, RunPass


def error_rate(errors: int, calls: int) -> float | None:
    """``errors / calls`` rounded to 6 places (None when nothing was judged)."""
    share = error_share(errors, calls)
    return None if share is None else round(share, 6)


def _r6(x: float) -> float:
    return round(x, 6)


def controls_summary(controls: Tally, options: float | None) -> ControlsSummary:
    """Controls as accuracy: ``1 - failure_rate`` with the mirrored Wilson interval."""
    c = controls.as_dict()
    ci = c["ci95"]
    return ControlsSummary(
        n=controls.n,
        correct=controls.n - controls.failures,
        errors=controls.errors,
        error_rate=c["error_rate"],
        accuracy=None if c["failure_rate"] is None else _r6(1 - c["failure_rate"]),
        ci95=None if ci is None else [_r6(1 - ci[1]), _r6(1 - ci[0])],
        chance=None if options is None else _r6(1 / options),
        options=None if options is None else round(options, 2),
    )


def baseline_note(s: ProbeSummary, options: float | None) -> str | None:
    """Why the probe's rate is not informative, or None.

    Where the controls are multiple choice, the generic rule of
    :func:`medtrust.metrics.chance_note` (95% Wilson interval of control accuracy includes
    1/options, or fewer than 10 correct controls); then the probe's own objection
    (:attr:`ProbeSummary.note`, e.g. a constant answer). Probes with no multiple-choice controls
    (privacy's appropriate-recipient controls, hallucination and fidelity, which have none)
    have no chance rate: the notion does not apply to them.
    """
    notes = []
    c = s.controls
    # A probe that counts no control (e.g. fairness triage, which has no gold) has no accuracy
    # to compare with chance; one whose controls all errored has nothing to stand on.
    if c is not None and options is not None and (c.n or c.errors):
        note = chance_note(c.n - c.failures, c.n, 1 / options, round(options, 2))
        if note:
            notes.append(note)
    if s.note:
        notes.append(s.note)
    return "; ".join(notes) or None


def _with_errors(entry: AxisSummary, calls: AxisCalls) -> AxisSummary:
    """Errors over calls (controls included) and, where any errored, why."""
    entry.errors, entry.calls = calls.errors, calls.calls
    entry.error_rate = error_rate(calls.errors, calls.calls)
    if calls.reasons:
        entry.error_reasons = dict(sorted(calls.reasons.items(), key=lambda kv: -kv[1]))
        entry.error_examples = list(calls.examples)
    return entry


ProbeRows = Callable[[Probe], tuple[Sequence[Case], Mapping[str, Verdict]]]
"""A probe -> (its cases, their verdicts by case id), as ``Probe.summarize`` takes them: the
store-backed views of ``medtrust.engine.probe_views`` (bounded memory), or in-memory rows."""


def axis_summary(
    axis: str,
    plist: Sequence[Probe],
    rows: ProbeRows,
    counted: RunPass,
) -> AxisSummary:
    """One axis: its probes' tallies merged, ``by_probe`` (operator keys, prefixed with the
    probe name when the axis has several probes), controls, informative/note and errors.
    ``rows(p)`` gives each probe's cases and verdicts."""
    total, controls = Tally(), Tally()
    by_probe: dict[str, ProbeEntry] = {}
    extra: dict[str, Any] = {}
    notes: list[str] = []
    option_counts: list[float] = []
    axis_probes = [p for p in plist if p.axis == axis]
    for p in axis_probes:
        s = summary_of(p, *rows(p))  # a crashing probe: one line naming it
        opts = counted.chance_options(p.name)
        note = baseline_note(s, opts)
        if note:
            notes.append(note if len(axis_probes) == 1 else f"{p.name}: {note}")
        if opts is not None:
            option_counts.append(opts)
        total = total.merge(s.total)
        if s.controls is not None:
            controls = controls.merge(s.controls)
        for op, tally in sorted(s.by_operator.items()):
            key = op if len(axis_probes) == 1 else f"{p.name}:{op}"
            by_probe[key] = ProbeEntry(**tally.as_dict(), informative=note is None, note=note)
        extra.update(s.extra or {})
    options = sum(option_counts) / len(option_counts) if option_counts else None
    fields: dict[str, Any] = {
        **Rates.of(total).model_dump(),
        "by_probe": by_probe,
        "informative": not notes,
        "note": "; ".join(notes) or None,
        # one definition, read by every renderer and the gate: something on the axis was scored
        "assessed": total.n > 0,
        "controls": controls_summary(controls, options) if axis_probes else None,
    }
    entry = AxisSummary.model_validate({**fields, **extra})  # a probe's figure may refine one
    return _with_errors(entry, counted.axis(axis))


def axis_summaries(
    plist: Sequence[Probe], rows: ProbeRows, counted: RunPass
) -> dict[str, AxisSummary]:
    """One entry per axis of :data:`medtrust.records.AXES` (in that order), then any axis a
    probe declares beyond them, so that a new axis is reported rather than dropped."""
    names = list(AXES) + sorted({p.axis for p in plist} - set(AXES))
    return {a: axis_summary(a, plist, rows, counted) for a in names}


def compliance_axis(probes_entry: AxisSummary, policy: Mapping[str, Any]) -> AxisSummary:
    """The compliance axis: the policy tally (outputs read by reply-level rules; errors over
    the outputs it read), plus the tally of probes on the compliance axis if any."""
    rates = Rates.model_validate({k: policy[k] for k in Rates.model_fields})
    by_probe = {
        k: ProbeEntry(**Rates.model_validate(v).model_dump())
        for k, v in (policy.get("by_probe") or {}).items()
    }
    calls = rates.n + rates.errors
    if not probes_entry.assessed:
        return AxisSummary(
            **{**rates.model_dump(), "error_rate": error_rate(rates.errors, calls)},
            by_probe=by_probe,
            calls=calls,
            assessed=rates.n > 0,
        )
    merged = Rates.of(probes_entry.tally().merge(rates.tally()))
    return probes_entry.model_copy(
        update={**merged.model_dump(), "by_probe": {**probes_entry.by_probe, **by_probe}}
    )
