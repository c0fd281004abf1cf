"""Tables for tabular audits: read CSV/Parquet/JSONL, resolve protected columns, score safely.

Cohort files from ``medtrust cohort generate`` must work as they are: zip3 stays a string
("021", not 21), list columns stay as the CSV's ``;``-joined text. A model's output is checked to
be probabilities before any rate is computed from it, so a regressor or a logit model fails with
one clear line instead of a meaningless audit.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from medtrust.errors import ConfigError, MedtrustError

if TYPE_CHECKING:
    import pandas as pd

ALIASES: dict[str, tuple[str, ...]] = {
    "race": ("race_ethnicity", "ethnicity"),
    "ethnicity": ("race_ethnicity",),
    "gender": ("sex",),
    "sex": ("gender",),
    "zip": ("zip3", "zip5", "zipcode"),
    "zipcode": ("zip3", "zip5"),
}
"""Names people pass to ``--protected`` and the cohort columns they mean (``race`` ->
``race_ethnicity``). Used only when the exact column is missing, and reported."""

KNOWN_PROXIES = ("zip3", "zip5", "insurance", "language")
"""Columns that stand in for race or income: flagged when they rank among the top features."""

DOMAINS: dict[str, tuple[str, ...]] = {"zip3": tuple(f"{i:03d}" for i in range(1000))}
"""Columns whose every possible value is known: the worst-case search tries values the data
happen not to contain (a model can penalise a ZIP prefix that no audited patient lives in)."""

STRING_COLUMNS = {"zip3": str, "zip5": str, "record_id": str}


def read_table(path: Path) -> pd.DataFrame:
    """A DataFrame from ``.csv``, ``.parquet`` or ``.jsonl``/``.ndjson``; one line on failure."""
    import pandas as pd

    if not path.exists():
        raise ConfigError(f"--data {path}: no such file")
    suffix = path.suffix.lower()
    try:
        if suffix == ".csv":
            frame = pd.read_csv(path, dtype=STRING_COLUMNS, keep_default_na=True)
        elif suffix in (".parquet", ".pq"):
            frame = pd.read_parquet(path)
        elif suffix in (".jsonl", ".ndjson"):
            frame = pd.read_json(path, lines=True, dtype=STRING_COLUMNS)
        else:
            raise ConfigError(f"--data {path}: expected .csv, .parquet or .jsonl")
    except (ValueError, OSError, pd.errors.ParserError) as exc:
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise ConfigError(f"--data {path}: cannot read ({first})") from None
    if frame.empty:
        raise ConfigError(f"--data {path}: no rows")
    return normalise(frame)


def normalise(frame: pd.DataFrame) -> pd.DataFrame:
    """List cells (Parquet) as ``;``-joined text, zip3 as three-character strings."""
    import pandas as pd

    out = frame.copy()
    for col in out.columns:
        first = out[col].iloc[0] if len(out) else None
        if out[col].dtype == object and isinstance(first, list | tuple | np.ndarray):
            out[col] = out[col].map(lambda v: ";".join(map(str, v)) if v is not None else "")
        elif isinstance(out[col].dtype, pd.CategoricalDtype):
            out[col] = out[col].astype(str)
    if "zip3" in out.columns:
        out["zip3"] = out["zip3"].astype(str).str.zfill(3)
    return out


def resolve_columns(
    frame: pd.DataFrame, names: Sequence[str], *, what: str = "--protected"
) -> dict[str, str]:
    """Requested name -> actual column, trying :data:`ALIASES` when the exact name is missing."""
    out: dict[str, str] = {}
    for raw in names:
        name = raw.strip()
        if not name:
            continue
        if name in frame.columns:
            out[name] = name
            continue
        alias = next((a for a in ALIASES.get(name.lower(), ()) if a in frame.columns), None)
        if alias is None:
            cols = ", ".join(map(str, frame.columns[:12]))
            cols += ", ..." if frame.shape[1] > 12 else ""
            raise ConfigError(f"{what} {name!r}: no such column (columns: {cols})")
        out[name] = alias
    if not out:
        raise ConfigError(f"{what}: name at least one column")
    return out


def positive_probability(target: Any, frame: pd.DataFrame) -> npt.NDArray[np.float64]:
    """P(positive class) for every row, after checking the output really is probabilities.

    The positive class is the last column (scikit-learn orders ``classes_``, so it is class 1
    for 0/1 labels). Raises :class:`MedtrustError` on NaN, values outside [0, 1], or rows that do
    not sum to 1.
    """
    try:
        proba = np.asarray(target.predict_proba(frame), dtype=np.float64)
    except MedtrustError:
        raise
    except Exception as exc:
        spec = getattr(target, "spec", "target")
        raise MedtrustError(f"{spec}: predict_proba failed: {type(exc).__name__}: {exc}") from None
    spec = getattr(target, "spec", "target")
    if proba.ndim != 2 or proba.shape[0] != len(frame):
        raise MedtrustError(f"{spec}: expected one row of probabilities per input row")
    if not np.all(np.isfinite(proba)) or proba.min() < -1e-9 or proba.max() > 1 + 1e-9:
        raise MedtrustError(
            f"{spec}: output is not probabilities (values outside [0, 1] or NaN); "
            "audit-model needs predict_proba, not scores or logits"
        )
    if proba.shape[1] > 1 and not np.allclose(proba.sum(axis=1), 1.0, atol=1e-6):
        raise MedtrustError(f"{spec}: output is not probabilities (rows do not sum to 1)")
    return np.asarray(np.clip(proba[:, -1], 0.0, 1.0), dtype=np.float64)


def many_valued(series: pd.Series[Any], max_values: int) -> bool:
    """True for numeric columns and for columns with more distinct values than ``max_values``:
    those go to the worst-case search instead of an exhaustive table."""
    import pandas as pd

    numeric = pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series)
    return bool(series.nunique(dropna=True) > max_values or (numeric and series.nunique() > 2))
