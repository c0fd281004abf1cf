"""`medtrust cohort ...`: generate, check, fit, sample, evaluate. Thin: parse, call, print."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from medtrust._cli_util import handle_errors, print_json
from medtrust._cli_util import plain_console as console
from medtrust.cohort._cli_validate import validate
from medtrust.errors import ConfigError, MedtrustError

cohort_app = typer.Typer(
    help="Synthetic patient cohorts: generate, check Safe Harbor, fit and evaluate a learned "
         "generator on your own table.",
    no_args_is_help=True,
)
cohort_app.command("validate")(validate)


def _progress() -> Progress:
    return Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                    TimeRemainingColumn(), console=console, transient=True)


def _margins(specs: list[str]) -> dict[str, dict[str, float]]:
    out: dict[str, dict[str, float]] = {}
    for spec in specs:
        attr, sep, rest = spec.partition("=")
        try:
            if not sep:
                raise ValueError
            out[attr.strip()] = {k.strip(): float(v) for k, v in
                                 (part.split(":") for part in rest.split(","))}
        except ValueError:
            raise ConfigError(f"--margin {spec!r}: expected ATTR=CAT:W,CAT:W "
                              "(e.g. sex=female:0.5,male:0.5)") from None
    return out


@cohort_app.command()
@handle_errors
def generate(
    n: int = typer.Option(..., "-n", "--n", min=0, help="Number of patients."),
    out: Path = typer.Option(..., "--out", "-o",
                             help="Output file: .parquet, .csv, .jsonl or .ndjson (FHIR R4)."),
    seed: int = typer.Option(0, "--seed", min=0,
                             help="Seed; patient i is a function of (seed, i)."),
    identified: bool = typer.Option(False, "--identified",
                                    help="Add fake identifiers (privacy probes) instead of the "
                                         "default HIPAA Safe Harbor output."),
    balance: str | None = typer.Option(
        None, "--balance", help="Reweight by w_c = 1/P(c) to balance an attribute (sex, age_band, "
                                "race_ethnicity, insurance, language) or an ICD-10-CM condition."),
    rare_boost: float = typer.Option(1.0, "--rare-boost", min=1.0,
                                     help="Multiply the probability of rare conditions."),
    rare_threshold: float = typer.Option(1e-4, "--rare-threshold",
                                         help="Prevalence below which a condition is rare."),
    margin: list[str] = typer.Option([], "--margin",
                                     help="Override a population margin: ATTR=CAT:W,CAT:W."),
    from_fhir: Path | None = typer.Option(None, "--from-fhir",
                                          help="Import FHIR bundles (e.g. Synthea) as the cohort "
                                               "instead of generating; -n caps how many."),
    as_json: bool = typer.Option(False, "--json", help="Print the summary as JSON."),
) -> None:
    """Generate a synthetic cohort, streamed to disk (Safe Harbor unless --identified)."""
    from medtrust.cohort._config import CohortConfig
    from medtrust.cohort._generate import generate_cohort

    if from_fhir is not None:
        summary = _import(from_fhir, out, n, identified)
    else:
        try:
            cfg = CohortConfig(seed=seed, policy="identified" if identified else "safe_harbor",
                               balance=balance, rare_boost=rare_boost,
                               rare_threshold=rare_threshold, margins=_margins(margin))
        except ValueError as exc:
            raise ConfigError(str(exc).splitlines()[0]) from None
        with _progress() as bar:
            task = bar.add_task(f"generating {out.name}", total=n)
            summary = generate_cohort(n, out, config=cfg,
                                      progress=lambda k: bar.advance(task, k))
    if as_json:
        print_json(summary)
        return
    console.print(f"wrote {summary['n']} patients to {out} ({summary['policy']}) in "
                  f"{summary.get('seconds', 0)} s")
    rare = summary.get("rare_boost", {}).get("conditions", [])
    if rare:
        console.print(f"rare conditions: {sum(r['count'] for r in rare)} patients "
                      f"(boost x{summary['rare_boost']['boost']})")
    if summary.get("balance", {}).get("target"):
        console.print(f"balanced on {summary['balance']['target']} (w_c = 1/P(c))")


def _import(path: Path, out: Path, n: int, identified: bool) -> dict[str, Any]:
    import itertools

    import pyarrow as pa

    from medtrust._atomic import atomic_path
    from medtrust.cohort._fhir_import import import_fhir
    from medtrust.cohort._io import format_of, open_sink

    fmt = format_of(out)
    patients = list(itertools.islice(import_fhir(path, identified=identified), n or None))
    rows = [p.to_row() for p in patients]
    with atomic_path(out) as tmp:
        sink = open_sink(tmp, fmt)
        try:
            if rows:
                sink.write(pa.Table.from_pylist(rows))
        finally:
            sink.close()
    return {"n": len(rows), "policy": "identified" if identified else "safe_harbor",
            "source": str(path), "file": str(out), "format": fmt}


@cohort_app.command()
@handle_errors
def check(
    file: Path = typer.Argument(..., help="Cohort file (.parquet, .csv, .jsonl, FHIR .ndjson)."),
    limit: int = typer.Option(50, "--limit", min=0, help="Violations to list (all are counted)."),
    as_json: bool = typer.Option(False, "--json", help="Print the report as JSON."),
) -> None:
    """Check a file against HIPAA Safe Harbor; exit 1 when any identifier is found.

    A FHIR record is one Patient (a Bundle of several is several records). Malformed input
    (not JSON, not a FHIR resource, an unknown resourceType, a value of the wrong type) is
    exit 2 with FILE:LINE and the cause: it is never reported as free of violations."""
    from medtrust.cohort._safe_harbor import RULES, check_file

    report = check_file(file)
    if as_json:
        data = report.model_dump()
        data["ok"] = report.ok
        data["violations"] = data["violations"][: max(limit, 0) or None]
        print_json(data)
    else:
        if report.ok:
            console.print(f"{file}: {report.records} records, no Safe Harbor violations")
        else:
            table = Table(title=f"{file}: {report.total} Safe Harbor violations")
            for col in ("record", "column", "rule", "detail"):
                table.add_column(col)
            for v in report.violations[:limit]:
                where = str(v.record) if v.line is None else (
                    f"{v.record} (line {v.line}, {v.patient or 'no patient'})")
                table.add_row(where, v.column, RULES[v.rule], v.detail)
            console.print(table)
            console.print(f"{report.records_flagged} of {report.records} records flagged")
            console.print(", ".join(f"{RULES[k]}: {c}" for k, c in sorted(report.counts.items())))
    if not report.ok:
        raise typer.Exit(1)


def _read_table(path: Path) -> Any:
    import pandas as pd

    if not path.exists():
        raise MedtrustError(f"{path}: no such file")
    try:
        if path.suffix.lower() == ".parquet":
            return pd.read_parquet(path)
        if path.suffix.lower() == ".csv":
            # utf-8-sig drops a byte-order mark; identifier-like columns stay text so that
            # leading zeros survive (ZIP "036", MRN "00123").
            import csv

            with path.open(encoding="utf-8-sig", newline="") as fh:
                header = next(csv.reader(fh), [])
            return pd.read_csv(path, encoding="utf-8-sig",
                               dtype={c: str for c in header if _identifier_like(c)})
    except (ValueError, OSError) as exc:
        raise ConfigError(f"{path}: cannot read table ({str(exc).splitlines()[0]})") from None
    raise MedtrustError(f"{path}: use a .csv or .parquet table")


def _identifier_like(column: str) -> bool:
    from medtrust.cohort._sh_rules import COLUMN_RULES, ZIP_COLUMNS, norm_name

    key = norm_name(column)
    tokens = set(key.split("_"))
    return (key in ZIP_COLUMNS or COLUMN_RULES.get(key, "dates") != "dates"
            or bool(tokens & {"code", "zip", "mrn", "ssn", "npi", "fips"}))


def _write_table(df: Any, path: Path) -> None:
    from medtrust._atomic import atomic_path

    if path.suffix.lower() not in (".csv", ".parquet"):
        raise MedtrustError(f"{path}: use a .csv or .parquet output")
    with atomic_path(path) as tmp:
        if path.suffix.lower() == ".csv":
            df.to_csv(tmp, index=False)
        else:
            df.to_parquet(tmp, index=False)


@cohort_app.command()
@handle_errors
def fit(
    real: Path = typer.Argument(..., help="Real table (.csv or .parquet)."),
    out: Path = typer.Option(..., "--out", "-o", help="Model file to write (JSON)."),
    holdout_frac: float = typer.Option(0.2, "--holdout-frac",
                                       help="Rows kept out of fitting for `evaluate` (0 = none)."),
    split_seed: int = typer.Option(0, "--split-seed", help="Seed of the holdout split."),
    as_json: bool = typer.Option(False, "--json", help="Print a JSON summary."),
) -> None:
    """Fit a Gaussian-copula generator to a real table (categorical, integer, missing values)."""
    from medtrust._atomic import atomic_path
    from medtrust.cohort._copula import fit_copula
    from medtrust.cohort._evaluate import split_holdout

    df = _read_table(real)
    train, _ = split_holdout(df, holdout_frac, split_seed)
    with console.status(f"fitting on {len(train)} rows"):
        model = fit_copula(train, seed=split_seed)
    model = model.model_copy(update={"holdout_frac": holdout_frac, "split_seed": split_seed})
    with atomic_path(out) as tmp:
        model.save(tmp)
    info = {"model": str(out), "rows_fitted": len(train), "columns": {
        c.name: c.kind for c in model.columns}, "holdout_frac": holdout_frac}
    if as_json:
        print_json(info)
    else:
        console.print(f"fitted {len(model.columns)} columns on {len(train)} rows -> {out}")


@cohort_app.command()
@handle_errors
def sample(
    model: Path = typer.Argument(..., help="Model written by `fit`."),
    n: int = typer.Option(..., "-n", "--n", min=1, help="Rows to sample."),
    out: Path = typer.Option(..., "--out", "-o", help="Output table (.csv or .parquet)."),
    seed: int = typer.Option(0, "--seed", min=0, help="Sampling seed."),
    as_json: bool = typer.Option(False, "--json", help="Print a JSON summary."),
) -> None:
    """Sample a synthetic table from a fitted model, HIPAA Safe Harbor by construction.

    Ages over 89 are top-coded to 90 ("90 or older"), dates coarsened to the year, ZIP codes
    cut to a permitted 3-digit prefix (restricted ones to 000), direct identifiers dropped:
    `medtrust cohort check` on the output passes."""
    from medtrust.cohort._copula import CopulaModel, sample_copula

    df = sample_copula(CopulaModel.load(model), n, seed=seed)
    _write_table(df, out)
    if as_json:
        print_json({"rows": len(df), "file": str(out)})
    else:
        console.print(f"sampled {len(df)} rows -> {out}")


@cohort_app.command()
@handle_errors
def evaluate(
    synthetic: Path = typer.Argument(..., help="Synthetic table (.csv or .parquet)."),
    real: Path = typer.Option(..., "--real", help="The real table the model was fitted to."),
    target: str | None = typer.Option(None, "--target", help="Column to predict for utility "
                                                              "(default: the last column)."),
    protected: str = typer.Option("", "--protected", help="Subgroup columns, comma-separated."),
    holdout_frac: float = typer.Option(0.2, "--holdout-frac", help="Same value as `fit`."),
    split_seed: int = typer.Option(0, "--split-seed", help="Same value as `fit`."),
    as_json: bool = typer.Option(False, "--json", help="Print the full report as JSON."),
) -> None:
    """Fidelity (SDMetrics definitions), utility (TSTR), privacy (DCR, MIA AUC), fairness."""
    from medtrust.cohort._evaluate import evaluate as run

    real_df, synth_df = _read_table(real), _read_table(synthetic)
    with console.status("evaluating"):
        report = run(real_df, synth_df, target=target,
                     protected=[c.strip() for c in protected.split(",") if c.strip()],
                     holdout_frac=holdout_frac, split_seed=split_seed)
    if as_json:
        print_json(report)
        return
    fid, util, priv = report["fidelity"], report["utility"], report["privacy"]
    table = Table(title=f"{synthetic} vs {real}")
    table.add_column("measure")
    table.add_column("value")
    table.add_row("fidelity: column shapes", str(fid["column_shapes"]))
    table.add_row("fidelity: column pair trends", str(fid["column_pair_trends"]))
    for key in ("train_real", "train_synthetic", "ratio"):
        if key in util:
            table.add_row(f"utility ({util['metric']}): {key}", str(util[key]))
    for key in ("exact_copies", "exact_copy_share", "dcr_real_min", "dcr_real_median",
                "dcr_synthetic_median", "dcr_holdout_median", "share_closer_to_train",
                "membership_inference_auc"):
        if key in priv:
            table.add_row(f"privacy: {key}", str(priv[key]))
    console.print(table)
