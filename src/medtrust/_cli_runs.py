"""``medtrust runs`` (stored runs) and ``medtrust cases export`` (the cases a run would send)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from medtrust._cli_util import DbOpt, JsonOpt, console, handle_errors, open_store, print_json

cases_app = typer.Typer(help="Inspect the cases a suite generates.", no_args_is_help=True)


@handle_errors
def runs(db: DbOpt = None, json_out: JsonOpt = False) -> None:
    """List runs: id, suite, target, status (running, done, interrupted, failed)."""
    from medtrust.compare import comparison_of

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
    _print_runs(rows, [comparison_of(r) or "" for r in rows])


def _print_runs(rows: list[Any], comparisons: list[str]) -> None:
    """The runs table on stdout (it is the command's output), every run id whole.

    Where the terminal is too narrow for the table with whole ids, one run per line (fields
    separated by two spaces) instead: an id is never cut or folded, so it can be copied into
    ``medtrust report``. Every cell is the user's text, printed literally (no markup).
    """
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    out = Console(file=sys.stdout, emoji=False, highlight=False)
    header = ("id", "suite", "target", "status", "started", "comparison")
    cells = [
        (r.id, r.suite, r.target, r.status, f"{r.created_at:%Y-%m-%d %H:%M}", comp)
        for r, comp in zip(rows, comparisons, strict=True)
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


FormatOpt = Annotated[
    str,
    typer.Option(
        "--format",
        help="jsonl: medtrust's cases with gold, one JSON object a line. inspect: an Inspect "
        "AI dataset (JSONL samples: input, choices, target, id, metadata) for `inspect eval`; "
        "its logs come back with `medtrust import inspect LOG`.",
    ),
]


@cases_app.command("export")
@handle_errors
def cases_export(
    suite: Annotated[str, typer.Argument(help="Bundled suite name or suite YAML path.")],
    out: Annotated[Path, typer.Option(help="Output file (.jsonl).")],
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
    fmt: FormatOpt = "jsonl",
    judge: Annotated[
        str | None,
        typer.Option(
            "--judge",
            metavar="SPEC",
            help="The grader, as for `run --judge` (a target spec): recorded in the cases "
            "(not called here) and used by `medtrust import inspect`. Needed for rubrics "
            "without keywords (HealthBench data).",
        ),
    ] = None,
    json_out: JsonOpt = False,
) -> None:
    """Write the exact cases a run would send, with their gold answers.

    Attacks are listed for every item, as if its control passed.
    An open-ended attack's gold has ``baseline: null``: it fails on a drop
    from its control's rubric score, known once the control is judged
    (``medtrust import inspect`` fills it in from the log's control).

    Examples:

      medtrust cases export robustness --out cases.jsonl

      medtrust cases export clinical-safety --format inspect --out medtrust.jsonl

      medtrust cases export open-ended --data hb.jsonl --judge openai:gpt-4o \
        --format inspect --out oe.jsonl
    """
    from medtrust import api

    n = api.export_cases(
        suite,
        seed=seed,
        limit=limit,
        data=str(data) if data else None,
        out=out,
        with_bundled=with_bundled,
        fmt=fmt,
        judge=judge,
    )
    if json_out:
        print_json({"suite": suite, "format": fmt, "cases": n, "out": str(out)})
    else:
        console.print(f"{n} cases -> {out}", markup=False, highlight=False)
