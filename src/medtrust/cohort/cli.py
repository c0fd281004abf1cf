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
    ray: str | None = typer.Option(
        None, "--ray", metavar="[ADDRESS]",
        help="Write partitioned Parquet (--out DIR/) with Ray tasks: --ray alone starts a local "
             "Ray, --ray auto joins a cluster, or give an address as ray.init takes it."),
    workers: int | None = typer.Option(None, "--workers", min=1,
                                       help="With --ray: partitions written at once "
                                            "(default: the cluster's CPUs)."),
    partition_size: int = typer.Option(1 << 20, "--partition-size", min=1,
                                       help="With --ray: patients per partition file "
                                            "(the output does not depend on --workers)."),
) -> None:
    """Generate a synthetic cohort, streamed to disk (Safe Harbor unless --identified)."""
    from medtrust.cohort._config import CohortConfig
    from medtrust.cohort._generate import generate_cohort
    from medtrust.cohort._partitioned import generate_partitioned

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
            if ray is not None:
                summary = generate_partitioned(n, out, config=cfg, address=ray, workers=workers,
                                               partition_size=partition_size,
                                               progress=lambda k: bar.advance(task, k))
            else:
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
    from medtrust.cohort._lab_sex import require_plausible_labs

    fmt = format_of(out)
    patients = list(itertools.islice(import_fhir(path, identified=identified), n or None))
    for p in patients:  # the validator's lab_sex rule: refused here, with the input named
        require_plausible_labs(p, str(path))
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
    out: Path = typer.Option(..., "--out", "-o",
                             help="Model file to write (copula: JSON; cvae: cvae.pt)."),
    kind: str = typer.Option("copula", "--model",
                             help="copula (Gaussian copula, JSON) or cvae (conditional VAE, "
                                  "needs `pip install torch==2.13.0`)."),
    condition: str = typer.Option("", "--condition",
                                  help="cvae: protected columns to condition on, e.g. race,sex."),
    epochs: int = typer.Option(150, "--epochs", help="cvae: training epochs."),
    seed: int = typer.Option(0, "--seed", min=0, help="cvae: training seed (deterministic)."),
    holdout_frac: float = typer.Option(0.2, "--holdout-frac",
                                       help="Rows kept out of fitting for `evaluate` (0 = none)."),
    split_seed: int = typer.Option(0, "--split-seed", help="Seed of the holdout split."),
    as_json: bool = typer.Option(False, "--json", help="Print a JSON summary."),
) -> None:
    """Fit a generator to a real table: a Gaussian copula, or a conditional VAE (--model cvae
    --condition race,sex) whose counterfactual twins `cohort sample --counterfactual` draws."""
    from medtrust._atomic import atomic_path
    from medtrust.cohort._copula import fit_copula
    from medtrust.cohort._evaluate import split_holdout

    if kind not in ("copula", "cvae"):
        raise ConfigError(f"--model {kind!r}: use copula or cvae")
    if kind == "copula" and condition:
        raise ConfigError("--condition applies to --model cvae only")
    df = _read_table(real)
    train, _ = split_holdout(df, holdout_frac, split_seed)
    if kind == "cvae":
        from medtrust.cohort._cli_learned import fit_cvae_table

        with console.status(f"fitting a CVAE on {len(train)} rows"):
            info = fit_cvae_table(train, condition, seed=seed, epochs=epochs,
                                  holdout_frac=holdout_frac, split_seed=split_seed, out=out)
        if as_json:
            print_json(info)
        else:
            console.print(f"fitted a CVAE on {len(train)} rows, conditioned on "
                          f"{', '.join(info['conditions'])} -> {out}")
        return
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
    model: Path = typer.Argument(..., help="Model written by `fit` (copula JSON or cvae.pt)."),
    n: int | None = typer.Option(None, "-n", "--n", min=1,
                                 help="Rows to sample (required, except with --data)."),
    out: Path = typer.Option(..., "--out", "-o", help="Output table (.csv or .parquet)."),
    seed: int = typer.Option(0, "--seed", min=0, help="Sampling seed."),
    counterfactual: str | None = typer.Option(
        None, "--counterfactual", help="cvae: COLUMN=VALUE[,COLUMN=VALUE]: write the "
                                       "counterfactual twin of every record of --data."),
    data: Path | None = typer.Option(None, "--data",
                                     help="Records to twin (.csv or .parquet), with "
                                          "--counterfactual."),
    keep: str | None = typer.Option(
        None, "--keep", help="Twins: columns copied verbatim from each record (comma list, or "
                             "none) \\[default: age,conditions,medications,variants]."),
    as_json: bool = typer.Option(False, "--json", help="Print a JSON summary."),
) -> None:
    """Sample a synthetic table from a fitted model, or counterfactual twins of given records.

    Safe Harbor by construction: ages over 89 top-coded to 90, dates coarsened to the year, ZIP
    codes cut to a permitted 3-digit prefix (restricted ones to 000), direct identifiers dropped.
    Clinically plausible too: when the table has sex, age and conditions/medications/variants
    or sex-specific lab (lab_psa) columns, records the plausibility rules reject are resampled
    (sample) or dropped as "not applicable" (twins), and counted in the summary. A twin keeps
    its record's latent code and clinical picture (--keep); --json gives per column the share of
    twins equal to their record."""
    from medtrust.cohort import _cli_learned as learned

    if (counterfactual is None) != (data is None):
        raise ConfigError("--counterfactual and --data go together (twins of the --data records)")
    if counterfactual is not None and data is not None:
        if n is not None:
            raise ConfigError("-n does not apply to --counterfactual (one twin per --data row)")
        df, info = learned.counterfactual_twins(model, _read_table(data), counterfactual,
                                                where=str(data), keep=keep)
    elif keep is not None:
        raise ConfigError("--keep applies to --counterfactual twins only")
    elif n is None:
        raise ConfigError("-n: give the number of rows to sample (at least 1)")
    else:
        df, info = learned.sample_any(model, n, seed=seed)
    _write_table(df, out)
    info["file"] = str(out)
    if as_json:
        print_json(info)
        return
    check = info["plausibility"]
    what = "counterfactual twins" if counterfactual else "rows"
    console.print(f"sampled {len(df)} {what} -> {out}")
    if not check["applied"]:
        console.print("plausibility: not checked (" + check["reason"] + ")")
    elif counterfactual:
        console.print(f"plausibility: {check['not_applicable']} of {check['twins']} twins "
                      "implausible, dropped (not applicable)")
    else:
        console.print(f"plausibility: {check['rejected']} of {check['checked']} sampled records "
                      "implausible, rejected and resampled")
    if counterfactual:
        console.print("equal to their record: " + ", ".join(
            f"{c} {f['kept']}/{f['of']}" for c, f in info["fidelity"].items()))


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
