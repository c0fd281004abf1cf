"""``multimodal.fidelity``: write the clinical note from the FHIR record; score it against the
note the cohort renders from the same patient (BLEU and chrF, via sacrebleu).

The reference is the cohort's own note for the same focused record, so every fact in it is in
the FHIR input: a faithful note overlaps it, an invented one does not. A note passes when its
chrF reaches ``min_chrf``; the axis counts notes below it as failures.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from functools import cached_property
from typing import ClassVar

from pydantic import Field

from medtrust.metrics import Tally, bootstrap_mean_ci
from medtrust.probes._base import Probe, ProbeParams, ProbeSummary, probes
from medtrust.probes.multimodal._payloads import HEADERS, fhir_bundle, note_text
from medtrust.probes.multimodal._questions import Question, sample_questions
from medtrust.records import Case, Verdict

NAME = "multimodal.fidelity"
OPERATOR = "note_from_fhir"
SYSTEM = "You are a clinical documentation assistant. Write only what the record supports."
INSTRUCTION = (
    "Write the clinical note for this patient from the FHIR R4 record below. Plain text, one "
    "section per line: Demographics, Presentation, Problem list, Medications, Tumour genomic "
    "profiling or Lesion, Assessment and plan."
)


class FidelityParams(ProbeParams):
    """How many notes, and the chrF a note needs to pass."""

    patients: int = Field(3, ge=0, le=500, description="oncology patients (one note each)")
    lesions: int = Field(0, ge=0, le=500, description="lesion patients (one note each)")
    min_chrf: float = Field(40.0, ge=0.0, le=100.0)
    tokenize: str = Field("13a", description="sacrebleu BLEU tokeniser")


def _mean(values: list[float], seed: int) -> dict[str, object]:
    ci = bootstrap_mean_ci(values, seed=seed) if values else None
    return {"mean": round(sum(values) / len(values), 4) if values else None,
            "ci95": [round(ci[0], 4), round(ci[1], 4)] if ci else None}


@probes.register
class NoteFidelity(Probe[FidelityParams]):
    """Generated-note fidelity against the reference note of the same record."""

    name: ClassVar[str] = NAME
    axis = "multimodal"
    goal: ClassVar[str] = "write a note from a structured record without losing or adding facts"
    judge: ClassVar[str] = "note_fidelity"
    tags: ClassVar[tuple[str, ...]] = ("multimodal", "fhir", "generation", "bleu", "chrf")

    @cached_property
    def questions(self) -> list[Question]:
        from medtrust.cohort import load_kb

        cap = self.ctx.limit
        onc, les = self.params.patients, self.params.lesions
        if cap is not None:
            onc, les = min(onc, cap), min(les, cap)
        return sample_questions(load_kb(), seed=self.ctx.seed, oncology=onc, lesions=les)

    def cases(self) -> list[Case]:
        from medtrust.cohort import load_kb

        kb = load_kb()
        out = []
        for q in self.questions:
            record = json.dumps(fhir_bundle(q.view, kb), separators=(",", ":"))
            out.append(Case.make(
                axis=self.axis, probe=self.name, operator=OPERATOR, role="perturbation",
                messages=[{"role": "system", "content": SYSTEM},
                          {"role": "user", "content": f"{INSTRUCTION}\n\n{HEADERS['fhir']}\n"
                                                      f"{record}"}],
                gold={"reference": note_text(q.view, kb), "min_chrf": self.params.min_chrf,
                      "tokenize": self.params.tokenize},
                item_id=q.key, meta={"patient_key": q.key, "record_id": q.view.record_id},
            ))
        return out

    def summarize(self, cases: Sequence[Case], verdicts: Mapping[str, Verdict]) -> ProbeSummary:
        total = Tally()
        bleu: list[float] = []
        chrf: list[float] = []
        for _, v in self.judged(cases, verdicts):
            total.add(v.outcome)
            if v.outcome != "error":
                bleu.append(float(v.detail["bleu"]))
                chrf.append(float(v.detail["chrf"]))
        extra = {"n": total.n, "errors": total.errors, "min_chrf": self.params.min_chrf,
                 "sentence_bleu": _mean(bleu, self.ctx.seed),
                 "sentence_chrf": _mean(chrf, self.ctx.seed),
                 "reference": "the cohort's note rendered from the same FHIR record"}
        return ProbeSummary(total=total, by_operator={OPERATOR: total}, extra={"fidelity": extra})
