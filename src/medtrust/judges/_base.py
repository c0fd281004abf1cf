"""What a judge is: a function of a case and its replies to a verdict; registered by name."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from medtrust.errors import ComponentError
from medtrust.records import Case, Reply, Verdict
from medtrust.registry import Registry


class Judge(Protocol):
    """Judges never call the target: they read stored replies, so re-judging is free."""

    name: str

    def __call__(self, case: Case, replies: Sequence[Reply]) -> Verdict:
        """Decide pass / fail / error for ``case`` from its ``replies``."""
        ...


def _check_judge(name: str, cls: type[Judge]) -> None:
    """A judge is a class whose instances are called with (case, replies)."""
    if not isinstance(cls, type) or "__call__" not in dir(cls):
        raise ComponentError(f"judge {name!r} ({cls!r}) must be a class with __call__")


judges: Registry[type[Judge]] = Registry(
    "judge", group="medtrust.judges", package="medtrust.judges", check=_check_judge
)
"""Every judge: the public modules of ``medtrust.judges`` (walked on first lookup) and the
``medtrust.judges`` entry points."""
