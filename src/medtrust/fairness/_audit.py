"""``audit_model``: the whole tabular fairness audit as one JSON-ready report.

Order: counterfactual flips for every few-valued protected column (exhaustive), worst-case
search for many-valued or numeric protected columns and proxies, fairlearn group metrics per
column and for their intersection, then SHAP attribution disparity. Every section reports the
target calls (rows scored) it used, and the report totals them. With ``search_method`` ``de`` or
``halving`` a joint search over every protected column (:mod:`._joint`) reports the worst
plausible counterfactual. Counterfactual rows that would be clinically impossible are counted
per column under ``not_applicable`` and scored by no rate (:mod:`._plausible`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from medtrust.errors import ConfigError
from medtrust.fairness._counterfactual import counterfactual_flips
from medtrust.fairness._data import (
    KNOWN_PROXIES,
    many_valued,
    positive_probability,
    resolve_columns,
)
from medtrust.fairness._groups import MIN_GROUP, group_metrics
from medtrust.fairness._plausible import Applicability

if TYPE_CHECKING:
    import pandas as pd

    from medtrust.targets.tabular import TabularTarget

REPORT_VERSION = 1
MAX_EXHAUSTIVE_VALUES = 12
"""Columns with more values than this (or numeric ones) are searched, not tabulated."""


@dataclass(kw_only=True)
class AuditOptions:
    """What to audit and how hard. Defaults fit a cohort of a few thousand rows in seconds."""

    protected: Sequence[str]
    label: str | None = None
    reference: dict[str, str] = field(default_factory=dict)
    proxies: Sequence[str] | None = None
    threshold: float = 0.5
    rows: int | None = None
    min_group: int = MIN_GROUP
    intersections: bool = True
    resamples: int = 500
    search: bool = True
    search_method: str = "auto"
    search_penalty: float = 1.0
    search_rows: int = 64
    shap: bool = True
    shap_rows: int = 100
    seed: int = 0


def _features(frame: pd.DataFrame, label: str | None) -> pd.DataFrame:
    return frame.drop(columns=[label]) if label else frame


def audit_model(
    target: TabularTarget, frame: pd.DataFrame, options: AuditOptions
) -> dict[str, Any]:
    """Run every section of the audit on ``frame`` and return the report (see module doc)."""
    if not 0 < options.threshold < 1:
        raise ConfigError(f"--threshold {options.threshold}: must be between 0 and 1")
    columns = resolve_columns(frame, options.protected)
    if options.label is not None and options.label not in frame.columns:
        raise ConfigError(f"--label {options.label!r}: no such column")
    for name in options.reference:
        if name not in columns:
            raise ConfigError(f"--reference {name}=...: {name!r} is not a protected attribute")
    if options.rows is not None and options.rows < len(frame):
        rng = np.random.default_rng(options.seed)
        frame = frame.iloc[np.sort(rng.choice(len(frame), options.rows, replace=False))]
    frame = frame.reset_index(drop=True)
    y_true = None
    if options.label is not None:
        labels = frame[options.label]
        if set(labels.dropna().unique()) - {0, 1}:
            raise ConfigError(f"--label {options.label!r}: expected 0/1 values")
        y_true = labels.fillna(0).astype(int).to_numpy()
    x = _features(frame, options.label)
    start = target.calls
    p = positive_probability(target, x)
    decisions = p >= options.threshold
    report: dict[str, Any] = {
        "version": REPORT_VERSION,
        "target": getattr(target, "spec", None),
        "rows": len(frame),
        "threshold": options.threshold,
        "protected": columns,
        "label": options.label,
        "positive_rate": round(float(decisions.mean()), 6),
        "counterfactual": {},
        "worst_case": {},
        "groups": {},
    }
    many = {n: c for n, c in columns.items() if many_valued(x[c], MAX_EXHAUSTIVE_VALUES)}
    applicable = Applicability(x)
    for name, col in columns.items():
        if name in many:
            continue
        try:
            report["counterfactual"][name] = counterfactual_flips(
                target, x, col, reference=options.reference.get(name),
                threshold=options.threshold, resamples=options.resamples, seed=options.seed,
                applicable=applicable,
            )
        except ValueError as exc:
            raise ConfigError(f"--reference {name}: {exc}") from None
    if options.search:
        from medtrust.fairness._search import Method, worst_case

        if options.search_method not in ("auto", "de", "halving"):
            raise ConfigError(f"--search {options.search_method!r}: choose auto, de or halving")
        per_column: Method = options.search_method  # type: ignore[assignment]
        proxies = options.proxies if options.proxies is not None else KNOWN_PROXIES
        wanted = dict(many)
        wanted.update({p_: p_ for p_ in proxies if p_ in x.columns and p_ not in columns.values()})
        for name, col in wanted.items():
            if x[col].nunique(dropna=True) < 2:
                continue
            res = worst_case(target, x, col, rows=options.search_rows,
                             threshold=options.threshold, seed=options.seed,
                             method=per_column)
            report["worst_case"][name] = res.as_dict()
        if options.search_method in ("de", "halving"):
            from medtrust.fairness._joint import joint_search

            joint = joint_search(target, x, list(dict.fromkeys(columns.values())),
                                 method=options.search_method,  # type: ignore[arg-type]
                                 rows=options.search_rows, threshold=options.threshold,
                                 penalty=options.search_penalty, seed=options.seed,
                                 applicable=applicable)
            report["joint_search"] = joint.as_dict()
    for name, col in columns.items():
        if name in many and x[col].nunique() > MAX_EXHAUSTIVE_VALUES * 4:
            continue  # numeric or near-unique: group rates would be one row per group
        report["groups"][name] = group_metrics(
            decisions, x[[col]], y_true=y_true, min_group=options.min_group,
            resamples=options.resamples, seed=options.seed,
        )
    few = [c for n, c in columns.items() if n not in many]
    if options.intersections and len(few) >= 2:
        report["intersectional"] = group_metrics(
            decisions, x[few], y_true=y_true, min_group=options.min_group,
            resamples=options.resamples, seed=options.seed,
        )
    if options.shap:
        from medtrust.fairness._explain import attribution_report, shap_values

        out = shap_values(target, x, rows=options.shap_rows, seed=options.seed)
        proxies_ = list(options.proxies) if options.proxies is not None else list(KNOWN_PROXIES)
        report["attribution"] = attribution_report(
            out, x, [c for n, c in columns.items() if n not in many], proxies=proxies_
        )
    report["not_applicable"] = {
        name: cf["not_applicable"] for name, cf in report["counterfactual"].items()
    }
    report["calls"] = target.calls - start
    return report
