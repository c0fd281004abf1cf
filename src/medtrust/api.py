"""The Python API the CLI uses: run a suite, resume it, summarise and report it.

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
from typing import Any

from pydantic import ValidationError

from medtrust.audit import record_gate, record_report
from medtrust.config import RunConfig, Suite, load_suite
from medtrust.engine import MAX_STAGES, ExecStats, StageHook, run_stages
from medtrust.errors import ConfigError, MedtrustError
from medtrust.probes import Probe, ProbeContext, probes
from medtrust.records import Case, RunInfo, Verdict
from medtrust.report import GateConfig, evaluate_gate, summarize, write_report

__all__ = [
    "RunResult",
    "build_probes",
    "export_cases",
    "feedback_config",
    "gate",
    "load_suite",
    "make_config",
    "point_latest",
    "probes_for",
    "report",
    "run",
    "summarize",
]
from medtrust.store import Store
from medtrust.targets import load_chat_target

_FLAGS = {"timeout_s": "timeout", "max_retries": "retries", "use_cache": "no-cache"}


def _has_image(case: Case) -> bool:
    return any(
        isinstance(m.get("content"), list)
        and any(isinstance(p, dict) and p.get("type") == "image_url" for p in m["content"])
        for m in case.messages
    )


def new_run_id() -> str:
    """Sortable, unique: UTC time plus random suffix."""
    return f"{datetime.now(UTC):%Y%m%d-%H%M%S}-{secrets.token_hex(3)}"


def build_probes(config: RunConfig, *, accepts_images: bool | None = None) -> list[Probe]:
    """Instantiate the suite's probes with the run's seed, data and limit (and, when known,
    whether the target accepts images, so image cases are made only for targets that can)."""
    data = Path(config.data) if config.data else None
    if data is not None and not data.exists():
        raise ConfigError(f"--data {data}: no such file")
    out: list[Probe] = []
    for spec in config.suite.probes:
        try:
            cls = probes.get(spec.name)
        except LookupError as exc:
            raise ConfigError(f"suite {config.suite.name!r}: {exc}") from None
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
        out.append(cls(ctx=ctx, params=spec.params))
    return out


def with_probe_param(suite: Suite, key: str, value: Any, *, flag: str) -> Suite:
    """Set ``params[key] = value`` on every probe of ``suite`` whose parameters declare ``key``
    (how ``run --attacker`` / ``--judge`` reach the probes that use them); a flag that no probe
    of the suite uses is an error rather than silently ignored."""
    def declares(name: str) -> bool:
        try:
            return key in probes.get(name).Params.model_fields
        except LookupError:  # an unknown probe is reported by build_probes, with its name
            return False

    specs, hit = [], False
    for spec in suite.probes:
        if declares(spec.name):
            spec = spec.model_copy(update={"params": {**spec.params, key: value}})
            hit = True
        specs.append(spec)
    if not hit:
        users = sorted(n for n in probes.names() if declares(n))
        raise ConfigError(
            f"{flag}: suite {suite.name!r} has no probe that uses it (it applies to "
            f"{', '.join(users) or 'no probe'})"
        )
    return suite.model_copy(update={"probes": specs})


def make_config(
    suite: str | Suite = "quickstart",
    **overrides: Any,
) -> RunConfig:
    """A validated run configuration from a suite name/path and CLI-style overrides."""
    suite_obj = suite if isinstance(suite, Suite) else load_suite(suite)
    values = {k: v for k, v in overrides.items() if v is not None}
    try:
        return RunConfig(suite=suite_obj, **values)
    except ValidationError as exc:
        err = exc.errors()[0]
        field = str(err["loc"][0]) if err["loc"] else "option"
        flag = _FLAGS.get(field, field.replace("_", "-"))
        raise ConfigError(f"--{flag}: {err['msg']} (got {err.get('input')!r})") from None


@dataclass(kw_only=True)
class RunResult:
    """What :func:`run` hands back: the run, its JSON summary and where the report went."""

    run: RunInfo
    summary: dict[str, Any]
    report_path: Path | None
    stats: ExecStats | None = None
    """What this invocation's engine did (replies sent, from the cache, rejected cache
    entries, errors); a resumed run counts only what this invocation added."""


def feedback_config(store: Store, run_id: str) -> RunConfig:
    """A run seeded from the cases clinicians flagged in ``run_id`` (``--from-feedback``)."""
    from medtrust.review import feedback_config as build

    return build(store, run_id)


def run(
    config: RunConfig,
    *,
    store: Store,
    out_dir: Path | None = None,
    resume: str | None = None,
    hook: StageHook | None = None,
    redact: bool = True,
    policy_dirs: Sequence[Path] | None = None,
    per_run: bool = False,
) -> RunResult:
    """Run (or resume) a suite against a target, persist everything, write the report.

    With ``per_run`` the HTML report goes to ``out_dir/RUN_ID/`` and ``out_dir/latest`` points
    to it (see :func:`point_latest`), so a run never overwrites an earlier run's report;
    otherwise it goes to ``out_dir`` itself.

    Bad input raises before anything is written. An interrupted run keeps every reply received
    and is marked ``interrupted``; ``resume`` finishes it without duplicating any result.
    """
    if resume:
        info = store.get_run(resume)
        if info.status == "done":
            raise MedtrustError(f"run {info.id} is already done; nothing to resume")
        config = RunConfig.model_validate(info.config)
    target = load_chat_target(config.target)
    plist = build_probes(config, accepts_images=target.accepts_images)
    for p in plist:
        # validate items and data up front: nothing is written on bad input
        if not target.accepts_images and any(_has_image(c) for c in p.cases()):
            raise ConfigError(
                f"probe {p.name!r} sends images but target {config.target!r} is text-only; "
                "set the probe's images: auto (or false), or mark the target image-capable "
                "(openai:MODEL@URL#images)"
            )

    async def lifecycle() -> str:
        # One event loop for preflight and stages: pooled connections belong to their loop.
        try:
            await target.preflight()
        except BaseException:
            await target.aclose()
            raise
        if resume:
            rid = info.id
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
        await run_stages(config, rid, target, store, plist, hook, stats)
        return rid

    started: list[str] = []
    stats = ExecStats()
    try:
        run_id = asyncio.run(lifecycle())
    except (KeyboardInterrupt, MedtrustError, asyncio.CancelledError):
        if started:
            store.set_status(started[0], "interrupted")
        raise
    except BaseException:
        if started:
            store.set_status(started[0], "failed")
        raise
    store.set_status(run_id, "done")
    info = store.get_run(run_id)
    summary = summarize(store, info, plist, policy_dirs=policy_dirs)
    folder = out_dir / info.id if out_dir is not None and per_run else out_dir
    path = (
        write_report(store, info, summary, folder, fmt="html", redact=redact) if folder else None
    )
    if path is not None:
        record_report(store, info.id, fmt="html", summary=summary, path=path)
        if per_run and out_dir is not None:
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
        from medtrust.report import write_text_atomic

        if latest.is_symlink() or not latest.is_dir():
            write_text_atomic(latest, run_id + "\n")
    return latest


def probes_for(info: RunInfo) -> list[Probe]:
    """Re-create a stored run's probes (to summarise it) without touching its data."""
    config = RunConfig.model_validate(info.config)
    return build_probes(config.model_copy(update={"data": None}))


def report(
    store: Store, run_id: str, *, fmt: str, out: Path | None, redact: bool = True
) -> tuple[dict[str, Any], Path | None]:
    """Summarise a stored run and render it; works from the store alone."""
    info = store.get_run(run_id)
    summary = summarize(store, info, probes_for(info))
    path = write_report(store, info, summary, out, fmt=fmt, redact=redact) if out else None
    if path is not None:
        record_report(store, info.id, fmt=fmt, summary=summary, path=path)
    return summary, path


def export_cases(
    suite: str,
    *,
    seed: int,
    limit: int | None,
    data: str | None,
    out: Path,
    with_bundled: bool = False,
) -> int:
    """Write the exact cases a run would send, with gold, as JSONL; returns how many.

    Stage-0 cases are always sent; attack cases are sent only for items the target answers
    correctly at baseline, so they are exported for every item, marked with their stage.
    """
    config = make_config(suite, seed=seed, limit=limit, data=data, with_bundled=with_bundled)
    plist = build_probes(config)
    rows: list[Case] = [c for p in plist for c in p.cases()]
    passed = {c.id: Verdict(case_id=c.id, judge="export", outcome="pass") for c in rows}
    stage = 1
    frontier = rows
    while frontier and stage <= MAX_STAGES:
        frontier = [c for p in plist for c in p.followups(stage, rows, passed)]
        passed.update(
            {c.id: Verdict(case_id=c.id, judge="export", outcome="pass") for c in frontier}
        )
        rows += frontier
        stage += 1
    from medtrust.report import write_jsonl_atomic

    write_jsonl_atomic(out, (c.model_dump(mode="json") for c in rows))
    return len(rows)


def gate(
    store: Store,
    run_id: str,
    cfg: GateConfig,
    *,
    summary: dict[str, Any] | None = None,
    baseline: str | None = None,
    max_regression: dict[str, float] | None = None,
) -> tuple[RunInfo, list[str]]:
    """Evaluate a release gate on a stored run and record the decision in the audit trail.

    ``baseline`` with ``max_regression`` ({axis: largest allowed rise of its failure rate}) also
    fails the gate on a significant regression against that earlier run
    (:func:`medtrust.compare.regressions`; a baseline sharing no case is a
    :class:`MedtrustError`, raised before anything is recorded).
    Returns the run and one line per breached threshold (empty: the gate passes).
    """
    info = store.get_run(run_id)
    if summary is None:
        summary = summarize(store, info, probes_for(info))
    reasons = evaluate_gate(summary, cfg)
    if max_regression or baseline:  # drift against an earlier run (issue 14)
        if not (max_regression and baseline):
            raise MedtrustError("--max-regression AXIS=X and --baseline RUN go together: give both")
        from medtrust.compare import regressions
        from medtrust.report import not_assessable

        reasons += not_assessable(summary, max_regression)
        reasons += regressions(store, info.id, baseline, max_regression)
    record_gate(
        store,
        info.id,
        passed=not reasons,
        reasons=reasons,
        max_risk=cfg.max_risk,
        max_failure=cfg.max_failure,
    )
    return info, reasons
