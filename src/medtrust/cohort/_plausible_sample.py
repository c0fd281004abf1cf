"""Plausibility filtering of what a learned generator samples (copula or CVAE).

A learned model only approximates the real table's joint distribution, so it can put prostate
hyperplasia on a woman or type 2 diabetes on a 4-year-old. When a sampled table carries the
columns the validator reads (``sex`` and ``age``, plus at least one of ``conditions``,
``medications``, ``variants`` or a sex-specific lab column such as ``lab_psa``:
:mod:`._validate`), every row is checked against the knowledge
base's rules and the implausible ones are rejected and counted; sampling goes on until ``n``
plausible rows exist (rejection sampling: the kept rows follow the model's distribution
restricted to plausible records). Tables without those columns are returned as drawn, with
``applied: false`` in the report: no rule can speak about them.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
import pyarrow as pa

from medtrust.cohort._plausibility import FAMILIES, load_rules
from medtrust.cohort._validate import REQUIRED, table_records
from medtrust.errors import MedtrustError

CODE_COLUMNS = ("conditions", "medications", "variants")
MAX_FACTOR = 20
"""Give up when this many times ``n`` rows were drawn without ``n`` plausible ones."""


def _rule_columns(df: pd.DataFrame) -> list[str]:
    """Columns of ``df`` some rule reads besides sex and age (codes, sex-specific labs)."""
    return [c for c in (*CODE_COLUMNS, *load_rules().lab_sex) if c in df.columns]


def applicable(df: pd.DataFrame) -> bool:
    """True when ``df`` has the columns the plausibility rules read."""
    return all(c in df.columns for c in REQUIRED) and bool(_rule_columns(df))


def _cell(v: Any) -> Any:
    if v is None or (isinstance(v, float) and math.isnan(v)) or v is pd.NA:
        return None
    if isinstance(v, list | tuple | np.ndarray):
        return ";".join(str(x) for x in v)
    return str(v)


def check_frame(df: pd.DataFrame) -> tuple[npt.NDArray[np.bool_], Counter[str]]:
    """(plausible mask (n,), findings per rule family) for a table with the validator's columns.

    Raises :class:`medtrust.errors.ConfigError` for an age the validator cannot read.
    """
    cols = [c for c in (*REQUIRED, *_rule_columns(df))]
    table = pa.table({c: pa.array([_cell(v) for v in df[c].to_list()], type=pa.string())
                      for c in cols})
    rules = load_rules()
    ok = np.ones(len(df), dtype=bool)
    families: Counter[str] = Counter()
    for i, (_, _, rec) in enumerate(table_records(table, where="sampled table")):
        if not (rec.conditions or rec.medications or rec.variants or rec.labs):
            continue
        issues = rules.check(rec)
        if issues:
            ok[i] = False
            families.update(issue.family for issue in issues)
    return ok, families


def report(checked: int, rejected: int, families: Counter[str]) -> dict[str, Any]:
    """The ``plausibility`` block of a sample summary."""
    return {"applied": True, "checked": checked, "rejected": rejected,
            "rejected_share": round(rejected / checked, 6) if checked else None,
            "findings_by_family": {f: families[f] for f in FAMILIES if families[f]}}


NOT_APPLIED = {"applied": False, "reason": "the table has no sex/age with conditions, "
               "medications, variants or sex-specific lab columns: no plausibility rule applies"}


def table_implausible(df: pd.DataFrame) -> tuple[int, int] | None:
    """(implausible rows, rows) of a real table, None when no rule applies to it.

    Recorded in a model at fit time so that a sampler that cannot find plausible rows can say
    whether the model or its input is to blame.
    """
    if not applicable(df):
        return None
    try:
        ok, _ = check_frame(df)
    except MedtrustError:  # an unreadable age: the validator names it; fitting goes on
        return None
    return int((~ok).sum()), len(df)


def _give_up(kept: int, drawn: int, real: tuple[int, int] | None) -> MedtrustError:
    if real is not None and real[0]:
        return MedtrustError(
            f"only {kept} of {drawn} sampled records are clinically plausible: the input table "
            f"the model was fitted on has {real[0]} implausible rows of {real[1]} (see "
            "`medtrust cohort validate`); fit on its plausible rows")
    return MedtrustError(f"only {kept} of {drawn} sampled records are clinically plausible: "
                         "the model does not fit the real table well enough")


def sample_plausible(more: Callable[[int], pd.DataFrame], n: int,
                     real: tuple[int, int] | None = None) -> tuple[pd.DataFrame, dict[str, Any]]:
    """The first ``n`` plausible rows of the stream ``more(k)`` (the next ``k`` rows) and the
    report: ``checked`` rows read up to the n-th plausible one, ``rejected`` = checked - n, the
    findings per rule family among them. Raises :class:`MedtrustError` when fewer than ``n``
    plausible rows come out of ``MAX_FACTOR * n`` draws, naming ``real`` (implausible rows,
    rows of the table the model was fitted on) when that table was itself implausible."""
    first = more(n)
    if not applicable(first):
        return first.reset_index(drop=True), dict(NOT_APPLIED)
    frames, masks, drawn = [first], [check_frame(first)], n
    kept = int(masks[0][0].sum())
    while kept < n:
        if drawn >= MAX_FACTOR * n:
            raise _give_up(kept, drawn, real)
        rate = max(kept / drawn, 0.05)
        k = min(math.ceil((n - kept) / rate * 1.2) + 16, MAX_FACTOR * n - drawn)
        frames.append(more(k))
        masks.append(check_frame(frames[-1]))
        drawn += k
        kept += int(masks[-1][0].sum())
    ok = np.concatenate([m for m, _ in masks])
    checked = int(np.flatnonzero(ok)[n - 1]) + 1
    rows = pd.concat(frames, ignore_index=True).iloc[:checked]
    # Re-count the families on exactly the rows read (the last batch may run past them).
    _, families = check_frame(rows[~ok[:checked]]) if checked > n else (None, Counter())
    return rows[ok[:checked]].reset_index(drop=True), report(checked, checked - n, families)
