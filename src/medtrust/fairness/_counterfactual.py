"""Tabular counterfactuals: change only a protected attribute, count the decisions that move.

Every row is scored once with the attribute set to the reference value and once per other
value, all other columns untouched. That is EthicalSim-Bench's test ("23% of trial
recommendations changed when insurance moved from private to Medicaid") made exact: a flip is a
row whose decision differs, a downgrade is a recommendation at the reference value that is
withdrawn. Rates carry Wilson intervals; the mean change in probability a bootstrap interval.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from medtrust.fairness._data import positive_probability
from medtrust.metrics import mean_ci, rate_entry

if TYPE_CHECKING:
    import pandas as pd

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
) -> dict[str, Any]:
    """Flip and downgrade rates, and mean change in P(positive), for each value of ``column``.

    ``values`` defaults to every value observed. The reference rows are scored once; each other
    value costs ``len(frame)`` target calls (rows scored), reported as ``calls``.
    """
    series = frame[column]
    ref = reference_value(series, reference)
    start = target.calls
    candidates = values if values is not None else sorted(series.dropna().unique(), key=str)

    def score(value: Any) -> np.ndarray:
        shifted = frame.copy()
        shifted[column] = value
        return positive_probability(target, shifted)

    p_ref = score(ref)
    d_ref = p_ref >= threshold
    positives = int(d_ref.sum())
    rows: list[dict[str, Any]] = []
    for value in candidates:
        if _value_key(value) == _value_key(ref):
            continue
        p = score(value)
        d = p >= threshold
        flips = int((d != d_ref).sum())
        down = int((d_ref & ~d).sum())
        delta = p - p_ref
        ci = mean_ci(delta, resamples=resamples, seed=seed)
        entry = {"value": _value_key(value), **rate_entry(flips, len(frame))}
        down_entry = rate_entry(down, positives)
        entry.update(
            downgrades=down,
            upgrades=int((~d_ref & d).sum()),
            positives_at_reference=positives,
            downgrade_rate=down_entry["rate"],
            downgrade_ci95=down_entry["ci95"],
            mean_delta_p=round(float(delta.mean()), 6),
            mean_delta_p_ci95=[round(ci[0], 6), round(ci[1], 6)] if ci else None,
            max_abs_delta_p=round(float(np.abs(delta).max()), 6),
        )
        rows.append(entry)
    worst = max(rows, key=lambda r: (r["rate"] or 0.0, abs(r["mean_delta_p"])), default=None)
    return {
        "column": column,
        "reference": _value_key(ref),
        "threshold": threshold,
        "n_rows": len(frame),
        "values": rows,
        "worst": None if worst is None else {"value": worst["value"], "rate": worst["rate"]},
        "calls": target.calls - start,
    }
