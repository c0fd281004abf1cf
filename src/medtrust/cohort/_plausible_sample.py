"""Plausibility filtering of what a learned generator samples (copula or CVAE).

A learned model only approximates the real table's joint distribution, so it can put prostate
hyperplasia on a woman or type 2 diabetes on a 4-year-old. When a sampled table carries the
columns the validator reads (``sex`` and ``age``, plus at least one of ``conditions``,
``medications``, ``variants``: :mod:`._validate`), every row is checked against the knowledge
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


def applicable(df: pd.DataFrame) -> bool:
    """True when ``df`` has the columns the plausibility rules read."""
    return all(c in df.columns for c in REQUIRED) and any(c in df.columns for c in CODE_COLUMNS)


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
    cols = [c for c in (*REQUIRED, *CODE_COLUMNS) if c in df.columns]
    table = pa.table({c: pa.array([_cell(v) for v in df[c].to_list()], type=pa.string())
                      for c in cols})
    rules = load_rules()
    ok = np.ones(len(df), dtype=bool)
    families: Counter[str] = Counter()
    for i, (_, _, rec) in enumerate(table_records(table, where="sampled table")):
        if not (rec.conditions or rec.medications or rec.variants):
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
               "medications or variants columns: no plausibility rule applies"}


def sample_plausible(more: Callable[[int], pd.DataFrame], n: int
                     ) -> tuple[pd.DataFrame, dict[str, Any]]:
    """The first ``n`` plausible rows of the stream ``more(k)`` (the next ``k`` rows) and the
    report: ``checked`` rows read up to the n-th plausible one, ``rejected`` = checked - n, the
    findings per rule family among them. Raises :class:`MedtrustError` when fewer than ``n``
    plausible rows come out of ``MAX_FACTOR * n`` draws."""
    first = more(n)
    if not applicable(first):
        return first.reset_index(drop=True), dict(NOT_APPLIED)
    frames, masks, drawn = [first], [check_frame(first)], n
    kept = int(masks[0][0].sum())
    while kept < n:
        if drawn >= MAX_FACTOR * n:
            raise MedtrustError(f"only {kept} of {drawn} sampled records are clinically "
                                "plausible: the model does not fit the real table well enough")
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
