"""The summary stage: stored cases and verdicts (+ clinician reviews and audit status, given by
the caller) -> :class:`RunSummary`. It never calls the target and renders nothing.

Errors: an axis's ``errors`` are its judged cases whose verdict is an error (target failure,
unreadable reply, unreadable judge reply), controls included; ``calls`` are all its judged
cases (a case asked with k samples is one call) and ``error_rate = errors / calls``. ``by_probe``
and ``controls`` entries count errors in their own units (``errors / (n + errors)``). The run's
``errors``, ``calls`` and ``error_rate`` do the same over every judged case; compliance re-reads
those same outputs, so it adds no calls. An axis whose controls are at chance is not
informative, with a ``note``, and is left out of the risk score.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from medtrust.config import Declarations
from medtrust.engine import probe_views, run_views
from medtrust.metrics import RESAMPLES, ReviewScores, risk_score, trust_score
from medtrust.policies import PolicySet, RunFacts, evaluate, load_policies
from medtrust.probes import Probe
from medtrust.records import Case, Reply, RunInfo, Verdict
from medtrust.store import Store
from medtrust.summary._axes import ProbeRows, axis_summaries, compliance_axis, error_rate
from medtrust.summary._models import (
    AxisSummary,
    ComplianceSection,
    JudgeTrack,
    RiskSummary,
    RunSummary,
    TrustSummary,
)
from medtrust.summary._pass import run_pass

SCHEMA_VERSION = 1

ERROR_WARN = 0.1
"""Terminal and reports warn when an axis's (or the run's) error rate exceeds this share."""


@dataclass(frozen=True, kw_only=True)
class SummaryInputs:
    """What the summary reads beyond the run's own rows, fetched by the caller.

    ``reviews``: the run's current clinician reviews (for the trust score T); ``judges``: each
    judge's track record against clinicians (``medtrust.review.judge_calibration``);
    ``audit``: ``(signed roots verify, detail)`` of the run's audit trail, or None when it is
    unavailable (policy rules on the audit trail are then not assessed); ``weights``: the trust
    score's (alpha, beta) for this run (its ``trust:`` or its suite's, default 0.5 / 0.5).
    """

    reviews: Sequence[ReviewScores] = ()
    judges: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    audit: tuple[bool, str] | None = None
    weights: tuple[float, float] = (0.5, 0.5)


def stored_declarations(info: RunInfo) -> Declarations:
    """The declared controls stored with the run (empty for runs made before they existed)."""
    raw = (info.config or {}).get("declared") or {}
    try:
        return Declarations.model_validate(raw)
    except ValidationError:
        return Declarations()


def _pct(x: float) -> str:
    return f"{100 * x:.1f}%"


def _axis_warnings(axis: str, e: AxisSummary) -> list[str]:
    out = []
    if e.error_rate is not None and e.error_rate > ERROR_WARN:
        causes = ", ".join(f"{k}: {v}" for k, v in (e.error_reasons or {}).items())
        example = e.error_examples[0] if e.error_examples else None
        out.append(
            f"{axis}: {e.errors} of {e.calls} calls ({_pct(e.error_rate)}) "
            f"failed or were unreadable > {100 * ERROR_WARN:g}%"
            + (f" ({causes})" if causes else "")
            + (f"; e.g. {example!r}" if example else "")
        )
    if not e.informative:  # also with nothing scored: the note says why
        out.append(f"{axis}: {e.note}; its rate is left out of the risk score")
    for spec, j in sorted(e.judge_errors.items()):
        if j.get("errors"):
            out.append(
                f"{axis}: LLM judge {spec}: {j['errors']} of {j['judged']} verdicts "
                "unreadable or failed; the deterministic detectors' verdicts stand there"
            )
    return out


def warnings(axes: Mapping[str, AxisSummary], errors: int, calls: int) -> list[str]:
    """One line per thing a reader must not miss: errors above :data:`ERROR_WARN` (run and
    axes), axes whose baseline is not informative, unreadable LLM-judge replies."""
    out = []
    rate = error_rate(errors, calls)
    if rate is not None and rate > ERROR_WARN:
        out.append(
            f"errors: {errors} of {calls} calls ({_pct(rate)}) "
            f"failed or were unreadable > {100 * ERROR_WARN:g}%"
        )
    for axis, e in axes.items():
        out += _axis_warnings(axis, e)
    return out


def lost_calls(store: Store, run_id: str) -> list[str]:
    """A warning when Ray replicas died mid-run: their calls were asked again (``run --ray``;
    the count is the run's ``lost_calls`` counter, see ``Store.run_counts``)."""
    lost = store.run_counts(run_id).get("lost_calls", 0)
    if not lost:
        return []
    return [
        f"ray: {lost} calls were lost with a replica (its worker or node died) and "
        "asked again; each result is stored once"
    ]


def summarize(
    store: Store,
    info: RunInfo,
    plist: Sequence[Probe],
    *,
    inputs: SummaryInputs | None = None,
    policies: PolicySet | None = None,
    policy_dirs: Sequence[Path] | None = None,
    declared: Declarations | None = None,
    as_of: date | None = None,
    resamples: int = RESAMPLES,
    alpha: float | None = None,
    beta: float | None = None,
) -> RunSummary:
    """Summarise a stored run from its cases, replies and verdicts (never calls the target).

    Streaming: the run is read in windows of cases with their verdicts and replies
    (:func:`medtrust.engine.run_views`), each probe counts over its own store-backed views
    (:func:`medtrust.engine.probe_views`), so memory does not grow with the run's size beyond
    what a probe keeps per item. Policies default to the bundled packs plus ``policy_dirs``
    (or ``$MEDTRUST_POLICIES``); ``declared`` answers are merged over those stored with the
    run; ``as_of`` replaces the run's date for rule applicability (readiness before a
    regulation takes effect). ``inputs`` carries the clinician reviews, the judges' track
    record and the audit status (none: no reviews, no track record, audit unavailable). Risk:
    :func:`medtrust.metrics.risk_score` (percentile bootstrap, ``resamples`` draws, seeded
    with the run's seed); trust: :func:`medtrust.metrics.trust_score` with weights ``alpha``
    and ``beta`` (default: the ``weights`` of ``inputs``).
    """
    cases, verdicts, replies = run_views(store, info.id)
    return summarize_rows(
        info,
        plist,
        RunRows(cases=cases, verdicts=verdicts, replies=replies,
                per_probe=lambda p: probe_views(store, info.id, p.name)),
        inputs=inputs,
        policies=policies,
        policy_dirs=policy_dirs,
        declared=declared,
        as_of=as_of,
        resamples=resamples,
        alpha=alpha,
        beta=beta,
        extra_warnings=lost_calls(store, info.id),
    )


@dataclass(frozen=True, kw_only=True)
class RunRows:
    """A run's rows as the summary reads them: every case (in generation order) with its
    verdict and replies by case id, and ``per_probe(p)``: the probe's cases and verdicts.
    Store-backed views (:func:`summarize`) or in-memory lists and dicts (tests, small runs)."""

    cases: Sequence[Case]
    verdicts: Mapping[str, Verdict]
    replies: Mapping[str, Sequence[Reply]]
    per_probe: ProbeRows

    @classmethod
    def of(
        cls,
        cases: Sequence[Case],
        verdicts: Mapping[str, Verdict],
        replies: Mapping[str, Sequence[Reply]],
    ) -> RunRows:
        """In-memory rows: every probe is handed the whole run's cases and verdicts."""
        return cls(cases=cases, verdicts=verdicts, replies=replies,
                   per_probe=lambda _: (cases, verdicts))


def summarize_rows(
    info: RunInfo,
    plist: Sequence[Probe],
    rows: RunRows,
    *,
    inputs: SummaryInputs | None = None,
    policies: PolicySet | None = None,
    policy_dirs: Sequence[Path] | None = None,
    declared: Declarations | None = None,
    as_of: date | None = None,
    resamples: int = RESAMPLES,
    alpha: float | None = None,
    beta: float | None = None,
    extra_warnings: Sequence[str] = (),
) -> RunSummary:
    """:func:`summarize` over given rows (arguments as there; ``extra_warnings`` are appended
    to the summary's warnings). The rows are read in one pass for the counts, one per probe
    and one for the policies' reply-level rules."""
    given = inputs or SummaryInputs()
    counted = run_pass(rows.cases, rows.verdicts, rows.replies)
    axes = axis_summaries(plist, rows.per_probe, counted)
    decl = stored_declarations(info)
    if declared is not None:
        decl = decl.merged(declared)
    facts = RunFacts(
        run_id=info.id,
        status=info.status,
        day=info.created_at.date(),
        cases=rows.cases,
        replies=rows.replies,
        verdicts=rows.verdicts,
        axes={a: e.model_dump(mode="json") for a, e in axes.items()},
        declared=decl,
        audit=given.audit,
        logging=counted.logging,
    )
    comp = evaluate(policies or load_policies(policy_dirs), facts, as_of=as_of)
    axes["compliance"] = compliance_axis(axes["compliance"], comp.axis)
    a = given.weights[0] if alpha is None else alpha
    b = given.weights[1] if beta is None else beta
    trust = trust_score(given.reviews, alpha=a, beta=b, seed=info.seed)
    plain = {a: e.model_dump(mode="json") for a, e in axes.items()}
    risk = risk_score(plain, resamples=resamples, seed=info.seed, overall_excludes=("compliance",))
    return RunSummary(
        schema_version=SCHEMA_VERSION,
        run_id=info.id,
        target=info.target,
        suite=info.suite,
        seed=info.seed,
        status=info.status,
        created_at=info.created_at.isoformat(),
        finished_at=info.finished_at.isoformat() if info.finished_at else None,
        cases=counted.cases,
        errors=counted.errors,
        calls=counted.calls,
        error_rate=error_rate(counted.errors, counted.calls),
        replies=counted.replies,
        cached_replies=counted.cached_replies,
        warnings=warnings(axes, counted.errors, counted.calls) + list(extra_warnings),
        axes=axes,
        risk=RiskSummary.model_validate(risk),
        compliance=ComplianceSection.model_validate(comp.section),
        trust=TrustSummary.model_validate(trust.as_dict()),
        judges={k: JudgeTrack.model_validate(v) for k, v in given.judges.items()},
    )
