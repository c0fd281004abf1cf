"""Adaptive attack loops: the mutation orchestrator and its report.

Synchronous model calls (an attacker model) are :mod:`medtrust.targets.sync`."""

from medtrust.attack._orchestrator import Attempt, Combo, Orchestrator, Rates, size_window
from medtrust.attack._report import attack_report, combo_tallies

__all__ = [
    "Attempt",
    "Combo",
    "Orchestrator",
    "Rates",
    "attack_report",
    "combo_tallies",
    "size_window",
]
