"""``medtrust import inspect LOG``: an Inspect AI log as a judged, reportable medtrust run."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from medtrust._cli_util import DbOpt, JsonOpt, console, handle_errors, open_store, print_json

import_app = typer.Typer(help="Import results from other evaluation tools.", no_args_is_help=True)


@import_app.callback()
def _group() -> None:
    """Import results from other evaluation tools (a group: ``medtrust import inspect LOG``)."""


@import_app.command("inspect")
@handle_errors
def inspect_log(
    log: Annotated[Path, typer.Argument(help="An Inspect AI .eval (or .json) log.")],
    judge: Annotated[
        str | None,
        typer.Option(
            "--judge",
            metavar="SPEC",
            help="Grade open-ended replies with this grader (a target spec, as `run --judge`) "
            "instead of the one `cases export --judge` recorded.",
        ),
    ] = None,
    db: DbOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Load an Inspect log's samples as a run: replies from the log (no target call), judged
    by medtrust's judges, sealed in the audit chain; then report, gate, review it like a run.

    The log must come from a dataset written by ``medtrust cases export --format inspect``
    (each sample carries its medtrust case, the seed and the probes' params, so the imported
    run is summarised as the native run). Exit 2 with one line on a bad log.
    """
    from medtrust import api
    from medtrust.interop import import_log

    store = open_store(db)
    info = import_log(log, store, judge=judge)
    summary = api.summarize(store, info, api.probes_for(info))
    if json_out:
        print_json({"run_id": info.id, "suite": info.suite, "target": info.target,
                    "summary": summary.to_json()})  # fmt: skip
        return
    console.print(
        f"imported {log} as run {info.id} ({info.target}); see `medtrust report {info.id}`",
        markup=False,
    )
