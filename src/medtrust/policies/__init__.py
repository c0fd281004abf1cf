"""Policy packs as data (HIPAA, GDPR, EU AI Act, FDA) and their evaluation on a run.

Packs are YAML files in this folder; users add or override them with ``--policies DIR`` or
``$MEDTRUST_POLICIES``. A rule applies to a run when it is in force on the run's date.
"""

from medtrust.policies._checks import RunFacts, documentation_gaps
from medtrust.policies._evaluate import DEFINITION, Compliance, evaluate, summary_rules
from medtrust.policies._model import (
    SEVERITY_ORDER,
    DeclaredCheck,
    EvidenceCheck,
    JudgeCheck,
    MetricCheck,
    Pack,
    PackSpec,
    Rule,
    RuleSpec,
)
from medtrust.policies._outputs import OutputJudgement, input_identifiers, judge_outputs
from medtrust.policies._packs import ENV_VAR, PolicySet, bundled_pack_files, load_policies

__all__ = [
    "DEFINITION",
    "ENV_VAR",
    "SEVERITY_ORDER",
    "Compliance",
    "DeclaredCheck",
    "EvidenceCheck",
    "JudgeCheck",
    "MetricCheck",
    "OutputJudgement",
    "Pack",
    "PackSpec",
    "PolicySet",
    "Rule",
    "RuleSpec",
    "RunFacts",
    "bundled_pack_files",
    "documentation_gaps",
    "evaluate",
    "input_identifiers",
    "judge_outputs",
    "load_policies",
    "summary_rules",
]
