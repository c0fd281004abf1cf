"""Shared fixtures: small cohorts generated once per session (the generator is deterministic)."""

from __future__ import annotations

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
