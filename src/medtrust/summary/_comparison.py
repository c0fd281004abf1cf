"""The typed comparison of stored runs (``medtrust compare --format json`` is its
``model_dump(mode="json")``).

Per axis (and per operator or probe): each run's failure rate over its scored units with the
Wilson interval; for each pair of runs the paired difference on the units both scored
(Newcombe's interval, exact McNemar test, Holm-corrected across the axis's pairs); each run's
rank (1 = fewest failures) with a bootstrap interval; then the static-versus-dynamic gap
(Kendall's tau-b between the two rankings) and, with a baseline, drift. Rates are shares in
[0, 1]; errors are counted apart and never scored.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class _Open(BaseModel):
    """A section other issues may add figures to: extra keys are kept."""

    model_config = ConfigDict(extra="allow")


class ComparedRun(_Open):
    """One compared run: its display ``label`` and its overall risk (0-100) and tier."""

    run_id: str
    label: str
    target: str
    suite: str
    seed: int
    status: str
    comparison_id: str | None
    cases: int
    risk: float | None
    risk_tier: str | None


class RateEntry(_Open):
    """One run's rate on an axis or operator: ``failures / n`` scored units (Wilson ``ci95``),
    ``errors`` / ``error_rate`` over its judged cases, ``unscored`` units, and whether the run
    summary finds it informative."""

    run_id: str
    target: str
    n: int
    failures: int
    failure_rate: float | None
    ci95: list[float] | None
    errors: int
    error_rate: float | None
    unscored: int
    informative: bool = True
    note: str | None = None


class PairEntry(_Open):
    """Run ``b`` against run ``a`` on the ``n`` units both scored: ``difference = rate_b -
    rate_a`` with Newcombe's 95% interval, exact McNemar ``p_value`` and Holm's ``p_holm``."""

    a: str
    b: str
    target_a: str
    target_b: str
    n: int
    unpaired: int
    rate_a: float | None
    rate_b: float | None
    failed_only_a: int
    failed_only_b: int
    difference: float | None
    ci95: list[float] | None
    p_value: float | None
    p_holm: float | None = None
    significant: bool = False


class RankEntry(_Open):
    """A run's rank on an axis (1 = fewest failures; ties share the mean rank) with its
    bootstrap 95% interval."""

    run_id: str
    target: str
    rank: float | None
    ci95: list[float] | None


class OperatorComparison(_Open):
    """Rates and paired tests on one operator or probe."""

    rates: list[RateEntry]
    pairwise: list[PairEntry]


class AxisComparison(_Open):
    """One axis: rates, pairwise tests, ranks, and the same per operator or probe."""

    unit: str
    rates: list[RateEntry]
    pairwise: list[PairEntry]
    ranks: list[RankEntry]
    informative: bool
    by_probe: dict[str, OperatorComparison] = Field(default_factory=dict)


class GapModel(_Open):
    """One run's static accuracy (controls) and dynamic failure rate (perturbations), each with
    its Wilson interval and its rank among the runs."""

    run_id: str
    target: str
    static_n: int
    static_accuracy: float | None
    static_ci95: list[float] | None
    dynamic_n: int
    dynamic_failure_rate: float | None
    dynamic_ci95: list[float] | None
    static_rank: float | None
    dynamic_rank: float | None
    rank_shift: float | None
    informative: bool = True
    note: str | None = None


class StaticVsDynamic(_Open):
    """Whether the static benchmark ranks the runs as the dynamic attack does: Kendall's tau-b
    between the two rankings with a bootstrap 95% interval (None with fewer than 3 runs)."""

    axis: str | None
    static: str
    dynamic: str | None
    models: list[GapModel]
    kendall_tau: float | None
    ci95: list[float] | None


class DriftTest(_Open):
    """A paired change from the baseline: ``change = rate_after - rate_before`` on the ``n``
    shared scored units, Newcombe's 95% interval, exact McNemar ``p_value``; ``worse`` and
    ``better`` count the units that changed each way."""

    n: int
    rate_before: float | None
    rate_after: float | None
    change: float | None
    ci95: list[float] | None
    worse: int
    better: int
    p_value: float | None


class DriftAxis(DriftTest):
    """A drift test on an axis, Holm-corrected across the axes."""

    p_holm: float | None
    significant: bool


class Drift(_Open):
    """One run against the baseline: per-axis changes, the controls' change (static accuracy
    as wrong answers) and the probe units whose outcome changed (``changed``: ``unit``,
    ``axis``, ``probe``, ``item_id``, ``case_id`` and ``operator`` for a one-perturbation unit,
    ``before``, ``after``; per axis as many as its ``worse + better``). ``shared_cases``:
    judged cases both runs scored; ``shared_units``: probe units both runs scored."""

    baseline: str
    run: str
    target_before: str
    target_after: str
    shared_cases: int
    shared_units: int = 0
    axes: dict[str, DriftAxis]
    static_controls: DriftTest | None
    changed: list[dict[str, Any]]


class Comparison(BaseModel):
    """The comparison of stored runs (``medtrust compare``); renderers only read it."""

    schema_version: int
    runs: list[ComparedRun]
    comparison_ids: list[str]
    baseline: str | None
    bootstrap: dict[str, Any]
    alpha: float
    warnings: list[str] = Field(default_factory=list)
    axes: dict[str, AxisComparison]
    static_vs_dynamic: StaticVsDynamic
    drift: list[Drift] | None = Field(default=None, exclude_if=lambda v: v is None)

    def labels(self) -> dict[str, str]:
        """``{run id: display label}``."""
        return {r.run_id: r.label for r in self.runs}

    def to_json(self) -> dict[str, Any]:
        """The comparison JSON object (what ``compare --format json`` prints)."""
        return self.model_dump(mode="json")
