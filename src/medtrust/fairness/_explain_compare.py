"""Two explanation methods side by side: per-feature importance, their rank agreement, and per
method the spread of each feature's attribution across the groups of each protected attribute
with a permutation test of whether it exceeds chance.

* Importance of a feature: mean |attribution| over the explained rows; ``variance``: the
  variance of |attribution| over those rows.
* Rank agreement: Spearman's rho (``scipy.stats.spearmanr``) between the two methods'
  importances over the features at least one method attributes (features both give exactly 0,
  i.e. that the model never reads, agree trivially and are left out). Interval: percentile
  bootstrap over explained rows (``resamples`` resamples of the rows, importances and rho
  recomputed each time), so it reflects which rows were explained, not a Fisher z normal
  approximation that assumes bivariate normal features.
* Spread across groups: for a protected attribute, the groups' mean |attribution| of a feature,
  and ``spread`` = max - min over groups with at least :data:`MIN_GROUP_ROWS` explained rows;
  ``between_group_variance`` is the variance of those group means. ``p_value``: one-sided
  permutation test (``scipy.stats.permutation_test``, independent samples: group labels
  shuffled across rows, ``permutations`` resamples) of spread >= the observed one; ``q_value``:
  Benjamini-Hochberg over the features tested for that attribute and method
  (``scipy.stats.false_discovery_control``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    import pandas as pd

MIN_GROUP_ROWS = 5
"""Groups with fewer explained rows are listed but not in the spread (a mean of 1-4 rows)."""
PERMUTATIONS = 999
TOP_FEATURES = 10
"""Features tested per attribute and method: the most important ones (by mean |attribution|)."""


def _r(x: Any) -> float:
    return round(float(x), 6)


def importance(values: np.ndarray, features: Sequence[str]) -> list[dict[str, Any]]:
    """Per feature: mean |attribution| and its variance over rows, most important first."""
    a = np.abs(values)
    mean, var = a.mean(axis=0), a.var(axis=0, ddof=1) if len(a) > 1 else np.zeros(a.shape[1])
    order = np.argsort(-mean, kind="stable")
    return [{"feature": features[j], "mean_abs": _r(mean[j]), "variance": _r(var[j])}
            for j in order]


def rank_agreement(
    a: np.ndarray, b: np.ndarray, *, resamples: int = 500, seed: int = 0
) -> dict[str, Any]:
    """Spearman's rho between the importances of two (rows x features) attribution matrices of
    the same rows, with a 95% percentile bootstrap interval over rows (module doc)."""
    from scipy.stats import spearmanr

    if a.shape != b.shape:
        raise ValueError(f"attributions of different shapes: {a.shape} vs {b.shape}")
    ia, ib = np.abs(a).mean(axis=0), np.abs(b).mean(axis=0)
    keep = (ia > 0) | (ib > 0)
    n = int(keep.sum())
    out: dict[str, Any] = {"features": n, "rows": len(a), "resamples": resamples,
                           "interval": "percentile bootstrap over explained rows"}
    if n < 3:
        return {**out, "spearman": None, "ci95": None, "note": "fewer than 3 attributed features"}
    rho = float(spearmanr(ia[keep], ib[keep]).statistic)
    rng = np.random.default_rng(seed)
    boot = []
    for _ in range(resamples):
        idx = rng.integers(0, len(a), len(a))
        r = spearmanr(np.abs(a[idx]).mean(axis=0)[keep], np.abs(b[idx]).mean(axis=0)[keep])
        if np.isfinite(r.statistic):
            boot.append(float(r.statistic))
    ci = [_r(np.percentile(boot, 2.5)), _r(np.percentile(boot, 97.5))] if boot else None
    return {**out, "spearman": None if np.isnan(rho) else _r(rho), "ci95": ci}


def _spread(*groups: np.ndarray, axis: int = -1) -> np.ndarray:
    means = np.stack([np.mean(g, axis=axis) for g in groups])
    return np.asarray(means.max(axis=0) - means.min(axis=0))


def group_spread(
    values: np.ndarray,
    features: Sequence[str],
    groups: pd.Series,
    *,
    permutations: int = PERMUTATIONS,
    seed: int = 0,
    top: int = TOP_FEATURES,
) -> dict[str, Any]:
    """Spread of each top feature's mean |attribution| across ``groups`` (one label per
    explained row) with its permutation p-value and BH q-value (module doc)."""
    from scipy.stats import false_discovery_control, permutation_test

    labels = groups.astype(str).to_numpy()
    sizes = {str(g): int((labels == g).sum()) for g in sorted(set(labels))}
    kept = [g for g, k in sizes.items() if k >= MIN_GROUP_ROWS]
    a = np.abs(values)
    order = [j for j in np.argsort(-a.mean(axis=0), kind="stable")[:top] if a[:, j].any()]
    out: dict[str, Any] = {"groups": sizes, "compared": kept, "min_rows": MIN_GROUP_ROWS,
                           "permutations": permutations, "features": []}
    if len(kept) < 2 or not order:
        out["note"] = "fewer than two groups with enough explained rows, or nothing attributed"
        return out
    rows = []
    for j in order:
        samples = [a[labels == g, j] for g in kept]
        res = permutation_test(samples, _spread, permutation_type="independent",
                               alternative="greater", n_resamples=permutations,
                               vectorized=True, rng=np.random.default_rng([seed, int(j)]))
        means = [float(s.mean()) for s in samples]
        rows.append({
            "feature": features[j],
            "spread": _r(res.statistic),
            "between_group_variance": _r(np.var(means, ddof=1)),
            "by_group": {g: _r(m) for g, m in zip(kept, means, strict=True)},
            "p_value": _r(res.pvalue),
        })
    q = false_discovery_control([r["p_value"] for r in rows], method="bh")
    for r, qv in zip(rows, q, strict=True):
        r["q_value"] = _r(qv)
    out["features"] = sorted(rows, key=lambda r: (-r["spread"], r["feature"]))
    return out


def compare_explanations(
    outputs: Mapping[str, Mapping[str, Any]],
    frame: pd.DataFrame,
    protected: Sequence[str],
    *,
    resamples: int = 500,
    permutations: int = PERMUTATIONS,
    seed: int = 0,
) -> dict[str, Any]:
    """The audit's ``explanations`` section from ``{method: shap_values/lime_values output}``
    (same rows): per method importance and group spread; the rank agreement of the first two."""
    methods: dict[str, Any] = {}
    for name, out in outputs.items():
        explained = frame.iloc[out["index"]].reset_index(drop=True)
        methods[name] = {
            "explainer": out["explainer"],
            "rows": len(out["index"]),
            "calls": out["calls"],
            "seconds": round(float(out["seconds"]), 3),
            "importance": importance(out["values"], out["features"])[:TOP_FEATURES * 2],
            "spread": {col: group_spread(out["values"], out["features"], explained[col],
                                         permutations=permutations, seed=seed)
                       for col in protected},
        }
    section: dict[str, Any] = {"methods": methods}
    names = list(outputs)
    if len(names) >= 2:
        a, b = outputs[names[0]], outputs[names[1]]
        if not np.array_equal(a["index"], b["index"]):
            raise ValueError("the two methods explained different rows")
        section["agreement"] = {"methods": names[:2],
                                **rank_agreement(a["values"], b["values"], resamples=resamples,
                                                 seed=seed)}
    return section
