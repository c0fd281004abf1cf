"""What a probe is: it turns seeds into cases, and (in the attack loop) mutates what passed.

Probes are declarative classes in the garak vocabulary (a goal, tags, the judge that scores
them) with validated parameters. Adding a probe is one new file under ``medtrust/probes/`` with
``@probes.register``: the registry finds it by walking the package and takes its name from the
class. A probe is generic over its parameter model (``class DAS(Probe[DASParams])``), which is
its ``Params``: the parameters are declared once.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar, Generic, cast, get_args, get_origin

from pydantic import BaseModel, ConfigDict, ValidationError
from typing_extensions import TypeVar  # PEP 696 defaults: a bare ``Probe`` is Probe[ProbeParams]

from medtrust.errors import ComponentError, ConfigError
from medtrust.metrics import Tally
from medtrust.records import Axis, Case, Verdict
from medtrust.registry import Registry, did_you_mean


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


P = TypeVar("P", bound=ProbeParams, default=ProbeParams)


class Probe(ABC, Generic[P]):
    """A family of cases on one axis; ``P`` is its parameter model (``self.params``)."""

    name: ClassVar[str]
    axis: ClassVar[Axis]
    goal: ClassVar[str]
    judge: ClassVar[str]
    tags: ClassVar[tuple[str, ...]] = ()
    Params: ClassVar[type[ProbeParams]] = ProbeParams
    """Derived from the generic argument (``Probe[XParams]``); never set by hand."""

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        for base in getattr(cls, "__orig_bases__", ()):
            origin = get_origin(base)
            if isinstance(origin, type) and issubclass(origin, Probe):
                (arg,) = get_args(base)
                if isinstance(arg, type) and issubclass(arg, ProbeParams):
                    if "Params" in cls.__dict__:  # a second declaration could disagree
                        raise ComponentError(
                            f"probe {cls.__module__}.{cls.__qualname__}: Params is set by hand "
                            f"beside Probe[{arg.__name__}]; declare it once, as the generic "
                            "argument"
                        )
                    cls.Params = arg

    def __init__(self, *, ctx: ProbeContext, params: Mapping[str, Any] | None = None) -> None:
        self.ctx = ctx
        try:
            self.params: P = cast(P, self.Params.model_validate(dict(params or {})))
        except ValidationError as exc:
            err = exc.errors()[0]
            where = ".".join(str(p) for p in err["loc"])
            raise ConfigError(f"probe {self.name!r}: params.{where}: {err['msg']}") from None

    @abstractmethod
    def cases(self) -> Sequence[Case]:
        """Stage-0 cases (controls and any perturbations that do not depend on replies): a
        list, or for a large input a sequence generating its cases on each iteration (the
        engine streams them through the store in windows)."""

    def followups(
        self, stage: int, cases: Sequence[Case], verdicts: Mapping[str, Verdict]
    ) -> list[Case]:
        """Cases for stage ``stage`` (1, 2, ...) given all cases and verdicts so far."""
        return []

    def follows_up(self, parent: Verdict | None) -> bool:
        """Whether a run sends this probe's later-stage cases of a control with verdict
        ``parent``: by default only a control answered right (DAS's rule: an attack on an item
        the target already gets wrong measures nothing). ``followups`` applies it; an import
        of cases listed before any answer (``medtrust import inspect``) uses it to leave out
        what a run would not have sent, so that both count the same cases."""
        return parent is not None and parent.outcome == "pass"

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


def _check_probe(name: str, cls: type[Probe[Any]]) -> None:
    """What registration checks (one :class:`ComponentError` line naming the class): a
    ``Probe`` subclass with an axis of :data:`medtrust.records.Axis`, a goal and a judge name.
    Whether the judge exists is checked when probes are built, before
    any target call (``medtrust.api.build_probes``): judges are another registry."""
    where = f"{cls.__module__}.{cls.__qualname__}"
    if not (isinstance(cls, type) and issubclass(cls, Probe)):
        raise ComponentError(f"probe {name!r} ({where}) is not a medtrust.probes.Probe")
    axes = get_args(Axis)
    if getattr(cls, "axis", None) not in axes:
        raise ComponentError(
            f"probe {name!r} ({where}): unknown axis {getattr(cls, 'axis', None)!r}"
            + did_you_mean(str(getattr(cls, "axis", None)), axes, what="one of")
        )
    for attr in ("goal", "judge"):
        if not isinstance(getattr(cls, attr, None), str):
            raise ComponentError(f"probe {name!r} ({where}): `{attr}` must be a string")


probes: Registry[type[Probe[Any]]] = Registry(
    "probe", group="medtrust.probes", package="medtrust.probes", check=_check_probe
)
"""Every probe: the public modules of ``medtrust.probes`` (walked on first lookup) and the
``medtrust.probes`` entry points."""
