"""Ranks with bootstrap intervals: rank 1 = the lowest failure rate, ties share their average
rank, and each rank's interval is the percentile interval over bootstrap samples of the units
(seed items drawn with replacement from the union of every run's scored items, seeded). The
units x runs matrix is one float per unit and run (:func:`medtrust.compare._pairing.matrix`)
and the resamples are drawn in blocks (:func:`medtrust.compare._stats.bootstrap_draws`)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from medtrust.compare._pairing import matrix
from medtrust.compare._stats import (
    Matrix,
    average_ranks,
    bootstrap_draws,
    percentile,
    resampled_rates,
)
from medtrust.compare._units import Outcomes
from medtrust.records import RunInfo


def _ci(ci: tuple[float, float] | None) -> list[float] | None:
    return None if ci is None else [round(ci[0], 6), round(ci[1], 6)]


def _matrix(values: Sequence[Mapping[str, float]]) -> Matrix:
    """Keys (union, sorted) x runs of a per-unit value; NaN where a run has none."""
    keys = sorted(set().union(*values)) if values else []
    m = np.full((len(keys), len(values)), np.nan)
    index = {k: i for i, k in enumerate(keys)}
    for j, u in enumerate(values):
        for k, v in u.items():
            m[index[k], j] = v
    return m


def _ranked(runs: Sequence[RunInfo], m: Matrix, *, resamples: int, seed: int
            ) -> list[dict[str, Any]]:
    """Rank 1 = the smallest mean of ``m``'s column, with its bootstrap percentile interval."""
    if m.shape[0] == 0:
        return []
    point = resampled_rates(np.ones((1, m.shape[0])), m)
    ranks = average_ranks(point)[0]
    draws = bootstrap_draws(
        m.shape[0], lambda w: average_ranks(resampled_rates(w, m)), resamples=resamples, seed=seed
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


def rank_entries(
    runs: Sequence[RunInfo], units: Sequence[Outcomes], *, resamples: int, seed: int
) -> list[dict[str, Any]]:
    """Rank 1 = lowest failure rate (ties share their average rank), with the percentile
    interval of the rank over ``resamples`` bootstrap samples of the units (seeded)."""
    return _ranked(runs, matrix(units), resamples=resamples, seed=seed)


def score_rank_entries(
    runs: Sequence[RunInfo], scores: Sequence[Mapping[str, float]], *, resamples: int, seed: int
) -> list[dict[str, Any]]:
    """Rank 1 = the highest mean rubric score of the open-ended controls (``{probe|item:
    score}`` per run, :func:`medtrust.compare._rubric_drift.control_scores`), ties sharing their
    average rank, with the percentile interval of the rank over bootstrap samples of the seed
    conversations (seeded, as :func:`rank_entries`). A run at 1.0 and one at 0.5 whose controls
    all still pass the pass mark tie on the failure rate but not here."""
    flipped = [{k: 1.0 - v for k, v in s.items()} for s in scores]
    return _ranked(runs, _matrix(flipped), resamples=resamples, seed=seed)
