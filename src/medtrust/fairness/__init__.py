"""Fairness and explainability audits of tabular clinical models (``medtrust audit-model``).

Counterfactual flips (change only a protected attribute), fairlearn group metrics with guarded
differences and bootstrap intervals, worst-case search over many-valued attributes and proxies,
SHAP attribution disparity, and a reference recommender with a documented planted bias
(:mod:`medtrust.fairness.reference`). The LLM counterpart is the ``fairness.counterfactual``
probe. Names load on first use so that ``medtrust --help`` stays fast.
"""

from typing import TYPE_CHECKING

from medtrust._lazy import lazy_getattr

if TYPE_CHECKING:
    from medtrust.fairness._audit import AuditOptions, audit_model
    from medtrust.fairness._counterfactual import counterfactual_flips
    from medtrust.fairness._data import (
        ALIASES,
        KNOWN_PROXIES,
        positive_probability,
        read_table,
        resolve_columns,
    )
    from medtrust.fairness._examples import audit_rossi, rossi_model
    from medtrust.fairness._explain import attribution_report, shap_values, used_columns
    from medtrust.fairness._groups import MIN_GROUP, group_metrics
    from medtrust.fairness._search import SearchResult, worst_case

_EXPORTS: dict[str, str] = {
    "ALIASES": "_data",
    "AuditOptions": "_audit",
    "KNOWN_PROXIES": "_data",
    "MIN_GROUP": "_groups",
    "SearchResult": "_search",
    "attribution_report": "_explain",
    "audit_model": "_audit",
    "audit_rossi": "_examples",
    "counterfactual_flips": "_counterfactual",
    "group_metrics": "_groups",
    "positive_probability": "_data",
    "read_table": "_data",
    "resolve_columns": "_data",
    "rossi_model": "_examples",
    "shap_values": "_explain",
    "used_columns": "_explain",
    "worst_case": "_search",
}


__getattr__ = lazy_getattr(__name__, _EXPORTS, globals())


__all__ = [
    "ALIASES",
    "KNOWN_PROXIES",
    "MIN_GROUP",
    "AuditOptions",
    "SearchResult",
    "attribution_report",
    "audit_model",
    "audit_rossi",
    "counterfactual_flips",
    "group_metrics",
    "positive_probability",
    "read_table",
    "resolve_columns",
    "rossi_model",
    "shap_values",
    "used_columns",
    "worst_case",
]
