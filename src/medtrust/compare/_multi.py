"""``medtrust run SUITE --target A --target B ...``: one suite, several targets, one case set.

Every member run has the same configuration except its target (same suite, seed, limit, data,
sampling), so stage 0 asks every target exactly the same cases (case ids are content hashes);
attack follow-ups are made from each target's own verdicts, so adaptive attacks adapt per
target. The members are grouped by a comparison id stored in each run's configuration.

Targets run one after another, each with the whole ``--concurrency`` budget: the budget is
never exceeded, the store and its audit chain see one writer at a time, and an interruption
leaves exactly one member unfinished (``run --resume RUN_ID`` finishes it; the message names
the targets not yet started).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TypeVar

from medtrust.compare._resolve import new_comparison_id
from medtrust.config import RunConfig
from medtrust.errors import MedtrustError

R = TypeVar("R")


def member_dir(out_dir: Path, index: int, target: str) -> Path:
    """Where member ``index``'s report goes: ``OUT/NN-target`` (a file-name-safe target)."""
    slug = re.sub(r"[^A-Za-z0-9._-]+", "_", target).strip("_")[:60] or "target"
    return out_dir / f"{index + 1:02d}-{slug}"


def check_targets(targets: Sequence[str]) -> list[str]:
    """The targets, validated up front (nothing is written on a bad spec); a target named twice
    is an error rather than a run compared with itself."""
    from medtrust.targets import load_chat_target

    seen: set[str] = set()
    for t in targets:
        if t in seen:
            raise MedtrustError(f"--target {t!r} is given twice")
        seen.add(t)
        load_chat_target(t)
    return list(targets)


def run_targets(
    config: RunConfig,
    targets: Sequence[str],
    *,
    run_one: Callable[[RunConfig, Path | None], R],
    out_dir: Path | None,
    comparison_id: str | None = None,
) -> tuple[str, list[R]]:
    """Run ``config`` against each target in turn under a new comparison id.

    ``run_one(member_config, member_out_dir)`` runs one member (the CLI passes ``api.run`` with
    its progress display) and its results are returned in target order with the comparison
    id (``comparison_id``, or a new one). Bad target specs, suites or ``--data`` raise before
    any member is created. An exception mid-way (Ctrl-C) leaves every finished member stored
    and the running one resumable; a note on the exception names the targets not started.
    """
    check_targets(targets)
    from medtrust.plan import build_probes

    build_probes(config)
    cid = comparison_id or new_comparison_id()
    results: list[R] = []
    for i, target in enumerate(targets):
        member = config.model_copy(update={"target": target, "comparison_id": cid})
        try:
            results.append(run_one(member, member_dir(out_dir, i, target) if out_dir else None))
        except BaseException as exc:
            rest = ", ".join(targets[i + 1 :]) or "none"
            exc.add_note(f"comparison {cid}: targets not started: {rest}")
            raise
    return cid, results
