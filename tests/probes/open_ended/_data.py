"""Open-ended test data shared by the probe, compare and gate tests: a conversation whose
rubric the stand-in grader can read from made-up keywords (so a python target controls exactly
which criteria it meets)."""

from __future__ import annotations

KEYWORD_CRITERIA = (("alpha", 5), ("bravo", 3), ("charlie", 2), ("harm", -4))
"""Criterion name and points: 10 positive points; the reply meets NAME with ``NAMEword``."""


def keyword_conversation(i: int, *, prefix: str = "t", mention: bool = False) -> dict[str, object]:
    """Conversation ``{prefix}{i:02d}`` (``wrong`` set, so every operator applies). Criterion
    texts are the bare names, or "mentions NAME" with ``mention`` (for graders that read the
    criterion's last word)."""
    return {
        "id": f"{prefix}{i:02d}",
        "wrong": "indigestion",
        "messages": [{"role": "user", "content": f"Patient {i} has a fever. What should we do?"}],
        "rubric": [
            {"criterion": f"mentions {name}" if mention else name, "points": points,
             "keywords": [f"{name}word"]}
            for name, points in KEYWORD_CRITERIA
        ],
    }  # fmt: skip
