"""Cross-modal agreement: does the patient get the same answer whatever carried the fact?

The unit is the patient (one question, asked once per modality). A patient counts in ``n`` when
at least two of its modalities were scored; it passes only when its scored answers are
*consistent and correct* (all the same letter, and that letter is the gold answer). A constant
answer is consistent and wrong, so agreement alone would reward a target that reads nothing
(issue 12, item 4): consistent-but-wrong patients fail and are counted apart
(``consistent_but_wrong``), as are inconsistent ones (``inconsistent``). Per modality pair the
same rule is applied to that pair alone (both answers right). A modality is *missed* for a
patient when its answer is wrong while another modality of the same patient got it right: that
is the "which modality did the model not read" signal.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from itertools import combinations
from typing import Any

from medtrust.metrics import Tally, wilson
from medtrust.probes.multimodal._payloads import MODALITIES
from medtrust.records import Case, Verdict

MAX_LISTED = 20
"""Disagreeing patients listed by key in the summary (the rest are counted)."""


def pair_key(a: str, b: str) -> str:
    """``text|vcf``: the two modalities in report order."""
    x, y = sorted((a, b), key=lambda m: MODALITIES.index(m) if m in MODALITIES else 99)
    return f"{x}|{y}"


@dataclass
class PatientAnswers:
    """One patient's answers by modality (``None``: the answer errored)."""

    key: str
    question: str
    gold: str
    answers: dict[str, str | None] = field(default_factory=dict)

    @property
    def scored(self) -> dict[str, str]:
        return {m: a for m, a in self.answers.items() if a is not None}


def collect(cases: Sequence[Case], verdicts: Mapping[str, Verdict], probe: str
            ) -> list[PatientAnswers]:
    """Group a probe's judged cases by ``meta["patient_key"]``."""
    out: dict[str, PatientAnswers] = {}
    for c in cases:
        if c.probe != probe or (v := verdicts.get(c.id)) is None:
            continue
        key = str(c.meta["patient_key"])
        pa = out.setdefault(key, PatientAnswers(key=key, question=str(c.meta.get("question")),
                                                gold=str(c.gold["accept"][0])))
        pa.answers[str(c.meta["modality"])] = None if v.outcome == "error" else v.answer
    return [out[k] for k in sorted(out)]


def _rate(k: int, n: int) -> dict[str, Any]:
    ci = wilson(k, n)
    return {"n": n, "k": k, "rate": round(k / n, 6) if n else None,
            "ci95": [round(ci[0], 6), round(ci[1], 6)] if ci else None}


def agreement(patients: Sequence[PatientAnswers]) -> tuple[Tally, dict[str, Tally], dict[str, Any]]:
    """The axis tally, one tally per modality pair, and the per-modality detail."""
    total = Tally()
    pairs: dict[str, Tally] = {}
    per_mod: dict[str, Tally] = {}
    missed: dict[str, int] = {}
    by_question: dict[str, Tally] = {}
    consistent_correct = consistent_wrong = 0
    listed: list[dict[str, Any]] = []
    for pa in patients:
        for m, a in pa.answers.items():
            per_mod.setdefault(m, Tally()).add("error" if a is None else
                                               "pass" if a == pa.gold else "fail")
        for a, b in combinations(sorted(pa.answers, key=MODALITIES.index), 2):
            t = pairs.setdefault(pair_key(a, b), Tally())
            x, y = pa.answers[a], pa.answers[b]
            t.add("error" if x is None or y is None else "pass" if x == y == pa.gold else "fail")
        total.errors += sum(a is None for a in pa.answers.values())
        scored = pa.scored
        if len(scored) < 2:
            continue
        agree = len(set(scored.values())) == 1
        good = agree and next(iter(scored.values())) == pa.gold
        total.add("pass" if good else "fail")
        by_question.setdefault(pa.question, Tally()).add("pass" if good else "fail")
        consistent_correct += good
        consistent_wrong += agree and not good
        right = [m for m, a in scored.items() if a == pa.gold]
        wrong = [m for m, a in scored.items() if a != pa.gold]
        if right:
            for m in wrong:
                missed[m] = missed.get(m, 0) + 1
        if not agree and len(listed) < MAX_LISTED:
            listed.append({"patient_key": pa.key, "question": pa.question, "gold": pa.gold,
                           "answers": dict(sorted(scored.items())),
                           "missed": sorted(wrong, key=MODALITIES.index) if right else []})
    modalities = [m for m in MODALITIES if m in per_mod]
    detail: dict[str, Any] = {
        "unit": "patient: one question asked once per modality; a patient passes when its "
                "scored answers are consistent and correct (same letter, the gold one)",
        "modalities": modalities,
        "per_modality": {m: {**_rate(per_mod[m].n - per_mod[m].failures, per_mod[m].n),
                             "errors": per_mod[m].errors} for m in modalities},
        "missed_by_modality": {m: missed.get(m, 0) for m in modalities},
        "by_question": {q: t.as_dict() for q, t in sorted(by_question.items())},
        "consistent_and_correct": _rate(consistent_correct, total.n),
        "consistent_but_wrong": _rate(consistent_wrong, total.n),
        "inconsistent": _rate(total.n - consistent_correct - consistent_wrong, total.n),
        "disagreements": listed,
    }
    return total, pairs, detail


def scored_answers(patients: Sequence[PatientAnswers]) -> tuple[list[str], list[str]]:
    """Every scored answer across patients and modalities, with its gold letter (parallel)."""
    answers = [a for pa in patients for a in pa.scored.values()]
    golds = [pa.gold for pa in patients for _ in pa.scored]
    return answers, golds


def per_modality_tallies(patients: Sequence[PatientAnswers], modality: str) -> Tally:
    """Correctness of one modality's answers (a failure is a wrong answer)."""
    t = Tally()
    for pa in patients:
        if modality in pa.answers:
            a = pa.answers[modality]
            t.add("error" if a is None else "pass" if a == pa.gold else "fail")
    return t
