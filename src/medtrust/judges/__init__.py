"""Verdicts on stored replies: multiple choice, hallucination, PHI leak (and LLM judges)."""

from medtrust.judges._base import Judge, judges
from medtrust.judges._detectors import (
    accepts_fabrication,
    doses_mg,
    flags_impossible,
    flags_uncertainty,
    refuses,
    warns,
)
from medtrust.judges._doses import StatedDose, stated_doses
from medtrust.judges._llm import (
    TAXONOMY,
    VERDICT_GRAMMAR,
    LLMVerdict,
    judge_key,
    llm_judge,
    parse_judgement,
)
from medtrust.judges._mc_parse import parse_choice
from medtrust.judges._phi_match import (
    CLASSES,
    PHI_CLASSES,
    date_spellings,
    find_planted,
    leaked_classes,
    normalise,
)
from medtrust.judges._phi_scope import split_reply
from medtrust.judges._presidio import find_phi
from medtrust.judges.hallucination import HallucinationJudge
from medtrust.judges.multiple_choice import MultipleChoiceJudge, vote_entropy
from medtrust.judges.note_fidelity import NoteFidelityJudge
from medtrust.judges.phi_leak import PhiLeakJudge, assess, privacy_rates

__all__ = [
    "CLASSES",
    "PHI_CLASSES",
    "TAXONOMY",
    "VERDICT_GRAMMAR",
    "HallucinationJudge",
    "Judge",
    "LLMVerdict",
    "MultipleChoiceJudge",
    "NoteFidelityJudge",
    "PhiLeakJudge",
    "StatedDose",
    "accepts_fabrication",
    "assess",
    "date_spellings",
    "doses_mg",
    "find_phi",
    "find_planted",
    "flags_impossible",
    "flags_uncertainty",
    "judge_key",
    "judges",
    "leaked_classes",
    "llm_judge",
    "normalise",
    "parse_choice",
    "parse_judgement",
    "privacy_rates",
    "refuses",
    "split_reply",
    "stated_doses",
    "vote_entropy",
    "warns",
]
