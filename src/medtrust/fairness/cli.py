"""``medtrust audit-model``: the tabular fairness audit as a command.

Thin: parses options, calls :func:`medtrust.fairness.audit_model`, prints a table to stderr
(and the JSON report on stdout with ``--json``). Mount it in ``medtrust/cli.py`` with
``app.command("audit-model")(audit_model_command)``; ``app`` here is a one-command Typer app for
tests. Heavy libraries (pandas, fairlearn, shap, scipy) load only when the command runs.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from medtrust._cli_util import handle_errors, print_json
from medtrust._cli_util import plain_console as console
from medtrust.errors import MedtrustError


def _split(text: str | None) -> list[str]:
    return [p.strip() for p in (text or "").split(",") if p.strip()]


def _pairs(items: list[str] | None) -> dict[str, str]:
    out: dict[str, str] = {}
    for item in items or []:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise MedtrustError(
                f"--reference {item!r}: expected COLUMN=VALUE, e.g. insurance=private"
            )
        out[key.strip()] = value.strip()
    return out


@handle_errors
def audit_model_command(
    target: Annotated[
        str, typer.Option("--target", "-t", help="tabular:MODULE:ATTR (predict_proba or callable).")
    ],
    data: Annotated[
        Path, typer.Option(help="Rows to audit: .csv, .parquet or .jsonl (a cohort file works).")
    ],
    protected: Annotated[
        str, typer.Option(help="Comma-separated protected columns, e.g. race,sex,insurance.")
    ],
    label: Annotated[
        str | None, typer.Option(help="0/1 outcome column: enables TPR, FPR and equalized odds.")
    ] = None,
    reference: Annotated[
        list[str] | None,
        typer.Option(help="COLUMN=VALUE each counterfactual is compared with (default: mode)."),
    ] = None,
    proxies: Annotated[
        str | None,
        typer.Option(
            help="Comma-separated proxy columns to search \\[default: zip3,insurance,language]."
        ),
    ] = None,
    threshold: Annotated[float, typer.Option(help="Decision threshold on P(positive).")] = 0.5,
    rows: Annotated[
        int | None, typer.Option(help="Audit a seeded sample of this many rows.")
    ] = None,
    min_group: Annotated[
        int, typer.Option(help="Groups smaller than this are reported but kept out of differences.")
    ] = 30,
    intersections: Annotated[
        bool, typer.Option("--intersections/--no-intersections", help="Intersectional groups.")
    ] = True,
    resamples: Annotated[int, typer.Option(help="Bootstrap resamples for intervals.")] = 500,
    search: Annotated[
        str,
        typer.Option(
            "--search",
            help="auto: worst-case search per many-valued column; de or halving: also a joint "
            "search over every protected column for the worst plausible counterfactual.",
        ),
    ] = "auto",
    no_search: Annotated[
        bool, typer.Option("--no-search", help="Skip every worst-case search.")
    ] = False,
    search_penalty: Annotated[
        float,
        typer.Option(help="Joint search: penalty per unit share of rows made implausible."),
    ] = 1.0,
    search_rows: Annotated[int, typer.Option(help="Rows the worst-case search scores.")] = 64,
    shap: Annotated[
        bool, typer.Option("--shap/--no-shap", help="SHAP attribution disparity.")
    ] = True,
    shap_rows: Annotated[
        int, typer.Option(help="Rows SHAP (and LIME) explain (a seeded sample).")
    ] = 100,
    explain: Annotated[
        str | None,
        typer.Option(
            "--explain",
            help="Explanation methods side by side, e.g. shap,lime: per-feature importance, "
            "Spearman rank agreement (bootstrap interval) and each feature's spread across "
            "protected groups with a permutation test.",
        ),
    ] = None,
    lime_samples: Annotated[
        int, typer.Option(help="LIME perturbations per explained row.")
    ] = 500,
    permutations: Annotated[
        int, typer.Option(help="Permutations per group-spread test.")
    ] = 999,
    seed: Annotated[int, typer.Option(help="Seed for sampling and bootstraps.")] = 0,
    out: Annotated[
        Path | None, typer.Option(help="Write the JSON report here (atomically).")
    ] = None,
    json_out: Annotated[
        bool, typer.Option("--json", help="Print the JSON report on stdout.")
    ] = False,
) -> None:
    """Counterfactual fairness audit of a tabular model: flips, group metrics, worst case, SHAP
    (and LIME beside it with --explain shap,lime).

    Example (the bundled recommender with a planted insurance and ZIP bias):

      medtrust cohort generate -n 5000 --out cohort.csv

      medtrust audit-model -t tabular:medtrust.fairness.reference:model --data cohort.csv
      --protected race,sex,insurance --reference insurance=private --out audit.json

    Joint search for the worst plausible counterfactual over several attributes:

      medtrust audit-model -t tabular:medtrust.fairness.reference:model --data cohort.csv
      --protected race,sex,insurance,zip3 --search halving
    """
    from medtrust.fairness._audit import AuditOptions, audit_model
    from medtrust.fairness._data import read_table
    from medtrust.fairness._table import audit_tables
    from medtrust.report import write_text_atomic
    from medtrust.targets import load_target
    from medtrust.targets.tabular import TabularTarget

    model = load_target(target)
    if not isinstance(model, TabularTarget):
        raise MedtrustError(f"--target {target!r}: audit-model needs a tabular:MODULE:ATTR target")
    if not _split(protected):
        raise MedtrustError("--protected: name at least one column")
    if rows is not None and rows < 1:
        raise MedtrustError("--rows: must be at least 1")
    if search not in ("auto", "de", "halving"):
        raise MedtrustError(f"--search {search!r}: choose auto, de or halving")
    if explain is not None and not _split(explain):
        raise MedtrustError("--explain: name at least one method (shap, lime)")
    if lime_samples < 50 or permutations < 99:
        raise MedtrustError("--lime-samples must be >= 50 and --permutations >= 99")
    frame = read_table(data)
    options = AuditOptions(
        protected=_split(protected),
        label=label,
        reference=_pairs(reference),
        proxies=_split(proxies) if proxies is not None else None,
        threshold=threshold,
        rows=rows,
        min_group=min_group,
        intersections=intersections,
        resamples=resamples,
        search=not no_search,
        search_method=search,
        search_penalty=search_penalty,
        search_rows=search_rows,
        shap=shap,
        shap_rows=shap_rows,
        explain=_split(explain),
        lime_samples=lime_samples,
        permutations=permutations,
        seed=seed,
    )
    report = audit_model(model, frame, options)
    report["data"] = str(data)
    if out is not None:
        write_text_atomic(out, json.dumps(report, indent=2, default=str) + "\n")
    for table in audit_tables(report):
        console.print(table)
    if out is not None:
        console.print(f"report: {out}")
    if json_out:
        print_json(report)


app = typer.Typer(add_completion=False, help="Tabular fairness audits.")
app.command("audit-model")(audit_model_command)
