"""What a probe is: it turns seeds into cases, and (in the attack loop) mutates what passed.

Probes are declarative classes in the garak vocabulary (a goal, tags, the judge that scores
them) with validated parameters. Adding a probe is one new file with ``@probes.register``.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, ValidationError

from medtrust.errors import ConfigError
from medtrust.metrics import Tally
from medtrust.records import Case, Verdict
from medtrust.registry import Registry


@dataclass(frozen=True, kw_only=True)
class ProbeContext:
    """What every probe may use: the run's seed, the user's ``--data`` and the item limit.

    ``focus``, when set, names the only seed items (``Case.item_id``) the probe should use
    (``run --from-feedback``); a probe honours it in its item selection, and the engine drops
    stage-0 cases of other items for probes that do not.
    """

    seed: int = 0
    accepts_images: bool | None = None
    """Whether the target takes image content parts (None: unknown, e.g. re-summarising)."""
    data: Path | None = None
    with_bundled: bool = False
    """With ``data``: ask the bundled seed items too (``--with-bundled``); ``data`` alone
    replaces them."""
    limit: int | None = None
    focus: frozenset[str] | None = None


class ProbeParams(BaseModel):
    """Base for a probe's parameters; unknown keys in a suite file are errors."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class Probe(ABC):
    """A family of cases on one axis."""

    name: ClassVar[str]
    axis: ClassVar[str]
    goal: ClassVar[str]
    judge: ClassVar[str]
    tags: ClassVar[tuple[str, ...]] = ()
    Params: ClassVar[type[ProbeParams]] = ProbeParams

    def __init__(self, *, ctx: ProbeContext, params: Mapping[str, Any] | None = None) -> None:
        self.ctx = ctx
        try:
            self.params = self.Params.model_validate(dict(params or {}))
        except ValidationError as exc:
            err = exc.errors()[0]
            where = ".".join(str(p) for p in err["loc"])
            raise ConfigError(f"probe {self.name!r}: params.{where}: {err['msg']}") from None

    @abstractmethod
    def cases(self) -> list[Case]:
        """Stage-0 cases (controls and any perturbations that do not depend on replies)."""

    def followups(
        self, stage: int, cases: Sequence[Case], verdicts: Mapping[str, Verdict]
    ) -> list[Case]:
        """Cases for stage ``stage`` (1, 2, ...) given all cases and verdicts so far."""
        return []

    def judged(
        self, cases: Sequence[Case], verdicts: Mapping[str, Verdict]
    ) -> Iterator[tuple[Case, Verdict]]:
        """This probe's cases that have a verdict, in order: what every summary counts."""
        for c in cases:
            if c.probe == self.name and (v := verdicts.get(c.id)) is not None:
                yield c, v

    @abstractmethod
    def summarize(self, cases: Sequence[Case], verdicts: Mapping[str, Verdict]) -> ProbeSummary:
        """Count failures: the axis-level tally, one tally per operator, and the controls."""


@dataclass(kw_only=True)
class ProbeSummary:
    """A probe's contribution to its axis. Controls are never pooled with perturbations."""

    total: Tally
    by_operator: dict[str, Tally]
    controls: Tally | None = None
    extra: dict[str, Any] | None = None
    note: str | None = None
    """Set by a probe whose own baseline makes its rate uninformative beyond the generic chance
    check of the summary (e.g. a constant answer cannot flip under priming); None: no objection."""


probes: Registry[type[Probe]] = Registry(
    "probe",
    group="medtrust.probes",
    builtins=(
        "medtrust.probes.robustness",
        "medtrust.probes.robustness.adaptive",
        "medtrust.probes.cognitive_bias",
        "medtrust.probes.privacy",
        "medtrust.probes.hallucination",
        "medtrust.probes.multimodal",
        "medtrust.probes.fairness",
    ),
)
