"""``medtrust report``, ``gate``, ``compliance`` and ``docs``: from the store alone.

Mounted in :mod:`medtrust.cli` with ``register(app)``. Every command summarises the stored run
(the target is never called), with the policy packs (``--policies DIR`` or
``$MEDTRUST_POLICIES``) and declared controls (stored with the run, plus ``--declare FILE``).
"""

from __future__ import annotations

import sys
from datetime import date
from pathlib import Path
from typing import Annotated

import typer
from pydantic import ValidationError
from rich.markup import escape
from rich.table import Table

from medtrust import api
from medtrust._cli_util import DbOpt, JsonOpt, console, handle_errors, open_store, print_json
from medtrust.audit import record_report
from medtrust.config import load_declared
from medtrust.errors import MedtrustError, did_you_mean
from medtrust.records import AXES, RunInfo
from medtrust.report import (
    FORMATS,
    GateConfig,
    load_gate_file,
    render,
    render_docs,
    summarize_run,
    write_report,
    write_text_atomic,
)
from medtrust.report._terminal import summary_table as summary_table  # `run` prints it too
from medtrust.store import Store
from medtrust.summary import RunSummary

RunArg = Annotated[str, typer.Argument(help="Run id (a unique prefix is enough).")]
PoliciesOpt = Annotated[
    list[Path] | None,
    typer.Option("--policies", help="Folder of extra/overriding policy packs; repeatable."),
]
DeclareOpt = Annotated[
    Path | None,
    typer.Option("--declare", help="Declared controls YAML (merged over those of the run)."),
]
AsOfOpt = Annotated[
    str | None,
    typer.Option("--as-of", help="Judge rule applicability on this date (YYYY-MM-DD)."),
]


def _summary(
    db: str | None,
    run_id: str,
    policies: list[Path] | None = None,
    declare: Path | None = None,
    as_of: str | None = None,
) -> tuple[Store, RunInfo, RunSummary]:
    day = None
    if as_of is not None:
        try:
            day = date.fromisoformat(as_of)
        except ValueError:
            raise MedtrustError(f"--as-of {as_of!r}: expected a date YYYY-MM-DD") from None
    declared = load_declared(declare) if declare else None
    store = open_store(db)
    info = store.get_run(run_id)
    summary = summarize_run(
        store, info, api.probes_for(info), policy_dirs=policies, declared=declared, as_of=day
    )
    return store, info, summary


def report(
    run_id: RunArg,
    fmt: Annotated[str, typer.Option("--format", "-f", help="html, json, md or junit.")] = "html",
    out: Annotated[
        Path | None, typer.Option(help="Output file (folder for html); default: stdout.")
    ] = None,
    db: DbOpt = None,
    no_redact: Annotated[
        bool, typer.Option("--no-redact", help="Show identifiers (redacted by default).")
    ] = False,
    policies: PoliciesOpt = None,
    declare: DeclareOpt = None,
    as_of: AsOfOpt = None,
) -> None:
    """Render a stored run's report from the store alone (the target is not called)."""
    if fmt not in FORMATS:
        raise MedtrustError(f"--format {fmt!r}: choose from {', '.join(FORMATS)}")
    store, info, summary = _summary(db, run_id, policies, declare, as_of)
    if out is None:
        sys.stdout.write(render(store, info, summary, fmt, redact=not no_redact))
        return
    path = write_report(store, info, summary, out, fmt=fmt, redact=not no_redact)
    record_report(store, info.id, fmt=fmt, summary=summary.to_json(), path=path)
    console.print(f"report: {path}", markup=False)


def _pairs(items: list[str] | None, flag: str) -> dict[str, float]:
    out: dict[str, float] = {}
    for item in items or []:
        axis, sep, value = item.partition("=")
        if not sep:
            raise MedtrustError(f"{flag} {item!r}: expected AXIS=RATE, e.g. robustness=0.3")
        if axis not in AXES:
            raise MedtrustError(
                f"{flag} {item!r}: unknown axis {axis!r}" + did_you_mean(axis, AXES, what="one of")
            )
        try:
            out[axis] = float(value)
        except ValueError:
            raise MedtrustError(f"{flag} {item!r}: {value!r} is not a number") from None
        if not 0 <= out[axis] <= 1:
            raise MedtrustError(f"{flag} {item!r}: rate must be between 0 and 1")
    return out


def gate(
    run_id: RunArg,
    max_risk: Annotated[
        float | None, typer.Option(help="Fail when the overall risk score (0-100) exceeds this.")
    ] = None,
    max_failure: Annotated[
        list[str] | None, typer.Option(help="AXIS=RATE, e.g. robustness=0.3; repeatable.")
    ] = None,
    max_ci_upper: Annotated[
        list[str] | None,
        typer.Option(help="AXIS=RATE on the 95% interval's upper bound; repeatable."),
    ] = None,
    require: Annotated[
        list[str] | None,
        typer.Option("--require-compliance", help="Rule id that must pass; repeatable."),
    ] = None,
    fail_on_severity: Annotated[
        str | None, typer.Option(help="Fail on any failing rule this severe: low..critical.")
    ] = None,
    max_errors: Annotated[
        float | None,
        typer.Option(
            help="Fail when more than this share of judged cases errored (failed calls, "
            "unreadable replies; a case asked --samples K times is one), in the run or in an "
            "axis with a threshold (default 0.1; applies to every gate)."
        ),
    ] = None,
    config: Annotated[
        Path | None, typer.Option("--config", help="Gate YAML file; flags override it.")
    ] = None,
    baseline: Annotated[
        str | None,
        typer.Option(help="An earlier run of the same suite and seed, for --max-regression."),
    ] = None,
    max_regression: Annotated[
        list[str] | None,
        typer.Option(
            help="AXIS=X: fail when AXIS's failure rate rose by more than X over --baseline, "
            "significantly (exact McNemar p < 0.05 on the shared items); for open_ended also "
            "when the controls' mean rubric score fell by more than X, significantly "
            "(one-sided Wilcoxon signed-rank p < 0.05 on the shared conversations); repeatable."
        ),
    ] = None,
    db: DbOpt = None,
    policies: PoliciesOpt = None,
    declare: DeclareOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Release gate for CI: exit 0 pass, 1 a threshold breached, 2 bad input.

    Errors above --max-errors (default 0.1) and a threshold on an axis whose controls are at
    chance (not informative) fail the gate; the thresholds used are printed with the decision.
    """
    base = load_gate_file(config) if config else GateConfig()
    try:
        flags = GateConfig(
            max_risk=max_risk,
            max_failure=_pairs(max_failure, "--max-failure"),
            max_ci_upper=_pairs(max_ci_upper, "--max-ci-upper"),
            require_compliance=list(require or []),
            fail_on_severity=fail_on_severity,  # type: ignore[arg-type]
            max_errors=max_errors,
        )
    except ValidationError as exc:
        err = exc.errors()[0]
        raise MedtrustError(f"--{str(err['loc'][0]).replace('_', '-')}: {err['msg']}") from None
    cfg = base.overridden(flags)
    regress = _pairs(max_regression, "--max-regression")
    store, info, summary = _summary(db, run_id, policies, declare)
    info, reasons = api.gate(
        store, info.id, cfg, summary=summary, baseline=baseline, max_regression=regress
    )
    used = {**cfg.used(), "baseline": baseline, "max_regression": regress}
    if json_out:
        print_json(
            {"run_id": info.id, "passed": not reasons, "reasons": reasons, "thresholds": used}
        )
    described = cfg.describe() + "".join(f", max-regression {a}={x:g}" for a, x in regress.items())
    if baseline:
        described += f" against baseline {baseline}"
    console.print(f"thresholds: {escape(described)}", highlight=False, soft_wrap=True)
    for r in reasons:
        console.print(f"[red]gate failed:[/] {escape(r)}", highlight=False, soft_wrap=True)
    if reasons:
        raise typer.Exit(1)
    console.print(f"[green]gate passed[/] for run {info.id}")


def compliance(
    run_id: RunArg,
    db: DbOpt = None,
    policies: PoliciesOpt = None,
    declare: DeclareOpt = None,
    as_of: AsOfOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Every applicable policy rule on a run: pass / fail / not assessed, with evidence."""
    _, _, summary = _summary(db, run_id, policies, declare, as_of)
    comp = summary.compliance
    if json_out:
        axis = summary.axis("compliance").model_dump(mode="json")
        print_json({"run_id": summary.run_id, **comp.model_dump(mode="json"), "axis": axis})
        return
    t = Table(title=f"compliance of run {summary.run_id} on {comp.as_of}")
    for col in ("status", "rule", "regulation / article", "severity", "evidence"):
        t.add_column(col)
    style = {"pass": "green", "fail": "red", "not assessed": "dim"}
    for r in comp.rules:
        t.add_row(
            f"[{style.get(r.status, 'dim')}]{escape(r.status)}[/]",
            escape(r.id),  # policy packs may be the user's (--policies): literal text
            escape(f"{r.regulation} {r.article}"),
            escape(r.severity),
            escape(r.reason),
        )
    console.print(t)
    for reg, tally in comp.by_regulation.items():
        rate = tally.failure_rate
        shown = "n/a" if rate is None else f"{100 * rate:.1f}%"
        console.print(f"outputs violating {reg}: {shown} ({tally.failures}/{tally.n})")
    if comp.not_applicable:
        console.print(f"[dim]{len(comp.not_applicable)} rules not in force on that date[/]")


def docs(
    run_id: RunArg,
    out: Annotated[Path, typer.Option(help="Markdown file to write.")],
    db: DbOpt = None,
    policies: PoliciesOpt = None,
    declare: DeclareOpt = None,
) -> None:
    """Technical documentation of testing (model-card style, EU AI Act Annex IV items)."""
    store, info, summary = _summary(db, run_id, policies, declare)
    try:
        write_text_atomic(out, render_docs(store, info, summary))
    except OSError as exc:
        raise MedtrustError(f"{out}: cannot write: {exc.strerror or exc}") from None
    console.print(f"documentation: {out}", markup=False)


def register(app: typer.Typer) -> None:
    """Add (or replace) the report, gate, compliance and docs commands on ``app``."""
    for fn in (report, gate, compliance, docs):
        app.command(name=fn.__name__)(handle_errors(fn))
