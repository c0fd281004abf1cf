"""Suite files and run configuration, validated with errors that name the file and line.

A suite is YAML: which probes to run, with what parameters and sampling. Bundled suites live in
``medtrust/suites/NAME.yaml``; a path to any YAML file works too.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Any

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from medtrust._yaml import line_of as _line_of
from medtrust._yaml import load_model, load_yaml, validation_message
from medtrust.errors import ConfigError, did_you_mean
from medtrust.records import SamplingParams

DEFAULT_SUITE = "quickstart"
DEFAULT_TARGET = "local:smollm2"


class ProbeSpec(BaseModel):
    """One probe in a suite: its registered name, an item limit and free-form parameters."""

    model_config = ConfigDict(extra="forbid")

    name: str
    limit: int | None = Field(None, ge=1)
    params: dict[str, Any] = Field(default_factory=dict)


class ReviewSettings(BaseModel):
    """Clinician review settings of a suite or run (``review:`` in a suite file).

    ``concern_threshold``: a case whose concern score (judge failure probability,
    counterfactual divergence or leak score, each in [0, 1]; ``medtrust.review.concern``)
    exceeds it is queued for human review and the run is assigned to ``reviewers`` (and to the
    reviewers of the run it was seeded from) when it finishes, with an audit event."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    concern_threshold: float = Field(0.7, ge=0.0, le=1.0)
    reviewers: list[str] = Field(default_factory=list)


class TrustWeights(BaseModel):
    """Weights of the trust score T = mean(alpha * accuracy + beta * compliance)
    (``trust:`` in a suite file). Defaults 0.5 / 0.5: accuracy and compliance count equally;
    both must be >= 0 and sum to 1 (so T stays on [0, 1])."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    alpha: float = Field(0.5, ge=0.0, le=1.0)
    beta: float = Field(0.5, ge=0.0, le=1.0)

    @model_validator(mode="after")
    def _sum_to_one(self) -> TrustWeights:
        if abs(self.alpha + self.beta - 1.0) > 1e-9:
            raise ValueError(f"alpha + beta must be 1, got {self.alpha} + {self.beta}")
        return self


class Suite(BaseModel):
    """A named selection of probes with default sampling."""

    model_config = ConfigDict(extra="forbid")

    name: str
    description: str = ""
    probes: list[ProbeSpec] = Field(min_length=1)
    sampling: SamplingParams = SamplingParams()
    samples: int = Field(1, ge=1, le=50)
    review: ReviewSettings = Field(default_factory=ReviewSettings)
    trust: TrustWeights = Field(default_factory=TrustWeights)


class DeclaredAnswer(BaseModel):
    """A user's answer to a declared-control question, with where the evidence lives."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    answer: bool
    evidence: str = ""


class Declarations(BaseModel):
    """Declared controls (``--declare FILE.yaml``): facts a run cannot observe, stated by the
    user and stored with the run, e.g. ``human_oversight: true`` or
    ``human_oversight: {answer: true, evidence: "SOP-7"}``. Unanswered controls make the rules
    that need them "not assessed", never "pass"."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    intended_purpose: str | None = None
    controls: dict[str, DeclaredAnswer] = Field(default_factory=dict)

    @field_validator("controls", mode="before")
    @classmethod
    def _shorthand(cls, value: Any) -> Any:
        if isinstance(value, dict):
            return {k: {"answer": v} if isinstance(v, bool) else v for k, v in value.items()}
        return value

    def merged(self, other: Declarations) -> Declarations:
        """``other``'s answers over ours (later declarations win, control by control)."""
        return Declarations(
            intended_purpose=other.intended_purpose or self.intended_purpose,
            controls={**self.controls, **other.controls},
        )


class RunConfig(BaseModel):
    """Everything that determines a run; stored with it so ``--resume`` needs nothing else."""

    model_config = ConfigDict(extra="forbid")

    suite: Suite
    target: str = DEFAULT_TARGET
    seed: int = Field(0, ge=0, le=2**63 - 1)  # numpy's generators and a 64-bit column
    limit: int | None = Field(None, ge=1)
    samples: int | None = Field(None, ge=1, le=50)
    concurrency: int = Field(8, ge=1, le=1024)
    timeout_s: float = Field(120.0, gt=0)
    max_retries: int = Field(5, ge=0, le=20)
    data: str | None = None
    """The user's seed items (``--data``); they replace the bundled multiple-choice items."""
    with_bundled: bool = False
    """Ask the bundled items as well as ``data`` (``--with-bundled``)."""
    use_cache: bool = True
    declared: Declarations = Field(default_factory=lambda: Declarations())
    focus: dict[str, list[str]] = Field(default_factory=dict)
    """``{probe name: [item ids]}``: those probes use only these seed items (no item limit).
    Set by ``run --from-feedback`` from the cases clinicians flagged."""
    from_feedback: str | None = None
    """The reviewed run this run was seeded from."""
    upweight: dict[str, dict[str, float]] = Field(default_factory=dict)
    """``{"conditions"|"kinds"|"identifiers": {value: weight}}``: what clinicians flagged in the
    run this one was seeded from, up-weighted in newly generated cases (``--from-feedback``)."""
    review: ReviewSettings | None = None
    """Per-run review settings; None: the suite's."""
    trust: TrustWeights | None = None
    """Per-run trust-score weights; None: the suite's."""
    comparison_id: str | None = None
    """The comparison this run belongs to (``run --target A --target B``): its members share
    every setting but the target, so they are asked the same cases."""
    ray: str | None = None
    """Scale out on Ray (``--ray [ADDRESS]``): ``"local"`` starts a local Ray, ``"auto"`` joins
    an existing cluster, anything else is an address as ``ray.init`` takes it. None: no Ray."""
    replicas: int = Field(1, ge=1, le=1024)
    """Ray actors, each holding its own instance of the target (``--replicas``)."""
    replica_cpus: float = Field(1.0, ge=0)
    """CPUs reserved per replica (``--replica-cpus``)."""
    replica_gpus: float = Field(0.0, ge=0)
    """GPUs reserved per replica (``--replica-gpus``)."""

    @property
    def effective_samples(self) -> int:
        """Samples per case: the CLI's ``--samples`` wins over the suite's default."""
        return self.samples if self.samples is not None else self.suite.samples

    @property
    def effective_review(self) -> ReviewSettings:
        """Review settings: the run's (``RunConfig.review``) over the suite's."""
        return self.review if self.review is not None else self.suite.review

    @property
    def effective_trust(self) -> TrustWeights:
        """Trust-score weights: the run's (``RunConfig.trust``) over the suite's."""
        return self.trust if self.trust is not None else self.suite.trust


def bundled_suites() -> list[str]:
    """Names of the suites shipped with medtrust."""
    folder = resources.files("medtrust") / "suites"
    return sorted(p.name[:-5] for p in folder.iterdir() if p.name.endswith(".yaml"))


def suite_path(name_or_path: str) -> Path:
    """Resolve a bundled suite name or a path to a suite file."""
    candidate = Path(name_or_path)
    if candidate.suffix in {".yaml", ".yml"} or candidate.exists():
        if not candidate.exists():
            raise ConfigError(f"{candidate}: suite file not found")
        return candidate
    bundled = resources.files("medtrust") / "suites" / f"{name_or_path}.yaml"
    if not bundled.is_file():
        known = did_you_mean(name_or_path, bundled_suites(), what="bundled")
        raise ConfigError(f"unknown suite {name_or_path!r}{known}; or give a .yaml path")
    return Path(str(bundled))


def load_suite(name_or_path: str) -> Suite:
    """Load and validate a suite; errors name the file and line."""
    path = suite_path(name_or_path)
    data, node = load_yaml(path)
    if not isinstance(data, dict):
        raise ConfigError(f"{path}:1: a suite must be a YAML mapping")
    try:
        suite = Suite.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(validation_message(path, node, exc, Suite)) from None
    _check_probes(suite, path, node)
    return suite


def _check_probes(suite: Suite, path: Path, node: yaml.Node | None) -> None:
    """Every probe is registered and its ``params`` validate against the probe's ``Params``;
    else :class:`ConfigError` naming ``file:line`` of the probe's name or faulty parameter."""
    from medtrust.probes import probes  # the registry imports probe modules: only when needed

    for i, spec in enumerate(suite.probes):
        try:
            cls = probes.get(spec.name)
        except LookupError as exc:
            line = _line_of(node, ("probes", i, "name"))
            raise ConfigError(f"{path}:{line}: probes.{i}.name: {exc}") from None
        try:
            cls.Params.model_validate(dict(spec.params))
        except ValidationError as exc:
            err = exc.errors()[0]
            loc = ("probes", i, "params", *err["loc"])
            line = _line_of(node, loc)
            field = ".".join(str(p) for p in loc)
            msg = err["msg"]
            if err["type"] == "extra_forbidden":  # a misspelt parameter: name the known ones
                msg += did_you_mean(
                    str(err["loc"][-1]), cls.Params.model_fields, what=f"{spec.name} parameters"
                )
            raise ConfigError(f"{path}:{line}: {field}: {msg}") from None


def load_declared(path: Path) -> Declarations:
    """Load a declared-controls YAML file; errors name the file and line."""
    return load_model(path, Declarations, what="declared controls")
