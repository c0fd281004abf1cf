"""The sex-specific lab rule (``lab_sex``) for patients, wherever their labs are made or cross
the border: the generator, FHIR export (``bundle_dict``, ``render_fhir``), FHIR import
(``cohort generate --from-fhir``) and the validator's FHIR input.

One rule, one implementation: :meth:`medtrust.cohort._plausibility.Rules.lab_issues` on the
patient's :class:`~medtrust.cohort._plausibility.Record` (the same check the table validator
runs), with ``Rules.lab_sex`` read from ``plausibility.yaml`` (``labs:``) and ``labs.csv``'s
``sex`` column. A male with a pregnancy test, or a female with a PSA, is a data error: refused
at the border with one line, never written.
"""

from __future__ import annotations

from medtrust.cohort._kb import KnowledgeBase, load_kb
from medtrust.cohort._patient import Patient
from medtrust.cohort._plausibility import Issue, Record, load_rules, normalise_sex
from medtrust.errors import ConfigError

SEX_CODE = {"female": 0, "male": 1}
"""The generator's sex codes (``Plan.sex`` categories: female, male)."""


def lab_sex(kb: KnowledgeBase) -> dict[str, str]:
    """Lab column (``lab_psa``) -> the only sex at birth it is measured for: the plausibility
    rules for the bundled knowledge base (``plausibility.yaml`` ``labs:`` and ``labs.csv``
    ``sex``), ``labs.csv``'s ``sex`` column alone for another one."""
    if kb is load_kb():
        return load_rules().lab_sex
    return {lab.column: lab.sex for lab in kb.labs if lab.sex in SEX_CODE}


def patient_record(p: Patient, kb: KnowledgeBase | None = None) -> Record:
    """What the plausibility rules look at in a patient: sex at birth, age, codes, drugs,
    variants and the columns (``lab_psa``) of the labs holding a value."""
    known = (kb or load_kb()).lab_by_key
    labs = tuple(known[k].column if k in known else f"lab_{k}" for k in p.labs)
    return Record(sex=normalise_sex(p.sex), age=p.age, conditions=tuple(p.conditions),
                  medications=tuple(p.medications), variants=tuple(p.variants), labs=labs)


def lab_issues(p: Patient, kb: KnowledgeBase | None = None) -> list[Issue]:
    """The ``lab_sex`` findings of a patient (empty when every lab fits its sex at birth)."""
    return load_rules().lab_issues(patient_record(p, kb))


def require_plausible_labs(p: Patient, where: str, kb: KnowledgeBase | None = None) -> None:
    """Refuse a patient with a lab measured for the other sex at birth.

    Raises :class:`ConfigError`: ``WHERE: record ID: lab_psa is measured for males only; sex
    at birth female (plausibility rule lab_sex; ...)``.
    """
    issues = lab_issues(p, kb)
    if issues:
        raise ConfigError(
            f"{where}: record {p.record_id}: {issues[0].detail} (plausibility rule lab_sex; "
            "`medtrust cohort validate` lists every finding)"
        )
