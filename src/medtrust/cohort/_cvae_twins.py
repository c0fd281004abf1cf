"""Counterfactual twins from a fitted CVAE: the same patient, another protected attribute.

A twin is built by abduction-action-prediction (Pearl, *Causality*, 2nd ed., 2009, sec. 7.1):
the record is encoded to its posterior mean ``z = E[q(z | x, c)]`` (the patient's latent code,
kept), and the decoder is read at the source condition ``c`` and at the counterfactual ``c'``.
Only what the model attributes to ``c`` moves:

* a numeric value keeps its own residual: ``x' = x + (mean(z, c') - mean(z, c))``, clipped to
  the fitted range (integers rounded);
* a category, or a numeric column's "is missing" state, follows the decoder's most likely value
  only where the source value *was* the most likely value under ``c`` and that mode changes under
  ``c'`` (a PSA measured on a man becomes missing on his female twin because the model learned
  that PSA is missing for women); any other value is kept;
* the *kept* columns (``keep``; by default the clinical picture: ``age``, ``conditions``,
  ``medications``, ``variants`` where the model generates them) are copied verbatim. They are the
  question a counterfactual asks ("same age, diagnoses and drugs, other race"; a protected
  attribute does not change how old a patient is), and a decoder's most likely value
  of a many-valued code column is seldom the patient's own (a tester measured 0/6 medications
  kept when they were decoded). A picture the new attribute makes impossible (prostate
  hyperplasia on a female twin) is not edited away: the plausibility rules drop that twin and
  count it "not applicable".

A row whose counterfactual equals its own condition values is its source record, exactly. Every
twin table is HIPAA Safe Harbor (as the sampler's); fidelity compares twins with their source
records after the same Safe Harbor coarsening.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from medtrust.cohort._cvae import CvaeModel, _cond_matrix, _deterministic, _layout, _torch
from medtrust.cohort._cvae_codec import _key, _value, encode, from_raw, known, parse_value, raw
from medtrust.errors import ConfigError

CLINICAL = ("age", "conditions", "medications", "variants")
"""Columns a twin keeps by default: the clinical picture."""


def parse_counterfactual(model: CvaeModel, spec: str) -> dict[str, Any]:
    """``race=Black,sex=female`` -> {column: category}.

    Raises ConfigError (one line) for a column that is not a condition of the model, a column
    named twice, a value the model never saw, or the missing-value category (a twin needs a value;
    the line names the known ones).
    """
    by_name = {c.name: c for c in model.meta.conditions}
    out: dict[str, Any] = {}
    for part in (p for p in spec.split(",") if p.strip()):
        name, sep, value = part.partition("=")
        col = by_name.get(name.strip())
        if not sep or col is None:
            raise ConfigError(f"--counterfactual {part!r}: expected COLUMN=VALUE with COLUMN one "
                              f"of the model's conditions ({', '.join(by_name) or 'none'})")
        if col.name in out:
            raise ConfigError(f"--counterfactual: {col.name} given twice; give each column once")
        got = parse_value(col, value)
        if got is None:
            raise ConfigError(f"--counterfactual {col.name}={value.strip()}: a twin needs a "
                              f"value (known: {known(col)})")
        out[col.name] = got
    if not out:
        raise ConfigError("--counterfactual: give COLUMN=VALUE")
    return out


def keep_columns(model: CvaeModel, keep: str | None) -> list[str]:
    """Columns copied verbatim: ``keep`` (comma list, ``none`` for none) or :data:`CLINICAL`.

    Raises ConfigError for a name that is not a generated (non-condition) column of the model.
    """
    generated = [c.name for c in model.meta.columns]
    if keep is None:
        return [c for c in CLINICAL if c in generated]
    names = [k.strip() for k in keep.split(",") if k.strip()]
    if names == ["none"]:
        return []
    for name in names:
        if name not in generated:
            raise ConfigError(f"--keep {name}: not a column the model generates (one of "
                              f"{', '.join(generated)}; condition columns are kept unless "
                              "changed)")
    return names


def twins(model: CvaeModel, data: pd.DataFrame, change: dict[str, Any], *,
          keep: list[str] | None = None, where: str = "data") -> pd.DataFrame:
    """Counterfactual twin of every row of ``data`` (see the module docstring for the rule).

    ``keep`` defaults to :func:`keep_columns` (the clinical columns). Returns a table in the
    model's column order plus ``source_row`` (1-based row of ``data``) first; Safe Harbor.
    Raises ConfigError when ``data`` lacks a model column, holds a category the model never saw,
    or leaves empty a numeric column the model never saw empty (naming the row).
    """
    from medtrust.cohort._deid import safe_harbor_frame

    torch = _torch()
    meta = model.meta
    kept = set(keep_columns(model, None) if keep is None else keep)
    absent = [c for c in meta.order if c not in data.columns]
    if absent:
        raise ConfigError(f"{where}: missing column {absent[0]!r} that the model was fitted on")
    src = data[meta.order].reset_index(drop=True)
    x = torch.from_numpy(encode(meta.columns, src, where=where))
    c = torch.from_numpy(_cond_matrix(meta, src, where))
    cond_df = src[[col.name for col in meta.conditions]].copy()
    for name, value in change.items():
        cond_df[name] = [value] * len(cond_df)
    with _deterministic(meta.seed), torch.no_grad():
        mu, _ = model.net.encode(x, c)
        out_c = model.net.decode(mu, c).numpy()
        out_cf = model.net.decode(mu, torch.from_numpy(_cond_matrix(meta, cond_df, where))).numpy()
    moved = np.zeros(len(src), dtype=bool)
    for name in change:
        moved |= np.array([_key(_value(a)) != _key(_value(b)) for a, b in
                           zip(src[name].to_list(), cond_df[name].to_list(), strict=True)])
    twin = src.copy()
    for name in change:
        twin[name] = cond_df[name].to_numpy() if moved.all() else np.where(
            moved, cond_df[name].to_numpy(dtype=object), src[name].to_numpy(dtype=object))
    lay, i_num, i_cat = _layout(meta.columns), 0, 0
    for col in meta.columns:
        if col.kind in ("categorical", "boolean"):
            start, stop = lay.categorical[i_cat]
            i_cat += 1
            if col.name in kept or not moved.any():
                continue
            mode_c = out_c[:, start:stop].argmax(axis=1)
            mode_cf = out_cf[:, start:stop].argmax(axis=1)
            own = encode([col], src[[col.name]], where=where).argmax(axis=1)
            pick = np.where(moved & (own == mode_c) & (mode_cf != mode_c), mode_cf, own)
            new = np.array(col.categories, dtype=object)[pick]
            twin[col.name] = np.where(moved, new, src[col.name].to_numpy(dtype=object))
            continue
        slot, miss_slot = lay.numeric[i_num], lay.missing[i_num]
        i_num += 1
        if col.name in kept or not moved.any():
            continue
        value = raw(src[col.name], col.kind)
        miss = np.isnan(value)
        if miss_slot >= 0:
            m_c, m_cf = out_c[:, miss_slot] > 0, out_cf[:, miss_slot] > 0  # logit > 0: p > 0.5
            miss = np.where(moved & (miss == m_c) & (m_cf != m_c), m_cf, miss)
        mean_cf = out_cf[:, slot].astype(np.float64) * col.std + col.mean
        shift = (out_cf[:, slot] - out_c[:, slot]).astype(np.float64) * col.std
        moved_value = np.where(np.isnan(value), mean_cf, value + shift)
        new_col = from_raw(col, np.where(moved, moved_value, 0.0), miss)
        twin[col.name] = np.where(moved, new_col.to_numpy(dtype=object),
                                  src[col.name].to_numpy(dtype=object))
    twin = twin.infer_objects()
    twin.insert(0, "source_row", np.arange(1, len(twin) + 1))
    return safe_harbor_frame(twin)


def _same(a: Any, b: Any) -> bool:
    a, b = _value(a), _value(b)
    if a is None or b is None:
        return a is None and b is None
    if isinstance(a, int | float) and isinstance(b, int | float):
        return math.isclose(float(a), float(b), rel_tol=0.0, abs_tol=1e-9)
    return _key(a) == _key(b)


def fidelity(model: CvaeModel, data: pd.DataFrame, twin: pd.DataFrame) -> dict[str, Any]:
    """Per column: twins whose value equals their source record's (Safe Harbor coarsened).

    ``{column: {"kept": k, "of": n, "share": k / n, "ci95": Wilson interval}}``; ``twin`` holds
    ``source_row`` (1-based rows of ``data``).
    """
    from medtrust.cohort._deid import safe_harbor_frame
    from medtrust.metrics._stats import wilson

    src = safe_harbor_frame(data[model.meta.order].reset_index(drop=True))
    rows = twin["source_row"].to_numpy(dtype=np.int64) - 1
    out: dict[str, Any] = {}
    for name in model.meta.order:
        a, b = src[name].to_numpy(dtype=object)[rows], twin[name].to_numpy(dtype=object)
        k, n = sum(_same(u, v) for u, v in zip(a, b, strict=True)), len(rows)
        ci = wilson(k, n)
        out[name] = {"kept": k, "of": n, "share": round(k / n, 6) if n else None,
                     "ci95": [round(ci[0], 6), round(ci[1], 6)] if ci else None}
    return out


def plausible_twins(model: CvaeModel, data: pd.DataFrame, change: dict[str, Any], *,
                    keep: list[str] | None = None, where: str = "data"
                    ) -> tuple[pd.DataFrame, dict[str, Any], dict[str, Any]]:
    """:func:`twins` checked by the plausibility rules, with the fidelity of the twins kept.

    Implausible twins are dropped and counted ``not_applicable`` (never scored downstream).
    Tables without the validator's columns are returned whole with ``applied: false``. Returns
    (twins, plausibility report, :func:`fidelity` of the returned twins).
    """
    from medtrust.cohort._plausible_sample import NOT_APPLIED, applicable, check_frame

    df = twins(model, data, change, keep=keep, where=where)
    if not applicable(df):
        return df, {**NOT_APPLIED, "twins": len(df), "not_applicable": 0}, fidelity(
            model, data, df)
    ok, families = check_frame(df)
    dropped = int((~ok).sum())
    kept = df[ok].reset_index(drop=True)
    return kept, {
        "applied": True, "twins": len(df), "not_applicable": dropped,
        "not_applicable_share": round(dropped / len(df), 6) if len(df) else None,
        "findings_by_family": dict(sorted(families.items()))}, fidelity(model, data, kept)
