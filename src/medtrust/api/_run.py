"""Run a suite against a target, or resume an interrupted run, then summarise and report it.

A run goes cohort/items -> probes -> engine -> judges -> metrics -> report, one direction. Every
stage persists to the store before the next starts, so a killed run resumes where it stopped
and a report can be rebuilt from the store alone.
"""

from __future__ import annotations

import asyncio
import os
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from medtrust._prefetch import Prefetch
from medtrust.config import RunConfig
from medtrust.engine import WINDOW, ExecStats, StageHook, open_target, run_stages
from medtrust.errors import ConfigError, MedtrustError
from medtrust.plan import build_probes, check_judge_specs, has_image
from medtrust.probes import Probe, probes
from medtrust.probes._guard import component_code
from medtrust.records import Case, RunInfo
from medtrust.store import Store
from medtrust.targets import ChatTarget

if TYPE_CHECKING:  # the summary and report stages are imported after the last request
    from medtrust.summary import RunSummary


@dataclass(kw_only=True)
class RunResult:
    """What :func:`run` and :func:`resume` hand back: the run, its JSON summary and where the
    report went."""

    run: RunInfo
    summary: RunSummary
    report_path: Path | None
    stats: ExecStats | None = None
    """What this invocation's engine did (replies sent, from the cache, rejected cache
    entries, errors); a resumed run counts only what this invocation added."""


@dataclass(kw_only=True, frozen=True)
class _Output:
    out_dir: Path | None
    per_run: bool
    redact: bool
    policy_dirs: Sequence[Path] | None


AFTER_RUN = Prefetch(
    (
        "medtrust.review:trigger_review",
        "medtrust.report:summarize_run",
        "medtrust.report:write_report",
        "medtrust.audit:record_report",
        "medtrust.review._concern_stream",
        "medtrust.report._terminal",
        "medtrust.summary",
        "medtrust.policies._reply_rules",
    )
)
"""What :func:`_finish` and the concern trigger import, imported while a run's first stage
waits for its last replies (:class:`~medtrust._prefetch.Prefetch`)."""


def new_run_id() -> str:
    """Sortable, unique: UTC time plus random suffix."""
    return f"{datetime.now(UTC):%Y%m%d-%H%M%S}-{secrets.token_hex(3)}"


def run(
    config: RunConfig,
    *,
    store: Store,
    out_dir: Path | None = None,
    hook: StageHook | None = None,
    redact: bool = True,
    policy_dirs: Sequence[Path] | None = None,
    per_run: bool = False,
) -> RunResult:
    """Run a suite against a target, persist everything, write the report.

    With ``per_run`` the HTML report goes to ``out_dir/RUN_ID/`` and ``out_dir/latest`` points
    to it (see :func:`point_latest`), so a run never overwrites an earlier run's report;
    otherwise it goes to ``out_dir`` itself; no ``out_dir``: no report file.

    Bad input (suite, data, target spec, a text-only target for image cases) raises
    :class:`MedtrustError` before anything is written. An interrupted run keeps every reply
    received and is marked ``interrupted``; :func:`resume` finishes it.
    """
    output = _Output(out_dir=out_dir, per_run=per_run, redact=redact, policy_dirs=policy_dirs)
    return _execute(config, None, store=store, hook=hook, output=output)


def resume(
    run_id: str,
    *,
    store: Store,
    out_dir: Path | None = None,
    hook: StageHook | None = None,
    redact: bool = True,
    policy_dirs: Sequence[Path] | None = None,
    per_run: bool = False,
) -> RunResult:
    """Finish an interrupted (or failed) run with its stored configuration.

    Replies and verdicts already stored are kept; error replies are asked again; nothing is
    duplicated. Raises :class:`~medtrust.errors.NotFoundError` for an unknown run and
    :class:`MedtrustError` for a run that is already done, or still running in a live process
    on this machine. Output options as for :func:`run`.
    """
    info = store.get_run(run_id)
    if info.status == "done":
        raise MedtrustError(f"run {info.id} is already done; nothing to resume")
    if (pid := store.running_here(info.id)) is not None and pid != os.getpid():
        # two processes on one run would ask the same calls twice (paid) and clash at the end
        raise MedtrustError(
            f"run {info.id} is still running (process {pid} on this machine); stop it "
            "(Ctrl-C) or let it finish before resuming"
        )
    config = RunConfig.model_validate(info.config)
    output = _Output(out_dir=out_dir, per_run=per_run, redact=redact, policy_dirs=policy_dirs)
    return _execute(config, info, store=store, hook=hook, output=output)


def _check_cases(
    config: RunConfig, target: ChatTarget, plist: list[Probe[Any]]
) -> list[list[Case] | None]:
    """For a text-only target, build every stage-0 case before anything is written: an image
    case, a bad ``--data`` line or an id clash stops the run here, with nothing stored.

    Returns, per probe, its stage-0 cases for the engine to send as they are (built once), or
    None where the engine makes them itself: for an image-capable target (nothing is built
    here), and for a probe that streams its cases (``Probe.cases`` returned a lazy sequence)
    past the first :data:`~medtrust.engine.WINDOW` cases, which are made again, streamed, so
    that memory stays flat however large the run (issue 15 item 1). A probe that returned a
    list keeps it: the engine would hold the same list.
    """
    built: list[list[Case] | None] = []
    room = WINDOW
    for p in plist:
        if target.accepts_images:
            built.append(None)
            continue
        with component_code(probes, p.name, "making its cases"):  # a crash: one line, exit 2
            made = p.cases()
            kept: list[Case] | None = made if isinstance(made, list) else []
            for case in made:
                if has_image(case):
                    raise ConfigError(
                        f"probe {p.name!r} sends images but target {config.target!r} is "
                        "text-only; set the probe's images: auto (or false), or mark the "
                        "target image-capable (openai:MODEL@URL#images)"
                    )
                if kept is made:
                    continue
                if kept is not None and len(kept) < room:
                    kept.append(case)
                else:
                    kept = None  # too many to hold: the engine streams them again
        room -= len(kept or [])
        built.append(kept)
    return built


def _execute(
    config: RunConfig,
    resumed: RunInfo | None,
    *,
    store: Store,
    hook: StageHook | None,
    output: _Output,
) -> RunResult:
    target = open_target(config, dialect=store.engine.dialect.name)
    plist = build_probes(config, accepts_images=target.accepts_images)
    check_judge_specs(plist)  # a bad --judge spec stops here, as a bad --target does
    built = _check_cases(config, target, plist)  # validate items and data up front

    async def lifecycle() -> str:
        # One event loop for preflight and stages: pooled connections belong to their loop.
        try:
            await target.preflight()
        except BaseException:
            await target.aclose()
            raise
        if resumed is not None:
            rid = resumed.id
            store.delete_error_replies(rid)
            store.set_status(rid, "running")
        else:
            rid = new_run_id()
            store.create_run(
                rid,
                suite=config.suite.name,
                target=config.target,
                seed=config.seed,
                config=config.model_dump(mode="json"),
            )
        started.append(rid)
        await run_stages(config, rid, target, store, plist, hook, stats, built, AFTER_RUN)
        return rid

    started: list[str] = []
    stats = ExecStats()
    from medtrust import _oneshot

    _oneshot.freeze()  # console script only: the collector skips what lives until the exit
    try:
        run_id = asyncio.run(lifecycle())
        from medtrust.review import trigger_review  # concern trigger (issue 18)

        with store.remembering(run_id):  # a small run is read once by the trigger, summary, report
            # the run is done once its review queue is built: stopped before, it is resumable
            trigger_review(store, run_id)
            store.set_status(run_id, "done")
            return _finish(store, store.get_run(run_id), plist, stats, output)
    except (KeyboardInterrupt, MedtrustError, asyncio.CancelledError):
        if started and store.get_run(started[0]).status != "done":
            store.set_status(started[0], "interrupted")
        raise
    except BaseException:
        if started and store.get_run(started[0]).status != "done":
            store.set_status(started[0], "failed")
        raise


def _finish(
    store: Store, info: RunInfo, plist: list[Probe[Any]], stats: ExecStats, output: _Output
) -> RunResult:
    """Summarise the finished run and write (and audit) its HTML report."""
    from medtrust.audit import record_report
    from medtrust.report import summarize_run, write_report

    summary = summarize_run(store, info, plist, policy_dirs=output.policy_dirs)
    out_dir = output.out_dir
    folder = out_dir / info.id if out_dir is not None and output.per_run else out_dir
    path = (
        write_report(store, info, summary, folder, fmt="html", redact=output.redact)
        if folder
        else None
    )
    if path is not None:
        record_report(store, info.id, fmt="html", summary=summary.to_json(), path=path)
        if output.per_run and out_dir is not None:
            point_latest(out_dir, info.id)
    return RunResult(run=info, summary=summary, report_path=path, stats=stats)


def point_latest(out_dir: Path, run_id: str) -> Path:
    """Make ``out_dir/latest`` point to ``out_dir/run_id`` and return it.

    A relative symbolic link where the OS allows one (replaced atomically: a reader never sees
    it missing); where it does not (Windows without the symlink privilege, some network file
    systems) a small text file ``latest`` holding the run id and a newline.
    """
    latest = out_dir / "latest"
    tmp = out_dir / f".latest-{secrets.token_hex(4)}"
    try:
        tmp.symlink_to(run_id, target_is_directory=True)
        os.replace(tmp, latest)
    except OSError:
        tmp.unlink(missing_ok=True)
        from medtrust._atomic import write_text_atomic

        if latest.is_symlink() or not latest.is_dir():
            write_text_atomic(latest, run_id + "\n")
    return latest
