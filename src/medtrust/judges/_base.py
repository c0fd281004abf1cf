"""What a judge is: a function of a case and its replies to a verdict; registered by name."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from medtrust.records import Case, Reply, Verdict
from medtrust.registry import Registry


class Judge(Protocol):
    """Judges never call the target: they read stored replies, so re-judging is free."""

    name: str

    def __call__(self, case: Case, replies: Sequence[Reply]) -> Verdict:
        """Decide pass / fail / error for ``case`` from its ``replies``."""
        ...


judges: Registry[type[Judge]] = Registry(
    "judge",
    group="medtrust.judges",
    builtins=(
        "medtrust.judges.multiple_choice",
        "medtrust.judges.hallucination",
        "medtrust.judges.phi_leak",
    ),
)
