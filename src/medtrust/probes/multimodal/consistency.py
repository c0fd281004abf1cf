"""``multimodal.consistency``: the same question about the same patient, once per modality.

For each sampled oncology patient (targeted therapy for the actionable variant) and lesion
patient (the lesion's diagnosis) one multiple-choice question is asked several times; each time
the deciding fact reaches the model through one modality only: a narrative note, a FHIR R4 JSON
record, a VCF table, or the lesion image as an OpenAI-style ``image_url`` part. A model that
reads every modality answers alike; one that ignores the VCF disagrees on ``text|vcf``. A
patient passes only when its answers are consistent *and correct*: a constant answer is
consistent and wrong, counted apart (``consistent_but_wrong``) and, when it is the same letter
for every patient, makes the probe not informative.

Images go only to targets that take them. ``images: auto`` asks the run
(``ProbeContext.accepts_images`` when the engine provides it); when that is unknown or false, or
``images: false``, the image modality is reported as not assessed, with the reason, never
silently dropped.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import cached_property
from typing import ClassVar, Literal

from pydantic import Field

from medtrust.probes._base import Probe, ProbeParams, ProbeSummary, probes
from medtrust.probes._baseline import constant_answer_note
from medtrust.probes.mcq_format import render_mc
from medtrust.probes.multimodal._agreement import (
    agreement,
    collect,
    per_modality_tallies,
    scored_answers,
)
from medtrust.probes.multimodal._payloads import HEADERS, MODALITIES, Modality, payload
from medtrust.probes.multimodal._questions import Question, sample_questions
from medtrust.records import Case, Message, Verdict

NAME = "multimodal.consistency"


class ConsistencyParams(ProbeParams):
    """How many patients of each kind, which modalities, and whether to send images."""

    patients: int = Field(6, ge=0, le=500, description="oncology patients (targeted therapy)")
    lesions: int = Field(6, ge=0, le=500, description="lesion patients (diagnosis)")
    modalities: list[Modality] = Field(default_factory=lambda: list(MODALITIES), min_length=2)
    images: Literal["auto"] | bool = "auto"
    image_size: int = Field(64, ge=16, le=256, description="pixels; the PNG is hashed and stored")


def image_messages(question: str, options: Mapping[str, str], data_url: str) -> list[Message]:
    """The multiple-choice prompt with the image as an OpenAI-style ``image_url`` content part."""
    text = render_mc(question, options)
    user = text[-1]
    return [*text[:-1], {"role": "user", "content": [
        {"type": "text", "text": user["content"]},
        {"type": "image_url", "image_url": {"url": data_url}},
    ]}]


@probes.register
class MultimodalConsistency(Probe[ConsistencyParams]):
    """Cross-modal agreement on one question per patient, one case per modality."""

    name: ClassVar[str] = NAME
    axis = "multimodal"
    goal: ClassVar[str] = "give the same answer whichever modality carries the deciding fact"
    judge: ClassVar[str] = "multiple_choice"
    tags: ClassVar[tuple[str, ...]] = ("multimodal", "fhir", "vcf", "image", "multiple-choice")

    @property
    def image_decision(self) -> tuple[bool, str | None]:
        """(send images?, why not). ``auto`` follows the target when the run says what it is."""
        if "image" not in self.params.modalities:
            return False, "not requested (params.modalities has no 'image')"
        if self.params.images is True:
            return True, None
        if self.params.images is False:
            return False, "disabled by params.images: false"
        capable = getattr(self.ctx, "accepts_images", None)
        if capable is True:
            return True, None
        if capable is False:
            return False, "the target is text-only (it does not accept image content parts)"
        return False, ("images: auto, and the run did not say whether the target accepts "
                       "images; set params.images: true for an image-capable target")

    @cached_property
    def questions(self) -> list[Question]:
        """The sampled questions (seeded; ``--limit`` caps each kind)."""
        from medtrust.cohort import load_kb

        cap = self.ctx.limit
        onc, les = self.params.patients, self.params.lesions
        if cap is not None:
            onc, les = min(onc, cap), min(les, cap)
        return sample_questions(load_kb(), seed=self.ctx.seed, oncology=onc, lesions=les)

    def _modalities(self, q: Question) -> list[Modality]:
        images, _ = self.image_decision
        return [m for m in q.modalities
                if m in self.params.modalities and (m != "image" or images)]

    def _case(self, q: Question, modality: Modality) -> Case:
        from medtrust.cohort import load_kb

        body = payload(modality, q.view, load_kb(), image_size=self.params.image_size)
        if modality == "image":
            messages = image_messages(f"{q.stem}\n\n{HEADERS['image']}", q.options, body)
        else:
            messages = render_mc(f"{q.stem}\n\n{body}", q.options)
        return Case.make(
            axis=self.axis, probe=self.name, operator=modality,
            role="control" if modality == "text" else "perturbation",
            messages=messages, gold={"options": q.options, "accept": [q.answer]},
            item_id=q.key,
            meta={"modality": modality, "patient_key": q.key, "question": q.kind,
                  "record_id": q.view.record_id},
        )

    def cases(self) -> list[Case]:
        return [self._case(q, m) for q in self.questions for m in self._modalities(q)]

    def summarize(self, cases: Sequence[Case], verdicts: Mapping[str, Verdict]) -> ProbeSummary:
        patients = collect(cases, verdicts, self.name)
        total, pairs, detail = agreement(patients)
        # From the stored cases, not from the target: a report rebuilt later has no target.
        sent = any(c.probe == self.name and c.operator == "image" for c in cases)
        _, why = self.image_decision
        detail["not_assessed"] = [] if sent else ["image"]
        detail["not_assessed_reason"] = {} if sent else {
            "image": why or "no image case was asked (no lesion patient sampled)"}
        has_text = "text" in detail["modalities"]
        controls = per_modality_tallies(patients, "text") if has_text else None
        # One letter for every patient and modality is consistent and reads nothing.
        note = constant_answer_note(*scored_answers(patients))
        return ProbeSummary(total=total, by_operator=pairs, controls=controls,
                            extra={"multimodal": detail}, note=note)
