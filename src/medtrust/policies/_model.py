"""What a policy pack is: versioned YAML data, validated here.

A pack names a regulation, its jurisdiction and the date it takes effect; each rule names its
article, a severity, the requirement in plain language and one check. Checks are of four kinds:

* ``judge``: a judge over stored replies (``phi_disclosure``: an output reveals identifiers
  from its input; ``identifiers_in_output``: an output contains any identifier-shaped span);
* ``metric``: a threshold over an axis of the run summary (e.g. fairness flip rate);
* ``declared``: a control the user answers in the run's declarations (e.g. human oversight);
* ``evidence``: something the run itself shows (logging complete, documentation generable);
* ``output``: a detector over every output's text (a fully automated significant decision,
  GDPR Art. 22; a missing AI-generated notice, EU AI Act Art. 50), with the declared control
  that states the same fact shown beside it as a second source.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from medtrust.records import AXES

Severity = Literal["low", "medium", "high", "critical"]
SEVERITY_ORDER: dict[str, int] = {"low": 0, "medium": 1, "high": 2, "critical": 3}
Status = Literal["pass", "fail", "not assessed"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class JudgeCheck(_Strict):
    """Reply-level: each output exposed to identifiers is judged; the rule's violation rate is
    the share of those outputs that violate it."""

    kind: Literal["judge"]
    judge: Literal["phi_disclosure", "identifiers_in_output"]
    types: list[str] | None = None
    max_rate: float = Field(0.0, ge=0.0, le=1.0)

    @field_validator("types")
    @classmethod
    def _known(cls, types: list[str] | None) -> list[str] | None:
        # the identifier detector (below policies) is imported when used: it loads the PHI matcher
        from medtrust._redaction import IDENTIFIER_TYPES

        for t in types or []:
            if t not in IDENTIFIER_TYPES:
                raise ValueError(f"unknown identifier type {t!r} ({', '.join(IDENTIFIER_TYPES)})")
        return types


class MetricCheck(_Strict):
    """A threshold on ``axes.AXIS.FIELD`` (dotted path) of the summary; ``use`` picks the
    estimate or a bound of the ``ci95`` beside the field (conservative gating)."""

    kind: Literal["metric"]
    axis: str
    field: str = "failure_rate"
    max: float | None = None
    min: float | None = None
    use: Literal["estimate", "ci_upper", "ci_lower"] = "estimate"

    @field_validator("axis")
    @classmethod
    def _axis(cls, axis: str) -> str:
        if axis not in AXES:
            raise ValueError(f"unknown axis {axis!r} ({', '.join(AXES)})")
        return axis

    @model_validator(mode="after")
    def _one_bound(self) -> MetricCheck:
        if (self.max is None) == (self.min is None):
            raise ValueError("a metric check needs exactly one of max or min")
        return self


class DeclaredCheck(_Strict):
    """A question the user answers under ``controls.CONTROL`` in the declarations file."""

    kind: Literal["declared"]
    control: str = Field(pattern=r"^[A-Za-z0-9_.-]+$")
    question: str
    expect: bool = True


class OutputCheck(_Strict):
    """Reply-level over every output in scope (:mod:`medtrust.policies._reply_rules`):
    ``automated_decision`` (GDPR Art. 22: a reply says a significant decision is fully
    automated, with no human involvement) or ``ai_notice_missing`` (EU AI Act Art. 50: a reply
    carries no notice that AI generated it). ``axes`` limits the scope (all axes when unset);
    ``declared_control`` names the declared control stating the same fact, shown beside the
    observed status as a second source."""

    kind: Literal["output"]
    detector: Literal["automated_decision", "ai_notice_missing"]
    axes: list[str] | None = None
    max_rate: float = Field(0.0, ge=0.0, le=1.0)
    declared_control: str | None = Field(None, pattern=r"^[A-Za-z0-9_.-]+$")

    @field_validator("axes")
    @classmethod
    def _axes(cls, axes: list[str] | None) -> list[str] | None:
        for a in axes or []:
            if a not in AXES:
                raise ValueError(f"unknown axis {a!r} ({', '.join(AXES)})")
        return axes


class EvidenceCheck(_Strict):
    """Something the stored run shows by itself."""

    kind: Literal["evidence"]
    evidence: Literal["logging", "documentation", "risk_assessed"]


Check = Annotated[
    JudgeCheck | MetricCheck | DeclaredCheck | EvidenceCheck | OutputCheck,
    Field(discriminator="kind"),
]


class RuleSpec(_Strict):
    """One rule as written in a pack; unset fields inherit from the pack."""

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9._-]*$")
    title: str
    article: str
    severity: Severity
    requirement: str
    check: Check
    regulation: str | None = None
    jurisdiction: str | None = None
    effective: date | None = None
    expires: date | None = None
    note: str = ""
    enabled: bool = True


class PackSpec(_Strict):
    """A policy pack file."""

    pack: str = Field(pattern=r"^[a-z0-9][a-z0-9._-]*$")
    title: str
    version: str
    regulation: str
    jurisdiction: str
    effective: date
    expires: date | None = None
    description: str = ""
    rules: list[RuleSpec] = Field(default_factory=list)


@dataclass(frozen=True, kw_only=True)
class Rule:
    """A rule with everything inherited from its pack resolved, and where it came from."""

    id: str
    pack: str
    title: str
    regulation: str
    article: str
    jurisdiction: str
    effective: date
    expires: date | None
    severity: Severity
    requirement: str
    check: JudgeCheck | MetricCheck | DeclaredCheck | EvidenceCheck | OutputCheck
    note: str
    enabled: bool
    source: str

    def applies_on(self, day: date) -> tuple[bool, str]:
        """Whether the rule is in force on ``day``, and why not when it is not."""
        if day < self.effective:
            return False, f"takes effect {self.effective.isoformat()}"
        if self.expires is not None and day >= self.expires:
            return False, f"expired {self.expires.isoformat()}"
        return True, ""


@dataclass(frozen=True, kw_only=True)
class Pack:
    """A pack's metadata (its rules are resolved into :class:`Rule` objects)."""

    name: str
    title: str
    version: str
    regulation: str
    jurisdiction: str
    effective: date
    expires: date | None
    description: str
    source: str

    def as_dict(self, day: date) -> dict[str, object]:
        """The summary's view of the pack on ``day``."""
        live = day >= self.effective and (self.expires is None or day < self.expires)
        return {
            "name": self.name,
            "title": self.title,
            "version": self.version,
            "regulation": self.regulation,
            "jurisdiction": self.jurisdiction,
            "effective": self.effective.isoformat(),
            "expires": self.expires.isoformat() if self.expires else None,
            "in_force": live,
            "source": self.source,
        }
