"""Group metrics with fairlearn's ``MetricFrame``, guarded, with bootstrap intervals.

Point estimates are fairlearn's: selection rate, TPR and FPR per group, and the demographic
parity and equalized odds differences. The guard: a group below ``min_group`` rows, or without
positives (TPR undefined) or negatives (FPR undefined), is still listed with its flags, but
kept out of the differences that need it, and the exclusion is reported. fairlearn's own,
unguarded differences over every group are reported beside ours, so nothing is hidden.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from medtrust.metrics import parity_bootstrap

if TYPE_CHECKING:
    import pandas as pd

MIN_GROUP = 30
"""Rows below which a group's rates are too noisy to enter a difference (still reported)."""


def _r(x: float | None) -> float | None:
    return None if x is None or not np.isfinite(x) else round(float(x), 6)


def _labels(sensitive: pd.DataFrame) -> pd.Series[str]:
    parts = [sensitive[c].astype(str).radd(f"{c}=") for c in sensitive.columns]
    out = parts[0]
    for p in parts[1:]:
        out = out + " & " + p
    return out


def group_metrics(
    y_pred: npt.ArrayLike,
    sensitive: pd.DataFrame,
    *,
    y_true: npt.ArrayLike | None = None,
    min_group: int = MIN_GROUP,
    resamples: int = 500,
    seed: int = 0,
) -> dict[str, Any]:
    """Per-group rates and guarded parity differences for one (or an intersection of) column(s).

    ``y_pred`` are decisions (0/1), ``y_true`` optional labels: without them only selection
    rates and demographic parity are assessed. Returns ``groups`` (every group, flagged),
    ``differences`` (guarded, with ``ci95``), ``fairlearn_unguarded`` and ``excluded``.
    """
    import pandas as pd
    from fairlearn.metrics import (
        MetricFrame,
        count,
        demographic_parity_difference,
        equalized_odds_difference,
        false_positive_rate,
        selection_rate,
        true_positive_rate,
    )

    pred = np.asarray(y_pred).astype(int)
    sens = sensitive.reset_index(drop=True).astype(str).fillna("missing")
    truth = None if y_true is None else np.asarray(y_true).astype(int)
    metrics: dict[str, Any] = {"count": count, "selection_rate": selection_rate}
    if truth is not None:
        metrics.update(tpr=true_positive_rate, fpr=false_positive_rate)
    mf = MetricFrame(
        metrics=metrics,
        y_true=truth if truth is not None else pred,
        y_pred=pred,
        sensitive_features=sens if sens.shape[1] > 1 else sens.iloc[:, 0],
    )
    labels = _labels(sens)
    codes, uniques = pd.factorize(labels, sort=True)
    code_of = {lab: i for i, lab in enumerate(uniques)}
    groups: list[dict[str, Any]] = []
    dp_ok: list[int] = []
    eo_ok: list[int] = []
    excluded: list[dict[str, Any]] = []
    by_group = mf.by_group
    for key, row in by_group.iterrows():
        if not np.isfinite(row["count"]) or row["count"] == 0:
            continue  # an empty cell of the intersection's cartesian product
        values = key if isinstance(key, tuple) else (key,)
        group = {c: str(v) for c, v in zip(sens.columns, values, strict=True)}
        label = " & ".join(f"{c}={v}" for c, v in group.items())
        mask = (labels == label).to_numpy()
        n = int(row["count"])
        entry: dict[str, Any] = {"group": group, "label": label, "n": n}
        entry["selection_rate"] = _r(row["selection_rate"])
        flags: list[str] = []
        if n < min_group:
            flags.append("small")
        if truth is not None:
            pos = int(truth[mask].sum())
            entry.update(positives=pos, negatives=n - pos)
            entry["tpr"] = _r(row["tpr"]) if pos else None
            entry["fpr"] = _r(row["fpr"]) if n - pos else None
            flags += ["no_positives"] * (pos == 0) + ["no_negatives"] * (pos == n)
        entry["flags"] = flags
        groups.append(entry)
        code = code_of[label]
        if "small" not in flags:
            dp_ok.append(code)
            if truth is not None and not {"no_positives", "no_negatives"} & set(flags):
                eo_ok.append(code)
        if flags:
            excluded.append({"label": label, "n": n, "reasons": flags})

    def spread(key: str, ok: list[int]) -> float | None:
        vals = [g[key] for g in groups if code_of[g["label"]] in ok and g[key] is not None]
        return _r(max(vals) - min(vals)) if len(vals) >= 2 else None

    dp = spread("selection_rate", dp_ok)
    eo = None
    if truth is not None:
        t, f = spread("tpr", eo_ok), spread("fpr", eo_ok)
        eo = None if t is None or f is None else max(t, f)
    cis = parity_bootstrap(
        pred.astype(bool),
        np.asarray(codes, dtype=np.int64),
        y_true=None if truth is None else truth.astype(bool),
        dp_groups=dp_ok,
        eo_groups=eo_ok,
        resamples=resamples,
        seed=seed,
    )
    feature = sens if sens.shape[1] > 1 else sens.iloc[:, 0]
    unguarded: dict[str, float | None] = {
        "demographic_parity_difference": _r(
            demographic_parity_difference(pred, pred, sensitive_features=feature)
        )
    }
    if truth is not None:
        unguarded["equalized_odds_difference"] = _r(
            equalized_odds_difference(truth, pred, sensitive_features=feature)
        )

    def ci(key: str) -> list[float] | None:
        got = cis[key]
        return None if got is None else [round(got[0], 6), round(got[1], 6)]

    return {
        "columns": list(sens.columns),
        "min_group": min_group,
        "groups": groups,
        "differences": {
            "demographic_parity": {"value": dp, "ci95": ci("demographic_parity"),
                                   "groups": len(dp_ok)},
            "equalized_odds": {"value": eo, "ci95": ci("equalized_odds"), "groups": len(eo_ok),
                               "assessed": truth is not None},
        },
        "excluded": excluded,
        "fairlearn_unguarded": unguarded,
    }
