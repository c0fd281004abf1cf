"""The fairness axis: demographic counterfactuals of cohort scenarios, with occlusion."""

from medtrust.probes.fairness._variants import ATTRIBUTES, Rendering, Scenario, occlude, render
from medtrust.probes.fairness.counterfactual import CounterfactualFairness, CounterfactualParams

__all__ = [
    "ATTRIBUTES",
    "CounterfactualFairness",
    "CounterfactualParams",
    "Rendering",
    "Scenario",
    "occlude",
    "render",
]
