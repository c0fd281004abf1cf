"""LIME attributions for tabular targets, beside SHAP (``audit-model --explain shap,lime``).

``lime.lime_tabular.LimeTabularExplainer`` (Ribeiro, Singh & Guestrin 2016, "Why should I
trust you?", KDD) fits, per explained row, a weighted ridge regression of P(positive) on
``num_samples`` perturbations drawn around the row from the training distribution. Settings are
LIME's defaults: continuous columns discretised into quartiles, an exponential kernel of width
``0.75 * sqrt(features)``, categorical columns (coded here, as for SHAP) sampled from their
training frequencies. A row's attribution of a feature is its weight in that local model
(``exp.as_map()[1]``), so LIME values are local slopes on the discretised scale, not shares of
the prediction: they need not add up to P(positive) minus a base value, and are compared with
SHAP by rank (:mod:`._explain_compare`), not by value.

The rows explained are the same seeded sample SHAP explains (same ``rows`` and ``seed``), so
the two methods can be compared row by row. As for permutation SHAP, only the columns the model
reads (:func:`medtrust.fairness.used_columns`) are perturbed; the others get exactly zero. LIME
cannot sample around a missing value, so a missing number is replaced by its column's median
in the rows LIME sees (the reference model imputes the same way; say so when yours does not).
"""

from __future__ import annotations

import time
import warnings
from typing import TYPE_CHECKING, Any

import numpy as np

from medtrust.fairness._data import positive_probability
from medtrust.fairness._explain import FloatArray, _decoder, _encode, used_columns

if TYPE_CHECKING:
    import pandas as pd

    from medtrust.targets.tabular import TabularTarget

NUM_SAMPLES = 500
"""Perturbations per explained row (LIME's default is 5000; 500 keeps an audit of 100 rows at
50,000 scored rows, and the tests show the top-feature ranking is stable at this size)."""


def explained_rows(n: int, rows: int | None, seed: int) -> np.ndarray:
    """The row indices :func:`medtrust.fairness.shap_values` explains for the same arguments."""
    rng = np.random.default_rng(seed)
    return np.arange(n) if rows is None or rows >= n else np.sort(rng.choice(n, rows, False))


def lime_values(
    target: TabularTarget,
    frame: pd.DataFrame,
    *,
    rows: int | None = 200,
    seed: int = 0,
    num_samples: int = NUM_SAMPLES,
) -> dict[str, Any]:
    """LIME weights of P(positive) for ``rows`` sampled rows (all rows when None).

    Returns ``values`` (rows x features), ``predicted`` (P(positive)), ``explainer``
    ("lime"), ``index`` (the rows explained), ``features``, ``calls``, ``seconds``,
    ``num_samples`` and ``local_r2`` (each local model's score on its own samples).
    """
    from lime.lime_tabular import LimeTabularExplainer

    index = explained_rows(len(frame), rows, seed)
    columns = list(frame.columns)
    used = used_columns(target, frame, np.random.default_rng(seed)) or columns[:1]
    mat, cats = _encode(frame[used])
    medians = np.nanmedian(np.where(np.isnan(mat), np.nan, mat), axis=0)
    mat = np.where(np.isnan(mat), np.nan_to_num(medians)[None, :], mat)
    decode = _decoder(frame, used, cats)

    def predict(z: FloatArray) -> FloatArray:
        p = positive_probability(target, decode(np.asarray(z, dtype=float)))
        return np.column_stack([1 - p, p])

    explainer = LimeTabularExplainer(
        mat,
        mode="classification",
        feature_names=used,
        categorical_features=[used.index(c) for c in cats],
        categorical_names={used.index(c): [str(v) for v in u] for c, u in cats.items()},
        discretize_continuous=True,
        random_state=seed,
    )
    start, t0 = target.calls, time.perf_counter()
    values = np.zeros((len(index), len(columns)))
    r2: list[float] = []
    for k, i in enumerate(index):
        with warnings.catch_warnings():  # ridge on near-constant perturbations: harmless here
            warnings.simplefilter("ignore")
            exp = explainer.explain_instance(mat[i], predict, labels=(1,),
                                             num_features=len(used),
                                             num_samples=num_samples)
        for j, w in exp.as_map()[1]:
            values[k, columns.index(used[j])] = float(w)
        r2.append(float(exp.score))
    x = frame.iloc[index].reset_index(drop=True)
    return {
        "values": values,
        "predicted": positive_probability(target, x),
        "explainer": "lime",
        "index": index,
        "features": columns,
        "calls": target.calls - start,
        "seconds": time.perf_counter() - t0,
        "num_samples": num_samples,
        "local_r2": r2,
    }
