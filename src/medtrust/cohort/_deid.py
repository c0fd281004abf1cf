"""Make a sampled table Safe Harbor by construction (45 CFR 164.514(b)(2)(i)).

Applied to every table the learned generator samples, using the same rules the checker
(:mod:`._safe_harbor`) applies, so ``cohort check`` on a sample passes whatever the real table
held: ages over 89 are top-coded to 90 ("90 or older"); dates are coarsened to their year;
ZIP codes become their three-digit prefix, and restricted or unpopulated prefixes become 000;
a birth year that would reveal an age over 89 is dropped; direct identifiers (columns named as
one, or text shaped like one) are dropped (set missing, so the table keeps the real columns).
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np
import pandas as pd

from medtrust.cohort._sh_rules import (
    AGE_TEXT,
    BIRTH_DATE_COLUMNS,
    BIRTH_YEAR_COLUMNS,
    COLUMN_RULES,
    COMPILED,
    ZIP_COLUMNS,
    is_age_column,
    is_event_column,
    norm_name,
    zip3_allowed,
)

AGE_TOP = 90
_DATE = COMPILED["dates"]
_YEAR = re.compile(r"(?:1[89]|20)\d{2}")
_NUMBER = re.compile(r"^\s*(\d{1,3}(?:\.\d+)?)")


def _year_of(value: Any) -> Any:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return None
    m = _YEAR.search(str(value))
    return int(m.group()) if m else None


def _zip3(value: Any, restricted: frozenset[str]) -> Any:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return None
    digits = re.sub(r"\D", "", str(value).split(".")[0] if isinstance(value, float) else str(value))
    if not digits:
        return None
    z = digits.zfill(3) if len(digits) <= 3 else digits.zfill(5)[:3]
    return z if zip3_allowed(z, restricted) else "000"


def _age(value: Any) -> Any:
    if isinstance(value, int | float | np.integer | np.floating):
        return value if np.isnan(value) or value < AGE_TOP else AGE_TOP
    if value is None:
        return None
    m = _NUMBER.match(str(value))
    return str(AGE_TOP) if m and float(m.group(1)) >= AGE_TOP else value


def _age_number(value: Any) -> str | None:
    m = _NUMBER.match(str(value))
    return m.group(1) if m else None


def _text(value: Any) -> Any:
    """Free text: dates reduced to their year; anything identifier-shaped dropped."""
    if not isinstance(value, str):
        return value
    if AGE_TEXT.search(value) or any(r.search(value) for k, r in COMPILED.items()
                                     if k != "dates"):
        return None
    return _DATE.sub(lambda m: str(_year_of(m.group()) or ""), value)


def _is_text(s: pd.Series) -> bool:
    """Text, however pandas stores it: ``object``, or the ``str``/``string`` dtype that pandas 3
    uses by default (checking ``dtype == object`` alone lets free text through unscrubbed)."""
    return bool(s.dtype == object or pd.api.types.is_string_dtype(s))


def safe_harbor_frame(df: pd.DataFrame, restricted: frozenset[str] | None = None
                      ) -> pd.DataFrame:
    """A copy of ``df`` with every Safe Harbor identifier removed or generalised (see module)."""
    from medtrust.cohort._kb import load_kb

    restricted = load_kb().restricted_zip3 if restricted is None else restricted
    out = df.copy()
    keys = {str(c): norm_name(str(c)) for c in out.columns}
    for col, key in keys.items():
        s = out[col]
        rule = COLUMN_RULES.get(key)
        if key in ZIP_COLUMNS:
            out[col] = s.map(lambda v: _zip3(v, restricted)).astype(object)
        elif pd.api.types.is_datetime64_any_dtype(s) or rule == "dates" \
                or key in BIRTH_DATE_COLUMNS or is_event_column(key):
            if pd.api.types.is_datetime64_any_dtype(s):
                out[col] = s.dt.year.astype("Int64")
            elif not pd.api.types.is_numeric_dtype(s):
                out[col] = s.map(_year_of).astype("Int64")
        elif rule is not None:
            out[col] = pd.Series([None] * len(s), index=s.index, dtype=object)
        elif is_age_column(key):
            out[col] = s.map(_age) if _is_text(s) else s.where(
                s.isna() | (s < AGE_TOP), AGE_TOP)
        elif _is_text(s):
            out[col] = s.map(_text)
    births = [c for c, k in keys.items() if k in BIRTH_YEAR_COLUMNS | BIRTH_DATE_COLUMNS]
    ages = [c for c, k in keys.items() if is_age_column(k)]
    events = [c for c, k in keys.items() if is_event_column(k) and c not in births]
    for b in births:
        by = pd.to_numeric(out[b], errors="coerce")
        drop = pd.Series(False, index=out.index)
        for a in ages:
            drop |= pd.to_numeric(out[a].map(_age_number), errors="coerce").fillna(0) >= AGE_TOP
        for e in events:
            drop |= (pd.to_numeric(out[e], errors="coerce") - by).fillna(0) >= AGE_TOP + 1
        out[b] = out[b].astype(object).where(~drop, None)
    return out
