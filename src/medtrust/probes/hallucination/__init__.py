"""The hallucination axis: prompts with a known right answer, judged deterministically."""

from medtrust.probes.hallucination._build import FABRICATED_KINDS, KINDS, Seed, fake_drug, seeds
from medtrust.probes.hallucination.known_answer import (
    HallucinationParams,
    KnownAnswerHallucination,
)

__all__ = [
    "FABRICATED_KINDS",
    "KINDS",
    "HallucinationParams",
    "KnownAnswerHallucination",
    "Seed",
    "fake_drug",
    "seeds",
]
