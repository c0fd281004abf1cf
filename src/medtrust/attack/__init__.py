"""Adaptive attack loops: the mutation orchestrator, its report, and synchronous model calls."""

from medtrust.attack._orchestrator import Attempt, Combo, Orchestrator, Rates, size_window
from medtrust.attack._report import attack_report, combo_tallies
from medtrust.attack._sync import SyncChat, shared_chat

__all__ = [
    "Attempt",
    "Combo",
    "Orchestrator",
    "Rates",
    "SyncChat",
    "attack_report",
    "combo_tallies",
    "shared_chat",
    "size_window",
]
