"""A run's plan: the probes a run configuration instantiates.

Sits above ``config`` and ``probes`` and below ``engine``, ``summary``, ``compare`` and ``api``,
so every stage that needs a run's probes (to run, summarise, compare or export it) builds them
the same way without importing the API.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from medtrust.config import RunConfig
from medtrust.errors import ConfigError
from medtrust.probes import Probe, ProbeContext, probes
from medtrust.records import Case, RunInfo


def build_probes(config: RunConfig, *, accepts_images: bool | None = None) -> list[Probe[Any]]:
    """The suite's probes with the run's seed, data and limit, in suite order.

    ``accepts_images`` (when known) says whether the target takes images, so image cases are
    made only for targets that can. Raises :class:`ConfigError` for a missing ``--data`` file,
    an unknown probe or a probe whose judge is unknown: before any target call.
    """
    from medtrust.judges import judges

    data = Path(config.data) if config.data else None
    if data is not None and not data.exists():
        raise ConfigError(f"--data {data}: no such file")
    out: list[Probe[Any]] = []
    for spec in config.suite.probes:
        try:
            cls = probes.get(spec.name)
        except LookupError as exc:
            raise ConfigError(f"suite {config.suite.name!r}: {exc}") from None
        try:
            judges.check(cls.judge)  # an unknown judge fails here, before any target call
        except LookupError as exc:
            raise ConfigError(f"suite {config.suite.name!r}: probe {spec.name!r}: {exc}") from None
        limits = [x for x in (spec.limit, config.limit) if x is not None]
        focus = config.focus.get(spec.name)
        ctx = ProbeContext(
            seed=config.seed,
            accepts_images=accepts_images,
            data=data,
            with_bundled=config.with_bundled,
            limit=min(limits) if limits and focus is None else None,
            focus=frozenset(focus) if focus is not None else None,
        )
        with probes.building(spec.name):  # a pack's crashing constructor: one line, exit 2
            out.append(cls(ctx=ctx, params=spec.params))
    return out


def check_judge_specs(plist: list[Probe[Any]]) -> None:
    """Resolve every probe's ``judge`` parameter (``run --judge``: a rubric grader or an LLM
    judge, a target spec) without calling it; raises :class:`ConfigError` naming the flag and
    the spec for a bad one, so a run stops before its first target call as it does for a bad
    ``--target`` (not with every verdict a judge error). Not done by :func:`build_probes`:
    summarising a stored run must not need its grader's code."""
    specs = {s for p in plist if isinstance(s := getattr(p.params, "judge", None), str)}
    if not specs:
        return  # the graders' code is not imported for nothing (start-up, issue 15 item 7)
    from medtrust.judges._rubric_grade import check_grader

    for spec in sorted(specs):
        check_grader(spec, flag="--judge")


def probes_for(info: RunInfo) -> list[Probe[Any]]:
    """Re-create a stored run's probes (to summarise it) without touching its data."""
    config = RunConfig.model_validate(info.config)
    return build_probes(config.model_copy(update={"data": None}))


def has_image(case: Case) -> bool:
    """Whether any message of ``case`` carries an ``image_url`` part."""
    return any(
        isinstance(m.get("content"), list)
        and any(isinstance(p, dict) and p.get("type") == "image_url" for p in m["content"])
        for m in case.messages
    )
