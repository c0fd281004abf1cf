"""The typed run summary (public contract): ``summary.model_dump(mode="json")`` is the run JSON.

Field names are the JSON keys of ``report --format json`` and ``run --json`` (DESIGN, "Run
JSON summary"); a key the JSON omits when it has no value is a field excluded when None
(``exclude_if``), every other None is written as ``null``. Rates are shares in [0, 1] rounded
to 6 places, ``ci95`` is ``[lo, hi]`` (Wilson 95% for failure rates, percentile bootstrap for
risk), risk scores are 0-100.

Models that carry another component's figures (a probe's extras on an axis, a policy rule, the
trust score, a judge's track record) accept extra keys, so that a probe or a policy check can add
a figure without a change here; :attr:`AxisSummary.extras` is where a probe's own figures live.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, SerializerFunctionWrapHandler, model_serializer

from medtrust.metrics import Tally


def _none(value: object) -> bool:
    return value is None


class Rates(BaseModel):
    """Failures out of scored units with the Wilson 95% interval; errors counted apart
    (``error_rate = errors / (n + errors)``, :meth:`medtrust.metrics.Tally.as_dict`)."""

    n: int
    failures: int
    failure_rate: float | None
    ci95: list[float] | None
    errors: int
    error_rate: float | None

    @classmethod
    def of(cls, tally: Tally) -> Rates:
        """The tally's contract fields (rounded to 6 places)."""
        return cls.model_validate(tally.as_dict())

    def tally(self) -> Tally:
        """Back to counts (to merge with another tally)."""
        return Tally(n=self.n, failures=self.failures, errors=self.errors)


class ProbeEntry(Rates):
    """One ``by_probe`` entry: a probe's operator (or a probe, or a compliance rule), and whether
    its probe's baseline is informative (``note`` says why not)."""

    informative: bool = True
    note: str | None = None


class ControlsSummary(BaseModel):
    """An axis's unperturbed controls as accuracy (never pooled with perturbations).

    ``ci95`` is the Wilson interval of accuracy; ``chance`` is 1 / mean option count of the
    multiple-choice controls (None where the controls are not multiple choice); ``error_rate``
    is ``errors / (n + errors)``.
    """

    n: int
    correct: int
    errors: int
    error_rate: float | None
    accuracy: float | None
    ci95: list[float] | None
    chance: float | None
    options: float | None


class AxisSummary(Rates):
    """One axis: the perturbation tally, errors over calls (controls included), controls,
    ``by_probe`` and whether the axis is informative (false, with a ``note``, when its controls
    are at chance; such an axis is left out of the risk score).

    ``calls`` counts every judged case of the axis once (a case asked k times is one call) and
    ``error_rate = errors / calls`` here (None when nothing was judged). ``error_reasons``
    ({judge's reason: cases}) and ``error_examples`` (a few distinct target error messages)
    are present only when the axis has errors. Probes' own figures (e.g. ``judge_errors``,
    ``not_applicable``, fairness by group) are extra keys: see :attr:`extras`.
    """

    model_config = ConfigDict(extra="allow")

    by_probe: dict[str, ProbeEntry] = Field(default_factory=dict)
    calls: int = 0
    informative: bool = True
    note: str | None = None
    assessed: bool = False
    controls: ControlsSummary | None = Field(default=None, exclude_if=_none)
    error_reasons: dict[str, int] | None = Field(default=None, exclude_if=_none)
    error_examples: list[str] | None = Field(default=None, exclude_if=_none)

    @model_serializer(mode="wrap")
    def _errors_last(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        # The run JSON has always listed why calls failed after the probes' own figures.
        data: dict[str, Any] = handler(self)
        if self.graders:  # open-ended: name who graded, beside the rubric score it produced
            data["graders"] = self.graders
        for key in ("error_reasons", "error_examples"):
            if key in data:
                data[key] = data.pop(key)
        return data

    @property
    def extras(self) -> dict[str, Any]:
        """The probes' own figures on this axis (the keys beyond the contract's fields)."""
        return dict(self.model_extra or {})

    @property
    def judge_errors(self) -> dict[str, dict[str, Any]]:
        """``{judge spec: {judged, errors}}`` of LLM judges whose replies were unreadable."""
        raw = self.extras.get("judge_errors")
        return raw if isinstance(raw, dict) else {}

    @property
    def graders(self) -> list[str]:
        """The rubric graders (``run --judge`` specs; ``keywords`` is the stand-in) behind an
        open-ended axis's scores, sorted; ``[]`` on an axis without a rubric score. Serialised
        as ``graders``: two runs graded by different graders do not compare
        (``medtrust gate`` refuses them)."""
        if "rubric_score" not in self.extras:
            return []
        return sorted(self.judge_errors)


class AxisRisk(BaseModel):
    """One axis's risk: ``score`` = 100 x impact x failure rate (impact = severity / the
    largest severity, :data:`medtrust.metrics.SEVERITY`), with its bootstrap interval."""

    score: float
    tier: str
    ci95: list[float]
    failure_rate: float
    severity: float
    impact: float
    n: int
    in_overall: bool = True


class RiskSummary(BaseModel):
    """``{score, tier, ci95}`` over the informative axes (:func:`medtrust.metrics.risk_score`).

    ``score`` is None, ``tier`` "not assessed" and ``reason`` says why when no axis could be
    scored; ``method`` names the interval's method when it is a bootstrap.
    """

    score: float | None
    tier: str | None
    ci95: list[float] | None
    axes_assessed: list[str] = Field(default_factory=list)
    reason: str | None = Field(default=None, exclude_if=_none)
    not_informative: list[str] = Field(default_factory=list)
    by_axis: dict[str, AxisRisk] = Field(default_factory=dict)
    method: str | None = Field(default=None, exclude_if=_none)


class RuleResult(BaseModel):
    """One policy rule on the run: pass, fail or not assessed, with its evidence."""

    model_config = ConfigDict(extra="allow")

    id: str
    pack: str
    title: str
    regulation: str
    article: str
    jurisdiction: str | None = None
    severity: str
    requirement: str
    note: str = ""
    check: str
    effective: str | None = None
    expires: str | None = None
    source: str | None = None
    status: str
    reason: str
    evidence: dict[str, Any] = Field(default_factory=dict)
    not_applicable: str | None = Field(default=None, exclude_if=_none)
    """Why the rule is not in force on the day judged (only in ``not_applicable``)."""


class ComplianceSection(BaseModel):
    """Every applicable policy rule with its evidence, and the outputs violating each
    regulation (``by_regulation``, Wilson intervals)."""

    model_config = ConfigDict(extra="allow")

    as_of: str
    definition: str
    packs: list[dict[str, Any]] = Field(default_factory=list)
    counts: dict[str, int] = Field(default_factory=dict)
    by_regulation: dict[str, Rates] = Field(default_factory=dict)
    rules: list[RuleResult] = Field(default_factory=list)
    not_applicable: list[RuleResult] = Field(default_factory=list)
    intended_purpose: Any = None


class TrustSummary(BaseModel):
    """The trust score T over the run's clinician reviews (:func:`medtrust.metrics.trust_score`)."""

    model_config = ConfigDict(extra="allow")

    score: float | None
    ci95: list[float] | None
    items: int
    reviews: int
    alpha: float
    beta: float
    min_items: int
    sufficient: bool
    status: str


class JudgeTrack(BaseModel):
    """A judge's agreement with clinicians across reviewed runs (Cohen's kappa); a judge below
    ``threshold`` is ``trusted: false`` (None: too few reviews to say)."""

    model_config = ConfigDict(extra="allow")

    n: int
    kappa: float | None = None
    ci95: list[float] | None = None
    agreement: float | None = None
    trusted: bool | None = None
    status: str | None = None
    threshold: float | None = None
    min_reviews: int | None = None


class RunSummary(BaseModel):
    """The summary of one stored run (the run JSON; DESIGN, "Run JSON summary").

    ``errors`` of ``calls`` judged cases (controls included) errored, ``error_rate`` their share;
    ``cached_replies`` of ``replies`` came from the response cache; ``warnings`` lists what a
    reader must not miss (error rates above :data:`medtrust.summary.ERROR_WARN`, axes that are
    not informative, unreadable LLM-judge replies). ``axes`` is keyed by axis name, in the order
    of :data:`medtrust.records.AXES` (then any axis a probe declares beyond them).

    Extending it: a figure of one axis goes in that axis's extra keys (:attr:`AxisSummary.extras`,
    as a probe's ``ProbeSummary.extra``); a new run-level figure is a typed field here with
    ``Field(default=None, exclude_if=...)``, so runs without it keep their JSON unchanged.
    """

    schema_version: int
    run_id: str
    target: str
    suite: str
    seed: int
    status: str
    created_at: str
    finished_at: str | None
    cases: int
    errors: int
    calls: int
    error_rate: float | None
    replies: int
    cached_replies: int
    warnings: list[str] = Field(default_factory=list)
    axes: dict[str, AxisSummary]
    risk: RiskSummary
    compliance: ComplianceSection
    trust: TrustSummary
    judges: dict[str, JudgeTrack] = Field(default_factory=dict)

    def axis(self, name: str) -> AxisSummary:
        """The axis entry; an axis this run's version does not know is an unassessed one."""
        return self.axes.get(name) or AxisSummary(
            n=0, failures=0, failure_rate=None, ci95=None, errors=0, error_rate=None
        )

    def to_json(self) -> dict[str, Any]:
        """The run JSON object (what ``report --format json`` prints)."""
        return self.model_dump(mode="json")
