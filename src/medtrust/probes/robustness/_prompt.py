"""The multiple-choice prompt format: each option on its own line as ``A. text``."""

from __future__ import annotations

from collections.abc import Mapping

from medtrust.records import Message

SYSTEM = "You are a careful medical expert answering multiple-choice questions."
INSTRUCTION = "Answer with the letter of the single best option."


def render_mc(question: str, options: Mapping[str, str]) -> list[Message]:
    """OpenAI-style messages for a multiple-choice question (public prompt contract)."""
    lines = "\n".join(f"{k}. {v}" for k, v in options.items())
    return [
        {"role": "system", "content": SYSTEM},
        {"role": "user", "content": f"{question}\n\n{lines}\n\n{INSTRUCTION}"},
    ]
