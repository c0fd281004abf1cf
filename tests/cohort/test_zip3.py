"""Generated ZIP3s are real prefixes drawn by 2020 Census population (issue 13, item 4)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow.compute as pc
import yaml
from scipy.stats import chisquare

import medtrust.cohort
from medtrust.cohort import CohortConfig, generate_table, load_kb
from medtrust.cohort._zip3 import SAFE_HARBOR_THRESHOLD, populations, prefixes


def test_population_table_is_whole_and_matches_the_2010_list() -> None:
    pops = populations()
    assert len(pops) == 894 and sum(pops.values()) == 334_726_586  # the source's own totals
    data = yaml.safe_load((Path(medtrust.cohort.__file__).parent / "data"
                           / "restricted_zip3.yaml").read_text(encoding="utf-8"))
    sparse = sorted(z for z, p in pops.items() if p <= SAFE_HARBOR_THRESHOLD)
    assert sparse == sorted(data["sources"]["census-2010"]["zip3"])
    assert set(data["zip3"]) == (set(data["sources"]["census-2000"]["zip3"])
                                 | set(data["sources"]["census-2010"]["zip3"]))
    assert load_kb().restricted_zip3 == frozenset(data["zip3"])


def test_generated_zip3_are_real_prefixes_drawn_by_population() -> None:
    n = 60_000
    ident = generate_table(n, config=CohortConfig(seed=3, policy="identified"))
    z = pc.cast(ident["zip3"], "string").to_pylist()
    pops = populations()
    assert set(z) <= set(pops)  # never a prefix nobody lives in (e.g. 000, 213, 999-uniform)
    values, freq = np.unique(np.array(z), return_counts=True)
    observed = dict(zip(values.tolist(), freq.tolist(), strict=True))
    big = [p for p in prefixes() if pops[p] >= 1_000_000]  # expected >= 179 patients each
    total = sum(pops.values())
    exp = np.array([pops[p] / total * n for p in big])
    obs = np.array([observed.get(p, 0) for p in big])
    rest_obs, rest_exp = n - obs.sum(), n - exp.sum()
    assert chisquare(np.append(obs, rest_obs), np.append(exp, rest_exp)).pvalue > 1e-3
    safe = generate_table(5_000, config=CohortConfig(seed=3))
    kept = set(pc.cast(safe["zip3"], "string").to_pylist())
    assert not kept & load_kb().restricted_zip3 and kept <= set(pops) | {"000"}
