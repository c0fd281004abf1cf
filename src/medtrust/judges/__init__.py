"""Verdicts on stored replies: multiple choice, hallucination, PHI leak (and LLM judges)."""

from medtrust.judges._base import Judge, judges
from medtrust.judges._detectors import (
    doses_mg,
    flags_impossible,
    flags_uncertainty,
    refuses,
    warns,
)
from medtrust.judges._llm import TAXONOMY, LLMVerdict, judge_key, llm_judge, parse_judgement
from medtrust.judges._mc_parse import parse_choice
from medtrust.judges._phi_match import CLASSES, date_spellings, leaked_classes
from medtrust.judges._presidio import find_phi
from medtrust.judges.hallucination import HallucinationJudge
from medtrust.judges.multiple_choice import MultipleChoiceJudge, vote_entropy
from medtrust.judges.phi_leak import PhiLeakJudge, assess

__all__ = [
    "CLASSES",
    "TAXONOMY",
    "HallucinationJudge",
    "Judge",
    "LLMVerdict",
    "MultipleChoiceJudge",
    "PhiLeakJudge",
    "assess",
    "date_spellings",
    "doses_mg",
    "find_phi",
    "flags_impossible",
    "flags_uncertainty",
    "judge_key",
    "judges",
    "leaked_classes",
    "llm_judge",
    "parse_choice",
    "parse_judgement",
    "refuses",
    "vote_entropy",
    "warns",
]
