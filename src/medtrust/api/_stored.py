"""What works from the store (or the suite) alone: report, gate, and the cases a run would send."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any, Literal, get_args

from medtrust.api._config import make_config
from medtrust.audit import record_gate, record_report
from medtrust.config import RunConfig
from medtrust.engine import MAX_STAGES
from medtrust.errors import MedtrustError
from medtrust.plan import build_probes, probes_for
from medtrust.probes import Probe
from medtrust.probes._guard import cases_of, followups_of
from medtrust.records import Case, RunInfo, Verdict
from medtrust.report import GateConfig, evaluate_gate, summarize_run, write_report
from medtrust.store import Store
from medtrust.summary import RunSummary

ExportFormat = Literal["jsonl", "inspect"]
"""``jsonl``: medtrust's cases, one JSON object a line, with gold. ``inspect``: an Inspect AI
dataset (``medtrust.interop.inspect.write_dataset``)."""


def report(
    store: Store, run_id: str, *, fmt: str, out: Path | None, redact: bool = True
) -> tuple[RunSummary, Path | None]:
    """Summarise a stored run and render it; works from the store alone."""
    info = store.get_run(run_id)
    summary = summarize_run(store, info, probes_for(info))
    path = write_report(store, info, summary, out, fmt=fmt, redact=redact) if out else None
    if path is not None:
        record_report(store, info.id, fmt=fmt, summary=summary.to_json(), path=path)
    return summary, path


def summarize(store: Store, info: RunInfo, plist: Sequence[Probe[Any]]) -> RunSummary:
    """The typed summary of a stored run (:func:`medtrust.report.summarize_run`: reviews,
    judges' track record and audit status read from the store; the target is not called)."""
    return summarize_run(store, info, plist)


def suite_cases(
    config: RunConfig, *, plist: Sequence[Probe[Any]] | None = None
) -> list[Case]:
    """Every case a run of ``config`` could send, in order, with gold.

    Stage-0 cases are always sent; attack cases are sent only for items the target answers
    correctly at baseline, so they are listed for every item (each marked with its stage).
    ``plist``: the probes already built from ``config`` (``build_probes``), so a caller that
    needed them first does not build them twice; None builds them here.
    """
    if plist is None:
        plist = build_probes(config)
    rows: list[Case] = [c for p in plist for c in cases_of(p)]  # a crash: one line, exit 2
    passed = {c.id: Verdict(case_id=c.id, judge="export", outcome="pass") for c in rows}
    stage = 1
    frontier = rows
    while frontier and stage <= MAX_STAGES:
        frontier = [c for p in plist for c in followups_of(p, stage, rows, passed)]
        passed.update(
            {c.id: Verdict(case_id=c.id, judge="export", outcome="pass") for c in frontier}
        )
        rows += frontier
        stage += 1
    return rows


def export_cases(
    suite: str,
    *,
    seed: int,
    limit: int | None,
    data: str | None,
    out: Path,
    with_bundled: bool = False,
    fmt: ExportFormat | str = "jsonl",
    judge: str | None = None,
) -> int:
    """Write the exact cases a run would send (:func:`suite_cases`) to ``out``; returns how many.

    ``judge``: the grader (``run --judge``, a target spec), recorded in the cases and the
    probes' params, never called here; ``medtrust import inspect`` grades with it. The Inspect
    dataset's samples also carry the seed and every probe's params (``metadata.medtrust_run``)
    so that an imported run is summarised as the native run would be.

    ``fmt="inspect"`` writes an Inspect AI dataset through :mod:`medtrust.interop.inspect`
    (imported only then). Raises :class:`MedtrustError` for an unknown format or when the
    Inspect interop is not installed; nothing is written on bad input (atomic writes).
    """
    if fmt not in get_args(ExportFormat):
        raise MedtrustError(f"--format {fmt!r}: choose {' or '.join(get_args(ExportFormat))}")
    config = make_config(
        suite, seed=seed, limit=limit, data=data, with_bundled=with_bundled, judge=judge
    )
    plist = build_probes(config)  # built once: the judge check and the cases share them
    if judge:  # resolved (not called): a bad spec is one line, exit 2, nothing written
        from medtrust.plan import check_judge_specs

        check_judge_specs(plist)
    rows = suite_cases(config, plist=plist)
    if fmt == "inspect":
        try:
            from medtrust.interop.inspect import write_dataset
        except ImportError as exc:
            raise MedtrustError(
                f"--format inspect: the Inspect AI interop is not available ({exc})"
            ) from None
        from medtrust.interop.inspect import run_metadata

        params = {p.name: p.params for p in config.suite.probes}
        return write_dataset(rows, out, run_metadata(config.seed, config.suite.name, params))
    from medtrust._atomic import write_jsonl_atomic

    write_jsonl_atomic(out, (c.model_dump(mode="json") for c in rows))
    return len(rows)


def gate(
    store: Store,
    run_id: str,
    cfg: GateConfig,
    *,
    summary: RunSummary | None = None,
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
        summary = summarize_run(store, info, probes_for(info))
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
