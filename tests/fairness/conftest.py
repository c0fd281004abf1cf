"""Shared fixtures for the tabular fairness tests: one reference cohort, built once."""

from __future__ import annotations

import pandas as pd
import pytest

from medtrust.fairness.reference import demo_table


@pytest.fixture(scope="session")
def cohort() -> pd.DataFrame:
    """3,000 synthetic patients with a ``trial_eligible`` label (seed 0)."""
    return demo_table(3000, seed=0)
