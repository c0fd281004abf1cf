"""The patient record: one row of a cohort table as a validated pydantic model.

Tables are the bulk format (fast, columnar); the model is what renderers, case builders and
FHIR import work with, and the one place where a row's meaning is spelled out.
"""

from __future__ import annotations

from datetime import date
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from medtrust.cohort._identifiers import IDENTIFIER_COLUMNS
from medtrust.cohort._kb import KnowledgeBase, load_kb


class Lesion(BaseModel):
    """A visible or imaged lesion that the image renderer can draw."""

    model_config = ConfigDict(frozen=True)

    condition: str
    kind: Literal["skin", "ct_nodule", "mammo_mass"]
    site: str
    diameter_mm: float = Field(gt=0)
    irregularity: float = Field(ge=0, le=1)


class Identifiers(BaseModel):
    """Direct identifiers: present only in identified mode (all synthetic)."""

    model_config = ConfigDict(frozen=True)

    given_name: str
    family_name: str
    birth_date: date
    encounter_date: date
    mrn: str
    ssn: str
    phone: str
    email: str
    street: str
    city: str
    state: str
    zip5: str
    # Added with the full Safe Harbor set (45 CFR 164.514(b)(2)(i)); optional so that records
    # read from FHIR or older files, which lack them, still load.
    fax: str | None = None
    admission_date: date | None = None
    discharge_date: date | None = None
    death_date: date | None = None
    health_plan_id: str | None = None
    account_number: str | None = None
    license_number: str | None = None
    vehicle_id: str | None = None
    device_id: str | None = None
    url: str | None = None
    ip_address: str | None = None
    relative_name: str | None = None
    relative_relation: str | None = None
    relative_birth_date: date | None = None


class Patient(BaseModel):
    """A synthetic patient. Under Safe Harbor ``age`` 90 means "90 or older".

    ``labs`` and ``vitals`` are keyed by the knowledge base's lab keys (``hgb``, ``sbp``);
    ``weight`` is the importance weight that undoes reweighting and rare-condition boosts.
    """

    model_config = ConfigDict(frozen=True)

    record_id: str
    index: int = 0
    sex: Literal["female", "male"]
    age: int = Field(ge=0, le=130)
    birth_year: int | None = None
    encounter_year: int
    race_ethnicity: str
    insurance: str
    language: str
    zip3: str
    conditions: list[str] = Field(default_factory=list)
    medications: list[str] = Field(default_factory=list)
    genomic_tested: bool = False
    variants: list[str] = Field(default_factory=list)
    labs: dict[str, float] = Field(default_factory=dict)
    vitals: dict[str, float] = Field(default_factory=dict)
    lesion: Lesion | None = None
    weight: float = 1.0
    identifiers: Identifiers | None = None

    @property
    def policy(self) -> Literal["safe_harbor", "identified"]:
        return "safe_harbor" if self.identifiers is None else "identified"

    @property
    def age_text(self) -> str:
        """Age as shown to readers: ``90+`` when Safe Harbor has pooled it."""
        return "90+" if self.identifiers is None and self.age >= 90 else str(self.age)

    @classmethod
    def from_row(cls, row: dict[str, Any], kb: KnowledgeBase | None = None) -> Patient:
        """Build from a flat table row (Parquet, CSV with ``;``-joined lists, or JSONL)."""
        kb = kb or load_kb()
        data: dict[str, Any] = {}
        labs: dict[str, float] = {}
        vitals: dict[str, float] = {}
        lab_cols = {lab.column: lab for lab in kb.labs}
        for key, value in row.items():
            if key in lab_cols:
                if value not in (None, ""):
                    target = labs if lab_cols[key].kind == "lab" else vitals
                    target[lab_cols[key].key] = float(value)
            elif key in ("conditions", "medications", "variants"):
                data[key] = _as_list(value)
            elif value not in (None, "") or key == "birth_year":
                data[key] = value if value != "" else None
        if data.get("lesion_condition"):
            data["lesion"] = Lesion(
                condition=data["lesion_condition"], kind=data["lesion_kind"],
                site=data["lesion_site"], diameter_mm=float(data["lesion_diameter_mm"]),
                irregularity=float(data["lesion_irregularity"]),
            )
        if data.get("given_name"):
            data["identifiers"] = Identifiers(
                **{k: data[k] for k in IDENTIFIER_COLUMNS if k in data})
        if isinstance(data.get("genomic_tested"), str):
            data["genomic_tested"] = data["genomic_tested"].lower() == "true"
        fields = cls.model_fields
        return cls(**{k: v for k, v in data.items() if k in fields}, labs=labs, vitals=vitals)

    def to_row(self, kb: KnowledgeBase | None = None) -> dict[str, Any]:
        """The flat row this patient would have in a cohort table (inverse of ``from_row``)."""
        kb = kb or load_kb()
        row = self.model_dump(exclude={"labs", "vitals", "lesion", "identifiers"})
        les = self.lesion
        row.update(
            lesion_condition=les.condition if les else None, lesion_kind=les.kind if les else None,
            lesion_site=les.site if les else None,
            lesion_diameter_mm=les.diameter_mm if les else None,
            lesion_irregularity=les.irregularity if les else None,
        )
        for lab in kb.labs:
            source = self.labs if lab.kind == "lab" else self.vitals
            row[lab.column] = source.get(lab.key)
        if self.identifiers is not None:
            row.update(self.identifiers.model_dump())
        return row


def _as_list(value: Any) -> list[str]:
    if value is None or value == "":
        return []
    if isinstance(value, str):
        return [v for v in value.split(";") if v]
    return [str(v) for v in value]
