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


def free_text(replies: Sequence[Reply]) -> tuple[Reply | None, str | None]:
    """(reply, None) for the first sample that produced readable text, or (None, reason).

    Open answers are judged on one sample, the lowest-numbered with non-blank text. ``reason``
    is ``"target error"`` when no sample produced text (every call failed) and ``"unreadable
    reply"`` when every text is empty or only whitespace: nobody could read it, so it is an error
    (as for the multiple-choice reader), never a score of 0, a missed flag or a low-fidelity
    note that the judge would then count as the target's failure.
    """
    ok = sorted((r for r in replies if r.ok and r.text is not None), key=lambda r: r.sample)
    if not ok:
        return None, "target error"
    readable = next((r for r in ok if str(r.text).strip()), None)
    return (readable, None) if readable is not None else (None, "unreadable reply")


def _check_judge(name: str, cls: type[Judge]) -> None:
    """A judge is a class whose instances are called with (case, replies)."""
    if not isinstance(cls, type) or "__call__" not in dir(cls):
        raise ComponentError(f"judge {name!r} ({cls!r}) must be a class with __call__")


judges: Registry[type[Judge]] = Registry(
    "judge", group="medtrust.judges", package="medtrust.judges", check=_check_judge
)
"""Every judge: the public modules of ``medtrust.judges`` (walked on first lookup) and the
``medtrust.judges`` entry points."""
