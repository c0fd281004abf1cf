"""The robustness axis: DAS mutations of multiple-choice questions."""

from medtrust.probes.mcq_format import render_mc
from medtrust.probes.robustness._items import bundled_items, item_from_row, load_jsonl
from medtrust.probes.robustness._operators import (
    CONFLICTS,
    IMPOSSIBLE,
    MCQ,
    NOTA,
    OPERATORS,
    NotApplicable,
    OpContext,
    allowed_combos,
    apply,
    check_combo,
)
from medtrust.probes.robustness.das import DASRobustness

__all__ = [
    "CONFLICTS",
    "IMPOSSIBLE",
    "MCQ",
    "NOTA",
    "OPERATORS",
    "DASRobustness",
    "NotApplicable",
    "OpContext",
    "allowed_combos",
    "apply",
    "bundled_items",
    "check_combo",
    "item_from_row",
    "load_jsonl",
    "render_mc",
]
