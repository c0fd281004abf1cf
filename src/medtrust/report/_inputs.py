"""What the summary stage reads beyond a run's rows, fetched from the store: the run's clinician
reviews, its judges' track record and whether its audit trail verifies; and the summary of a
stored run with them (what ``report``, ``gate``, ``docs`` and ``compare`` show)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from pathlib import Path

from medtrust.audit import check_roots
from medtrust.config import Declarations
from medtrust.metrics import RESAMPLES
from medtrust.policies import PolicySet
from medtrust.probes import Probe
from medtrust.records import RunInfo
from medtrust.review import judge_calibration, review_scores
from medtrust.review._aggregate import trust_weights  # the run's or suite's weights (issue 18)
from medtrust.store import Store
from medtrust.summary import RunSummary, SummaryInputs, summarize


def audit_status(store: Store, run_id: str) -> tuple[bool, str]:
    """Whether the run's signed audit roots recompute and verify (``check_roots``; the
    byte-level check of every row is ``medtrust audit verify``, too slow for every report)."""
    try:
        rep = check_roots(store, run_id)
    except Exception as exc:  # a trail that cannot be checked does not verify
        return False, f"cannot verify: {exc}"
    first = rep.first
    return rep.ok, "intact" if first is None else first.line()


def summary_inputs(store: Store, run_id: str) -> SummaryInputs:
    """The run's current clinician reviews and trust weights (for T), the track record of the
    judges that judged it, and its audit status."""
    used = store.verdict_judges(run_id)  # every judge of the run, in SQL
    alpha, beta, _ = trust_weights(store.get_run(run_id).config or {})
    return SummaryInputs(
        reviews=review_scores(store.reviews(run_id)),
        judges=judge_calibration(store, used),
        audit=audit_status(store, run_id),
        weights=(alpha, beta),
    )


def summarize_run(
    store: Store,
    info: RunInfo,
    plist: Sequence[Probe],
    *,
    policies: PolicySet | None = None,
    policy_dirs: Sequence[Path] | None = None,
    declared: Declarations | None = None,
    as_of: date | None = None,
    resamples: int = RESAMPLES,
) -> RunSummary:
    """:func:`medtrust.summary.summarize` with :func:`summary_inputs` fetched from the store
    (arguments as there; never calls the target)."""
    return summarize(
        store,
        info,
        plist,
        inputs=summary_inputs(store, info.id),
        policies=policies,
        policy_dirs=policy_dirs,
        declared=declared,
        as_of=as_of,
        resamples=resamples,
    )
