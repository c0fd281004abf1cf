"""What ``medtrust run`` says after its run: the call counts, whether anything was measured
(the exit code) and, on Ctrl-C, what to do next given where the run stands in the store.

Exit codes of ``run`` (its ``--help`` and the README say the same): 0 the run was measured,
also when some calls failed (the summary counts them apart; ``medtrust gate --max-errors`` is
the check for CI); 1 nothing was measured on the run or on one of the axes it asked (every
judged case of it errored: failed calls, unreadable replies), the run and its report still
stored; 2 bad input; 130 interrupted (Ctrl-C).
"""

from __future__ import annotations

import os
import socket
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from medtrust.engine import ExecStats
    from medtrust.records import RunInfo
    from medtrust.store import Store
    from medtrust.summary import AxisSummary, RunSummary

EXIT_NOTHING_MEASURED = 1
EXIT_INTERRUPTED = 130
"""128 + SIGINT, the shell's code for a command stopped by Ctrl-C."""

_REREADS = ("compliance",)
"""Axes that re-read the other axes' outputs and make no call of their own."""


def stats_line(stats: ExecStats) -> str:
    """``"0 of 48 replies from the cache; 48 target calls (0 failed)"``: what this invocation
    stored, counted in replies (one per sample: a case asked ``--samples K`` times is K
    replies), and the calls that went to the target (replies not served from the cache;
    ``failed``: no reply after the retries)."""
    calls = stats.replies - stats.cached
    line = (
        f"{stats.cached} of {stats.replies} replies from the cache; "
        f"{calls} target calls ({stats.errors} failed)"
    )
    if stats.cache_rejected:
        line += (
            f"; {stats.cache_rejected} cached replies rejected (text no longer matches its "
            "audited digest) and asked again"
        )
    return line


def unmeasured_axes(summary: RunSummary) -> list[str]:
    """The axes the run asked (``calls`` > 0) on which nothing could be scored: every judged
    case errored (``errors == calls``; a failed call, an unreadable reply, a verdict the judge
    could not reach), so the axis has no rate at all. Compliance re-reads the other axes'
    outputs and is never listed."""
    return [
        name
        for name, e in summary.axes.items()
        if name not in _REREADS and e.calls > 0 and e.errors >= e.calls
    ]


def nothing_measured(summary: RunSummary, stats: ExecStats | None = None) -> str | None:
    """One line saying what measured nothing, or None when every axis the run asked scored
    something (some errors are no reason: the summary counts them apart).

    Read from the summary alone (its ``calls`` are judged cases: one per case whatever
    ``--samples``); ``stats`` adds this invocation's target calls and how many failed, e.g.
    ``nothing was measured: 2 of 2 judged cases errored (target error: 2); 6 of 6 target
    calls failed; run R is stored: ...``.
    """
    rid = summary.run_id
    see = f"run {rid} is stored: `medtrust report {rid}` shows why (err column, error_reasons)"
    if summary.calls == 0:
        return f"nothing was measured: run {rid} judged no case (the suite made none)"
    axes = unmeasured_axes(summary)
    if not axes:
        return None
    calls = ""
    if stats is not None and stats.replies > stats.cached:
        calls = f"; {stats.errors} of {stats.replies - stats.cached} target calls failed"
    if summary.errors >= summary.calls:
        why = _why_all(summary.axes[a] for a in axes)
        return (
            f"nothing was measured: {summary.errors} of {summary.calls} judged cases errored"
            f"{f' ({why})' if why else ''}{calls}; {see}"
        )
    each = ", ".join(
        f"{a} {summary.axes[a].errors} of {summary.axes[a].calls}"
        + (f" ({w})" if (w := _why_all([summary.axes[a]])) else "")
        for a in axes
    )
    return (
        f"nothing was measured on {' and '.join(axes)}: every judged case errored ({each}); "
        f"the other axes were scored{calls}; {see}"
    )


def _why_all(entries: Iterable[AxisSummary]) -> str:
    total: dict[str, int] = {}
    for e in entries:
        for k, v in (e.error_reasons or {}).items():
            total[k] = total.get(k, 0) + v
    return ", ".join(f"{k}: {v}" for k, v in sorted(total.items(), key=lambda kv: (-kv[1], kv[0])))


def members_unmeasured(summaries: Iterable[RunSummary]) -> str | None:
    """For a comparison (several ``--target``): one line naming each member run that measured
    nothing (:func:`nothing_measured`), or None when every member measured something."""
    bad = [
        f"{s.target} (run {s.run_id}: {', '.join(unmeasured_axes(s)) or 'no case judged'})"
        for s in summaries
        if nothing_measured(s) is not None
    ]
    if not bad:
        return None
    return (
        f"nothing was measured on {len(bad)} target(s): {'; '.join(bad)}; "
        "`medtrust report RUN_ID` shows why (err column, error_reasons)"
    )


def now() -> datetime:
    """The current time in UTC (the store's clock for ``created_at``)."""
    return datetime.now(UTC)


def runs_begun(store: Store, since: datetime) -> list[tuple[str, str]]:
    """``(run id, status)`` of the runs this process created at or after ``since`` (UTC),
    newest first: the store records the process (pid and host) that runs each run."""
    from sqlalchemy import select

    from medtrust.store import schema

    t = schema.runs
    query = select(t.c.id, t.c.status, t.c.created_at).where(
        t.c.pid == os.getpid(), t.c.host == socket.gethostname()
    )
    with store.engine.connect() as conn:
        rows = conn.execute(query).all()
    aware = [
        (r.id, r.status, r.created_at.replace(tzinfo=r.created_at.tzinfo or UTC)) for r in rows
    ]  # SQLite hands back naive UTC times
    return [(i, s) for i, s, at in sorted(aware, key=lambda r: r[2], reverse=True) if at >= since]


def interrupt_advice(
    store: Store, *, since: datetime, run_id: str | None, report_dir: Callable[[str], Path]
) -> str:
    """What to do after Ctrl-C, given where the run stands in the store (rich markup).

    ``run_id`` names the run when known (``--resume``), else it is the run this process
    created since ``since`` (:func:`runs_begun`); ``report_dir(run_id)`` is where ``run``
    would have written its HTML report. A run already ``done`` (stopped in the concern
    trigger, the summary or the report) cannot be resumed: its results are complete and
    ``medtrust report`` writes the report. Any other run is finished with ``--resume``.
    """
    head = "[yellow]interrupted[/]"
    try:
        if run_id is not None:
            info = store.get_run(run_id)
            found: list[tuple[str, str]] = [(info.id, str(info.status))]
        else:
            found = runs_begun(store, since)
    except Exception:  # the store cannot say (locked, gone): the general advice
        found = []
        run_id = run_id or "RUN_ID"
    if not found:
        if run_id is None:
            return f"{head}: before the run was created; nothing was stored"
        return (
            f"{head}: every reply received so far is stored; finish with "
            f"`medtrust run --resume {run_id}` (see `medtrust runs`)"
        )
    rid, status = found[0]
    if status == "done":
        from rich.markup import escape

        return (
            f"{head}: run {rid} had finished: every reply is stored and judged, but its "
            "report was not (or not completely) written; write it with "
            f"`medtrust report {rid} --format html --out {escape(str(report_dir(rid)))}`"
        )
    return (
        f"{head}: every reply received so far is stored; finish with `medtrust run --resume {rid}`"
    )


def comparison_advice(
    runs: Sequence[RunInfo], *, comparison: str, report_dir: Callable[[str], Path], board: Path
) -> str:
    """After Ctrl-C in ``run --target A --target B ...``: resume the member that is not done;
    when every stored member is done (Ctrl-C came during the last one's concern trigger,
    summary or report), write that member's report and the leaderboard instead.
    ``report_dir(target)`` is where the member's report goes (rich markup)."""
    from rich.markup import escape

    unfinished = [r.id for r in runs if r.status != "done"]
    if unfinished:
        return "every reply received so far is stored; finish the interrupted member with " + (
            " and ".join(f"`medtrust run --resume {rid}`" for rid in unfinished)
        )
    if not runs:
        return "no member run was created; nothing was stored"
    last = max(runs, key=lambda r: r.created_at)
    return (
        f"every member run is stored and judged; run {last.id} ({escape(last.target)}) had "
        "finished but its report was not (or not completely) written: `medtrust report "
        f"{last.id} --format html --out {escape(str(report_dir(last.target)))}`; then the "
        f"leaderboard: `medtrust compare {comparison} --format html --out {escape(str(board))}`"
    )
