"""Mixed-type encoding of a table for the conditional VAE (no torch here: plain numpy).

Every column becomes a block of the model's input and output vector:

* numeric, integer and date columns: standardised, ``(x - mean) / sd`` over the observed rows
  (dates as days since 1970); a column with missing values gets one more slot, the 0/1 "is
  missing" flag, and its standardised value is 0 where missing. Decoding inverts the scaling,
  clips to the observed range and rounds integer columns.
* categorical and boolean columns (and integer columns with at most two values, as the copula's
  :func:`medtrust.cohort._copula._kind` decides): one-hot over the categories seen in fitting,
  missing being a category of its own.

The conditioning (protected) columns are one-hot too but are never part of the reconstructed
vector: they are the ``c`` of ``p(x | z, c)``. The schema is JSON (categories, means, bounds),
never a pickle.
"""

from __future__ import annotations

from typing import Any, Literal

import numpy as np
import numpy.typing as npt
import pandas as pd
from pydantic import BaseModel

from medtrust.cohort._copula import _kind
from medtrust.errors import ConfigError

MAX_CATEGORIES = 200
F32 = npt.NDArray[np.float32]
_DAY_NS = 8.64e13


class CvaeColumn(BaseModel):
    """One column's encoding: kind, scaling or categories, and its place in the vector."""

    name: str
    kind: Literal["numeric", "integer", "datetime", "categorical", "boolean"]
    mean: float = 0.0
    std: float = 1.0
    lo: float = 0.0
    hi: float = 0.0
    missing: float = 0.0
    categories: list[Any] = []

    @property
    def width(self) -> int:
        """Slots in the encoded vector."""
        if self.kind in ("categorical", "boolean"):
            return len(self.categories)
        return 1 + (self.missing > 0)


def _value(v: Any) -> Any:
    """A JSON-safe category value (numpy scalars to Python, missing to None)."""
    if v is None or (isinstance(v, float) and np.isnan(v)) or v is pd.NA:
        return None
    return v.item() if hasattr(v, "item") else v


def raw(s: pd.Series, kind: str) -> npt.NDArray[np.float64]:
    """A numeric, integer or date column as float64 in its own units (dates: days), NaN empty."""
    return _floats(s, kind)


def _floats(s: pd.Series, kind: str) -> npt.NDArray[np.float64]:
    if kind == "datetime":
        ns = pd.to_datetime(s).astype("int64").to_numpy(dtype=np.float64)
        out: npt.NDArray[np.float64] = np.where(s.isna().to_numpy(), np.nan, ns / _DAY_NS)
        return out
    num: npt.NDArray[np.float64] = pd.to_numeric(s, errors="coerce").to_numpy(dtype=np.float64)
    return num


def describe(df: pd.DataFrame, name: str, *, condition: bool = False) -> CvaeColumn:
    """The encoding of column ``name`` of the real table (raises ConfigError when unusable)."""
    s = df[name]
    if s.isna().all():
        raise ConfigError(f"column {name!r} is entirely empty")
    kind = "categorical" if condition else _kind(s)
    if kind in ("categorical", "boolean"):
        cats = sorted({_value(v) for v in s.to_list()}, key=lambda v: (v is None, str(v)))
        if len(cats) > MAX_CATEGORIES:
            raise ConfigError(f"column {name!r} has {len(cats)} values (more than "
                              f"{MAX_CATEGORIES}): drop it or bin it first")
        return CvaeColumn(name=name, kind=kind, categories=cats,  # type: ignore[arg-type]
                          missing=float(s.isna().mean()))
    x = _floats(s, kind)
    obs = x[~np.isnan(x)]
    return CvaeColumn(name=name, kind=kind, mean=float(obs.mean()),  # type: ignore[arg-type]
                      std=float(obs.std()) or 1.0, lo=float(obs.min()), hi=float(obs.max()),
                      missing=float(np.isnan(x).mean()))


def one_hot(col: CvaeColumn, s: pd.Series, *, where: str) -> F32:
    """(n, K) one-hot of a categorical column; a value unseen in fitting is a ConfigError."""
    index = {_key(c): i for i, c in enumerate(col.categories)}
    out = np.zeros((len(s), len(col.categories)), dtype=np.float32)
    for row, v in enumerate(s.to_list()):
        k = index.get(_key(_value(v)))
        if k is None:
            raise ConfigError(f"{where}: row {row + 1}: {col.name}={v!r} was not seen when the "
                              f"model was fitted (known: {_known(col)})")
        out[row, k] = 1.0
    return out


def _key(v: Any) -> str:
    # 1, 1.0 and "1" name the same category once a table went through CSV.
    if isinstance(v, float) and v.is_integer():
        v = int(v)
    return "\x00missing" if v is None else str(v)


def _known(col: CvaeColumn) -> str:
    shown = ", ".join(str(c) for c in col.categories[:8])
    return shown + (", ..." if len(col.categories) > 8 else "")


def known(col: CvaeColumn) -> str:
    """The non-missing values of a categorical column, for an error line."""
    vals = [str(c) for c in col.categories if c is not None]
    return ", ".join(vals[:12]) + (", ..." if len(vals) > 12 else "")


def parse_value(col: CvaeColumn, text: str) -> Any:
    """The category of ``col`` spelled ``text`` (``--counterfactual race=Black``)."""
    for c in col.categories:
        if _key(c) == text.strip() or str(c) == text.strip():
            return c
    raise ConfigError(f"--counterfactual {col.name}={text}: not a value of {col.name} "
                      f"(known: {_known(col)})")


def encode(cols: list[CvaeColumn], df: pd.DataFrame, *, where: str = "table") -> F32:
    """(n, sum of widths) float32 matrix of ``df`` in the layout of ``cols``."""
    missing = [c.name for c in cols if c.name not in df.columns]
    if missing:
        raise ConfigError(f"{where}: missing column {missing[0]!r} that the model was fitted on")
    parts: list[F32] = []
    for col in cols:
        if col.kind in ("categorical", "boolean"):
            parts.append(one_hot(col, df[col.name], where=where))
            continue
        x = _floats(df[col.name], col.kind)
        nan = np.isnan(x)
        if col.missing == 0 and nan.any():
            # The model has no "missing" state for this column: encoding would silently put the
            # mean in its place, so a twin or a score would describe an invented patient.
            raise ConfigError(f"{where}: row {int(np.flatnonzero(nan)[0]) + 1}: {col.name} is "
                              f"empty ({int(nan.sum())} of {len(x)} rows), and the model was "
                              "fitted on a table where it never is: fill or drop those rows")
        parts.append(np.where(nan, 0.0, (x - col.mean) / col.std).astype(np.float32)[:, None])
        if col.missing > 0:
            parts.append(nan.astype(np.float32)[:, None])
    return np.hstack(parts) if parts else np.zeros((len(df), 0), dtype=np.float32)


def decode(cols: list[CvaeColumn], numeric: F32, choices: list[npt.NDArray[np.int64]],
           missing_p: list[F32]) -> pd.DataFrame:
    """Table from decoded blocks: ``numeric`` (n, numeric columns) standardised values,
    ``missing_p`` per numeric column the probability of "missing" (> 0.5 is missing), and
    ``choices`` per categorical column the chosen category index (n,)."""
    out: dict[str, Any] = {}
    i_num = i_cat = 0
    for col in cols:
        if col.kind in ("categorical", "boolean"):
            idx = choices[i_cat]
            i_cat += 1
            vals = np.array(col.categories, dtype=object)[idx]
            out[col.name] = pd.Series(vals, dtype=bool if col.kind == "boolean" and
                                      None not in col.categories else object)
            continue
        x = numeric[:, i_num].astype(np.float64) * col.std + col.mean
        out[col.name] = from_raw(col, x, missing_p[i_num] > 0.5)
        i_num += 1
    return pd.DataFrame(out)


def from_raw(col: CvaeColumn, x: npt.NDArray[np.float64], miss: npt.NDArray[np.bool_]
             ) -> pd.Series:
    """A numeric, integer or date column from values in its own units (n,), clipped to the
    fitted range (integers rounded), empty where ``miss``."""
    x = np.clip(np.nan_to_num(x, nan=col.mean), col.lo, col.hi)
    s: pd.Series
    if col.kind == "integer":
        s = pd.Series(np.round(x).astype(np.int64), dtype="Int64")
    elif col.kind == "datetime":
        s = pd.Series(pd.to_datetime((x * _DAY_NS).astype(np.int64)))
    else:
        s = pd.Series(x)
    if miss.any():
        s = s.astype(object) if col.kind != "integer" else s
        s[miss] = None
    elif col.kind == "integer" and col.missing == 0:
        s = s.astype(np.int64)
    return s
