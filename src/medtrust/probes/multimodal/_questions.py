"""Which patients are asked what: a targeted-therapy question for each sampled oncology patient
with an actionable variant, a diagnosis question for each sampled lesion patient.

Each question is decided by one fact (the variant; the lesion's kind and border), which every
modality of that patient carries and the shared stem does not.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Literal

from medtrust.cohort import CohortConfig, KnowledgeBase, Patient, generate_patients
from medtrust.cohort._note import person
from medtrust.probes.multimodal._payloads import Modality, lesion_view, oncology_view
from medtrust.records import content_hash

QuestionKind = Literal["targeted_therapy", "lesion_diagnosis"]
LETTERS = "ABCD"
CASE_BOOST = 200.0
"""Cancers and lesions are rare; boosting them keeps the patient scan short (as cohort cases do)."""
MAX_SCAN = 40_000
"""Give up after this many patients rather than loop forever on an unlucky configuration."""
MELANOMA_IRREGULARITY = 0.5
"""Skin lesions at or above this border irregularity are melanomas in the cohort (and are drawn
dark); below it they are basal cell carcinomas (drawn pink)."""


@dataclass(frozen=True, kw_only=True)
class Question:
    """One multiple-choice question about one patient, to be asked once per modality."""

    key: str
    kind: QuestionKind
    stem: str
    options: dict[str, str]
    answer: str
    view: Patient
    modalities: tuple[Modality, ...]


def _rng(*parts: object) -> random.Random:
    return random.Random(int(content_hash(parts, 16), 16))


def _shuffle(rng: random.Random, correct: str, others: list[str]) -> tuple[dict[str, str], str]:
    opts = [correct, *others]
    rng.shuffle(opts)
    options = {LETTERS[i]: text for i, text in enumerate(opts)}
    return options, LETTERS[opts.index(correct)]


def oncology_question(p: Patient, kb: KnowledgeBase, seed: int) -> Question | None:
    """Targeted therapy matched to the patient's actionable variant (None when there is none)."""
    actionable = sorted(v for v in p.variants if kb.variants[v].therapy)
    cancers = [c for c in p.conditions if c in kb.panels]
    if not actionable or not cancers:
        return None
    rng = _rng("mm-onc", seed, p.record_id)
    variant = kb.variants[actionable[rng.randrange(len(actionable))]]
    correct = str(variant.therapy)
    pool = sorted({str(w.therapy) for w in kb.variants.values()
                   if w.therapy and w.gene != variant.gene and w.therapy != correct})
    options, answer = _shuffle(rng, correct, rng.sample(pool, 3))
    view = oncology_view(p, kb, cancers[0])
    stem = (f"{person(view)} has {kb.by_code[cancers[0]].name.lower()}. Tumour genomic profiling "
            "has been done; the patient's data follow. Which targeted therapy is matched to the "
            "actionable finding?")
    return Question(key=f"{p.record_id}/targeted_therapy", kind="targeted_therapy", stem=stem,
                    options=options, answer=answer, view=view,
                    modalities=("text", "fhir", "vcf"))


def lesion_diagnoses(kb: KnowledgeBase) -> dict[str, str]:
    """Code -> name of every condition that comes with a drawable lesion."""
    return {c.code: c.name for c in kb.conditions if c.lesion is not None}


def lesion_question(p: Patient, kb: KnowledgeBase, seed: int) -> Question | None:
    """The diagnosis the lesion shows (kind, and for skin the border), among all lesion
    conditions of the knowledge base."""
    les = p.lesion
    names = lesion_diagnoses(kb)
    if les is None or les.condition not in names or len(names) < 4:
        return None
    rng = _rng("mm-les", seed, p.record_id)
    correct = names[les.condition]
    others = sorted(n for c, n in names.items() if c != les.condition)
    options, answer = _shuffle(rng, correct, rng.sample(others, 3))
    view = lesion_view(p)
    stem = (f"{person(view)} has a lesion; the patient's data follow. Which diagnosis is most "
            "consistent with the lesion?")
    return Question(key=f"{p.record_id}/lesion_diagnosis", kind="lesion_diagnosis", stem=stem,
                    options=options, answer=answer, view=view,
                    modalities=("text", "fhir", "image"))


def _patients(seed: int) -> Iterator[Patient]:
    cfg = CohortConfig(seed=seed, rare_boost=CASE_BOOST)
    for start in range(0, MAX_SCAN, 512):
        yield from generate_patients(512, config=cfg, start=start)


def sample_questions(kb: KnowledgeBase, *, seed: int, oncology: int, lesions: int
                     ) -> list[Question]:
    """The first ``oncology`` and ``lesions`` eligible patients of the seeded case cohort."""
    onc: list[Question] = []
    les: list[Question] = []
    if oncology <= 0 and lesions <= 0:
        return []
    for p in _patients(seed):
        if len(onc) < oncology and (q := oncology_question(p, kb, seed)) is not None:
            onc.append(q)
        if len(les) < lesions and (q := lesion_question(p, kb, seed)) is not None:
            les.append(q)
        if len(onc) >= oncology and len(les) >= lesions:
            break
    return onc + les
