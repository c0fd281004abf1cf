"""The run JSON summary (public contract): axes with n, failures, rate, ci95, errors, by_probe.

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
from medtrust.metrics import RESAMPLES, ReviewScores, Tally, risk_score, trust_score
from medtrust.probes import Probe
from medtrust.records import AXES, Case, RunInfo, Verdict
from medtrust.store import Store

if TYPE_CHECKING:
    from medtrust.policies import PolicySet

SCHEMA_VERSION = 1


def _axis_entries(
    plist: Sequence[Probe], cases: Sequence[Case], verdicts: Mapping[str, Verdict]
) -> dict[str, Any]:
    axes: dict[str, dict[str, Any]] = {}
    for axis in AXES:
        total, controls = Tally(), Tally()
        by_probe: dict[str, Any] = {}
        extra: dict[str, Any] = {}
        axis_probes = [p for p in plist if p.axis == axis]
        for p in axis_probes:
            s = p.summarize(cases, verdicts)
            total = total.merge(s.total)
            if s.controls is not None:
                controls = controls.merge(s.controls)
            for op, tally in sorted(s.by_operator.items()):
                key = op if len(axis_probes) == 1 else f"{p.name}:{op}"
                by_probe[key] = tally.as_dict()
            if s.extra:
                extra.update(s.extra)
        entry: dict[str, Any] = {**total.as_dict(), "by_probe": by_probe}
        entry["assessed"] = bool(axis_probes)
        if axis_probes:
            c = controls.as_dict()
            entry["controls"] = {
                "n": c["n"],
                "errors": c["errors"],
                "accuracy": None if c["failure_rate"] is None else round(1 - c["failure_rate"], 6),
                "ci95": None
                if c["ci95"] is None
                else [round(1 - c["ci95"][1], 6), round(1 - c["ci95"][0], 6)],
            }
        entry.update(extra)
        axes[axis] = entry
    return axes


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
    axes["compliance"] = _merge_compliance(axes["compliance"], comp.axis)
    stored, judges = _clinician_view(store, info.id)
    trust = trust_score(
        stored if reviews is None else reviews, alpha=alpha, beta=beta, seed=info.seed
    )
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
        "axes": axes,
        "risk": risk_score(
            axes, resamples=resamples, seed=info.seed, overall_excludes=("compliance",)
        ),
        "compliance": comp.section,
        "trust": trust.as_dict(),
        "judges": judges,
    }
