"""What a reviewer may see of a run's aggregates without learning a colleague's ratings.

A reviewer knows their own reviews, so any figure that pools theirs with those of one or two
others can be solved for the others' ratings (a mean over two reviewers minus one's own is the
other's). Figures built from fewer than :data:`MIN_OTHER_REVIEWERS` other reviewers are
therefore withheld from reviewers; admins, and a reviewer who is the only one to have reviewed
the run (every figure is then their own), see everything.

This is the threshold (minimum frequency) rule of statistical disclosure control for tables: a
cell is published only when it pools at least a minimum number of contributors, commonly 3 (see
Hundepool et al., *Statistical Disclosure Control*, Wiley 2012, on sensitivity rules for
tabular data). It does not stop differencing over time: a reviewer who watches the dashboard before
and after one colleague submits a review can still attribute the change; showing aggregates
only at set times would, and is not done here.
"""

from __future__ import annotations

import copy
from typing import Any

from medtrust.store import ReviewUser

MIN_OTHER_REVIEWERS = 3
"""Other reviewers a figure must pool before a reviewer may see it (small-cell threshold)."""


def for_viewer(agg: dict[str, Any], viewer: ReviewUser) -> dict[str, Any]:
    """``agg`` (from ``run_aggregates``) as ``viewer`` may see it.

    Below the threshold the rating-derived figures (means, flag counts, alpha, judge kappa,
    trust score) become ``None`` / empty and ``suppressed`` says why; counts of reviews, cases
    and reviewers stay. Returns a new dict; ``agg`` is not changed.
    """
    others = [r for r in agg.get("reviewers", []) if r != viewer.name]
    if viewer.role == "admin" or not others or len(others) >= MIN_OTHER_REVIEWERS:
        return {**agg, "suppressed": None}
    out = copy.deepcopy(agg)
    out["mean"] = dict.fromkeys(out.get("mean", {}), None)
    out["flags"] = dict.fromkeys(out.get("flags", {}), None)
    alpha = out.get("alpha", {})
    for part in ("likert", "flags"):
        if isinstance(alpha.get(part), dict):
            alpha[part] = dict.fromkeys(alpha[part], None)
    out["judges"] = {}
    trust = out.get("trust")
    if isinstance(trust, dict):
        trust.update(score=None, ci95=None, status="suppressed")
    if isinstance(out.get("explanations"), dict):  # explanation ratings pool reviewers too
        out["explanations"].update(
            between_reviewers=None, explanation_vs_reviewers=None, rated_relevant=None)
    out["suppressed"] = {
        "other_reviewers": len(others),
        "minimum": MIN_OTHER_REVIEWERS,
        "reason": f"figures pool the ratings of {len(others)} other reviewer(s); they are shown "
        f"to reviewers once at least {MIN_OTHER_REVIEWERS} others have reviewed this run",
    }
    return out
