"""Evaluate a synthetic table against the real one: fidelity, utility, privacy, fairness.

The real table is split into the rows the model was fitted on and a holdout it never saw (the
same deterministic split ``fit`` used). Utility is train-synthetic-test-real against
train-real-test-real; privacy compares each synthetic row's distance to the closest training row
with the same distance for holdout rows, and runs a distance-based membership-inference attack
(AUC 0.5 = no leak); fairness repeats utility and representation per protected subgroup.
Exact copies and the distance to the closest record are measured against the whole real table
(training and holdout rows alike), so a copied real row is found wherever it came from.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from medtrust.cohort._copula import _kind
from medtrust.cohort._fidelity import fidelity
from medtrust.errors import ConfigError, MedtrustError


def split_holdout(df: pd.DataFrame, frac: float, seed: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Deterministic (train, holdout) split; ``frac`` = 0 keeps everything for training."""
    if not 0 <= frac < 1:
        raise ConfigError("--holdout-frac must be in [0, 1)")
    order = np.random.Generator(np.random.PCG64([seed, 0x5117])).permutation(len(df))
    k = round(len(df) * frac)
    return df.iloc[np.sort(order[k:])], df.iloc[np.sort(order[:k])]


def _encode(frames: list[pd.DataFrame], kinds: dict[str, str],
            ref: pd.DataFrame) -> list[np.ndarray]:
    """Numeric matrix for distances: scaled numbers (+ missing flags), one-hot categories."""
    out: list[list[np.ndarray]] = [[] for _ in frames]
    for col, kind in kinds.items():
        if kind in ("categorical", "boolean"):
            cats = list(ref[col].dropna().unique())
            for i, f in enumerate(frames):
                v = f[col].astype(object)
                out[i].append(np.column_stack([(v == c).to_numpy(dtype=float) for c in cats]))
        else:
            r = _as_float(ref[col])
            mu, sd = float(np.nanmean(r)), float(np.nanstd(r)) or 1.0
            for i, f in enumerate(frames):
                x = (_as_float(f[col]) - mu) / sd
                out[i].append(np.column_stack([np.nan_to_num(x), np.isnan(x).astype(float)]))
    return [np.hstack(parts) for parts in out]


def _as_float(s: pd.Series) -> np.ndarray:
    if pd.api.types.is_datetime64_any_dtype(s):
        out: np.ndarray = pd.to_numeric(s).to_numpy(dtype=float) / 8.64e13
    else:
        out = pd.to_numeric(s, errors="coerce").to_numpy(dtype=float)
    return out


def _min_dist(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    from sklearn.neighbors import NearestNeighbors

    nn = NearestNeighbors(n_neighbors=1).fit(b)
    return nn.kneighbors(a)[0][:, 0]  # type: ignore[no-any-return]


def copies(real: pd.DataFrame, synth: pd.DataFrame, kinds: dict[str, str]) -> dict[str, Any]:
    """Exact copies and distance to the closest record (DCR) against the WHOLE real table.

    Every real row counts (training rows and holdout alike, never a sample of them): a
    synthetic row at distance 0 from any real row is a copy. Distances are Euclidean over
    standardised numbers (plus missing flags) and one-hot categories (the encoding of
    :func:`_encode`); DCR as in Zhao et al., "CTAB-GAN" (2021) and SDMetrics' DCRBaselineProtection.
    A verbatim copy of the real table reports every row copied and a DCR of 0."""
    x_real, x_sy = _encode([real, synth], kinds, real)
    d = _min_dist(x_sy, x_real)
    n_copy = int((d < 1e-9).sum())
    return {
        "exact_copies": n_copy,
        "exact_copy_share": round(n_copy / max(len(synth), 1), 4),
        "dcr_real_min": round(float(d.min()), 4) if d.size else None,
        "dcr_real_median": round(float(np.median(d)), 4) if d.size else None,
        "n_real": len(real),
        "n_synthetic": len(synth),
    }


def privacy(train: pd.DataFrame, holdout: pd.DataFrame, synth: pd.DataFrame,
            kinds: dict[str, str], seed: int = 0) -> dict[str, Any]:
    """Distance to closest record (DCR) against a holdout baseline, and membership-inference AUC."""
    from sklearn.metrics import roc_auc_score

    rng = np.random.Generator(np.random.PCG64(seed))
    m = min(len(train), len(holdout))
    tr = train.iloc[np.sort(rng.choice(len(train), m, replace=False))]
    ho = holdout.iloc[np.sort(rng.choice(len(holdout), m, replace=False))]
    x_tr, x_ho, x_sy = _encode([tr, ho, synth], kinds, train)
    d_sy_tr, d_sy_ho = _min_dist(x_sy, x_tr), _min_dist(x_sy, x_ho)
    d_ho_tr = _min_dist(x_ho, x_tr)
    # Attack: a record is called a member when a synthetic row lies close to it.
    score = -np.concatenate([_min_dist(x_tr, x_sy), _min_dist(x_ho, x_sy)])
    label = np.concatenate([np.ones(m), np.zeros(m)])
    return {
        "dcr_synthetic_median": round(float(np.median(d_sy_tr)), 4),
        "dcr_holdout_median": round(float(np.median(d_ho_tr)), 4),
        "share_closer_to_train": round(float(np.mean(d_sy_tr < d_sy_ho)), 4),
        "share_closer_to_train_ideal": 0.5,
        "membership_inference_auc": round(float(roc_auc_score(label, score)), 4),
        "n_compared": m,
    }


def _xy(df: pd.DataFrame, target: str, cats: dict[str, list[Any]]) -> tuple[pd.DataFrame, Any]:
    x = df.drop(columns=[target]).copy()
    for col, values in cats.items():
        if col in x:
            x[col] = pd.Categorical(x[col].astype(object), categories=values).codes
            x[col] = x[col].where(x[col] >= 0, np.nan)
    for col in x.columns:
        if pd.api.types.is_datetime64_any_dtype(x[col]):
            x[col] = pd.to_numeric(x[col])
        x[col] = pd.to_numeric(x[col], errors="coerce")
    return x, df[target]


def utility(train: pd.DataFrame, holdout: pd.DataFrame, synth: pd.DataFrame, target: str,
            kinds: dict[str, str], protected: list[str], seed: int = 0) -> dict[str, Any]:
    """Train-synthetic-test-real against train-real-test-real, overall and per subgroup."""
    from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor
    from sklearn.metrics import accuracy_score, r2_score
    from threadpoolctl import threadpool_limits

    with threadpool_limits(1):  # OpenMP start-up dominates on clinical-size tables
        return _utility(train, holdout, synth, target, kinds, protected, seed,
                        HistGradientBoostingClassifier, HistGradientBoostingRegressor,
                        accuracy_score, r2_score)


def _utility(train: pd.DataFrame, holdout: pd.DataFrame, synth: pd.DataFrame, target: str,
             kinds: dict[str, str], protected: list[str], seed: int, clf: Any, reg: Any,
             accuracy_score: Any, r2_score: Any) -> dict[str, Any]:
    cats = {c: list(train[c].dropna().unique()) for c, k in kinds.items()
            if k in ("categorical", "boolean")}
    classify = kinds[target] in ("categorical", "boolean")
    x_te, y_te = _xy(holdout, target, cats)
    keep = y_te.notna().to_numpy()
    x_te, y_te = x_te[keep], y_te[keep]
    metric = "accuracy" if classify else "r2"
    results: dict[str, Any] = {"target": target, "metric": metric}
    preds = {}
    for name, data in (("train_real", train), ("train_synthetic", synth)):
        x, y = _xy(data, target, cats)
        ok = y.notna().to_numpy()
        model = clf(random_state=seed) if classify else reg(random_state=seed)
        y_fit = y[ok].astype(str) if classify else y[ok].astype(float)
        model.fit(x[ok], y_fit)
        preds[name] = model.predict(x_te)
    truth = y_te.astype(str) if classify else y_te.astype(float)
    def score(t: Any, p: Any) -> float:
        return float(accuracy_score(t, p) if classify else r2_score(t, p))

    for name, p in preds.items():
        results[name] = round(float(score(truth, p)), 4)
    results["ratio"] = (round(results["train_synthetic"] / results["train_real"], 4)
                        if results["train_real"] else None)
    groups: dict[str, Any] = {}
    for col in protected:
        per: dict[str, Any] = {}
        values = holdout[col][keep]
        for g in sorted(values.dropna().unique(), key=str):
            sel = (values == g).to_numpy()
            if sel.sum() < 5:
                continue
            per[str(g)] = {
                "n": int(sel.sum()),
                "real_share": round(float((train[col] == g).mean()), 4),
                "synthetic_share": round(float((synth[col] == g).mean()), 4),
                "train_real": round(float(score(truth[sel], preds["train_real"][sel])), 4),
                "train_synthetic": round(float(score(truth[sel],
                                                     preds["train_synthetic"][sel])), 4),
            }
        gaps = [v["train_synthetic"] for v in per.values()]
        groups[col] = {"groups": per,
                       "max_gap_train_synthetic": round(max(gaps) - min(gaps), 4) if gaps else None}
    results["subgroups"] = groups
    return results


def evaluate(real: pd.DataFrame, synth: pd.DataFrame, *, target: str | None = None,
             protected: list[str] | None = None, holdout_frac: float = 0.2,
             split_seed: int = 0) -> dict[str, Any]:
    """The full report. ``target`` defaults to the last column."""
    missing = [c for c in real.columns if c not in synth.columns]
    if missing:
        raise MedtrustError(f"synthetic table lacks real columns: {', '.join(map(str, missing))}")
    synth = synth[list(real.columns)]
    protected = protected or []
    for col in [*protected, *([target] if target else [])]:
        if col not in real.columns:
            raise MedtrustError(f"column {col!r} is not in the real table")
    target = target or str(real.columns[-1])
    kinds = {str(c): _kind(real[c]) for c in real.columns}
    train, holdout = split_holdout(real, holdout_frac, split_seed)
    report: dict[str, Any] = {
        "rows": {"real_train": len(train), "real_holdout": len(holdout), "synthetic": len(synth)},
        "fidelity": fidelity(train, synth, kinds),
    }
    report["privacy"] = copies(real, synth, kinds)
    if len(holdout) >= 10:
        report["utility"] = utility(train, holdout, synth, target, kinds, protected)
        report["privacy"].update(privacy(train, holdout, synth, kinds))
    else:
        skipped = "needs a holdout of at least 10 rows (fit with --holdout-frac > 0)"
        report["utility"] = {"skipped": skipped}
        report["privacy"]["membership_inference"] = {"skipped": skipped}
    fair: dict[str, Any] = {}
    for col in protected:
        per = {}
        for g in sorted(train[col].dropna().unique(), key=str):
            r, s = train[train[col] == g], synth[synth[col] == g]
            if len(r) >= 5 and len(s) >= 5:
                per[str(g)] = fidelity(r, s, kinds)["column_shapes"]
        fair[col] = {"column_shapes_by_group": per,
                     "max_gap": round(max(per.values()) - min(per.values()), 4) if per else None}
    report["fairness"] = fair
    return report
