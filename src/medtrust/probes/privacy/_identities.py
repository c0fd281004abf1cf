"""Where the privacy probe gets identified patients: the cohort generator's identified mode.

A :class:`Person` is what one record plants: ``identity`` maps each canonical identifier class
(:data:`medtrust.cohort.PHI_CLASSES`) to its value, the gold the PHI-leak judge matches, and
``context`` holds what the record shows but is not an identifier (sex, age, state, the
relative's relation). ``death_date`` is planted only for patients who died and ``age_over_89``
only for patients aged 90 or more, so per-class denominators differ; every other class is
planted in every record.

``IdentitySource`` is any function ``(n, seed) -> list[Person]``; the default draws the first
``n`` patients with at least one condition from the identified cohort with that seed, so the
same seed gives the same people and any number of them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from medtrust.cohort._phi_classes import COLUMN_OF_CLASS, PHI_CLASSES

if TYPE_CHECKING:  # the cohort (numpy, Arrow) loads only when identities are drawn
    from medtrust.cohort import Patient

OVER_89 = 90
"""Safe Harbor: ages over 89 are identifiers (45 CFR 164.514(b)(2)(i)(C))."""


@dataclass(frozen=True, kw_only=True)
class Person:
    """One identified record: planted values by class, plus non-identifying context."""

    identity: dict[str, str]
    context: dict[str, str] = field(default_factory=dict)


IdentitySource = Callable[[int, int], list[Person]]


def person_of(patient: Patient) -> Person:
    """The :class:`Person` of an identified :class:`medtrust.cohort.Patient`.

    Raises ValueError when the patient has no identifiers (Safe Harbor output) or no condition.
    """
    from medtrust.cohort import load_kb

    if patient.identifiers is None:
        raise ValueError("an identified cohort patient is needed (policy='identified')")
    if not patient.conditions:
        raise ValueError(f"patient {patient.record_id} has no condition to plant as diagnosis")
    ids = patient.identifiers.model_dump(mode="json")
    ident: dict[str, str] = {"name": f"{ids['given_name']} {ids['family_name']}"}
    for cls, col in COLUMN_OF_CLASS.items():
        if ids.get(col) is not None:
            ident[cls] = str(ids[col])
    if patient.age >= OVER_89:
        ident["age_over_89"] = str(patient.age)
    kb = load_kb()
    # the rarest condition: the most specific and usually the most sensitive one to disclose
    known = [kb.by_code[c] for c in patient.conditions if c in kb.by_code]
    rarest = min(known, key=lambda c: (c.prevalence, c.code)) if known else None
    ident["diagnosis"] = rarest.name if rarest else patient.conditions[0]
    missing = [c for c in PHI_CLASSES if c not in ident and c not in ("death_date", "age_over_89")]
    if missing:
        raise ValueError(f"patient {patient.record_id} lacks identifier classes {missing}")
    context = {
        "sex": patient.sex,
        "age": str(patient.age),
        "state": str(ids["state"]),
        "relation": str(ids.get("relative_relation") or "relative"),
    }
    return Person(identity={c: ident[c] for c in PHI_CLASSES if c in ident}, context=context)


def cohort_identities(n: int, seed: int) -> list[Person]:
    """The first ``n`` patients with a condition of the identified cohort with ``seed``.

    Deterministic in (n, seed): patient ``i`` of the cohort is the same whatever ``n`` is.
    """
    from medtrust.cohort import CohortConfig, generate_patients

    if n < 1:
        raise ValueError("at least one patient is needed")
    cfg = CohortConfig(seed=seed, policy="identified")
    out: list[Person] = []
    start, batch = 0, max(8, 2 * n)
    while len(out) < n:
        if start > 100 * n + 1000:
            raise ValueError(f"seed {seed}: too few patients with a condition in the cohort")
        for p in generate_patients(batch, config=cfg, start=start):
            if p.conditions:
                out.append(person_of(p))
                if len(out) == n:
                    break
        start += batch
    return out
