"""The multiple-choice prompt format (public contract, DESIGN): each option on its own line as
``A. text``, after the question, followed by one instruction to answer with a letter.

Every probe that asks a multiple-choice question renders it here, so the multiple-choice judge
and an external harness (Inspect AI export) read one format."""

from __future__ import annotations

from collections.abc import Mapping

from medtrust.records import Message

SYSTEM = "You are a careful medical expert answering multiple-choice questions."
INSTRUCTION = "Answer with the letter of the single best option."


def render_mc(question: str, options: Mapping[str, str]) -> list[Message]:
    """OpenAI-style messages ``[system, user]`` for a multiple-choice question; ``options`` is
    ``{letter: text}`` in display order."""
    lines = "\n".join(f"{k}. {v}" for k, v in options.items())
    return [
        {"role": "system", "content": SYSTEM},
        {"role": "user", "content": f"{question}\n\n{lines}\n\n{INSTRUCTION}"},
    ]

