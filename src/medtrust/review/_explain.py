"""Clinicians rate explanations: a case's top attributions, rated clinically relevant or not,
and how far reviewers agree with each other and with the explanation (Krippendorff's alpha).

The attributions are those of the explained flips and failures (fairness, robustness):
sentence Shapley values, else occlusion (:mod:`medtrust.probes._attribution_rows`). A reviewer
rates each of the top :data:`TOP_K` sentences (by absolute value) as clinically relevant to the
answer (1) or not (0). The explanation itself "says" a sentence is relevant when its absolute
attribution is at least :data:`EXPLANATION_RELEVANT` (the sentence moves the share of answers
that flipped by at least 10 points), so the explanation is one more rater.

Ratings are append-only audit events (``explanation_rating``, payload kept owner-side, verified
with the chain): the current rating of a reviewer on a case is the newest.

Agreement (nominal alpha, ``krippendorff.alpha``; units are (case, sentence) pairs):

* ``between_reviewers``: the reviewers' ratings, one row per reviewer;
* ``explanation_vs_reviewers``: two rows, the explanation's labels and the reviewers' majority
  label per unit (a tie is missing), so it measures whether clinicians find relevant what the
  explanation ranks high, whatever their number.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from medtrust.errors import MedtrustError
from medtrust.store import Store

TOP_K = 5
EXPLANATION_RELEVANT = 0.1
"""|attribution| at or above which the explanation counts a sentence relevant (a 10-point move
of the share of flipped answers)."""
EVENT = "explanation_rating"


@dataclass(frozen=True, kw_only=True)
class Attribution:
    """One sentence of an explained case as a reviewer sees it."""

    key: str
    text: str
    weight: float
    method: str

    @property
    def relevant(self) -> bool:
        """The explanation's own label (see :data:`EXPLANATION_RELEVANT`)."""
        return abs(self.weight) >= EXPLANATION_RELEVANT

    def as_dict(self) -> dict[str, Any]:
        """JSON form."""
        return {"key": self.key, "text": self.text, "weight": round(self.weight, 6),
                "method": self.method, "explanation_says_relevant": self.relevant}


def top_attributions(store: Store, run_id: str, case_id: str, k: int = TOP_K
                     ) -> list[Attribution]:
    """The case's top ``k`` sentence attributions by absolute value (empty: not explained)."""
    from medtrust.probes._attribution_rows import explain_one

    case = store.cases_for(run_id, [case_id]).get(case_id)
    if case is None:
        return []
    # one streamed pass for the case's explanation follow-ups: never the whole run in memory
    kids = [c for c in store.iter_cases(run_id) if c.parent_id == case_id
            and c.operator.startswith(("occlude:", "coalition:"))]
    if not kids:
        return []
    ids = {case_id} | {c.id for c in kids}
    verdicts = {cid: vs[0] for cid, vs in store.all_verdicts_for(run_id, ids).items() if vs}
    row = explain_one(case, kids, verdicts)
    if row is None:
        return []
    out = []
    for s in row["sentences"]:
        w, method = (s["shapley"], "shapley") if s["shapley"] is not None else (
            s["occlusion"], "occlusion")
        if w is not None:
            out.append(Attribution(key=f"sentence:{s['index']}", text=s["text"], weight=w,
                                   method=method))
    return sorted(out, key=lambda a: (-abs(a.weight), a.key))[:k]


def rate_explanation(
    store: Store, run_id: str, case_id: str, *, reviewer: str, ratings: Mapping[str, bool]
) -> dict[str, Any]:
    """Record a reviewer's relevance ratings of the case's top attributions (an audit event).

    Raises ``MedtrustError`` when the case has no attributions or a key is not among them.
    """
    shown = {a.key: a for a in top_attributions(store, run_id, case_id)}
    if not shown:
        raise MedtrustError(f"case {case_id!r} of run {run_id!r} has no attributions to rate")
    bad = sorted(set(ratings) - set(shown))
    if bad or not ratings:
        raise MedtrustError(
            f"rate the case's top attributions ({', '.join(shown)}); unknown: {bad or 'none given'}"
        )
    content = {
        "case_id": case_id,
        "reviewer": reviewer,
        "created_at": datetime.now(UTC).isoformat(),
        "ratings": {k: bool(v) for k, v in sorted(ratings.items())},
        "explanation": {k: shown[k].relevant for k in sorted(ratings)},
    }
    store.record_event(run_id, EVENT, f"{case_id}/{reviewer}", content)
    return content


def current_ratings(store: Store, run_id: str) -> list[dict[str, Any]]:
    """The newest rating of each (reviewer, case), oldest first."""
    latest: dict[tuple[str, str], dict[str, Any]] = {}
    for e in store.audit_events(run_id):
        if e.kind != EVENT:
            continue
        found, content = store.audit_payload(e.seq)
        if found and isinstance(content, dict):
            latest[(content["reviewer"], content["case_id"])] = content
    return list(latest.values())


def _alpha(matrix: list[list[float]]) -> float | None:
    """Nominal Krippendorff's alpha (``krippendorff.alpha``), None when undefined."""
    import krippendorff
    import numpy as np

    pairable = sum(
        1 for j in range(len(matrix[0]) if matrix else 0)
        if sum(not math.isnan(r[j]) for r in matrix) >= 2
    )
    if len(matrix) < 2 or not pairable:
        return None
    values = {x for r in matrix for x in r if not math.isnan(x)}
    if len(values) < 2:
        return None  # no variation: alpha is 0/0
    with np.errstate(all="ignore"):
        a = float(krippendorff.alpha(reliability_data=np.array(matrix, dtype=float),
                                     level_of_measurement="nominal", value_domain=[0, 1]))
    return None if math.isnan(a) else round(a, 6)


def explanation_agreement(ratings: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """Alpha between reviewers and between the explanation and the reviewers (module doc)."""
    reviewers = sorted({r["reviewer"] for r in ratings})
    units = sorted({(r["case_id"], k) for r in ratings for k in r["ratings"]})
    col = {u: j for j, u in enumerate(units)}
    between = [[math.nan] * len(units) for _ in reviewers]
    explanation = [math.nan] * len(units)
    for r in ratings:
        i = reviewers.index(r["reviewer"])
        for k, v in r["ratings"].items():
            between[i][col[(r["case_id"], k)]] = float(v)
            explanation[col[(r["case_id"], k)]] = float(r["explanation"][k])
    majority = []
    for j in range(len(units)):
        votes = [row[j] for row in between if not math.isnan(row[j])]
        yes = sum(votes)
        majority.append(math.nan if 2 * yes == len(votes) else float(2 * yes > len(votes)))
    rated = [x for row in between for x in row if not math.isnan(x)]
    return {
        "reviewers": len(reviewers),
        "cases": len({c for c, _ in units}),
        "units": len(units),
        "ratings": len(rated),
        "rated_relevant": round(sum(rated) / len(rated), 6) if rated else None,
        "explanation_relevant": round(
            sum(x for x in explanation if not math.isnan(x)) / len(units), 6) if units else None,
        "between_reviewers": _alpha(between),
        "explanation_vs_reviewers": _alpha([explanation, majority]) if units else None,
        "threshold": EXPLANATION_RELEVANT,
        "level": "nominal",
    }
