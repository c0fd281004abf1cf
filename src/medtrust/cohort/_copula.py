"""A Gaussian copula fitted to a user's real table: the learned generator.

Each column is mapped to a standard normal score: numeric columns through their empirical CDF
(stored as a 201-point quantile grid, never the raw rows), categorical columns through the
interval of their category in a frequency-ordered [0, 1] (jittered), and every column with
missing values gets an extra "is missing" column so missingness keeps its correlations. One
correlation matrix ties the scores together. Sampling inverts every step; integer columns are
rounded, bounds respected, missing values re-inserted. The model is saved as JSON: no pickle.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Literal

import numpy as np
import numpy.typing as npt
import pandas as pd
from pydantic import BaseModel, ValidationError
from scipy.special import ndtr, ndtri

from medtrust.errors import ConfigError

GRID = 201
MAX_CATEGORIES = 200
F64 = npt.NDArray[np.float64]


class ColumnModel(BaseModel):
    """How one column is encoded: its kind and the marginal needed to invert it."""

    name: str
    kind: Literal["numeric", "integer", "categorical", "boolean", "datetime"]
    quantiles: list[float] = []
    categories: list[Any] = []
    frequencies: list[float] = []
    missing: float = 0.0


class CopulaModel(BaseModel):
    """A fitted Gaussian copula (JSON-serialisable)."""

    format: str = "medtrust-gaussian-copula/1"
    columns: list[ColumnModel]
    correlation: list[list[float]]
    n_rows: int
    holdout_frac: float = 0.0
    split_seed: int = 0
    # (implausible rows, rows) of the fitting table; None when no plausibility rule applied.
    real_implausible: tuple[int, int] | None = None

    def save(self, path: Path) -> None:
        path.write_text(self.model_dump_json(), encoding="utf-8")

    @classmethod
    def load(cls, path: Path) -> CopulaModel:
        try:
            return cls.model_validate_json(Path(path).read_text(encoding="utf-8"))
        except OSError as exc:
            raise ConfigError(f"{path}: cannot read the model ({exc.strerror or exc})") from None
        except ValidationError as exc:
            # pydantic's message spans many lines: name the first error only.
            err = exc.errors()[0]
            where = ".".join(str(p) for p in err["loc"]) or "file"
            raise ConfigError(f"{path}: not a medtrust copula model (JSON) nor a CVAE (.pt): "
                              f"{where}: {err['msg'][:80]}") from None
        except ValueError as exc:
            raise ConfigError(f"{path}: not a medtrust copula model (JSON) nor a CVAE (.pt): "
                              f"{str(exc).splitlines()[0][:80]}") from None


def _kind(s: pd.Series) -> str:
    if pd.api.types.is_bool_dtype(s):
        return "boolean"
    if pd.api.types.is_datetime64_any_dtype(s):
        return "datetime"
    if pd.api.types.is_numeric_dtype(s):
        values = s.dropna().to_numpy(dtype=np.float64)
        if values.size and np.all(np.mod(values, 1) == 0):
            return "categorical" if np.unique(values).size <= 2 else "integer"
        return "numeric"
    return "categorical"


def _scores(col: ColumnModel, s: pd.Series, rng: np.random.Generator) -> F64:
    """Normal scores of the observed values (0 where missing)."""
    z = np.zeros(len(s))
    ok = s.notna().to_numpy()
    if col.kind in ("categorical", "boolean"):
        index = {c: i for i, c in enumerate(col.categories)}
        cum = np.concatenate([[0.0], np.cumsum(col.frequencies)])
        k = np.array([index.get(v, 0) for v in s[ok]], dtype=np.int64)
        u = cum[k] + rng.uniform(0.05, 0.95, k.size) * (cum[k + 1] - cum[k])
    else:
        x = _numeric(s[ok], col.kind)
        u = (pd.Series(x).rank(method="average").to_numpy() - 0.5) / max(x.size, 1)
    z[ok] = ndtri(np.clip(u, 1e-6, 1 - 1e-6))
    return z


def _numeric(s: pd.Series, kind: str) -> F64:
    if kind == "datetime":
        out: F64 = pd.to_datetime(s).astype("int64").to_numpy(dtype=np.float64)
    else:
        out = s.to_numpy(dtype=np.float64)
    return out


def _nearest_pd(c: F64) -> F64:
    vals, vecs = np.linalg.eigh((c + c.T) / 2)
    fixed = vecs @ np.diag(np.clip(vals, 1e-6, None)) @ vecs.T
    d = np.sqrt(np.diag(fixed))
    return np.asarray(fixed / d[:, None] / d[None, :])


def fit_copula(df: pd.DataFrame, *, seed: int = 0) -> CopulaModel:
    """Fit a Gaussian copula to ``df`` (categorical, integer, numeric, boolean, date, missing)."""
    if df.empty or len(df) < 10:
        raise ConfigError("the real table needs at least 10 rows to fit a model")
    rng = np.random.Generator(np.random.PCG64(seed))
    cols: list[ColumnModel] = []
    scores: list[F64] = []
    for name in df.columns:
        s = df[name]
        kind = _kind(s)
        missing = float(s.isna().mean())
        if missing == 1.0:
            raise ConfigError(f"column {name!r} is entirely empty")
        if kind in ("categorical", "boolean"):
            freq = s.dropna().value_counts(normalize=True, sort=True)
            if len(freq) > MAX_CATEGORIES:
                raise ConfigError(f"column {name!r} has {len(freq)} categories (more than "
                                  f"{MAX_CATEGORIES}): drop it or bin it first")
            cats = [v.item() if hasattr(v, "item") else v for v in freq.index]
            col = ColumnModel(name=str(name), kind=kind, categories=cats,  # type: ignore[arg-type]
                              frequencies=freq.to_list(), missing=missing)
        else:
            x = _numeric(s.dropna(), kind)
            q = np.quantile(x, np.linspace(0, 1, GRID))
            col = ColumnModel(name=str(name), kind=kind, quantiles=q.tolist(),  # type: ignore[arg-type]
                              missing=missing)
        cols.append(col)
        scores.append(_scores(col, s, rng))
        if missing > 0:
            u_miss = np.where(s.isna(), 1 - missing / 2, (1 - missing) / 2).astype(np.float64)
            scores.append(ndtri(u_miss.clip(1e-6, 1 - 1e-6)))
    z = np.column_stack(scores)
    corr = np.corrcoef(z, rowvar=False) if z.shape[1] > 1 else np.ones((1, 1))
    corr = _nearest_pd(np.nan_to_num(np.atleast_2d(corr), nan=0.0))
    np.fill_diagonal(corr, 1.0)
    from medtrust.cohort._plausible_sample import table_implausible

    return CopulaModel(columns=cols, correlation=corr.tolist(), n_rows=len(df),
                       real_implausible=table_implausible(df))


def sample_copula(model: CopulaModel, n: int, *, seed: int = 0,
                  safe_harbor: bool = True) -> pd.DataFrame:
    """Draw ``n`` synthetic rows from a fitted copula.

    With ``safe_harbor`` (the default) the rows are then made HIPAA Safe Harbor by
    :func:`medtrust.cohort._deid.safe_harbor_frame` (ages over 89 top-coded to 90, dates to
    their year, restricted ZIP3s to 000, direct identifiers dropped), so that ``cohort check``
    on the output passes even when the real table held identifiers."""
    rng = np.random.Generator(np.random.PCG64(seed))
    corr = np.asarray(model.correlation)
    chol = np.linalg.cholesky(_nearest_pd(corr) + 1e-9 * np.eye(corr.shape[0]))
    z = rng.standard_normal((n, corr.shape[0])) @ chol.T
    u = ndtr(z)
    out: dict[str, Any] = {}
    k = 0
    for col in model.columns:
        uc = u[:, k]
        k += 1
        if col.kind in ("categorical", "boolean"):
            cum = np.cumsum(col.frequencies)
            idx = np.minimum(np.searchsorted(cum / cum[-1], uc, side="right"),
                             len(col.categories) - 1)
            values: Any = pd.Series(np.array(col.categories, dtype=object)[idx])
            if col.kind == "boolean":
                values = values.astype(bool)
        else:
            grid = np.linspace(0, 1, GRID)
            x = np.interp(uc, grid, col.quantiles)
            if col.kind == "integer":
                values = pd.Series(np.round(x).astype(np.int64))
            elif col.kind == "datetime":
                values = pd.Series(pd.to_datetime(x.astype(np.int64)))
            else:
                values = pd.Series(x)
        if col.missing > 0:
            miss = u[:, k] > 1 - col.missing
            k += 1
            values = values.astype(object if col.kind in ("categorical", "boolean") else
                                   ("Int64" if col.kind == "integer" else values.dtype))
            values[miss] = None
        out[col.name] = values
    df = pd.DataFrame(out)
    if not safe_harbor:
        return df
    from medtrust.cohort._deid import safe_harbor_frame

    return safe_harbor_frame(df)


def sample_copula_plausible(model: CopulaModel, n: int, *, seed: int = 0,
                            safe_harbor: bool = True) -> tuple[pd.DataFrame, dict[str, Any]]:
    """``n`` rows of :func:`sample_copula` that pass the plausibility rules, and the report.

    The stream is the copula's own: row ``i`` of ``sample_copula(model, m, seed=seed)`` does not
    depend on ``m``, so the rows read are exactly ``sample_copula(model, checked, seed=seed)``
    and the output is its plausible rows (``rejected`` = the validator's flagged count on them).
    See :func:`medtrust.cohort._plausible_sample.sample_plausible`."""
    from medtrust.cohort._plausible_sample import sample_plausible

    drawn = 0

    def more(k: int) -> pd.DataFrame:
        nonlocal drawn
        rows = sample_copula(model, drawn + k, seed=seed, safe_harbor=safe_harbor).iloc[drawn:]
        drawn += k
        return rows

    return sample_plausible(more, n, real=model.real_implausible)


def save_json(obj: dict[str, Any], path: Path) -> None:
    path.write_text(json.dumps(obj, indent=2, default=str) + "\n", encoding="utf-8")
