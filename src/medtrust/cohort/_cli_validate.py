"""``medtrust cohort validate FILE``: list clinically implausible records by rule.

Registered on the ``cohort`` command group by ``medtrust/cohort/cli.py``. Exit 0 when every
record is plausible, 1 when any is not, 2 on bad input (FILE:LINE and the cause).
"""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table

from medtrust._cli_util import handle_errors, print_json
from medtrust._cli_util import plain_console as console


@handle_errors
def validate(
    file: Path = typer.Argument(..., help="Cohort file (.parquet, .csv, .jsonl) or FHIR R4 "
                                          "(.ndjson, a Bundle .json, or a folder of them)."),
    limit: int = typer.Option(50, "--limit", min=0, help="Findings to list (all are counted)."),
    as_json: bool = typer.Option(False, "--json", help="Print the report as JSON."),
) -> None:
    """Check every record against the knowledge base's plausibility rules; exit 1 when any fails.

    Families: condition_age, condition_sex, anatomy (sex at birth), drug_age, contraindication,
    mutation_drug (targeted drug without its biomarker or indication), pathway (a drug without
    its diagnosis, a later line without an earlier one). The rules are data:
    medtrust/cohort/data/plausibility.yaml."""
    from medtrust.cohort._plausibility import FAMILIES
    from medtrust.cohort._validate import validate_file
    from medtrust.metrics import wilson

    report = validate_file(file, limit=limit)
    if as_json:
        data = report.model_dump()
        data["ok"] = report.ok
        ci = wilson(report.records_flagged, report.records)
        data["flagged_rate"] = round(report.flagged_rate, 6) if report.records else None
        data["flagged_ci95"] = [round(ci[0], 6), round(ci[1], 6)] if ci else None
        print_json(data)
    elif report.ok:
        console.print(f"{file}: {report.records} records, none implausible")
    else:
        table = Table(title=f"{file}: {report.total} implausible findings")
        for col in ("record", "line/row", "family", "rule", "detail"):
            table.add_column(col)
        for f in report.findings[:limit]:
            table.add_row(f.record, "" if f.line is None else str(f.line), f.family, f.rule,
                          f.detail)
        console.print(table)
        console.print(f"{report.records_flagged} of {report.records} records flagged")
        console.print(", ".join(f"{FAMILIES[k]}: {c}" for k, c in report.counts.items()))
        top = list(report.rules.items())[:10]
        console.print("most frequent rules: " + ", ".join(f"{r} {c}" for r, c in top))
    if not report.ok:
        raise typer.Exit(1)
