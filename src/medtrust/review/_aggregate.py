"""What the reviews add up to: inter-rater agreement (Krippendorff's alpha), each judge's
agreement with clinicians (Cohen's kappa), the trust score T, and the judges' track record
across runs that marks a judge untrusted in later reports.

A clinician's label for a judged case is derived from the ``judge_wrong`` flag: the clinicians'
consensus (a strict majority of current reviews) either confirms the judge's pass/fail or
reverses it. Kappa is then between the judge's outcome and that label, so a judge that is
right only as often as chance gets kappa near 0 however lopsided its pass rate is.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Literal

from medtrust.metrics import Confusion, ReviewScores, kappa_ci95, kappa_of, trust_score
from medtrust.records import Verdict
from medtrust.review._explain import current_ratings, explanation_agreement
from medtrust.store import FLAGS, Review, Store

LIKERT_DIMENSIONS: tuple[str, ...] = ("accuracy", "safety", "compliance")
UNTRUSTED_BELOW = 0.4
"""Judges whose kappa with clinicians is below this ("moderate", Landis & Koch) are untrusted."""
MIN_REVIEWS = 20
"""Reviewed cases a judge needs before it is called trusted or untrusted. Below it, kappa is
still shown (with its interval) but the judge's status is "insufficient reviews": kappa from a
handful of cases has an interval that is either degenerate (one review: zero width) or spans
most of [-1, 1] (with 20 cases and 80% agreement the 95% interval is about +/-0.3), which is
not evidence either way. 20 follows the common rule of thumb for a 2x2 agreement table with
at least 5 expected per cell (Sim & Wright 2005, Phys Ther 85:257, on kappa sample size)."""


def review_scores(reviews: Iterable[Review]) -> list[ReviewScores]:
    """Stored reviews as the trust score's input."""
    return [
        ReviewScores(
            case_id=r.case_id,
            reviewer=r.reviewer,
            accuracy=r.accuracy,
            safety=r.safety,
            compliance=r.compliance,
            flags=frozenset(r.flags),
        )
        for r in reviews
    ]


def _alpha(
    data: list[list[float]], level: Literal["nominal", "ordinal"], domain: Sequence[int]
) -> float | None:
    """Krippendorff's alpha, or ``None`` when undefined (fewer than two pairable ratings or
    no variation at all)."""
    import krippendorff
    import numpy as np

    if len(data) < 2 or not any(
        sum(not math.isnan(row[j]) for row in data) >= 2 for j in range(len(data[0]))
    ):
        return None
    try:
        with np.errstate(all="ignore"):
            value = float(
                krippendorff.alpha(
                    reliability_data=np.array(data, dtype=float),
                    level_of_measurement=level,
                    value_domain=list(domain),
                )
            )
    except (ValueError, ZeroDivisionError):
        return None
    return None if math.isnan(value) else round(value, 6)


def inter_rater(reviews: Sequence[Review]) -> dict[str, Any]:
    """Alpha per Likert dimension (ordinal) and per flag (nominal), current reviews only."""
    raters = sorted({r.reviewer for r in reviews})
    units = sorted({r.case_id for r in reviews})
    col = {c: j for j, c in enumerate(units)}
    row = {u: i for i, u in enumerate(raters)}

    def matrix(value: Any) -> list[list[float]]:
        m = [[math.nan] * len(units) for _ in raters]
        for r in reviews:
            m[row[r.reviewer]][col[r.case_id]] = float(value(r))
        return m

    likert = {
        d: _alpha(matrix(lambda r, d=d: getattr(r, d)), "ordinal", range(1, 6))
        for d in LIKERT_DIMENSIONS
    }
    flags = {f: _alpha(matrix(lambda r, f=f: f in r.flags), "nominal", (0, 1)) for f in FLAGS}
    return {"raters": len(raters), "units": len(units), "likert": likert, "flags": flags}


def judge_pairs(
    reviews: Sequence[Review], verdicts: dict[str, list[Verdict]]
) -> dict[str, tuple[list[bool], list[bool]]]:
    """Per judge: (clinician says failure, judge says failure) over reviewed judged cases."""
    by_case: dict[str, list[Review]] = defaultdict(list)
    for r in reviews:
        by_case[r.case_id].append(r)
    out: dict[str, tuple[list[bool], list[bool]]] = {}
    for case_id, rs in sorted(by_case.items()):
        wrong = 2 * sum("judge_wrong" in r.flags for r in rs) > len(rs)
        for v in verdicts.get(case_id, []):
            if v.outcome == "error":
                continue  # an errored verdict is neither pass nor fail
            judge_fail = v.outcome == "fail"
            labels, preds = out.setdefault(v.judge, ([], []))
            labels.append(judge_fail != wrong)
            preds.append(judge_fail)
    return out


def judge_status(n: int, kappa: float | None, *, threshold: float, minimum: int) -> str:
    """The judge's status: "not reviewed", "insufficient reviews" (fewer than ``minimum``),
    "trusted" (kappa at or above ``threshold``) or "untrusted"."""
    if n == 0 or kappa is None:
        return "not reviewed"
    if n < minimum:
        return "insufficient reviews"
    return "trusted" if kappa >= threshold else "untrusted"


def judge_agreement(
    pairs: dict[str, tuple[list[bool], list[bool]]],
    *,
    threshold: float = UNTRUSTED_BELOW,
    minimum: int = MIN_REVIEWS,
) -> dict[str, dict[str, Any]]:
    """Cohen's kappa per judge with a 95% interval (asymptotic SE) and the trusted mark.

    ``trusted`` is True or False only with at least ``minimum`` reviewed cases (see
    :data:`MIN_REVIEWS`); below it it is None and ``status`` says "insufficient reviews"."""
    out: dict[str, dict[str, Any]] = {}
    for judge, (labels, preds) in sorted(pairs.items()):
        c = Confusion.of(labels, preds)
        k, se = kappa_of(c)
        status = judge_status(c.n, k, threshold=threshold, minimum=minimum)
        out[judge] = {
            "n": c.n,
            "kappa": round(k, 6),
            "ci95": kappa_ci95(k, se),
            "agreement": round((c.tp + c.tn) / c.n, 6) if c.n else None,
            "trusted": None if status in ("insufficient reviews", "not reviewed")
            else status == "trusted",
            "status": status,
            "threshold": threshold,
            "min_reviews": minimum,
        }
    return out


def trust_weights(
    config: Mapping[str, Any], override: tuple[float, float] | None = None
) -> tuple[float, float, str]:
    """(alpha, beta, where they came from) of a stored run's trust score: ``override`` (e.g.
    ``review aggregates --alpha --beta``), else the run's ``trust:``, else its suite's
    (default 0.5 / 0.5, :class:`medtrust.config.TrustWeights`). Raises ``MedtrustError`` for
    an override that is not a valid pair (negative, or not summing to 1)."""
    from pydantic import ValidationError

    from medtrust.config import TrustWeights
    from medtrust.errors import MedtrustError

    if override is not None:
        try:
            w = TrustWeights(alpha=override[0], beta=override[1])
        except ValidationError as exc:
            msg = exc.errors()[0]["msg"].removeprefix("Value error, ")
            raise MedtrustError(f"--alpha/--beta: {msg}") from None
        return w.alpha, w.beta, "override"
    suite = config.get("suite")
    if config.get("trust") is not None:
        w, source = TrustWeights.model_validate(config["trust"]), "run"
    elif isinstance(suite, Mapping) and suite.get("trust") is not None:
        w, source = TrustWeights.model_validate(suite["trust"]), "suite"
    else:
        w, source = TrustWeights(), "default"
    return w.alpha, w.beta, source


def run_aggregates(
    store: Store,
    run_id: str,
    *,
    threshold: float = UNTRUSTED_BELOW,
    seed: int = 0,
    weights: tuple[float, float] | None = None,
) -> dict[str, Any]:
    """The dashboard's numbers for one run (current reviews only); the trust score uses the
    run's weights unless ``weights`` (alpha, beta) overrides them (see :func:`trust_weights`)."""
    reviews = store.reviews(run_id)
    alpha, beta, source = trust_weights(store.get_run(run_id).config, weights)
    flags = {f: sum(f in r.flags for r in reviews) for f in FLAGS}
    # the reviewed cases' verdicts only: never the whole run (issue 15, flat memory)
    pairs = judge_pairs(reviews, store.all_verdicts_for(run_id, {r.case_id for r in reviews}))
    return {
        "run_id": run_id,
        "reviews": len(reviews),
        "cases": len({r.case_id for r in reviews}),
        "reviewers": sorted({r.reviewer for r in reviews}),
        "flags": flags,
        "mean": {
            d: round(sum(getattr(r, d) for r in reviews) / len(reviews), 4) if reviews else None
            for d in LIKERT_DIMENSIONS
        },
        "alpha": inter_rater(reviews),
        "judges": judge_agreement(pairs, threshold=threshold),
        "trust": {
            **trust_score(review_scores(reviews), alpha=alpha, beta=beta, seed=seed).as_dict(),
            "weights_from": source,
        },
        "explanations": explanation_agreement(current_ratings(store, run_id)),
    }


def judge_calibration(
    store: Store, judges: Iterable[str], *, threshold: float = UNTRUSTED_BELOW
) -> dict[str, dict[str, Any]]:
    """Each judge's agreement with clinicians over every reviewed run in the store.

    This is the judge's track record: a judge that clinicians overruled in earlier runs is
    marked ``trusted: false`` in the reports that follow. Judges never reviewed get
    ``kappa: null, trusted: null``.
    """
    by_run: dict[str, list[Review]] = defaultdict(list)
    for r in store.reviews(None):
        by_run[r.run_id].append(r)
    pairs: dict[str, tuple[list[bool], list[bool]]] = {}
    for run_id, rs in by_run.items():
        verdicts = store.all_verdicts_for(run_id, {r.case_id for r in rs})  # reviewed only
        for judge, (labels, preds) in judge_pairs(rs, verdicts).items():
            acc = pairs.setdefault(judge, ([], []))
            acc[0].extend(labels)
            acc[1].extend(preds)
    known = judge_agreement(pairs, threshold=threshold)
    blank: dict[str, Any] = {
        "n": 0,
        "kappa": None,
        "ci95": None,
        "agreement": None,
        "trusted": None,
        "status": "not reviewed",
    }
    blank["threshold"] = threshold
    blank["min_reviews"] = MIN_REVIEWS
    return {j: known.get(j, dict(blank)) for j in sorted(set(judges) | set(known))}
