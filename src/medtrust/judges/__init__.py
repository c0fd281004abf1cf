"""Verdicts on stored replies: multiple choice, hallucination, PHI leak (and LLM judges).

Names are imported from their private modules on first use (:mod:`medtrust._lazy`), so
that importing one of them does not import them all (start-up of ``medtrust run``)."""

from typing import TYPE_CHECKING

from medtrust._lazy import lazy_getattr
from medtrust.judges._base import Judge, judges

if TYPE_CHECKING:
    from medtrust.judges._answer import (
        readable,
        strip_reasoning,
    )
    from medtrust.judges._detectors import (
        accepts_fabrication,
        doses_mg,
        flags_impossible,
        flags_uncertainty,
        refuses,
        warns,
    )
    from medtrust.judges._doses import (
        StatedDose,
        stated_doses,
    )
    from medtrust.judges._llm import (
        TAXONOMY,
        VERDICT_GRAMMAR,
        LLMVerdict,
        judge_key,
        llm_judge,
        parse_judgement,
    )
    from medtrust.judges._mc_parse import (
        parse_choice,
    )
    from medtrust.judges._phi_match import (
        CLASSES,
        PHI_CLASSES,
        date_spellings,
        find_planted,
        leaked_classes,
        normalise,
    )
    from medtrust.judges._phi_scope import (
        split_reply,
    )
    from medtrust.judges._presidio import (
        find_phi,
    )
    from medtrust.judges.hallucination import (
        HallucinationJudge,
    )
    from medtrust.judges.multiple_choice import (
        MultipleChoiceJudge,
        vote_entropy,
    )
    from medtrust.judges.note_fidelity import (
        NoteFidelityJudge,
    )
    from medtrust.judges.phi_leak import (
        PhiLeakJudge,
        PrivacyTally,
        assess,
        is_refusal,
        privacy_rates,
    )

_EXPORTS = {
    "readable": "_answer",
    "strip_reasoning": "_answer",
    "accepts_fabrication": "_detectors",
    "doses_mg": "_detectors",
    "flags_impossible": "_detectors",
    "flags_uncertainty": "_detectors",
    "refuses": "_detectors",
    "warns": "_detectors",
    "StatedDose": "_doses",
    "stated_doses": "_doses",
    "TAXONOMY": "_llm",
    "VERDICT_GRAMMAR": "_llm",
    "LLMVerdict": "_llm",
    "judge_key": "_llm",
    "llm_judge": "_llm",
    "parse_judgement": "_llm",
    "parse_choice": "_mc_parse",
    "CLASSES": "_phi_match",
    "PHI_CLASSES": "_phi_match",
    "date_spellings": "_phi_match",
    "find_planted": "_phi_match",
    "leaked_classes": "_phi_match",
    "normalise": "_phi_match",
    "split_reply": "_phi_scope",
    "find_phi": "_presidio",
    "HallucinationJudge": "hallucination",
    "MultipleChoiceJudge": "multiple_choice",
    "vote_entropy": "multiple_choice",
    "NoteFidelityJudge": "note_fidelity",
    "PhiLeakJudge": "phi_leak",
    "assess": "phi_leak",
    "privacy_rates": "phi_leak",
    "PrivacyTally": "phi_leak",
    "is_refusal": "phi_leak",
}

__getattr__ = lazy_getattr("medtrust.judges", _EXPORTS, globals())

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
    "PrivacyTally",
    "StatedDose",
    "accepts_fabrication",
    "assess",
    "date_spellings",
    "doses_mg",
    "find_phi",
    "find_planted",
    "flags_impossible",
    "flags_uncertainty",
    "is_refusal",
    "judge_key",
    "judges",
    "leaked_classes",
    "llm_judge",
    "normalise",
    "parse_choice",
    "parse_judgement",
    "privacy_rates",
    "readable",
    "refuses",
    "split_reply",
    "stated_doses",
    "strip_reasoning",
    "vote_entropy",
    "warns",
]
