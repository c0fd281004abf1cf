"""The summary stage: a run's verdicts (+ clinician reviews and audit status) -> the typed
:class:`RunSummary`, and the typed :class:`Comparison` of several runs. Renderers (terminal,
HTML, Markdown, JUnit, docs, gate) only read these models; ``model_dump(mode="json")`` is the
JSON contract."""

from medtrust.summary._comparison import (
    AxisComparison,
    ComparedRun,
    Comparison,
    Drift,
    DriftAxis,
    DriftTest,
    GapModel,
    OperatorComparison,
    PairEntry,
    RankEntry,
    RateEntry,
    StaticVsDynamic,
)
from medtrust.summary._models import (
    AxisRisk,
    AxisSummary,
    ComplianceSection,
    ControlsSummary,
    JudgeTrack,
    ProbeEntry,
    Rates,
    RiskSummary,
    RuleResult,
    RunSummary,
    TrustSummary,
)
from medtrust.summary._pass import ERROR_EXAMPLES
from medtrust.summary._stage import (
    ERROR_WARN,
    SCHEMA_VERSION,
    SummaryInputs,
    stored_declarations,
    summarize,
)

__all__ = [
    "ERROR_EXAMPLES",
    "ERROR_WARN",
    "SCHEMA_VERSION",
    "AxisComparison",
    "AxisRisk",
    "AxisSummary",
    "ComparedRun",
    "Comparison",
    "ComplianceSection",
    "ControlsSummary",
    "Drift",
    "DriftAxis",
    "DriftTest",
    "GapModel",
    "JudgeTrack",
    "OperatorComparison",
    "PairEntry",
    "ProbeEntry",
    "RankEntry",
    "RateEntry",
    "Rates",
    "RiskSummary",
    "RuleResult",
    "RunSummary",
    "StaticVsDynamic",
    "SummaryInputs",
    "TrustSummary",
    "stored_declarations",
    "summarize",
]
