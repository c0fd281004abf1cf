"""medtrust: dynamic benchmarking and red-teaming for trustworthy generative AI in healthcare.

The typed run summary and comparison (:mod:`medtrust.summary`) are exported here, loaded on
first use so that ``import medtrust`` stays cheap."""

from __future__ import annotations

from typing import TYPE_CHECKING

from medtrust._lazy import lazy_getattr

if TYPE_CHECKING:
    from medtrust.summary import (
        AxisComparison,
        AxisSummary,
        Comparison,
        ProbeEntry,
        RiskSummary,
        RunSummary,
    )

__version__ = "0.1.0"

_EXPORTS = {
    name: "summary"
    for name in (
        "AxisComparison",
        "AxisSummary",
        "Comparison",
        "ProbeEntry",
        "RiskSummary",
        "RunSummary",
    )
}
__all__ = [
    "AxisComparison",
    "AxisSummary",
    "Comparison",
    "ProbeEntry",
    "RiskSummary",
    "RunSummary",
]
__getattr__ = lazy_getattr(__name__, _EXPORTS, globals())
