"""The ``medtrust`` command. Thin: parses options, calls :mod:`medtrust.api`, prints."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table
from rich.text import Text

from medtrust import api
from medtrust._cli_report import register as register_report_commands
from medtrust._cli_util import DbOpt, JsonOpt, console, fail, handle_errors, open_store, print_json
from medtrust.audit.cli import audit_app
from medtrust.cohort.cli import cohort_app
from medtrust.compare import comparison_of
from medtrust.compare.cli import register as register_compare_command
from medtrust.compare.cli import run_members
from medtrust.config import DEFAULT_SUITE, DEFAULT_TARGET, bundled_suites, load_declared
from medtrust.errors import MedtrustError
from medtrust.fairness.cli import audit_model_command
from medtrust.judges.cli import judge_app
from medtrust.multimodal.cli import multimodal_app
from medtrust.records import AXES
from medtrust.report import ERROR_WARN
from medtrust.review.cli import review_app

app = typer.Typer(
    name="medtrust",
    help="Dynamic benchmarking and red-teaming for healthcare AI.\n\n"
    "Run `medtrust run` with no arguments for the quickstart suite against the embedded "
    "SmolLM2 model; results go to ./medtrust.db and ./medtrust-report/RUN_ID/index.html "
    "(./medtrust-report/latest points to the newest).",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode="rich",
)
cases_app = typer.Typer(help="Inspect the cases a suite generates.", no_args_is_help=True)




def _pct(x: float | None) -> str:
    return "n/a" if x is None else f"{100 * x:.1f}%"


def _note_missing_detectors(suite: Any) -> None:
    """Say so when the privacy axis runs without Presidio, rather than degrade silently."""
    from medtrust.judges._presidio import available

    if any(p.name.startswith("privacy.") for p in suite.probes) and not available():
        console.print(
            "[yellow]note:[/] Presidio is not installed (pip install 'medtrust[redteam]'): "
            "privacy leaks are detected by matching the planted identifiers only"
        )


def _summary_table(summary: dict[str, Any]) -> Table:
    # Names are the user's: escaped so that a suite called "ward [/] audit" prints as typed.
    t = Table(
        title=f"run {escape(str(summary['run_id']))}  ·  {escape(str(summary['target']))}  ·  "
        f"suite {escape(str(summary['suite']))}"
    )
    # Short numeric headers that never wrap; the name column takes the rest of the width and
    # folds a long name onto a second line rather than cutting it ("fabricated_drug_op…" would
    # be ambiguous).
    t.add_column("axis / operator", overflow="fold")
    for col in ("n", "fail", "rate", "95% CI", "err"):
        t.add_column(col, justify="left" if col == "95% CI" else "right", no_wrap=True)
    for axis in AXES:
        e = summary["axes"][axis]
        if not e.get("assessed"):
            t.add_row(f"[dim]{axis} (not assessed)[/]", "", "", "", "", "")
            continue
        ci = e["ci95"]
        t.add_row(
            f"[bold]{axis}[/]{_flag(e)}",
            str(e["n"]),
            str(e["failures"]),
            _pct(e["failure_rate"]),
            f"{_pct(ci[0])}-{_pct(ci[1])}" if ci else "n/a",
            _err_cell(e),
        )
        for op, p in e["by_probe"].items():
            ci = p["ci95"]
            t.add_row(
                f"  {op}",
                str(p["n"]),
                str(p["failures"]),
                _pct(p["failure_rate"]),
                f"{_pct(ci[0])}-{_pct(ci[1])}" if ci else "n/a",
                str(p["errors"]),
            )
        c = e.get("controls")
        if c and c["n"]:
            cci = c.get("ci95")
            t.add_row(
                "  [dim]controls: accuracy[/]",
                str(c["n"]),
                "",
                _pct(c["accuracy"]),
                f"{_pct(cci[0])}-{_pct(cci[1])}" if cci else "",
                str(c["errors"]),
            )
    r = summary["risk"]
    lines = []
    if r["score"] is not None:
        lines.append(
            f"risk {r['score']:.1f}/100 ({r['tier']}), 95% CI {r['ci95'][0]:.1f}-{r['ci95'][1]:.1f}"
        )
    elif r.get("reason"):
        lines.append(f"risk not assessed: {r['reason']}")
    # Errors above 10% and uninformative baselines, said in words under the numbers.
    lines += [f"[yellow]warning:[/] {escape(w)}" for w in summary.get("warnings") or []]
    t.caption = "\n".join(lines) or None
    return t


def _flag(e: dict[str, Any]) -> str:
    return "" if e.get("informative", True) else " [yellow](not informative)[/]"


def _err_cell(e: dict[str, Any]) -> str:
    """Errors with their share of calls, in red above the 10% warning level."""
    rate = e.get("error_rate")
    if rate is None:
        return str(e["errors"])
    cell = f"{e['errors']} ({_pct(rate)})"
    return f"[red]{cell}[/]" if rate > ERROR_WARN else cell


def _with_bundled(flag: bool, data: Path | None) -> bool:
    """``--with-bundled`` only means something beside ``--data``; alone it is a mistake."""
    if flag and data is None:
        raise MedtrustError("--with-bundled adds the bundled items to --data FILE; give --data")
    return flag


@app.command()
@handle_errors
def run(
    suite: Annotated[
        str,
        typer.Argument(
            help="Bundled suite name or path to a suite YAML. Bundled: "
            + ", ".join(bundled_suites())
        ),
    ] = DEFAULT_SUITE,
    target: Annotated[
        list[str] | None,
        typer.Option(
            "--target",
            "-t",
            help="System under test: local:smollm2 (default), local:PATH.gguf, "
            "openai:MODEL@BASE_URL, python:MODULE:ATTR. Repeat to compare targets: every "
            "target is asked the same cases, one run each, grouped under a comparison id.",
        ),
    ] = None,
    db: DbOpt = None,
    seed: Annotated[int, typer.Option(help="Seed for item sampling and mutations.")] = 0,
    limit: Annotated[
        int | None, typer.Option(help="At most this many seed items per probe.")
    ] = None,
    samples: Annotated[
        int | None, typer.Option(help="Replies per case (majority vote); default from the suite.")
    ] = None,
    temperature: Annotated[
        float | None, typer.Option(help="Sampling temperature (default 0: greedy).")
    ] = None,
    max_tokens: Annotated[int | None, typer.Option(help="Maximum reply length in tokens.")] = None,
    concurrency: Annotated[int, typer.Option(help="Requests in flight at once.")] = 8,
    timeout: Annotated[
        float, typer.Option(help="Seconds per call before it counts as a timeout.")
    ] = 120.0,
    retries: Annotated[
        int, typer.Option(help="Retries per call on 429/5xx/timeouts (exponential backoff).")
    ] = 5,
    data: Annotated[
        Path | None,
        typer.Option(
            help="Your own multiple-choice seed items: MedQA-style JSONL (question, options, "
            "answer_idx). They REPLACE the bundled items: only your items are asked by the "
            "multiple-choice probes (robustness, cognitive bias); add --with-bundled to ask "
            "the bundled ones too."
        ),
    ] = None,
    with_bundled: Annotated[
        bool,
        typer.Option(
            "--with-bundled",
            help="With --data: ask the bundled seed items as well as yours (ids must differ).",
        ),
    ] = False,
    resume: Annotated[
        str | None,
        typer.Option(help="Finish an interrupted run (its stored configuration is used)."),
    ] = None,
    out: Annotated[
        Path,
        typer.Option(
            help="Folder for the HTML reports: each run writes OUT/RUN_ID/index.html and "
            "OUT/latest points to the newest (a symlink, or a text file holding the run id "
            "where the OS allows no symlinks). An OUT ending in .html is that one file."
        ),
    ] = Path("medtrust-report"),
    no_cache: Annotated[
        bool, typer.Option("--no-cache", help="Always call the target, ignoring cached replies.")
    ] = False,
    no_redact: Annotated[
        bool,
        typer.Option("--no-redact", help="Show identifiers in the report (redacted by default)."),
    ] = False,
    declare: Annotated[
        Path | None,
        typer.Option(
            "--declare",
            help="Declared controls YAML (intended purpose, human oversight, ...) for compliance.",
        ),
    ] = None,
    policies: Annotated[
        list[Path] | None,
        typer.Option(
            "--policies",
            help="Folder of extra/overriding policy packs (repeatable; also $MEDTRUST_POLICIES).",
        ),
    ] = None,
    from_feedback: Annotated[
        str | None,
        typer.Option(
            "--from-feedback",
            help="Seed a new run from the cases clinicians flagged in this reviewed run "
            "(same target and settings; flagged items only, with more attack budget).",
        ),
    ] = None,
    attacker: Annotated[
        str | None,
        typer.Option(
            "--attacker",
            help="Target spec of a model that writes the adaptive attacks' free text "
            "(distractors, bias sentences, new options); default: knowledge-base templates.",
        ),
    ] = None,
    judge: Annotated[
        str | None,
        typer.Option(
            "--judge",
            help="Target spec of an LLM judge for open hallucination answers (DAS code "
            "taxonomy); default: deterministic detectors only. Validate it first with "
            "`medtrust judge validate`.",
        ),
    ] = None,
    json_out: JsonOpt = False,
) -> None:
    """Run a suite against a target, store every reply, score it and write a report.

    Examples:

      medtrust run                                   # quickstart vs the embedded SmolLM2

      medtrust run robustness -t openai:gpt-4o-mini@https://api.openai.com/v1 --concurrency 16

      medtrust run --data my_medqa.jsonl --limit 200 --json   # only your items

      medtrust run --data my_medqa.jsonl --with-bundled      # yours plus the bundled ones
    """
    from medtrust.policies import load_policies

    # Policy packs are read only when the run is scored: a bad pack must stop it before the
    # first call, not after the last one.
    load_policies(policies)
    store = open_store(db)
    config = None
    if from_feedback:
        if resume:
            raise MedtrustError("--from-feedback starts a new run; it cannot be used with --resume")
        if attacker or judge or target or suite != DEFAULT_SUITE:
            raise MedtrustError(
                "--from-feedback reuses the reviewed run's suite, target and settings; drop "
                "the suite argument and --target/--attacker/--judge"
            )
        config = api.feedback_config(store, from_feedback)
    elif not resume:
        sampling_over = {
            k: v
            for k, v in {"temperature": temperature, "max_tokens": max_tokens}.items()
            if v is not None
        }
        suite_obj = api.load_suite(suite)
        if attacker:
            suite_obj = api.with_probe_param(suite_obj, "attacker", attacker, flag="--attacker")
        if judge:
            suite_obj = api.with_probe_param(suite_obj, "judge", judge, flag="--judge")
        if sampling_over:
            try:
                suite_obj = suite_obj.model_copy(
                    update={
                        "sampling": suite_obj.sampling.model_validate(
                            {**suite_obj.sampling.model_dump(), **sampling_over}
                        )
                    }
                )
            except ValueError as exc:
                raise MedtrustError(f"invalid sampling option: {exc}") from None
        config = api.make_config(
            suite_obj,
            target=(target or [DEFAULT_TARGET])[0],
            seed=seed,
            limit=limit,
            samples=samples,
            concurrency=concurrency,
            timeout_s=timeout,
            max_retries=retries,
            data=str(data) if data else None,
            with_bundled=_with_bundled(with_bundled, data),
            use_cache=not no_cache,
            declared=load_declared(declare) if declare else None,
        )
    if config is not None:
        _note_missing_detectors(config.suite)
    if target and len(target) > 1:  # a comparison: medtrust.compare runs the members
        if config is None:
            raise MedtrustError(
                "--resume takes one target: resume each member of a comparison by its run id "
                "(`medtrust runs` lists them)"
            )
        run_members(
            config, target, store=store, out=out, redact=not no_redact, policy_dirs=policies,
            table=_summary_table, json_out=json_out,
        )
        return
    progress = Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=console,
        transient=False,
    )

    def hook(label: str, total: int) -> Callable[[int], None]:
        task = progress.add_task(label, total=total)
        return lambda n: progress.advance(task, n)

    with progress:
        try:
            result = api.run(
                config if config is not None else api.make_config(),
                store=store,
                out_dir=out,
                per_run=out.suffix.lower() != ".html",  # --out FILE.html: exactly that file
                resume=resume,
                hook=hook,
                redact=not no_redact,
                policy_dirs=policies,
            )
        except KeyboardInterrupt:
            progress.stop()
            console.print(
                "[yellow]interrupted[/]: every reply received so far is stored; "
                "finish with `medtrust run --resume RUN_ID` (see `medtrust runs`)."
            )
            raise typer.Exit(130) from None
    console.print(_summary_table(result.summary))
    if result.stats is not None:
        st = result.stats
        line = f"{st.cached} of {st.replies} replies from the cache"
        if st.cache_rejected:
            line += (
                f"; {st.cache_rejected} cached replies rejected (text no longer matches its "
                "audited digest) and asked again"
            )
        console.print(line)
    if result.report_path:
        console.print(f"report: {result.report_path}", markup=False, highlight=False)
    if json_out:
        print_json(result.summary)


@app.command()
@handle_errors
def runs(db: DbOpt = None, json_out: JsonOpt = False) -> None:
    """List runs: id, suite, target, status (running, done, interrupted, failed)."""
    rows = open_store(db).list_runs()
    if json_out:
        print_json(
            {
                "runs": [
                    {
                        "id": r.id,
                        "suite": r.suite,
                        "target": r.target,
                        "seed": r.seed,
                        "status": r.status,
                        "comparison": comparison_of(r),
                        "created_at": r.created_at.isoformat(),
                        "finished_at": r.finished_at.isoformat() if r.finished_at else None,
                    }
                    for r in rows
                ]
            }
        )
        return
    _print_runs(rows)


def _print_runs(rows: list[Any]) -> None:
    """The runs table on stdout (it is the command's output), every run id whole.

    Where the terminal is too narrow for the table with whole ids, one run per line (fields
    separated by two spaces) instead: an id is never cut or folded, so it can be copied into
    ``medtrust report``. Every cell is the user's text, printed literally (no markup).
    """
    out = Console(file=sys.stdout, emoji=False, highlight=False)
    header = ("id", "suite", "target", "status", "started", "comparison")
    cells = [
        (
            r.id, r.suite, r.target, r.status, f"{r.created_at:%Y-%m-%d %H:%M}",
            comparison_of(r) or "",
        )
        for r in rows
    ]
    widths = [max([len(col), *(len(c[i]) for c in cells)]) for i, col in enumerate(header)]
    # each cell has one space of padding either side; one border between and around columns
    if sum(w + 3 for w in widths) + 1 <= out.width:
        t = Table(title="runs")
        for col, width in zip(header, widths, strict=True):
            t.add_column(col, no_wrap=True, min_width=width)
        for c in cells:
            t.add_row(*(Text(x) for x in c))
        out.print(t)
        return
    sys.stdout.write("  ".join(header) + "\n")
    for c in cells:
        sys.stdout.write("  ".join(x for x in c if x) + "\n")
    sys.stdout.flush()


@cases_app.command("export")
@handle_errors
def cases_export(
    suite: Annotated[str, typer.Argument(help="Bundled suite name or suite YAML path.")],
    out: Annotated[Path, typer.Option(help="Output .jsonl file.")],
    seed: Annotated[int, typer.Option(help="Seed (same as `run --seed`).")] = 0,
    limit: Annotated[
        int | None, typer.Option(help="At most this many seed items per probe.")
    ] = None,
    data: Annotated[
        Path | None,
        typer.Option(
            help="Your MedQA-style JSONL, as for `run --data` (replaces the bundled items)."
        ),
    ] = None,
    with_bundled: Annotated[
        bool,
        typer.Option("--with-bundled", help="With --data: include the bundled items too."),
    ] = False,
    json_out: JsonOpt = False,
) -> None:
    """Write the exact cases a run would send, with their gold answers, as JSONL."""
    n = api.export_cases(
        suite,
        seed=seed,
        limit=limit,
        data=str(data) if data else None,
        out=out,
        with_bundled=_with_bundled(with_bundled, data),
    )
    if json_out:
        print_json({"suite": suite, "cases": n, "out": str(out)})
    else:
        console.print(f"{n} cases -> {out}")


register_report_commands(app)  # report, gate, compliance, docs
register_compare_command(app)  # compare
app.add_typer(cases_app, name="cases")
app.add_typer(cohort_app, name="cohort")
app.add_typer(audit_app, name="audit")
app.add_typer(multimodal_app, name="multimodal")
app.add_typer(review_app, name="review")
app.add_typer(judge_app, name="judge")
app.command("audit-model")(audit_model_command)


def main() -> None:
    """Console-script entry point."""
    try:
        app()
    except MedtrustError as exc:  # raised outside a command (e.g. while loading plug-ins)
        raise SystemExit(fail(str(exc)).exit_code) from None
