"""The release gate: thresholds from flags or a YAML file, one line per breach.

A threshold on something the run did not assess is a breach: a gate must not pass on evidence
that does not exist. Gate files look like::

    max_risk: 40
    max_failure: {robustness: 0.3, privacy: 0}
    max_ci_upper: {hallucination: 0.2}      # gate on the interval's upper bound
    require_compliance: [hipaa.164-502a-disclosure]
    fail_on_severity: high                  # any failing rule this severe or worse
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from medtrust.config import load_yaml, validation_message
from medtrust.errors import ConfigError
from medtrust.records import AXES

_SEVERITY_ORDER = {"low": 0, "medium": 1, "high": 2, "critical": 3}


def _axes_known(value: dict[str, float]) -> dict[str, float]:
    for axis in value:
        if axis not in AXES:
            raise ValueError(f"unknown axis {axis!r} (one of {', '.join(AXES)})")
    return value


class GateConfig(BaseModel):
    """Thresholds of a release gate; every field is optional."""

    model_config = ConfigDict(extra="forbid")

    max_risk: float | None = Field(None, ge=0, le=100)
    max_failure: dict[str, float] = Field(default_factory=dict)
    max_ci_upper: dict[str, float] = Field(default_factory=dict)
    require_compliance: list[str] = Field(default_factory=list)
    fail_on_severity: Literal["low", "medium", "high", "critical"] | None = None

    @field_validator("max_failure", "max_ci_upper")
    @classmethod
    def _rates(cls, value: dict[str, float]) -> dict[str, float]:
        for axis, rate in _axes_known(value).items():
            if not 0 <= rate <= 1:
                raise ValueError(f"{axis}: rate must be between 0 and 1, got {rate}")
        return value

    def overridden(self, other: GateConfig) -> GateConfig:
        """``other``'s thresholds (from flags) over ours (from the file)."""
        return GateConfig(
            max_risk=other.max_risk if other.max_risk is not None else self.max_risk,
            max_failure={**self.max_failure, **other.max_failure},
            max_ci_upper={**self.max_ci_upper, **other.max_ci_upper},
            require_compliance=[*self.require_compliance, *other.require_compliance],
            fail_on_severity=other.fail_on_severity or self.fail_on_severity,
        )


def load_gate_file(path: Path) -> GateConfig:
    """Load and validate a gate file; errors name the file and line."""
    data, node = load_yaml(path)
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ConfigError(f"{path}:1: a gate file must be a YAML mapping")
    try:
        return GateConfig.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(validation_message(path, node, exc)) from None


def _rate_reasons(summary: dict[str, Any], cfg: GateConfig) -> list[str]:
    reasons = []
    for axis, limit in cfg.max_failure.items():
        e = summary["axes"][axis]
        if e["failure_rate"] is None:
            reasons.append(f"{axis}: not assessed (n=0)")
        elif e["failure_rate"] > limit:
            reasons.append(
                f"{axis} failure rate {e['failure_rate']:.3f} > {limit:g} "
                f"({e['failures']}/{e['n']})"
            )
    for axis, limit in cfg.max_ci_upper.items():
        e = summary["axes"][axis]
        if not e.get("ci95"):
            reasons.append(f"{axis}: not assessed (n=0), no interval to gate on")
        elif e["ci95"][1] > limit:
            reasons.append(
                f"{axis} 95% CI upper bound {e['ci95'][1]:.3f} > {limit:g} "
                f"(rate {e['failure_rate']:.3f}, {e['failures']}/{e['n']})"
            )
    return reasons


def _rule_reasons(summary: dict[str, Any], cfg: GateConfig) -> list[str]:
    rules = {r["id"]: r for r in (summary.get("compliance") or {}).get("rules") or []}
    later = {r["id"]: r for r in (summary.get("compliance") or {}).get("not_applicable") or []}
    reasons = []
    for rid in cfg.require_compliance:
        r = rules.get(rid)
        if r is None:
            why = later[rid]["not_applicable"] if rid in later else "no such rule"
            reasons.append(f"compliance {rid}: not applicable to this run ({why})")
        elif r["status"] != "pass":
            reasons.append(f"compliance {rid}: {r['status']} ({r['reason']})")
    if cfg.fail_on_severity is not None:
        floor = _SEVERITY_ORDER[cfg.fail_on_severity]
        required = set(cfg.require_compliance)
        for r in rules.values():
            if r["id"] in required or r["status"] != "fail":
                continue
            if _SEVERITY_ORDER[r["severity"]] >= floor:
                reasons.append(f"compliance {r['id']} failed [{r['severity']}]: {r['reason']}")
    return reasons


def evaluate_gate(summary: dict[str, Any], cfg: GateConfig) -> list[str]:
    """One line per breached threshold (empty: the gate passes)."""
    reasons = []
    risk = summary["risk"]
    if cfg.max_risk is not None:
        if risk["score"] is None:
            reasons.append("risk: not assessed (no scored cases)")
        elif risk["score"] > cfg.max_risk:
            ci = risk.get("ci95")
            extra = f", 95% CI {ci[0]:.1f}-{ci[1]:.1f}" if ci else ""
            reasons.append(f"risk {risk['score']:.1f} > {cfg.max_risk:g} ({risk['tier']}{extra})")
    return reasons + _rate_reasons(summary, cfg) + _rule_reasons(summary, cfg)
