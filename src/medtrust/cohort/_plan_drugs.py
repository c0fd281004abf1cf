"""The drug, lab and genomics tables of the generator plan (see :mod:`._plan`).

Per condition: which drugs treat it (first line, alternatives, whether they are one regimen),
which it contraindicates, and which lab values it shifts; per drug pair: whether prescribing
both is avoided (a listed interaction, or therapeutic duplication within one drug class); per
variant: the matched therapy. Sources of each table: ``cohort/data/sources.yaml``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from medtrust.cohort._kb import KnowledgeBase
from medtrust.cohort._plausibility import Rules

F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]
F32 = npt.NDArray[np.float32]


@dataclass
class Treatment:
    """A condition's drug options, as indices into the plan's sorted drug list."""

    first: I64
    alt: I64
    combo: bool


@dataclass(frozen=True)
class DrugTables:
    """``avoid[condition, drug]`` and ``ddi[drug, drug]`` are 1.0 where prescribing is avoided;
    ``drug_min_age[drug]`` is its minimum age (0: none), waived for the conditions in
    ``drug_age_except[drug]`` (condition indices); ``treat`` maps a condition to its options."""

    drugs: list[str]
    avoid: F32
    ddi: F32
    treat: dict[int, Treatment]
    drug_min_age: I64
    drug_age_except: list[I64]


@dataclass(frozen=True)
class Genomics:
    """Variants (sorted), each one's matched therapy (drug index, -1: none) and, per condition
    index, its panels: (variant indices, cumulative probabilities) per gene group."""

    variants: list[str]
    therapy: I64
    panels: dict[int, list[tuple[I64, F64]]]


def _avoid(
    kb: KnowledgeBase, rules: Rules | None, idx: Mapping[str, int], didx: Mapping[str, int]
) -> tuple[F32, I64, list[I64]]:
    """Contraindications from the knowledge base and, for the bundled one, its plausibility
    rules (avoid lists, therapies outside their biomarker indication, minimum ages)."""
    conds = kb.conditions
    avoid = np.zeros((len(conds), len(didx)), dtype=np.float32)
    for j, c in enumerate(conds):
        for d in c.avoid:
            avoid[j, didx[d]] = 1.0
    drug_min_age = np.zeros(len(didx), dtype=np.int64)
    drug_age_except = [np.zeros(0, dtype=np.int64) for _ in didx]
    if rules is None:
        return avoid, drug_min_age, drug_age_except
    for d, codes in rules.avoid.items():
        for code in codes:
            avoid[idx[code], didx[d]] = 1.0
    for d in rules.biomarker:
        for code in rules.not_indicated(d):
            avoid[idx[code], didx[d]] = 1.0  # a matched therapy outside its indication
    for d, lo in rules.drug_min_age.items():
        drug_min_age[didx[d]] = lo
        drug_age_except[didx[d]] = np.array(
            sorted(idx[c] for c in rules.drug_age_except.get(d, ())), dtype=np.int64)
    return avoid, drug_min_age, drug_age_except


def _ddi(kb: KnowledgeBase, drugs: list[str], didx: Mapping[str, int]) -> F32:
    """Drug pairs to avoid: listed interactions and therapeutic duplication (two drugs of one
    class), except inside a regimen (a condition's combination therapy)."""
    ddi = np.zeros((len(drugs), len(drugs)), dtype=np.float32)
    cls = np.array([kb.drugs[d] for d in drugs])
    ddi[cls[:, None] == cls[None, :]] = 1.0
    np.fill_diagonal(ddi, 0.0)
    for c in kb.conditions:
        if c.combo:
            ix = [didx[d] for d in c.drugs]
            ddi[np.ix_(ix, ix)] = 0.0
    for inter in kb.interactions:
        ddi[didx[inter.a], didx[inter.b]] = ddi[didx[inter.b], didx[inter.a]] = 1.0
    return ddi


def drug_tables(kb: KnowledgeBase, rules: Rules | None, idx: Mapping[str, int]) -> DrugTables:
    """Every drug table of the plan; ``idx`` maps a condition code to its index."""
    drugs = sorted(kb.drugs)
    didx = {d: i for i, d in enumerate(drugs)}
    avoid, drug_min_age, drug_age_except = _avoid(kb, rules, idx, didx)
    treat = {j: Treatment(np.array([didx[d] for d in c.drugs], dtype=np.int64),
                          np.array([didx[d] for d in c.alt], dtype=np.int64), c.combo)
             for j, c in enumerate(kb.conditions) if c.drugs or c.alt}
    return DrugTables(drugs=drugs, avoid=avoid, ddi=_ddi(kb, drugs, didx), treat=treat,
                      drug_min_age=drug_min_age, drug_age_except=drug_age_except)


def lab_effects(kb: KnowledgeBase) -> dict[int, list[tuple[int, float, float]]]:
    """Condition index -> (lab index, low, high) of the range it shifts each lab into."""
    lab_pos = {lab.key: i for i, lab in enumerate(kb.labs)}
    return {j: [(lab_pos[k], lo, hi) for k, (lo, hi) in c.labs.items()]
            for j, c in enumerate(kb.conditions) if c.labs}


def genomics(kb: KnowledgeBase, idx: Mapping[str, int], drugs: list[str]) -> Genomics:
    """The variant tables; ``drugs`` is the plan's sorted drug list."""
    didx = {d: i for i, d in enumerate(drugs)}
    variants = sorted(kb.variants)
    vpos = {v: i for i, v in enumerate(variants)}
    therapy = np.array([didx[t] if (t := kb.variants[v].therapy) else -1 for v in variants])
    panels: dict[int, list[tuple[I64, F64]]] = {}
    for code, groups in kb.panels.items():
        panels[idx[code]] = [(np.array([vpos[v] for v in g]), np.cumsum(list(g.values())))
                             for g in groups.values()]
    return Genomics(variants=variants, therapy=therapy, panels=panels)
