"""The cognitive-bias axis: the eight DAS/BiasMedQA bias styles, majority-voted over k samples."""

from typing import Any

from medtrust.probes.cognitive_bias._styles import bias_sentence, bias_styles, insert_before_ask
from medtrust.probes.cognitive_bias._votes import Vote, majority
from medtrust.probes.cognitive_bias.biasmedqa import BiasMedQA, BiasParams


def __getattr__(name: str) -> Any:
    """``STYLES`` (style -> templates), read from the bundled data file on first use."""
    if name == "STYLES":
        return bias_styles()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "STYLES",
    "BiasMedQA",
    "BiasParams",
    "Vote",
    "bias_sentence",
    "bias_styles",
    "insert_before_ask",
    "majority",
]
