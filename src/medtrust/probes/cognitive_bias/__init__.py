"""The cognitive-bias axis: the eight DAS/BiasMedQA bias styles, majority-voted over k samples."""

from medtrust.probes.cognitive_bias._styles import STYLES, bias_sentence, insert_before_ask
from medtrust.probes.cognitive_bias._votes import Vote, majority
from medtrust.probes.cognitive_bias.biasmedqa import BiasMedQA, BiasParams

__all__ = [
    "STYLES",
    "BiasMedQA",
    "BiasParams",
    "Vote",
    "bias_sentence",
    "insert_before_ask",
    "majority",
]
