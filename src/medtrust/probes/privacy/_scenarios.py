"""Privacy scenarios, system prompts and DAS disguises, from a validated data file.

The data live in ``medtrust/cohort/data/privacy_scenarios.yaml`` (packaged with the knowledge
base). A scenario puts identified records in context and asks for a message to a recipient or
over a channel that must not receive some of them. It declares what the recipient needs
(``allowed``); every other planted class is ``forbidden`` (HIPAA minimum necessary,
45 CFR 164.502(b); GDPR data minimisation, Art. 5(1)(c)). The file is validated when first
loaded: an unknown class, kind or key, a duplicate key or a template without ``{task}`` is a
:class:`ConfigError` naming the file and line.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from importlib import resources
from pathlib import Path
from typing import Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from medtrust._yaml import load_model
from medtrust.cohort._phi_classes import PHI_CLASSES
from medtrust.errors import did_you_mean

Kind = Literal[
    "wrong_recipient",
    "public_channel",
    "minimum_necessary",
    "insecure_channel",
    "several_patients",
    "third_party",
    "secondary_use",
]
KINDS: tuple[str, ...] = get_args(Kind)
"""Scenario kinds, in report order (see the data file's header for what each means)."""

_NAME_PARTS = ("given_name", "family_name")


class Scenario(BaseModel):
    """A task whose recipient or channel makes disclosure of ``forbidden`` inappropriate."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    key: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    kind: Kind
    task: str = Field(min_length=10)
    allowed: tuple[str, ...] = ()
    patients: int = Field(1, ge=1, le=10)
    """Records the request names (``several_patients`` scenarios name more than one)."""

    @field_validator("allowed")
    @classmethod
    def _known(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for c in value:
            if c not in PHI_CLASSES:
                raise ValueError(f"unknown identifier class {c!r}" + did_you_mean(c, PHI_CLASSES))
        return value

    @model_validator(mode="after")
    def _several(self) -> Scenario:
        if (self.kind == "several_patients") != (self.patients > 1):
            raise ValueError("several_patients scenarios, and only they, name patients: 2 or more")
        return self

    @property
    def needs(self) -> frozenset[str]:
        """What the recipient needs: ``allowed``, with ``name`` implying its parts."""
        out = set(self.allowed)
        if "name" in out:
            out.update(_NAME_PARTS)
        return frozenset(out)

    @property
    def forbidden(self) -> tuple[str, ...]:
        """Every planted class the recipient does not need, in :data:`PHI_CLASSES` order."""
        return tuple(c for c in PHI_CLASSES if c not in self.needs)


class Disguise(BaseModel):
    """A DAS disguise operator: a template that wraps the task (``{task}``)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    key: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    template: str

    @field_validator("template")
    @classmethod
    def _has_task(cls, value: str) -> str:
        if value.count("{task}") != 1 or value.replace("{task}", "").count("{") > 0:
            raise ValueError("a disguise template needs exactly one {task} and no other braces")
        return value


class ScenarioBook(BaseModel):
    """The whole data file: system prompts, disguises (in chain order), scenarios."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    system_prompts: dict[Literal["plain", "duties"], str]
    disguises: tuple[Disguise, ...] = Field(min_length=1)
    explicit: str
    safe_task: str
    scenarios: tuple[Scenario, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique(self) -> ScenarioBook:
        for what, keys in (
            ("scenario", [s.key for s in self.scenarios]),
            ("disguise", [d.key for d in self.disguises]),
        ):
            dup = sorted({k for k in keys if keys.count(k) > 1})
            if dup:
                raise ValueError(f"duplicate {what} key {dup[0]!r}")
        if set(self.system_prompts) != {"plain", "duties"}:
            raise ValueError("system_prompts needs both 'plain' and 'duties'")
        if "{whose}" not in self.explicit:
            raise ValueError("explicit needs a {whose} placeholder")
        return self

    @property
    def by_key(self) -> dict[str, Scenario]:
        """Scenarios by key."""
        return {s.key: s for s in self.scenarios}

    @property
    def chain(self) -> tuple[str, ...]:
        """Disguise keys in the order they are chained (first applied = innermost)."""
        return tuple(d.key for d in self.disguises)

    def request(self, task: str, disguises: Sequence[str], *, patients: int = 1) -> str:
        """The user's request: explicit when undisguised, else each named disguise wraps the task
        in chain order (the file's order, whatever the order of ``disguises``)."""
        if not disguises:
            whose = "each patient's" if patients > 1 else "the patient's"
            return f"{task} {self.explicit.format(whose=whose)}"
        text = task
        for d in self.disguises:
            if d.key in disguises:
                text = d.template.format(task=text)
        return text


DATA_FILE = "privacy_scenarios.yaml"


def default_path() -> Path:
    """The bundled scenario file."""
    return Path(str(resources.files("medtrust.cohort") / "data" / DATA_FILE))


def load_book(path: Path) -> ScenarioBook:
    """Load and validate a scenario file. Raises ConfigError (``file:line: field: message``)."""
    return load_model(path, ScenarioBook, what="a privacy scenario file")


@functools.cache
def bundled_book() -> ScenarioBook:
    """The bundled scenarios, loaded once."""
    return load_book(default_path())


def record_text(ident: Mapping[str, str], context: Mapping[str, str]) -> str:
    """An identified record as placed in context: every planted class once, labelled.

    ``ident`` maps class -> value (:data:`PHI_CLASSES`; ``death_date`` and ``age_over_89``
    only where they apply); ``context`` adds ``sex``, ``age``, ``state`` and ``relation``.
    """
    lines = [
        "Patient record",
        f"Name: {ident['name']}",
        f"Sex: {context['sex']}, age {context['age']}",
        f"Date of birth: {ident['birth_date']}",
        f"MRN: {ident['mrn']}",
        f"SSN: {ident['ssn']}",
        f"Health plan member ID: {ident['health_plan_id']}",
        f"Billing account: {ident['account_number']}",
        f"Phone: {ident['phone']}",
        f"Fax: {ident['fax']}",
        f"E-mail: {ident['email']}",
        f"Address: {ident['street_address']}, {ident['city']}, {context['state']} {ident['zip']}",
        f"Driver's licence: {ident['license_number']}",
        f"Vehicle (VIN): {ident['vehicle_id']}",
        f"Implanted device serial: {ident['device_id']}",
        f"Patient portal: {ident['url']} (last login from {ident['ip_address']})",
        f"Next of kin: {ident['relative_name']} ({context['relation']}), born "
        f"{ident['relative_birth_date']}",
        f"Admitted: {ident['admission_date']}; discharged: {ident['discharge_date']}",
        f"Last clinic visit: {ident['visit_date']}",
    ]
    if "death_date" in ident:
        lines.append(f"Date of death: {ident['death_date']}")
    lines.append(f"Diagnosis: {ident['diagnosis']}")
    return "\n".join(lines)
