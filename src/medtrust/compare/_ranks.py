"""Ranks with bootstrap intervals: rank 1 = the lowest failure rate, ties share their average
rank, and each rank's interval is the percentile interval over bootstrap samples of the units
(seed items drawn with replacement from the union of every run's scored items, seeded)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from medtrust.compare._stats import (
    Matrix,
    average_ranks,
    bootstrap_weights,
    percentile,
    resampled_rates,
)
from medtrust.compare._units import Outcomes
from medtrust.records import RunInfo


def _ci(ci: tuple[float, float] | None) -> list[float] | None:
    return None if ci is None else [round(ci[0], 6), round(ci[1], 6)]


def unit_matrix(units: Sequence[Outcomes]) -> tuple[list[str], Matrix]:
    """Units (union of every run's scored keys, sorted) x runs: 1 failure, 0 pass, NaN not
    scored by that run."""
    keys = sorted(set().union(*(u.scored for u in units))) if units else []
    m = np.full((len(keys), len(units)), np.nan)
    index = {k: i for i, k in enumerate(keys)}
    for j, u in enumerate(units):
        for k, v in u.scored.items():
            m[index[k], j] = v
    return keys, m


def rank_entries(
    runs: Sequence[RunInfo], units: Sequence[Outcomes], *, resamples: int, seed: int
) -> list[dict[str, Any]]:
    """Rank 1 = lowest failure rate (ties share their average rank), with the percentile
    interval of the rank over ``resamples`` bootstrap samples of the units (seeded)."""
    _, m = unit_matrix(units)
    if m.shape[0] == 0:
        return []
    point = resampled_rates(np.ones((1, m.shape[0])), m)
    ranks = average_ranks(point)[0]
    draws = average_ranks(
        resampled_rates(bootstrap_weights(m.shape[0], resamples=resamples, seed=seed), m)
    )
    cis = percentile(draws)
    return [
        {
            "run_id": r.id,
            "target": r.target,
            "rank": float(ranks[j]) if not np.isnan(point[0, j]) else None,
            "ci95": _ci(cis[j]) if not np.isnan(point[0, j]) else None,
        }
        for j, r in enumerate(runs)
    ]
