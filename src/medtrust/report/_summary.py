"""The run JSON summary (public contract): axes with n, failures, rate, ci95, errors, by_probe.

Errors: an axis's ``errors`` are its judged cases whose verdict is an error (target failure,
unreadable reply, unreadable judge reply), controls included; ``calls`` are all its judged
cases (a case asked with k samples is one call) and ``error_rate = errors / calls`` (None when
nothing was judged). ``by_probe`` and ``controls`` entries count errors in their own units
(``error_rate = errors / (n + errors)``). The run's ``errors``, ``calls`` and ``error_rate`` do
the same over every judged case; ``warnings`` lists error rates above 10% and axes that are not
informative. ``informative`` is false, with a ``note``, when the axis's controls are at chance
(see ``_baseline_note``); such an axis is left out of the risk score. ``cached_replies`` of
``replies`` were served from the response cache.

Beyond the contract: ``compliance`` (every applicable policy rule with its evidence; the
compliance axis counts the outputs those rules judged), ``risk`` with a bootstrap interval and
per-axis risk, ``trust`` (the trust score T over the run's stored clinician reviews) and
``judges`` (each judge's agreement with clinicians across reviewed runs; a judge below the
threshold is ``trusted: false``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from medtrust.config import Declarations
from medtrust.metrics import (
    RESAMPLES,
    ReviewScores,
    Tally,
    chance_note,
    error_share,
    risk_score,
    trust_score,
)
from medtrust.probes import Probe, ProbeSummary
from medtrust.records import AXES, Case, Reply, RunInfo, Verdict
from medtrust.store import Store

if TYPE_CHECKING:
    from medtrust.policies import PolicySet

SCHEMA_VERSION = 1


ERROR_WARN = 0.1
"""Terminal and reports warn when an axis's (or the run's) error rate exceeds this share."""


def _chance(probe: str, cases: Sequence[Case], verdicts: Mapping[str, Verdict]) -> float | None:
    """Mean option count of the probe's multiple-choice controls (None: not MC).

    Taken over the scored controls; when every control errored, over all of them, so that a
    target no reader could follow is "not informative" (no control answered), never silently
    informative because its errors hid that the controls were multiple choice.
    """
    mc = [
        c
        for c in cases
        if c.probe == probe
        and c.role == "control"
        and isinstance(c.gold.get("options"), Mapping)
        and c.gold["options"]
        and c.id in verdicts
    ]
    scored = [c for c in mc if verdicts[c.id].outcome != "error"] or mc
    counts = [len(c.gold["options"]) for c in scored]
    return sum(counts) / len(counts) if counts else None


def _baseline_note(
    p: Probe, s: ProbeSummary, cases: Sequence[Case], verdicts: Mapping[str, Verdict]
) -> str | None:
    """Why the probe's rate is not informative, or None.

    Where the controls are multiple choice, the generic rule of :func:`chance_note` (95% Wilson
    interval of control accuracy includes 1/options, or fewer than 10 correct controls); then
    the probe's own objection (:attr:`ProbeSummary.note`, e.g. a constant answer). Probes with
    no multiple-choice controls (privacy's appropriate-recipient controls, hallucination and
    fidelity, which have none) have no chance rate: the notion does not apply to them.
    """
    options = _chance(p.name, cases, verdicts)
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


def _calls(
    axis: str | None, cases: Sequence[Case], verdicts: Mapping[str, Verdict]
) -> tuple[int, int]:
    """(judged cases, errored ones) of an axis (None: the whole run), controls included: one
    case is one call."""
    outcomes = [
        v.outcome for c in cases if axis in (None, c.axis) and (v := verdicts.get(c.id))
    ]
    return len(outcomes), outcomes.count("error")


ERROR_EXAMPLES = 3
"""Distinct target error messages kept per axis (truncated), so a user sees why calls failed."""


def _error_causes(
    axes: dict[str, dict[str, Any]],
    cases: Sequence[Case],
    verdicts: Mapping[str, Verdict],
    replies: Mapping[str, Sequence[Reply]],
) -> None:
    """Add ``error_reasons`` ({judge's reason: cases}) and ``error_examples`` (the target's own
    error messages, a few distinct ones, 160 characters at most) to every axis with errors:
    "52 errors" alone does not tell a timeout from a crash from an unreadable reply."""
    for axis, entry in axes.items():
        reasons: dict[str, int] = {}
        examples: list[str] = []
        for c in cases:
            v = verdicts.get(c.id)
            if c.axis != axis or v is None or v.outcome != "error":
                continue
            why = str(v.detail.get("reason") or "error")
            reasons[why] = reasons.get(why, 0) + 1
            for r in replies.get(c.id, ()):
                msg = (r.error or "")[:160]
                if msg and msg not in examples and len(examples) < ERROR_EXAMPLES:
                    examples.append(msg)
        if reasons:
            entry["error_reasons"] = dict(sorted(reasons.items(), key=lambda kv: -kv[1]))
            entry["error_examples"] = examples


def _error_fields(errors: int, calls: int) -> dict[str, Any]:
    share = error_share(errors, calls)
    return {
        "errors": errors,
        "calls": calls,
        "error_rate": None if share is None else round(share, 6),
    }


def _controls_entry(controls: Tally, options: float | None) -> dict[str, Any]:
    c = controls.as_dict()
    return {
        "n": c["n"],
        "correct": controls.n - controls.failures,
        "errors": c["errors"],
        "error_rate": c["error_rate"],
        "accuracy": None if c["failure_rate"] is None else round(1 - c["failure_rate"], 6),
        "ci95": None
        if c["ci95"] is None
        else [round(1 - c["ci95"][1], 6), round(1 - c["ci95"][0], 6)],
        "chance": None if options is None else round(1 / options, 6),
        "options": None if options is None else round(options, 2),
    }


def _axis_entries(
    plist: Sequence[Probe], cases: Sequence[Case], verdicts: Mapping[str, Verdict]
) -> dict[str, Any]:
    """One entry per axis: the contract's tally fields, errors over calls (controls included),
    whether the baseline is informative (with a note when not), the controls and by_probe."""
    axes: dict[str, dict[str, Any]] = {}
    for axis in AXES:
        total, controls = Tally(), Tally()
        by_probe: dict[str, Any] = {}
        extra: dict[str, Any] = {}
        notes: list[str] = []
        option_counts: list[float] = []
        axis_probes = [p for p in plist if p.axis == axis]
        for p in axis_probes:
            s = p.summarize(cases, verdicts)
            note = _baseline_note(p, s, cases, verdicts)
            if note:
                notes.append(note if len(axis_probes) == 1 else f"{p.name}: {note}")
            if (opts := _chance(p.name, cases, verdicts)) is not None:
                option_counts.append(opts)
            total = total.merge(s.total)
            if s.controls is not None:
                controls = controls.merge(s.controls)
            for op, tally in sorted(s.by_operator.items()):
                key = op if len(axis_probes) == 1 else f"{p.name}:{op}"
                by_probe[key] = {**tally.as_dict(), "informative": note is None, "note": note}
            if s.extra:
                extra.update(s.extra)
        entry: dict[str, Any] = {**total.as_dict(), "by_probe": by_probe}
        calls, errors = _calls(axis, cases, verdicts)
        entry.update(_error_fields(errors, calls))
        entry["informative"] = not notes
        entry["note"] = "; ".join(notes) or None
        entry["assessed"] = bool(axis_probes)
        if axis_probes:
            options = sum(option_counts) / len(option_counts) if option_counts else None
            entry["controls"] = _controls_entry(controls, options)
        entry.update(extra)
        axes[axis] = entry
    return axes


def _warnings(summary_axes: Mapping[str, Mapping[str, Any]], run: Mapping[str, Any]) -> list[str]:
    """One line per thing a reader must not miss: errors above :data:`ERROR_WARN`, axes whose
    baseline is not informative."""
    out = []
    if (run["error_rate"] or 0) > ERROR_WARN:
        out.append(
            f"errors: {run['errors']} of {run['calls']} calls ({100 * run['error_rate']:.1f}%) "
            f"failed or were unreadable > {100 * ERROR_WARN:g}%"
        )
    for axis in AXES:
        e = summary_axes[axis]
        if (e.get("error_rate") or 0) > ERROR_WARN:
            causes = ", ".join(f"{k}: {v}" for k, v in (e.get("error_reasons") or {}).items())
            example = (e.get("error_examples") or [None])[0]
            out.append(
                f"{axis}: {e['errors']} of {e['calls']} calls ({100 * e['error_rate']:.1f}%) "
                f"failed or were unreadable > {100 * ERROR_WARN:g}%"
                + (f" ({causes})" if causes else "")
                + (f"; e.g. {example!r}" if example else "")
            )
        if e.get("assessed") and e.get("informative") is False:
            out.append(f"{axis}: {e['note']}; its rate is left out of the risk score")
        for spec, j in sorted((e.get("judge_errors") or {}).items()):
            if j.get("errors"):
                out.append(
                    f"{axis}: LLM judge {spec}: {j['errors']} of {j['judged']} verdicts "
                    "unreadable or failed; the deterministic detectors' verdicts stand there"
                )
    return out


def stored_declarations(info: RunInfo) -> Declarations:
    """The declared controls stored with the run (empty for runs made before they existed)."""
    raw = (info.config or {}).get("declared") or {}
    try:
        return Declarations.model_validate(raw)
    except ValidationError:
        return Declarations()


def _audit_status(store: Store, run_id: str) -> tuple[bool, str] | None:
    """Whether the run's signed audit roots recompute and verify (``check_roots``; the
    byte-level check of every row is ``medtrust audit verify``, too slow for every report)."""
    from medtrust.audit import check_roots

    try:
        rep = check_roots(store, run_id)
    except Exception as exc:  # a trail that cannot be checked does not verify
        return False, f"cannot verify: {exc}"
    first = rep.first
    return rep.ok, "intact" if first is None else first.line()


def _merge_compliance(entry: dict[str, Any], axis: dict[str, Any]) -> dict[str, Any]:
    """Probes on the compliance axis (none built in) and the policy tally, added together."""
    if not entry.get("assessed"):
        return axis
    t = Tally(n=entry["n"], failures=entry["failures"], errors=entry["errors"])
    t = t.merge(Tally(n=axis["n"], failures=axis["failures"], errors=axis["errors"]))
    return {**entry, **t.as_dict(), "by_probe": {**entry["by_probe"], **axis["by_probe"]}}


def _compliance_axis(axis: dict[str, Any]) -> dict[str, Any]:
    """The policy tally with the fields every axis has: errors over the outputs it read."""
    calls = axis["n"] + axis["errors"]
    by_probe = {k: {**v, "informative": True, "note": None} for k, v in axis["by_probe"].items()}
    return {
        **axis,
        **_error_fields(axis["errors"], calls),
        "by_probe": by_probe,
        "informative": True,
        "note": None,
    }


def _clinician_view(store: Store, run_id: str) -> tuple[list[ReviewScores], dict[str, Any]]:
    """The run's current clinician reviews (for T) and the track record of its judges."""
    from medtrust.review import judge_calibration, review_scores  # review reads report

    used = {v.judge for vs in store.all_verdicts(run_id).values() for v in vs}
    return review_scores(store.reviews(run_id)), judge_calibration(store, used)


def summarize(
    store: Store,
    info: RunInfo,
    plist: Sequence[Probe],
    *,
    policies: PolicySet | None = None,
    policy_dirs: Sequence[Path] | None = None,
    declared: Declarations | None = None,
    as_of: date | None = None,
    resamples: int = RESAMPLES,
    reviews: Sequence[ReviewScores] | None = None,
    alpha: float = 0.5,
    beta: float = 0.5,
) -> dict[str, Any]:
    """Build the summary from stored cases and verdicts (never calls the target).

    Policies default to the bundled packs plus ``policy_dirs`` (or ``$MEDTRUST_POLICIES``);
    ``declared`` answers are merged over those stored with the run; ``as_of`` replaces the
    run's date for rule applicability (readiness before a regulation takes effect).
    ``reviews`` defaults to the clinician reviews stored for the run (``medtrust review``).
    """
    # policies reads report's identifier detector; importing here keeps imports acyclic.
    from medtrust.policies import RunFacts, evaluate, load_policies

    cases, verdicts = store.cases(info.id), store.verdicts(info.id)
    axes = _axis_entries(plist, cases, verdicts)
    decl = stored_declarations(info)
    if declared is not None:
        decl = decl.merged(declared)
    facts = RunFacts(
        run_id=info.id,
        status=info.status,
        day=info.created_at.date(),
        cases=cases,
        replies=store.replies(info.id),
        verdicts=verdicts,
        axes=axes,
        declared=decl,
        audit=_audit_status(store, info.id),
    )
    comp = evaluate(policies or load_policies(policy_dirs), facts, as_of=as_of)
    axes["compliance"] = _merge_compliance(axes["compliance"], _compliance_axis(comp.axis))
    stored, judges = _clinician_view(store, info.id)
    trust = trust_score(
        stored if reviews is None else reviews, alpha=alpha, beta=beta, seed=info.seed
    )
    # The run's error share counts every judged case once (controls included); compliance
    # re-reads those same outputs, so it adds no calls.
    calls, errors = _calls(None, cases, verdicts)
    run_errors = _error_fields(errors, calls)
    replies = facts.replies
    _error_causes(axes, cases, verdicts, replies)
    n_replies = sum(len(rs) for rs in replies.values())
    return {
        "schema_version": SCHEMA_VERSION,
        "run_id": info.id,
        "target": info.target,
        "suite": info.suite,
        "seed": info.seed,
        "status": info.status,
        "created_at": info.created_at.isoformat(),
        "finished_at": info.finished_at.isoformat() if info.finished_at else None,
        "cases": len(facts.cases),
        **run_errors,
        "replies": n_replies,
        "cached_replies": sum(r.cached for rs in replies.values() for r in rs),
        "warnings": _warnings(axes, run_errors),
        "axes": axes,
        "risk": risk_score(
            axes, resamples=resamples, seed=info.seed, overall_excludes=("compliance",)
        ),
        "compliance": comp.section,
        "trust": trust.as_dict(),
        "judges": judges,
    }
