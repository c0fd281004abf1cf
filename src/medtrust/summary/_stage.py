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
from medtrust.summary._rows import one_window_rows

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


ERROR_KINDS = {
    "target": "target calls failed",
    "reply": "target replies unreadable",
    "judge": "judge replies unreadable or judge calls failed (the target replied)",
    "declined": "target replies declined the task (neither right nor wrong)",
    "undecided": "undecided by the judge (the reply was read, no verdict reached)",
}
"""Why a judged case is an error, in words, by whose fault (:func:`error_kind`)."""


def error_kind(reason: str) -> str:
    """The kind (a key of :data:`ERROR_KINDS`) of a judge's error reason: ``target error``,
    ``no reply`` or a timeout (the call failed), ``unreadable reply`` or ``N of M attempts
    unreadable`` (the target's text), ``judge error: ...`` (the grader or LLM judge),
    ``declined to answer`` (the target refused the task: counted apart, like a privacy
    refusal, never a failure), anything else (the judge read the reply but could not reach a
    verdict, e.g. no dose stated)."""
    if reason in ("target error", "no reply") or "timeout" in reason or "timed out" in reason:
        return "target"
    if reason.startswith("judge error"):
        return "judge"
    if "unreadable" in reason:
        return "reply"
    if reason.startswith("declined"):
        return "declined"
    return "undecided"


def error_words(errors: int, calls: int, reasons: Mapping[str, int]) -> str:
    """``"4 of 16 judged cases (25.0%) could not be scored: 4 judge replies unreadable or
    judge calls failed (the target replied)"``: the errors split by whose fault they are
    (:func:`error_kind`), largest first; errors with no recorded reason are "errors"."""
    kinds: dict[str, int] = {}
    for why, n in reasons.items():
        kinds[error_kind(why)] = kinds.get(error_kind(why), 0) + n
    parts = [f"{n} {ERROR_KINDS[k]}" for k, n in sorted(kinds.items(), key=lambda kv: -kv[1])]
    if (rest := errors - sum(kinds.values())) > 0:
        parts.append(f"{rest} errors")
    rate = error_rate(errors, calls) or 0.0
    return (f"{errors} of {calls} judged cases ({_pct(rate)}) could not be scored "
            f"> {100 * ERROR_WARN:g}%" + (f": {', '.join(parts)}" if parts else ""))


_JUDGE_ERRORS = {
    "hallucination": ("LLM judge", "the deterministic detectors' verdicts stand there"),
}
"""Per axis, what its LLM judge is called and what happens where its reply could not be read.
Only the hallucination judge has a verdict to fall back on (its detectors); elsewhere (the
rubric grader of ``open_ended``) such a case has no verdict: :data:`_JUDGE_ERRORS_DEFAULT`."""
_JUDGE_ERRORS_DEFAULT = (
    "grader",
    "those cases are errors, counted apart (neither passes nor failures)",
)


def _axis_warnings(axis: str, e: AxisSummary) -> list[str]:
    out = []
    if e.error_rate is not None and e.error_rate > ERROR_WARN:
        reasons = e.error_reasons or {}
        causes = ", ".join(f"{k}: {v}" for k, v in reasons.items())
        example = e.error_examples[0] if e.error_examples else None
        out.append(
            f"{axis}: {error_words(e.errors, e.calls, reasons)}"
            + (f" ({causes})" if causes else "")
            + (f"; e.g. {example!r}" if example else "")
        )
    if not e.informative:  # also with nothing scored: the note says why
        out.append(f"{axis}: {e.note}; its rate is left out of the risk score")
    judge, fallback = _JUDGE_ERRORS.get(axis, _JUDGE_ERRORS_DEFAULT)
    for spec, j in sorted(e.judge_errors.items()):
        if j.get("errors"):
            out.append(
                f"{axis}: {judge} {spec}: {j['errors']} of {j['judged']} verdicts "
                f"unreadable or failed; {fallback}"
            )
    return out


def warnings(axes: Mapping[str, AxisSummary], errors: int, calls: int) -> list[str]:
    """One line per thing a reader must not miss: errors above :data:`ERROR_WARN` (run and
    axes), worded by whose fault they are (:func:`error_words`: a failed target call is not
    an unreadable judge reply), axes whose baseline is not informative, unreadable LLM-judge
    replies. Compliance re-reads the other axes' outputs, so its reasons are not added twice."""
    out = []
    rate = error_rate(errors, calls)
    if rate is not None and rate > ERROR_WARN:
        reasons: dict[str, int] = {}
        for axis, e in axes.items():
            for why, n in (e.error_reasons or {}).items() if axis != "compliance" else ():
                reasons[why] = reasons.get(why, 0) + n
        out.append(f"errors: {error_words(errors, calls, reasons)}")
    for axis, e in axes.items():
        out += _axis_warnings(axis, e)
    return out


def lost_calls(store: Store, run_id: str) -> list[str]:
    """Warnings from the run's counters (``Store.run_counts``): Ray replicas that died mid-run
    (``lost_calls``: their calls were asked again, ``run --ray``) and imported samples a run
    would not have sent (``imported_not_sent``, ``medtrust import inspect``)."""
    counts = store.run_counts(run_id)
    out = []
    if lost := counts.get("lost_calls", 0):
        out.append(f"ray: {lost} calls were lost with a replica (its worker or node died) "
                   "and asked again; each result is stored once")
    if unsent := counts.get("imported_not_sent", 0):
        out.append(f"import: {unsent} samples left out: a run would not have sent them (their "
                   "control was not answered right or not scored), so they are not counted")
    return out


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
    small = one_window_rows(store, info.id)  # a run of one window is read once (issue 15.7)
    if small is not None:
        rows = RunRows(cases=small[0], verdicts=small[1], replies=small[2], per_probe=small[3])
    else:
        cases, verdicts, replies = run_views(store, info.id)
        rows = RunRows(cases=cases, verdicts=verdicts, replies=replies,
                       per_probe=lambda p: probe_views(store, info.id, p.name))
    return summarize_rows(
        info,
        plist,
        rows,
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
