"""What a cohort is generated from: seed, output policy, population margins, balancing.

A patient is a pure function of (config, index), so the config is frozen and hashable: two runs
with equal configs produce identical cohorts, whatever the chunk size or output format.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

ATTRIBUTES: tuple[str, ...] = ("sex", "age_band", "race_ethnicity", "insurance", "language")
"""Demographic attributes whose margins can be overridden or balanced."""

Policy = Literal["safe_harbor", "identified"]


class CohortConfig(BaseModel):
    """Generation settings. Safe Harbor output unless ``policy='identified'``.

    ``margins`` overrides population margins per attribute (``{"sex": {"female": 0.5, ...}}``,
    age bands as ``{"0-17": 0.2, ...}``). ``balance`` names an attribute or an ICD-10-CM code to
    reweight by ``w_c = 1 / P(c)`` so the cohort is balanced on it. ``rare_boost`` multiplies the
    probability of every condition whose prevalence is below ``rare_threshold``.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    seed: int = Field(0, ge=0, lt=2**63)
    policy: Policy = "safe_harbor"
    margins: dict[str, dict[str, float]] = Field(default_factory=dict)
    balance: str | None = None
    rare_boost: float = Field(1.0, ge=1.0, le=1e6)
    rare_threshold: float = Field(1e-4, gt=0.0, lt=1.0)
    reference_year: int = Field(2024, ge=1900, le=2200)

    def key(self) -> str:
        """A stable text key (used to cache compiled plans)."""
        return self.model_dump_json()
