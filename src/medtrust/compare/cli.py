"""``medtrust compare``: leaderboard, paired tests, rank intervals, static-vs-dynamic, drift."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from medtrust._atomic import write_text_atomic
from medtrust._cli_util import DbOpt, JsonOpt, console, handle_errors, open_store, print_json
from medtrust.compare._build import build_comparison
from medtrust.compare._multi import run_targets
from medtrust.compare._render import (
    FORMATS,
    SCORE_NOTE,
    by_rank,
    num,
    render_comparison,
    score_rows,
)
from medtrust.compare._resolve import members, new_comparison_id
from medtrust.config import RunConfig
from medtrust.errors import MedtrustError
from medtrust.metrics import RESAMPLES
from medtrust.store import Store
from medtrust.summary import (
    AxisComparison,
    Comparison,
    Drift,
    DriftAxis,
    RankEntry,
    RunSummary,
    StaticVsDynamic,
)


def _pct(x: float | None) -> str:
    return "n/a" if x is None else f"{100 * x:.1f}%"


def _ci(ci: list[float] | None) -> str:
    return "n/a" if not ci else f"{100 * ci[0]:.1f}-{100 * ci[1]:.1f}"


def _rank_cells(rk: RankEntry | None) -> tuple[str, str]:
    """A run's rank and its interval, as table cells."""
    if rk is None:
        return "n/a", ""
    rank = num(rk.rank)
    return rank, "" if not rk.ci95 else f"{rk.ci95[0]:g}-{rk.ci95[1]:g}"


def _axis_table(names: dict[str, str], axis: str, sec: AxisComparison) -> Table:
    """One axis: each run's rank, rate with interval and errors, best rank first."""
    ranks = {r.run_id: r for r in sec.ranks}
    t = Table(title=f"{axis}" + ("" if sec.informative else " (not informative for some runs)"))
    for col in ("target", "rank", "rank CI", "n", "fail", "rate", "95% CI", "err"):
        t.add_column(
            col,
            justify="left" if col in ("target", "95% CI", "rank CI") else "right",
            overflow="fold",  # a target spec is never cut: "python:plan…" names nothing
            no_wrap=col != "target",
        )
    for e in by_rank(sec):
        flag = "" if e.informative else " [yellow](not informative)[/]"
        t.add_row(
            escape(names[e.run_id]) + flag,
            *_rank_cells(ranks.get(e.run_id)),
            str(e.n),
            str(e.failures),
            _pct(e.failure_rate),
            _ci(e.ci95),
            str(e.errors),
        )
    sig = [p for p in sec.pairwise if p.significant]
    t.caption = f"{len(sig)} of {len(sec.pairwise)} pairs differ (exact McNemar, Holm)"
    return t


def _score_table(names: dict[str, str], axis: str, sec: AxisComparison) -> Table | None:
    """The open-ended rubric score per run, best score rank first (None without scores)."""
    rows = score_rows(sec)
    if not rows:
        return None
    t = Table(title=f"{axis}: mean rubric score of the controls", caption=SCORE_NOTE)
    for col in ("target", "score rank", "rank CI", "mean score", "95% CI", "n"):
        t.add_column(col, justify="left" if col in ("target", "95% CI", "rank CI") else "right",
                     overflow="fold", no_wrap=col != "target")
    for r in rows:
        rank, ci = r["rank"], r["rank_ci"]
        t.add_row(escape(names[r["run_id"]]), num(rank),
                  "" if not ci else f"{ci[0]:g}-{ci[1]:g}",
                  "n/a" if r["mean"] is None else f"{r['mean']:.3f}",
                  "n/a" if not r["ci95"] else f"{r['ci95'][0]:.3f}-{r['ci95'][1]:.3f}",
                  str(r["n"]))
    return t


def _gap_table(names: dict[str, str], g: StaticVsDynamic) -> Table:
    """Static accuracy against dynamic failure, with their ranks and Kendall's tau."""
    t = Table(title=f"static vs dynamic ({g.axis})")
    for col in ("target", "static acc", "static rank", "dynamic fail", "dynamic rank", "shift"):
        t.add_column(
            col,
            justify="left" if col == "target" else "right",
            overflow="fold",
            no_wrap=col != "target",
        )
    for m in g.models:
        t.add_row(
            escape(names[m.run_id]),
            _pct(m.static_accuracy),
            num(m.static_rank),
            _pct(m.dynamic_failure_rate),
            num(m.dynamic_rank),
            "" if m.rank_shift is None else f"{m.rank_shift:+g}",
        )
    tau, ci = g.kendall_tau, g.ci95
    t.caption = (
        "Kendall's tau "
        + ("n/a" if tau is None else f"{tau:.3f}")
        + (f" (95% CI {ci[0]:.3f} to {ci[1]:.3f})" if ci else "")
    )
    return t


def _drift_row(axis: str, e: DriftAxis) -> list[str]:
    colour = "red" if e.significant and (e.change or 0) > 0 else None
    change = "n/a" if e.change is None else f"{100 * e.change:+.1f}"
    return [
        axis,
        str(e.n),
        _pct(e.rate_before),
        _pct(e.rate_after),
        f"[{colour}]{change}[/]" if colour else change,
        "n/a" if not e.ci95 else f"{100 * e.ci95[0]:+.1f} to {100 * e.ci95[1]:+.1f}",
        "n/a" if e.p_value is None else f"{e.p_value:.3g}",
        "n/a" if e.p_holm is None else f"{e.p_holm:.3g}",
    ]


def _drift_table(names: dict[str, str], d: Drift) -> Table:
    """One run against the baseline: each axis's change with its interval and tests."""
    t = Table(title=f"drift: {escape(names[d.run])} vs baseline {escape(names[d.baseline])}")
    for col in ("axis", "n", "before", "after", "change", "95% CI", "p", "p Holm"):
        t.add_column(col, justify="left" if col in ("axis", "95% CI") else "right")
    for axis, e in d.axes.items():
        t.add_row(*_drift_row(axis, e))
    t.caption = f"{len(d.changed)} of {d.shared_units} shared units changed outcome"
    return t


def tables(c: Comparison) -> list[Table]:
    """The comparison as terminal tables: one per axis, the gap, and drift."""
    names = c.labels()
    out = []
    for axis, sec in c.axes.items():
        out.append(_axis_table(names, axis, sec))
        if (scores := _score_table(names, axis, sec)) is not None:
            out.append(scores)
    out.append(_gap_table(names, c.static_vs_dynamic))
    out += [_drift_table(names, d) for d in c.drift or []]
    return out


@handle_errors
def compare_command(
    ids: Annotated[
        list[str],
        typer.Argument(
            metavar="RUN_OR_COMPARISON...",
            help="Run ids and/or comparison ids (cmp-...); a unique prefix is enough.",
        ),
    ],
    baseline: Annotated[
        str | None,
        typer.Option(
            help="Test every other run against this one only and report drift: each axis's "
            "change on the shared items and the units that changed outcome."
        ),
    ] = None,
    fmt: Annotated[
        str, typer.Option("--format", "-f", help="table (terminal), json, html or md.")
    ] = "table",
    out: Annotated[
        Path | None, typer.Option(help="Write the json/html/md output here (default: stdout).")
    ] = None,
    resamples: Annotated[
        int,
        typer.Option(min=100, max=100_000, help="Bootstrap resamples for rank and tau intervals."),
    ] = RESAMPLES,
    seed: Annotated[int, typer.Option(help="Seed of the bootstrap.")] = 0,
    dynamic_axis: Annotated[
        str | None,
        typer.Option(help="Axis whose failure rate is the dynamic ranking (default: robustness)."),
    ] = None,
    db: DbOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Compare runs: rates with Wilson intervals, paired exact McNemar tests (Holm-corrected),
    rank intervals, the static-versus-dynamic gap (Kendall's tau), drift against a baseline.

    Examples:

      medtrust compare cmp-20260101-120000-abcdef --format html --out leaderboard.html

      medtrust compare --baseline RUN_OLD RUN_NEW
    """
    if fmt not in FORMATS:
        raise MedtrustError(f"--format {fmt!r}: one of {', '.join(FORMATS)}")
    if out is not None and fmt == "table":
        raise MedtrustError("--out writes json, html or md; add --format")
    c = build_comparison(
        open_store(db),
        ids,
        baseline=baseline,
        resamples=resamples,
        seed=seed,
        dynamic_axis=dynamic_axis,
    )
    for w in c.warnings:
        console.print(f"[yellow]warning:[/] {escape(w)}")
    if fmt == "table":
        for t in tables(c):
            console.print(t)
    else:
        text = render_comparison(c, fmt)
        if out is not None:
            write_text_atomic(out, text)
            console.print(f"{fmt} -> {out}", markup=False)
        elif not json_out:
            typer.echo(text, nl=False)
    if json_out:
        print_json(c.to_json())


def register(app: typer.Typer) -> None:
    """Add the ``compare`` command to ``app``."""
    app.command("compare")(compare_command)


def members_or_none(store: Store, cid: str) -> list[Any]:
    """The comparison's runs so far (none yet when it stopped before its first member)."""
    try:
        return members(store, cid)
    except MedtrustError:
        return []


def run_members(
    config: RunConfig,
    targets: list[str],
    *,
    store: Store,
    out: Path,
    redact: bool,
    policy_dirs: list[Path] | None,
    table: Callable[[RunSummary], Table],
    json_out: bool,
) -> None:
    """``run --target A --target B ...``: each target in turn (see
    :mod:`medtrust.compare._multi`), one report per member under ``OUT/NN-target/`` and the
    leaderboard at ``OUT/leaderboard.html``; ``--json`` prints ``{"comparison", "runs"}``."""
    from medtrust import api

    def run_one(member: RunConfig, out_dir: Path | None) -> api.RunResult:
        target = escape(member.target)
        console.print(f"[bold]target {target}[/] (comparison {member.comparison_id})")
        progress = Progress(
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=console,
        )

        def hook(label: str, total: int) -> Callable[[int], None]:
            task = progress.add_task(label, total=total)
            return lambda n: progress.advance(task, n)

        with progress:
            result = api.run(
                member,
                store=store,
                out_dir=out_dir,
                hook=hook,
                redact=redact,
                policy_dirs=policy_dirs,
            )
        console.print(table(result.summary))
        if result.report_path:
            console.print(f"report: {result.report_path}", markup=False)
        return result

    cid = new_comparison_id()
    try:
        cid, results = run_targets(config, targets, run_one=run_one, out_dir=out, comparison_id=cid)
    except KeyboardInterrupt as exc:
        for note in getattr(exc, "__notes__", []):
            console.print(f"[yellow]interrupted[/]: {escape(note)}")
        from medtrust._cli_run_outcome import comparison_advice
        from medtrust.compare._multi import member_dir

        console.print(comparison_advice(
            members_or_none(store, cid), comparison=cid, board=out / "leaderboard.html",
            report_dir=lambda t: member_dir(out, targets.index(t), t),
        ))  # fmt: skip
        raise typer.Exit(130) from None
    except MedtrustError as exc:  # one line, with the targets not started
        raise MedtrustError("; ".join([str(exc), *getattr(exc, "__notes__", [])])) from None
    try:  # every member is stored by now: a leaderboard that cannot be built is a warning
        board = build_comparison(store, [cid])
    except MedtrustError as exc:
        why = escape(str(exc))
        console.print(f"[yellow]warning:[/] no leaderboard for comparison {cid}: {why}")
    else:
        path = out / "leaderboard.html"
        write_text_atomic(path, render_comparison(board, "html"))
        console.print(f"comparison {cid}: leaderboard {path}", markup=False)
    if json_out:
        print_json({"comparison": cid, "runs": [r.summary.to_json() for r in results]})
