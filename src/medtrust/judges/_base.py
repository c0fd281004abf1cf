"""What a judge is: a function of a case and its replies to a verdict; registered by name."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
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


@dataclass(frozen=True)
class Samples:
    """The readable answers among a case's replies, and what was left out.

    ``answers``: one reply per sample whose answer is readable, lowest sample first, each a copy
    whose ``text`` is the answer without its reasoning; ``unreadable``: replies with text but no
    readable answer; ``failed``: replies without text (the call failed); ``reason``: None when
    ``answers`` is non-empty, else ``"target error"`` (no sample produced text) or
    ``"unreadable reply"``.
    """

    answers: list[Reply]
    unreadable: int
    failed: int
    reason: str | None

    def counts(self) -> dict[str, int]:
        """``{"samples_readable", "samples_unreadable", "samples_failed"}`` for a verdict."""
        return {"samples_readable": len(self.answers), "samples_unreadable": self.unreadable,
                "samples_failed": self.failed}  # fmt: skip


def readable_samples(replies: Sequence[Reply]) -> Samples:
    """Every sample of ``replies`` whose answer is readable (see :class:`Samples`).

    The answer is the reply without its reasoning (:func:`~._answer.strip_reasoning`, the same
    rule as the multiple-choice reader), so neither the detectors nor an LLM grader ever grade
    what the model only thought. It is readable when it holds a letter or digit
    (:func:`~._answer.readable`). An unreadable sample (empty, whitespace, zero-width
    characters, or only a reasoning block, e.g. a ``<think>`` cut off before any answer) is
    left out and counted: nobody could read it, so it is never a score of 0, a missed flag or a
    low-fidelity note charged to the target; with none readable the case is an error.
    """
    ok = sorted((r for r in replies if r.ok and r.text is not None), key=lambda r: r.sample)
    answers: list[Reply] = []
    for r in ok:
        answer = strip_reasoning(str(r.text))
        if readable(answer):
            answers.append(r if answer == r.text else r.model_copy(update={"text": answer}))
    reason = None if answers else ("target error" if not ok else "unreadable reply")
    return Samples(answers, len(ok) - len(answers), len(replies) - len(ok), reason)


def free_text(replies: Sequence[Reply]) -> tuple[Reply | None, str | None]:
    """(reply, None) for the lowest-numbered sample whose answer is readable, or (None, reason).

    :func:`readable_samples`' first answer; ``reason`` is ``"target error"`` when no sample
    produced text (every call failed) and ``"unreadable reply"`` when no answer is readable.
    The free-text judges read every readable sample (:func:`readable_samples`); this is for a
    reader that needs one answer.
    """
    got = readable_samples(replies)
    return (got.answers[0], None) if got.answers else (None, got.reason)


def _check_judge(name: str, cls: type[Judge]) -> None:
    """A judge is a class whose instances are called with (case, replies)."""
    if not isinstance(cls, type) or "__call__" not in dir(cls):
        raise ComponentError(f"judge {name!r} ({cls!r}) must be a class with __call__")


judges: Registry[type[Judge]] = Registry(
    "judge", group="medtrust.judges", package="medtrust.judges", check=_check_judge
)
"""Every judge: the public modules of ``medtrust.judges`` (walked on first lookup) and the
``medtrust.judges`` entry points."""
