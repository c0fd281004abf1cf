"""The work behind ``cohort fit --model cvae`` and ``cohort sample`` (copula or CVAE, twins).

Kept out of ``cohort/cli.py`` so the commands stay thin: parse, call, print. Every sampled table
goes through the plausibility filter (:mod:`._plausible_sample`) and every summary says how many
records it rejected.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from medtrust.errors import ConfigError

_ZIP_MAGIC = b"PK\x03\x04"  # torch.save writes a zip archive


def is_cvae_file(path: Path) -> bool:
    """True when ``path`` is meant as a CVAE: a ``torch.save`` archive, or named ``*.pt`` /
    ``*.pth`` (so that a damaged ``.pt`` is reported as "not a CVAE", never as a bad copula)."""
    try:
        with Path(path).open("rb") as fh:
            head = fh.read(4)
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read the model ({exc.strerror or exc})") from None
    return head == _ZIP_MAGIC or Path(path).suffix.lower() in (".pt", ".pth")


def fit_cvae_table(train: pd.DataFrame, condition: str, *, seed: int, epochs: int,
                   holdout_frac: float, split_seed: int, out: Path) -> dict[str, Any]:
    """Fit, save atomically to ``out``, return the summary printed by ``fit``."""
    from medtrust._atomic import atomic_path
    from medtrust.cohort._cvae import fit_cvae, meta_json

    names = [c.strip() for c in condition.split(",") if c.strip()]
    if epochs < 1:
        raise ConfigError("--epochs must be at least 1")
    model = fit_cvae(train, names, seed=seed, epochs=epochs)
    model.meta.holdout_frac, model.meta.split_seed = holdout_frac, split_seed
    with atomic_path(out) as tmp:
        model.save(tmp)
    return {"model": str(out), **meta_json(model), "holdout_frac": holdout_frac}


def sample_any(model: Path, n: int, *, seed: int) -> tuple[pd.DataFrame, dict[str, Any]]:
    """``n`` plausible rows from a copula (JSON) or CVAE (``.pt``) model, and the summary."""
    if is_cvae_file(model):
        from medtrust.cohort._cvae import CvaeModel, sample_cvae_plausible

        df, check = sample_cvae_plausible(CvaeModel.load(model), n, seed=seed)
        kind = "cvae"
    else:
        from medtrust.cohort._copula import CopulaModel, sample_copula_plausible

        df, check = sample_copula_plausible(CopulaModel.load(model), n, seed=seed)
        kind = "gaussian_copula"
    return df, {"model": kind, "rows": len(df), "plausibility": check}


def counterfactual_twins(model: Path, data: pd.DataFrame, spec: str, *, where: str,
                         keep: str | None = None) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Plausible counterfactual twins of ``data`` under ``spec`` (``race=Black``) and the
    summary: ``not_applicable`` (twins the plausibility rules rejected), ``kept_columns``
    (copied verbatim, ``--keep``) and ``fidelity`` (per column, twins equal to their source)."""
    from medtrust.cohort._cvae import CvaeModel
    from medtrust.cohort._cvae_twins import keep_columns, parse_counterfactual, plausible_twins

    if not is_cvae_file(model):
        raise ConfigError(f"{model}: --counterfactual needs a CVAE model (`cohort fit --model "
                          "cvae`); this is a copula model")
    cvae = CvaeModel.load(model)
    change = parse_counterfactual(cvae, spec)
    kept = keep_columns(cvae, keep)
    df, check, fid = plausible_twins(cvae, data, change, keep=kept, where=where)
    return df, {"model": "cvae", "rows": len(df), "counterfactual": {
        k: str(v) for k, v in change.items()}, "kept_columns": kept, "plausibility": check,
        "fidelity": fid}
