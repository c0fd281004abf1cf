"""Real three-digit ZIP prefixes and their 2020 Census population (``data/zip3_population.csv``).

The generator draws a patient's ZIP3 with probability proportional to the prefix's residents,
so a synthetic cohort is spread over the country as people are (uniform draws over 000-999
would put a third of patients in prefixes that do not exist). The Safe Harbor checker uses the
same table: a prefix with no residents in it holds "20,000 or fewer people" and must be 000
(45 CFR 164.514(b)(2)(i)(B)).
"""

from __future__ import annotations

import csv
from functools import cache
from importlib import resources

import numpy as np
import numpy.typing as npt

SAFE_HARBOR_THRESHOLD = 20_000
"""A ZIP3 must be replaced by 000 when its population is at or below this (164.514(b)(2)(i)(B))."""


@cache
def populations() -> dict[str, int]:
    """``{zip3: residents}`` for the 894 populated prefixes (2020 Census DHC P1, by ZCTA)."""
    text = resources.files("medtrust.cohort").joinpath("data/zip3_population.csv").read_text(
        encoding="utf-8")
    rows = csv.DictReader(line for line in text.splitlines() if not line.startswith("#"))
    return {r["zip3"]: int(r["population"]) for r in rows}


@cache
def prefixes() -> tuple[str, ...]:
    """Populated prefixes, sorted."""
    return tuple(sorted(populations()))


@cache
def cumulative() -> npt.NDArray[np.float64]:
    """Cumulative share of the population over :func:`prefixes` (last value 1.0)."""
    pops = np.array([populations()[z] for z in prefixes()], dtype=np.float64)
    cum: npt.NDArray[np.float64] = np.cumsum(pops) / pops.sum()
    return cum


def draw(u: npt.NDArray[np.float32]) -> npt.NDArray[np.int64]:
    """Index into :func:`prefixes` for each uniform in ``u`` (inverse CDF, by population)."""
    idx = np.searchsorted(cumulative(), u.astype(np.float64), side="right")
    return np.minimum(idx, len(prefixes()) - 1).astype(np.int64)


def sparse(zip3: str) -> bool:
    """True when the prefix has 20,000 or fewer residents (or none: not a populated prefix)."""
    return populations().get(zip3, 0) <= SAFE_HARBOR_THRESHOLD
