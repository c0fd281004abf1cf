"""SHAP attributions for tabular targets, and how they differ across demographic groups.

Tree models that read the frame as it is get ``shap.TreeExplainer`` (exact, interventional,
in probability space). Anything else gets ``shap.explainers.Permutation`` over an integer
encoding of the columns: categorical values are coded, and the wrapped model decodes them before
calling the target, so any ``predict_proba(DataFrame)`` can be explained. Both satisfy
efficiency: per row, the attributions sum to P(positive) minus the base value (the tests check).

The audit reports each feature's mean |attribution|, its spread across the groups of every
protected column (max - min of the group means), and flags a protected attribute or a known
proxy (zip3, insurance, language, or the user's ``--proxies``) ranked among the top features.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from medtrust.fairness._data import KNOWN_PROXIES, positive_probability

if TYPE_CHECKING:
    import pandas as pd

    from medtrust.targets.tabular import TabularTarget

FloatArray = npt.NDArray[np.float64]
TOP_K = 5


def _tree_model(target: TabularTarget, frame: pd.DataFrame) -> Any | None:
    """The target's model when TreeExplainer applies: a tree ensemble fed numeric columns."""
    import pandas as pd

    model = target.model
    numeric = all(pd.api.types.is_numeric_dtype(t) for t in frame.dtypes)
    if not hasattr(model, "predict_proba") or not numeric:
        return None
    name = type(model).__name__
    tree_like = ("Forest", "Tree", "Boost", "XGB", "LGBM", "CatBoost")
    return model if any(k in name for k in tree_like) else None


def _encode(frame: pd.DataFrame) -> tuple[FloatArray, dict[str, Any]]:
    """Numeric matrix for the explainer; non-numeric columns become category codes."""
    import pandas as pd

    cols: list[FloatArray] = []
    cats: dict[str, Any] = {}
    for c in frame.columns:
        s = frame[c]
        if pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s):
            cols.append(s.astype(float).to_numpy())
        else:
            codes, uniques = pd.factorize(s.astype(str), sort=True)
            cats[c] = uniques
            cols.append(codes.astype(float))
    return np.column_stack(cols), cats


def used_columns(
    target: TabularTarget, frame: pd.DataFrame, rng: np.random.Generator, rows: int = 256
) -> list[str]:
    """Columns whose shuffle changes at least one prediction on a sample of rows.

    A column the model never reads gets exactly zero attribution from any Shapley estimator, so
    it is left out of the sampling (cost is linear in the number of features). A column read only
    in rare rows could be missed here; it is then reported with zero attribution.
    """
    sample = frame.iloc[rng.choice(len(frame), min(rows, len(frame)), replace=False)]
    base = positive_probability(target, sample)
    used: list[str] = []
    for c in frame.columns:
        shuffled = sample.copy()
        shuffled[c] = rng.permutation(sample[c].to_numpy())
        if not np.allclose(positive_probability(target, shuffled), base, rtol=0, atol=1e-12):
            used.append(c)
    return used


def _decoder(frame: pd.DataFrame, used: list[str], cats: dict[str, Any]) -> Any:
    import pandas as pd

    columns, dtypes = list(frame.columns), frame.dtypes
    filler = frame.iloc[0]  # values for unread columns: any value gives the same prediction

    def decode(x: FloatArray) -> pd.DataFrame:
        out: dict[str, Any] = {c: np.repeat(filler[c], len(x)) for c in columns}
        for j, c in enumerate(used):
            if c in cats:
                idx = np.clip(np.rint(x[:, j]).astype(int), 0, len(cats[c]) - 1)
                out[c] = np.asarray(cats[c])[idx]
            else:
                out[c] = x[:, j].astype(dtypes[c])
        return pd.DataFrame(out, columns=columns).astype(dtypes.to_dict())

    return decode


def shap_values(
    target: TabularTarget,
    frame: pd.DataFrame,
    *,
    rows: int | None = 200,
    background: int = 50,
    seed: int = 0,
    method: str = "auto",
) -> dict[str, Any]:
    """Attributions of P(positive) for ``rows`` sampled rows (all rows when None).

    Returns ``values`` (rows x features), ``base`` (per row), ``predicted`` (P(positive)),
    ``explainer``, ``index`` (the rows explained), ``calls`` and ``seconds``.
    """
    import shap

    rng = np.random.default_rng(seed)
    n = len(frame)
    index = np.arange(n) if rows is None or rows >= n else np.sort(rng.choice(n, rows, False))
    bg_index = rng.choice(n, min(background, n), replace=False)
    x = frame.iloc[index].reset_index(drop=True)
    start, t0 = target.calls, time.perf_counter()
    model = _tree_model(target, frame) if method in ("auto", "tree") else None
    if model is not None:
        explainer = shap.TreeExplainer(
            model,
            data=frame.iloc[bg_index],
            model_output="probability",
            feature_perturbation="interventional",
        )
        raw = np.asarray(explainer.shap_values(x, check_additivity=False))
        values = raw[..., -1] if raw.ndim == 3 else raw
        expected = np.atleast_1d(np.asarray(explainer.expected_value, dtype=float))
        base = np.full(len(x), expected[-1])
        predicted = positive_probability(target, x)
        name = "tree"
    else:
        used = used_columns(target, frame, rng) or list(frame.columns[:1])
        mat, cats = _encode(frame[used])
        decode = _decoder(frame, used, cats)

        def f(z: FloatArray) -> FloatArray:
            return positive_probability(target, decode(z))

        masker = shap.maskers.Independent(mat[bg_index], max_samples=len(bg_index))
        explainer = shap.explainers.Permutation(f, masker, seed=seed)
        exp = explainer(mat[index], max_evals=2 * len(used) + 1, silent=True)
        values = np.zeros((len(x), frame.shape[1]))
        values[:, [frame.columns.get_loc(c) for c in used]] = np.asarray(exp.values, dtype=float)
        base = np.asarray(exp.base_values, dtype=float).reshape(len(x))
        predicted = positive_probability(target, x)
        name = "permutation"
    return {
        "values": np.asarray(values, dtype=float),
        "base": base,
        "predicted": predicted,
        "explainer": name,
        "index": index,
        "features": list(frame.columns),
        "calls": target.calls - start,
        "seconds": time.perf_counter() - t0,
    }


def attribution_report(
    shap_out: dict[str, Any],
    frame: pd.DataFrame,
    protected: Sequence[str],
    *,
    proxies: Sequence[str] = KNOWN_PROXIES,
    top_k: int = TOP_K,
) -> dict[str, Any]:
    """Ranking, per-group spread of mean |attribution|, and flags, from :func:`shap_values`."""
    values: FloatArray = shap_out["values"]
    features: list[str] = shap_out["features"]
    mean_abs = np.abs(values).mean(axis=0)
    order = np.argsort(-mean_abs, kind="stable")
    ranking = [{"feature": features[i], "mean_abs": round(float(mean_abs[i]), 6)} for i in order]
    top = [r["feature"] for r in ranking[:top_k] if r["mean_abs"] > 0]
    explained = frame.iloc[shap_out["index"]].reset_index(drop=True)
    disparity: dict[str, Any] = {}
    for col in protected:
        groups = explained[col].astype(str)
        by_group = {
            str(g): np.abs(values[(groups == g).to_numpy()]).mean(axis=0)
            for g in sorted(groups.unique())
        }
        stack = np.vstack(list(by_group.values()))
        spread = stack.max(axis=0) - stack.min(axis=0)
        worst = np.argsort(-spread, kind="stable")[:top_k]
        disparity[col] = {
            "groups": {g: int((groups == g).sum()) for g in by_group},
            "total_mean_abs": {g: round(float(v.sum()), 6) for g, v in by_group.items()},
            "spread": [
                {
                    "feature": features[i],
                    "spread": round(float(spread[i]), 6),
                    "by_group": {g: round(float(v[i]), 6) for g, v in by_group.items()},
                }
                for i in worst
            ],
        }
    flags = [
        {
            "feature": f,
            "rank": top.index(f) + 1,
            "kind": "protected" if f in protected else "proxy",
        }
        for f in top
        if f in protected or f in proxies
    ]
    additivity = float(
        np.max(np.abs(values.sum(axis=1) + shap_out["base"] - shap_out["predicted"]))
    )
    return {
        "explainer": shap_out["explainer"],
        "rows": len(shap_out["index"]),
        "calls": shap_out["calls"],
        "seconds": round(shap_out["seconds"], 3),
        "base_value": round(float(np.mean(shap_out["base"])), 6),
        "max_additivity_error": additivity,
        "ranking": ranking[: max(top_k, 10)],
        "top_k": top_k,
        "flags": flags,
        "disparity": disparity,
    }
