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
import numpy.typing as npt

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
    explain: Sequence[str] = ()
    """Explanation methods to put side by side (``shap``, ``lime``; ``--explain shap,lime``):
    importance, rank agreement and group spread with permutation tests (``explanations``)."""
    lime_samples: int = 500
    permutations: int = 999
    seed: int = 0


@dataclass(frozen=True)
class AuditData:
    """What every section of the audit reads: the (sampled) rows and the model's decisions.

    ``x`` is ``frame`` without the label column; ``decisions`` and ``y_true`` are 0/1 arrays of
    ``len(frame)``; ``columns`` maps a protected attribute to its column; ``many`` holds those
    with more than :data:`MAX_EXHAUSTIVE_VALUES` values (searched, not tabulated).
    """

    frame: pd.DataFrame
    x: pd.DataFrame
    columns: dict[str, str]
    many: dict[str, str]
    decisions: npt.NDArray[np.bool_]
    y_true: npt.NDArray[np.int_] | None
    applicable: Applicability

    @property
    def few(self) -> list[str]:
        """Columns of the few-valued protected attributes, in declaration order."""
        return [c for n, c in self.columns.items() if n not in self.many]


def _features(frame: pd.DataFrame, label: str | None) -> pd.DataFrame:
    return frame.drop(columns=[label]) if label else frame


def _check_options(frame: pd.DataFrame, options: AuditOptions) -> dict[str, str]:
    """Validate ``options`` against ``frame``; return the protected columns (ConfigError)."""
    if not 0 < options.threshold < 1:
        raise ConfigError(f"--threshold {options.threshold}: must be between 0 and 1")
    columns = resolve_columns(frame, options.protected)
    if options.label is not None and options.label not in frame.columns:
        raise ConfigError(f"--label {options.label!r}: no such column")
    for name in options.reference:
        if name not in columns:
            raise ConfigError(f"--reference {name}=...: {name!r} is not a protected attribute")
    if options.search and options.search_method not in ("auto", "de", "halving"):
        raise ConfigError(f"--search {options.search_method!r}: choose auto, de or halving")
    unknown = [m for m in options.explain if m not in EXPLAINERS]
    if unknown:
        raise ConfigError(f"--explain {','.join(unknown)}: choose from {', '.join(EXPLAINERS)}")
    return columns


def _sample_rows(frame: pd.DataFrame, options: AuditOptions) -> pd.DataFrame:
    """At most ``options.rows`` rows, drawn without replacement in their original order."""
    if options.rows is not None and options.rows < len(frame):
        rng = np.random.default_rng(options.seed)
        frame = frame.iloc[np.sort(rng.choice(len(frame), options.rows, replace=False))]
    return frame.reset_index(drop=True)


def _labels(frame: pd.DataFrame, label: str | None) -> npt.NDArray[np.int_] | None:
    """The 0/1 outcome column as ints (missing counts as 0), or None without a label."""
    if label is None:
        return None
    labels = frame[label]
    if set(labels.dropna().unique()) - {0, 1}:
        raise ConfigError(f"--label {label!r}: expected 0/1 values")
    return np.asarray(labels.fillna(0).astype(int).to_numpy())


def _prepare(
    target: TabularTarget, frame: pd.DataFrame, options: AuditOptions, columns: dict[str, str]
) -> AuditData:
    """Sample, score every row once and classify the protected columns."""
    frame = _sample_rows(frame, options)
    y_true = _labels(frame, options.label)
    x = _features(frame, options.label)
    decisions = positive_probability(target, x) >= options.threshold
    many = {n: c for n, c in columns.items() if many_valued(x[c], MAX_EXHAUSTIVE_VALUES)}
    return AuditData(frame=frame, x=x, columns=columns, many=many, decisions=decisions,
                     y_true=y_true, applicable=Applicability(x))


def _counterfactuals(
    target: TabularTarget, data: AuditData, options: AuditOptions
) -> dict[str, Any]:
    """Exhaustive counterfactual flips for every few-valued protected attribute."""
    out: dict[str, Any] = {}
    for name, col in data.columns.items():
        if name in data.many:
            continue
        try:
            out[name] = counterfactual_flips(
                target, data.x, col, reference=options.reference.get(name),
                threshold=options.threshold, resamples=options.resamples, seed=options.seed,
                applicable=data.applicable,
            )
        except ValueError as exc:
            raise ConfigError(f"--reference {name}: {exc}") from None
    return out


def _proxies(options: AuditOptions) -> list[str]:
    return list(options.proxies) if options.proxies is not None else list(KNOWN_PROXIES)


def _worst_cases(
    target: TabularTarget, data: AuditData, options: AuditOptions
) -> dict[str, Any]:
    """Per-column worst-case search over many-valued protected columns and present proxies."""
    from medtrust.fairness._search import Method, worst_case

    per_column: Method = options.search_method  # type: ignore[assignment]
    x = data.x
    wanted = dict(data.many)
    wanted.update({p: p for p in _proxies(options)
                   if p in x.columns and p not in data.columns.values()})
    out: dict[str, Any] = {}
    for name, col in wanted.items():
        if x[col].nunique(dropna=True) < 2:
            continue
        res = worst_case(target, x, col, rows=options.search_rows,
                         threshold=options.threshold, seed=options.seed, method=per_column)
        out[name] = res.as_dict()
    return out


def _joint(target: TabularTarget, data: AuditData, options: AuditOptions) -> dict[str, Any]:
    """Joint search over every protected column at once (``de`` or ``halving`` only)."""
    from medtrust.fairness._joint import joint_search

    joint = joint_search(target, data.x, list(dict.fromkeys(data.columns.values())),
                         method=options.search_method,  # type: ignore[arg-type]
                         rows=options.search_rows, threshold=options.threshold,
                         penalty=options.search_penalty, seed=options.seed,
                         applicable=data.applicable)
    return joint.as_dict()


def _groups(data: AuditData, options: AuditOptions) -> dict[str, Any]:
    """fairlearn group metrics per protected attribute (near-unique numeric ones skipped)."""
    out: dict[str, Any] = {}
    for name, col in data.columns.items():
        if name in data.many and data.x[col].nunique() > MAX_EXHAUSTIVE_VALUES * 4:
            continue  # numeric or near-unique: group rates would be one row per group
        out[name] = group_metrics(
            data.decisions, data.x[[col]], y_true=data.y_true, min_group=options.min_group,
            resamples=options.resamples, seed=options.seed,
        )
    return out


def _intersectional(data: AuditData, options: AuditOptions) -> dict[str, Any]:
    """Group metrics over the intersection of every few-valued protected attribute."""
    return group_metrics(
        data.decisions, data.x[data.few], y_true=data.y_true, min_group=options.min_group,
        resamples=options.resamples, seed=options.seed,
    )


def _attribution(target: TabularTarget, data: AuditData, options: AuditOptions) -> dict[str, Any]:
    """SHAP attribution disparity over the few-valued protected columns and the proxies."""
    from medtrust.fairness._explain import attribution_report, shap_values

    out = shap_values(target, data.x, rows=options.shap_rows, seed=options.seed)
    return attribution_report(out, data.x, data.few, proxies=_proxies(options))


EXPLAINERS = ("shap", "lime")


def _explanations(target: TabularTarget, data: AuditData, options: AuditOptions
                  ) -> dict[str, Any]:
    """SHAP's ``attribution`` (with ``shap``) and every method of ``explain`` side by side
    (``explanations``, :func:`medtrust.fairness._explain_compare.compare_explanations`), on
    the same seeded rows; SHAP is computed once for both."""
    from medtrust.fairness._explain import attribution_report, shap_values
    from medtrust.fairness._explain_compare import compare_explanations
    from medtrust.fairness._lime import lime_values

    outs: dict[str, dict[str, Any]] = {}
    for m in dict.fromkeys(options.explain):
        if m == "shap":
            outs[m] = shap_values(target, data.x, rows=options.shap_rows, seed=options.seed)
        else:
            outs[m] = lime_values(target, data.x, rows=options.shap_rows, seed=options.seed,
                                  num_samples=options.lime_samples)
    out: dict[str, Any] = {}
    if "shap" in outs and options.shap:
        out["attribution"] = attribution_report(outs["shap"], data.x, data.few,
                                                proxies=_proxies(options))
    out["explanations"] = compare_explanations(
        outs, data.x, data.few, resamples=options.resamples, permutations=options.permutations,
        seed=options.seed)
    return out


def audit_model(
    target: TabularTarget, frame: pd.DataFrame, options: AuditOptions
) -> dict[str, Any]:
    """Run every section of the audit on ``frame`` and return the report (see module doc).

    Raises ConfigError for a threshold outside (0, 1), an unknown label, protected or reference
    column, a non-0/1 label, or an unknown search method. ``calls`` counts rows scored.
    """
    columns = _check_options(frame, options)
    start = target.calls
    data = _prepare(target, frame, options, columns)
    report: dict[str, Any] = {
        "version": REPORT_VERSION,
        "target": getattr(target, "spec", None),
        "rows": len(data.frame),
        "threshold": options.threshold,
        "protected": columns,
        "label": options.label,
        "positive_rate": round(float(data.decisions.mean()), 6),
        "counterfactual": _counterfactuals(target, data, options),
        "worst_case": {},
        "groups": {},
    }
    if options.search:
        report["worst_case"] = _worst_cases(target, data, options)
        if options.search_method in ("de", "halving"):
            report["joint_search"] = _joint(target, data, options)
    report["groups"] = _groups(data, options)
    if options.intersections and len(data.few) >= 2:
        report["intersectional"] = _intersectional(data, options)
    if options.shap and not options.explain:
        report["attribution"] = _attribution(target, data, options)
    elif options.explain:
        report.update(_explanations(target, data, options))
    report["not_applicable"] = {
        name: cf["not_applicable"] for name, cf in report["counterfactual"].items()
    }
    report["calls"] = target.calls - start
    return report
