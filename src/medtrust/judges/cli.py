"""``medtrust judge validate``: prove a judge agrees with clinicians before trusting it."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from medtrust._cli_util import console, handle_errors, print_json
from medtrust.judges._validate import validate_judge

judge_app = typer.Typer(help="Judges: validate agreement with human labels.", no_args_is_help=True)


def left_out(result: dict[str, Any]) -> list[str]:
    """One line per reason rows of a ``validate_judge`` result were left out: tied physician
    labels (no majority: no label, not the judge's failure), responses nobody could read
    (errors, as in a run) and rows the judge could not decide (its errors, by status)."""
    rows, ties = result["rows"], int(result.get("no_majority", 0))
    unread = int(result.get("unreadable_responses", 0))
    undecided = result["unscored"] - ties - unread
    out = []
    if ties:
        out.append(f"{ties} of {rows} row(s) with tied physician labels (no majority) were "
                   "left out")  # fmt: skip
    if unread:
        out.append(f"{unread} of {rows} row(s) whose response nobody could read (errors, as in "
                   "a run) were left out")  # fmt: skip
    if undecided:
        errs = ", ".join(f"{k} {v}" for k, v in result["judge_errors"].items())
        out.append(f"{undecided} of {rows} row(s) the judge could not decide were left out"
                   + (f" (judge errors: {errs})" if errs else ""))  # fmt: skip
    return out


@judge_app.callback()
def _group() -> None:
    """Judges: validate agreement with human labels (a group, so ``judge validate`` reads the
    same standalone and mounted under ``medtrust``)."""


def _fmt(x: float | None, ci: list[float] | None) -> str:
    if x is None:
        return "n/a"
    return f"{x:.3f}" + (f"  [{ci[0]:.3f}, {ci[1]:.3f}]" if ci else "")


def _tag_table(by_tag: dict[str, dict[str, Any]]) -> Table:
    """Agreement per criterion tag (criterion-level labels)."""
    t = Table(title="agreement per criterion tag")
    for col in ("tag", "scored / rows", "accuracy", "kappa [95% CI]"):
        t.add_column(col)
    for tag, e in by_tag.items():
        acc = "n/a" if e["accuracy"] is None else f"{e['accuracy']:.3f}"
        kappa = _fmt(e["kappa"], e["kappa_ci95"])
        t.add_row(escape(tag), f"{e['scored']} / {e['rows']}", acc, kappa)
    return t


@judge_app.command()
@handle_errors
def validate(
    judge: Annotated[
        str,
        typer.Option(
            "--judge",
            help="judge:NAME for a registered judge (rows may carry 'gold'), or a target spec "
            "(openai:..., local:..., python:MODULE:ATTR) for the LLM judge.",
        ),
    ],
    data: Annotated[
        Path,
        typer.Option(
            "--data",
            help="Labelled JSONL: prompt, response, label (1 = failure); or criterion-level "
            "labels (HealthBench meta-evaluation: prompt, completion, rubric, category, "
            "binary_labels), reported per criterion tag.",
        ),
    ],
    json_out: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """Precision, recall, F1 and Cohen's kappa (95% intervals) of a judge against labels.

    Exit 0 with the figures; exit 1 when fewer than 10 rows could be scored (the figures are
    then null, with the reason); exit 2 on bad input. Rows the judge could not decide (an
    unreadable judge reply, a failed call), rows whose response nobody could read (an error,
    as in a run) and tied physician labels are counted apart, each in its own words, never as
    agreement.
    """
    result = validate_judge(judge, data)
    if json_out:
        print_json(result)
    else:
        t = Table(title=f"judge {escape(judge)}  ·  key {result['judge_key']}  ·  n={result['n']}")
        t.add_column("metric")
        t.add_column("value [95% CI]")
        for name in ("precision", "recall", "f1", "kappa"):
            t.add_row(name, _fmt(result[name], result[f"{name}_ci95"]))
        console.print(t)
        if "by_tag" in result:
            console.print(_tag_table(result["by_tag"]))
        for line in left_out(result):
            console.print(line)
        if result["reason"]:
            console.print(f"[yellow]agreement not assessable[/]: {escape(result['reason'])}")
    if result["reason"]:
        raise typer.Exit(1)
