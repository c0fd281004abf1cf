"""What a judge is: a function of a case and its replies to a verdict; registered by name."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from medtrust.errors import ComponentError
from medtrust.judges._answer import readable, strip_reasoning
from medtrust.records import Case, Reply, Verdict
from medtrust.registry import Registry


class Judge(Protocol):
    """Judges never call the target: they read stored replies, so re-judging is free."""

    name: str

    def __call__(self, case: Case, replies: Sequence[Reply]) -> Verdict:
        """Decide pass / fail / error for ``case`` from its ``replies``."""
        ...


def free_text(replies: Sequence[Reply]) -> tuple[Reply | None, str | None]:
    """(reply, None) for the first sample whose answer is readable, or (None, reason).

    Open answers are judged on one sample, the lowest-numbered with a readable answer. The
    answer is the reply without its reasoning (:func:`~._answer.strip_reasoning`, the same rule
    as the multiple-choice reader): the returned reply is a copy whose ``text`` is that answer,
    so neither the detectors nor an LLM grader ever grade what the model only thought. It is
    readable when it holds a letter or digit (:func:`~._answer.readable`). ``reason`` is
    ``"target error"`` when no sample produced text (every call failed) and ``"unreadable
    reply"`` when no answer is readable (empty, whitespace, zero-width characters, or only a
    reasoning block, e.g. a ``<think>`` cut off before any answer): nobody could read it, so it
    is an error, never a score of 0, a missed flag or a low-fidelity note that the judge would
    then count as the target's failure.
    """
    ok = sorted((r for r in replies if r.ok and r.text is not None), key=lambda r: r.sample)
    if not ok:
        return None, "target error"
    for r in ok:
        answer = strip_reasoning(str(r.text))
        if readable(answer):
            return (r if answer == r.text else r.model_copy(update={"text": answer})), None
    return None, "unreadable reply"


def _check_judge(name: str, cls: type[Judge]) -> None:
    """A judge is a class whose instances are called with (case, replies)."""
    if not isinstance(cls, type) or "__call__" not in dir(cls):
        raise ComponentError(f"judge {name!r} ({cls!r}) must be a class with __call__")


judges: Registry[type[Judge]] = Registry(
    "judge", group="medtrust.judges", package="medtrust.judges", check=_check_judge
)
"""Every judge: the public modules of ``medtrust.judges`` (walked on first lookup) and the
``medtrust.judges`` entry points."""
