"""Tabular counterfactuals: change only a protected attribute, count the decisions that move.

Every row is scored once with the attribute set to the reference value and once per other
value, all other columns untouched. That is EthicalSim-Bench's test ("23% of trial
recommendations changed when insurance moved from private to Medicaid") made exact: a flip is a
row whose decision differs, a downgrade is a recommendation at the reference value that is
withdrawn. Rates carry Wilson intervals; the mean change in probability a bootstrap interval.

A counterfactual row that would be clinically impossible (a female twin of a man with benign
prostatic hyperplasia; see :mod:`medtrust.fairness._plausible`) is not applicable: it is left
out of every rate and its denominator and counted in ``not_applicable``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from medtrust.fairness._data import positive_probability
from medtrust.metrics import mean_ci, rate_entry

if TYPE_CHECKING:
    import pandas as pd

    from medtrust.fairness._plausible import Applicability
    from medtrust.targets.tabular import TabularTarget


def _value_key(v: Any) -> str:
    return str(v.item() if hasattr(v, "item") else v)


def reference_value(series: pd.Series[Any], reference: Any | None) -> Any:
    """The value every other is compared with: the user's, else the most frequent one."""
    if reference is not None:
        keys = {_value_key(v): v for v in series.dropna().unique()}
        if _value_key(reference) not in keys:
            known = ", ".join(sorted(keys)[:12])
            raise ValueError(f"reference value {reference!r} not in the data (values: {known})")
        return keys[_value_key(reference)]
    return series.value_counts(dropna=True).index[0]


def counterfactual_flips(
    target: TabularTarget,
    frame: pd.DataFrame,
    column: str,
    *,
    reference: Any | None = None,
    values: list[Any] | None = None,
    threshold: float = 0.5,
    resamples: int = 1000,
    seed: int = 0,
    applicable: Applicability | None = None,
) -> dict[str, Any]:
    """Flip and downgrade rates, and mean change in P(positive), for each value of ``column``.

    ``values`` defaults to every value observed. The reference rows are scored once; each other
    value costs ``len(frame)`` target calls (rows scored), reported as ``calls``. With
    ``applicable``, rows whose counterfactual is implausible are counted as ``not_applicable``
    (per value and in total) and scored by no rate; they are not sent to the target either.
    """
    series = frame[column]
    ref = reference_value(series, reference)
    start = target.calls
    candidates = values if values is not None else sorted(series.dropna().unique(), key=str)

    def score_rows(value: Any, keep: np.ndarray) -> np.ndarray:
        shifted = frame[keep].copy()
        shifted[column] = value
        return positive_probability(target, shifted)

    ref_ok = np.ones(len(frame), dtype=bool)
    if applicable is not None:
        ref_ok = applicable.mask(column, ref)
    p_ref_all = np.full(len(frame), np.nan)
    if ref_ok.any():
        p_ref_all[ref_ok] = score_rows(ref, ref_ok)
    rows: list[dict[str, Any]] = []
    skipped = 0
    for value in candidates:
        if _value_key(value) == _value_key(ref):
            continue
        ok = np.ones(len(frame), dtype=bool)
        if applicable is not None:  # both ends of the comparison must be possible
            ok = applicable.mask(column, value) & ref_ok
        n_ok = int(ok.sum())
        skipped += len(frame) - n_ok
        p_ref = p_ref_all[ok]
        d_ref = p_ref >= threshold
        positives = int(d_ref.sum())
        p = score_rows(value, ok) if n_ok else np.zeros(0)
        d = p >= threshold
        flips = int((d != d_ref).sum())
        down = int((d_ref & ~d).sum())
        delta = p - p_ref
        ci = mean_ci(delta, resamples=resamples, seed=seed) if n_ok else None
        entry = {"value": _value_key(value), **rate_entry(flips, n_ok)}
        down_entry = rate_entry(down, positives)
        entry.update(
            not_applicable=len(frame) - n_ok,
            downgrades=down,
            upgrades=int((~d_ref & d).sum()),
            positives_at_reference=positives,
            downgrade_rate=down_entry["rate"],
            downgrade_ci95=down_entry["ci95"],
            mean_delta_p=round(float(delta.mean()), 6) if n_ok else None,
            mean_delta_p_ci95=[round(ci[0], 6), round(ci[1], 6)] if ci else None,
            max_abs_delta_p=round(float(np.abs(delta).max()), 6) if n_ok else None,
        )
        rows.append(entry)
    worst = max(rows, key=lambda r: (r["rate"] or 0.0, abs(r["mean_delta_p"] or 0.0)),
                default=None)
    return {
        "column": column,
        "reference": _value_key(ref),
        "threshold": threshold,
        "n_rows": len(frame),
        "values": rows,
        "not_applicable": skipped,
        "worst": None if worst is None else {"value": worst["value"], "rate": worst["rate"]},
        "calls": target.calls - start,
    }
