"""Feedback reaches generation: extra scenarios drawn with what clinicians flagged up-weighted.

``run --from-feedback`` passes the flagged run's ``{"conditions": {name: share},
"kinds": {kind: share}}`` (shares of the flagged cases, :func:`medtrust.review.feedback_weights`)
as the probe's ``upweight``. Besides re-asking the flagged items, the probe then draws
``feedback_items`` new scenarios from a seeded candidate pool, without replacement, with
probability proportional to ``1 + FACTOR * (share of the condition + share of the kind)``: a
candidate of a condition behind every flagged case is ``1 + FACTOR`` times as likely as an
unflagged one. Each drawn case records why (``meta.upweighted``), so the summary can say so.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

FACTOR = 9.0
"""A fully flagged value is up to ten times as likely to be drawn as an unflagged one."""
POOL = 40
"""Candidate scenarios generated beyond the regular ones (each as recommendation and triage)."""


def weight(condition: str, kind: str, upweight: Mapping[str, Mapping[str, float]]) -> float:
    """The draw weight of one candidate (see the module doc)."""
    share = float(upweight.get("conditions", {}).get(condition, 0.0))
    share += float(upweight.get("kinds", {}).get(kind, 0.0))
    return 1.0 + FACTOR * share


def reasons(condition: str, kind: str, upweight: Mapping[str, Mapping[str, float]]) -> list[str]:
    """Which flagged values a candidate matches (``condition=...``, ``kind=...``)."""
    out = []
    if condition in upweight.get("conditions", {}):
        out.append(f"condition={condition}")
    if kind in upweight.get("kinds", {}):
        out.append(f"kind={kind}")
    return out


def draw(
    candidates: Sequence[tuple[str, str]],
    upweight: Mapping[str, Mapping[str, float]],
    k: int,
    seed: int,
) -> list[int]:
    """Indices of ``k`` candidates ``(condition, kind)`` drawn without replacement with the
    weights above (numpy ``Generator.choice``), in candidate order."""
    if not candidates or k <= 0:
        return []
    w = np.array([weight(c, kd, upweight) for c, kd in candidates], dtype=float)
    rng = np.random.Generator(np.random.PCG64([seed, 0xFEED]))
    picked = rng.choice(len(candidates), size=min(k, len(candidates)), replace=False, p=w / w.sum())
    return sorted(int(i) for i in picked)


def feedback_summary(cases: Sequence[Any], upweight: Mapping[str, Any], source: str | None
                     ) -> dict[str, Any]:
    """The summary's ``feedback`` entry: weights used, items added, and how many match."""
    added = sorted({str(c.item_id) for c in cases if c.meta.get("upweighted") is not None})
    matched: dict[str, int] = {}
    seen: set[str] = set()
    for c in cases:
        if c.meta.get("upweighted") is None or c.item_id in seen:
            continue
        seen.add(str(c.item_id))
        for r in c.meta["upweighted"]:
            matched[r] = matched.get(r, 0) + 1
    return {
        "from_run": source,
        "weights": {k: dict(v) for k, v in upweight.items()},
        "factor": FACTOR,
        "items_added": len(added),
        "items_matching": dict(sorted(matched.items())),
        "note": f"{len(added)} new items drawn with what clinicians flagged in run {source} "
                f"up-weighted (up to {1 + FACTOR:g}x as likely); flagged items are re-asked too",
    }
