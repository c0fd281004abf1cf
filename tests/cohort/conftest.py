"""Shared fixtures: small cohorts generated once per session (the generator is deterministic)."""

from __future__ import annotations

import pandas as pd
import pyarrow as pa
import pytest

from medtrust.cohort import CohortConfig, generate_table, load_kb
from medtrust.cohort._kb import KnowledgeBase


@pytest.fixture(scope="session")
def kb() -> KnowledgeBase:
    return load_kb()


@pytest.fixture(scope="session")
def boosted_table() -> pa.Table:
    """Rare conditions boosted so that edge cases (cancers, rare diseases) are present."""
    return generate_table(20000, config=CohortConfig(seed=11, rare_boost=300))


@pytest.fixture(scope="session")
def sh_table() -> pa.Table:
    return generate_table(3000, config=CohortConfig(seed=5))


PROSTATE = frozenset({"N40.1", "C61"})
"""Anatomy rule of plausibility.yaml: conditions of the prostate (male sex at birth only)."""


@pytest.fixture(scope="session")
def clinical_table() -> pd.DataFrame:
    """A plausible table with the validator's columns (sex, age, ;-joined conditions) and two
    numeric ones, cut from a generated cohort to a few codes so that a learned model can hold
    every combination (sex-specific and age-limited codes among them)."""
    t = generate_table(3000, config=CohortConfig(seed=7)).to_pandas()
    keep = {*PROSTATE, "E66.9", "I10", "E11.9", "N80.9", "E28.2", "N95.1"}
    conds = t["conditions"].map(lambda v: ";".join(sorted(set(v) & keep)))
    return pd.DataFrame({"sex": t["sex"].astype(str), "age": t["age"].astype(int),
                         "conditions": conds.where(conds != "", None),
                         "lab_hgb": t["lab_hgb"], "vital_bmi": t["vital_bmi"]})
