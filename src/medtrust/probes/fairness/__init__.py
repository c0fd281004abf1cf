"""The fairness axis: demographic counterfactuals of cohort scenarios, with occlusion, and
graded-care scenarios that measure downgrades and upgrades of care."""

from medtrust.probes.fairness._variants import ATTRIBUTES, Rendering, Scenario, occlude, render
from medtrust.probes.fairness.counterfactual import CounterfactualFairness, CounterfactualParams
from medtrust.probes.fairness.intensity import IntensityFairness, IntensityParams, load_scenarios

__all__ = [
    "ATTRIBUTES",
    "CounterfactualFairness",
    "CounterfactualParams",
    "IntensityFairness",
    "IntensityParams",
    "Rendering",
    "Scenario",
    "load_scenarios",
    "occlude",
    "render",
]
