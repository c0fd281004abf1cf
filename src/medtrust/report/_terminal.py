"""The run summary as a terminal table (``medtrust run`` and ``report`` print it).

A renderer like the others: it reads the typed :class:`medtrust.summary.RunSummary` and
computes nothing. Errors are never hidden: an axis that was not assessed (nothing scored) still
shows its errors and why (the summary's ``error_reasons``), as the JSON and JUnit do, so that
"not assessed" is never read as "nothing happened".
"""

from __future__ import annotations

from rich.markup import escape
from rich.table import Table

from medtrust.report._scores import axis_rubric_scores
from medtrust.summary import ERROR_WARN, AxisSummary, RunSummary


def _pct(x: float | None) -> str:
    return "n/a" if x is None else f"{100 * x:.1f}%"


def _ci(ci: list[float] | None, missing: str = "n/a") -> str:
    return f"{_pct(ci[0])}-{_pct(ci[1])}" if ci else missing


def _err_cell(e: AxisSummary) -> str:
    """Errors with their share of calls, in red above the 10% warning level."""
    if e.error_rate is None:
        return str(e.errors)
    cell = f"{e.errors} ({_pct(e.error_rate)})"
    return f"[red]{cell}[/]" if e.error_rate > ERROR_WARN else cell


def _why(e: AxisSummary) -> str:
    """Why the axis's errors could not be scored (``error_reasons``), largest first."""
    reasons = sorted((e.error_reasons or {}).items(), key=lambda kv: (-kv[1], kv[0]))
    return ", ".join(f"{escape(k)} {v}" for k, v in reasons)


def _not_assessed(t: Table, axis: str, e: AxisSummary) -> None:
    """Nothing scored: the axis's errors, why, and the probes that had them."""
    if not e.errors:
        t.add_row(f"[dim]{axis} (not assessed)[/]", "", "", "", "", "")
        return
    t.add_row(
        f"[bold]{axis}[/] [yellow](not assessed: none of {e.calls} judged cases could be "
        "scored)[/]",
        "0", "", "n/a", "n/a", _err_cell(e),
    )
    for op, p in e.by_probe.items():
        if p.errors:
            t.add_row(f"  {escape(op)}", str(p.n), "", "n/a", "n/a", str(p.errors))
    if why := _why(e):
        t.add_row(f"  [dim]errors: {why}[/]", "", "", "", "", "")


def _axis_rows(t: Table, axis: str, e: AxisSummary) -> None:
    if not e.assessed:
        _not_assessed(t, axis, e)
        return
    flag = "" if e.informative else " [yellow](not informative)[/]"
    t.add_row(
        f"[bold]{axis}[/]{flag}",
        str(e.n),
        str(e.failures),
        _pct(e.failure_rate),
        _ci(e.ci95),
        _err_cell(e),
    )
    for op, p in e.by_probe.items():
        t.add_row(
            f"  {escape(op)}", str(p.n), str(p.failures), _pct(p.failure_rate), _ci(p.ci95),
            str(p.errors),
        )
    c = e.controls
    if c and c.n:
        t.add_row(
            "  [dim]controls: accuracy[/]",
            str(c.n),
            "",
            _pct(c.accuracy),
            _ci(c.ci95, ""),
            str(c.errors),
        )
    for r in axis_rubric_scores(axis, e):  # issue 20: the score beside the failure rate
        mean = "n/a" if r["mean"] is None else f"{r['mean']:.3f}"
        ci = f"{r['ci95'][0]:.3f}-{r['ci95'][1]:.3f}" if r["ci95"] else "n/a"
        t.add_row(f"  [dim]rubric score: {escape(r['name'])}[/]", str(r["n"]), "", mean, ci, "")
    if e.errors and (why := _why(e)):
        t.add_row(f"  [dim]errors: {why}[/]", "", "", "", "", "")


def summary_table(summary: RunSummary) -> Table:
    """The run summary as a terminal table: each axis, its operators and controls, its errors
    and why, with the risk and the warnings (errors above 10%, uninformative baselines) in the
    caption. An axis not assessed shows its errors (``n`` 0) rather than an empty row."""
    # Names are the user's: escaped so that a suite called "ward [/] audit" prints as typed.
    t = Table(
        title=f"run {escape(summary.run_id)}  ·  {escape(summary.target)}  ·  "
        f"suite {escape(summary.suite)}"
    )
    # Short numeric headers that never wrap; the name column takes the rest of the width and
    # folds a long name onto a second line rather than cutting it ("fabricated_drug_op…" would
    # be ambiguous).
    t.add_column("axis / operator", overflow="fold")
    for col in ("n", "fail", "rate", "95% CI", "err"):
        t.add_column(col, justify="left" if col == "95% CI" else "right", no_wrap=True)
    for axis, e in summary.axes.items():
        _axis_rows(t, axis, e)
    r = summary.risk
    lines = []
    if r.score is not None and r.ci95:
        lines.append(f"risk {r.score:.1f}/100 ({r.tier}), 95% CI {r.ci95[0]:.1f}-{r.ci95[1]:.1f}")
    elif r.reason:
        lines.append(f"risk not assessed: {r.reason}")
    lines += [f"[yellow]warning:[/] {escape(w)}" for w in summary.warnings]
    t.caption = "\n".join(lines) or None
    return t
