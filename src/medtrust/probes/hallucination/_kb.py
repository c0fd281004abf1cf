"""Hand-checked knowledge for the hallucination probes: things whose truth is known.

The data live in ``medtrust/cohort/data/hallucination_kb.yaml`` beside the clinical knowledge
base (its header says what each section means and how it was checked). Fabricated entities are
generated from its syllables and checked against the real drug list, so they cannot exist; false
premises, impossible findings and dose ranges are written and checked by hand against standard
references (adult labels, not clinical guidance).

The file is validated when first used (:func:`knowledge`), not at import: a bad entry is one
:class:`~medtrust.errors.ConfigError` line, ``file:line: section.index.field: message``.
"""

from __future__ import annotations

import functools
import re
from importlib import resources
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from medtrust._yaml import load_model

DATA_FILE = "hallucination_kb.yaml"



class _Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Premise(_Frozen):
    """A question built on a false statement; ``wrong`` are answers that accept the premise."""

    question: str = Field(min_length=10)
    wrong: tuple[str, str, str]


class Finding(_Frozen):
    """A physiologically impossible finding in a plausible vignette; ``steps`` take it at face
    value."""

    vignette: str = Field(min_length=10)
    finding: str = Field(min_length=5)
    steps: tuple[str, str, str]


class Dose(_Frozen):
    """A dose question with a checkable range in mg; ``forbid`` are fatal phrasings (regular
    expressions, matched case-insensitively by the judge).

    [``lo_mg``, ``hi_mg``] is the right answer to the question asked. ``min_mg`` is the smallest
    dose a correct answer may also name on the way (the lowest labelled strength or starting
    dose: "start at 2.5 mg, up to 40 mg" answers a maximum-dose question correctly); it
    defaults to ``lo_mg``. Any stated dose outside [``min_mg``, ``hi_mg``] fails the answer.
    Integers stay integers (the gold JSON of existing cases is unchanged).
    """

    question: str = Field(min_length=10)
    lo_mg: int | float
    hi_mg: int | float
    min_mg: int | float | None = None
    forbid: tuple[str, ...] = ()

    @field_validator("forbid")
    @classmethod
    def _patterns(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for p in value:
            try:
                re.compile(p)
            except re.error as exc:
                raise ValueError(f"forbid {p!r}: not a regular expression ({exc})") from None
        return value

    @model_validator(mode="after")
    def _range(self) -> Dose:
        low = self.lo_mg if self.min_mg is None else self.min_mg
        if not 0 < low <= self.lo_mg <= self.hi_mg:
            raise ValueError("need 0 < min_mg <= lo_mg <= hi_mg")
        return self


class Answers(_Frozen):
    """The right option of each multiple-choice form."""

    fabricated: str = Field(min_length=5)
    false_premise: str = Field(min_length=5)
    impossible: str = Field(min_length=5)


class HallucinationKB(_Frozen):
    """The whole data file (see its header). Lists keep their order: probes take the first
    ``n`` entries and the run's seed draws from them."""

    syllables_a: tuple[str, ...] = Field(min_length=2)
    syllables_b: tuple[str, ...] = Field(min_length=2)
    suffixes: tuple[str, ...] = Field(min_length=2)
    societies: tuple[str, ...] = Field(min_length=1)
    journals: tuple[str, ...] = Field(min_length=1)
    surnames: tuple[str, ...] = Field(min_length=1)
    indications: tuple[str, ...] = Field(min_length=3)  # three are drawn as distractors
    mechanisms: tuple[str, ...] = Field(min_length=3)
    answers: Answers
    false_premises: tuple[Premise, ...] = Field(min_length=1)
    impossible: tuple[Finding, ...] = Field(min_length=1)
    doses: tuple[Dose, ...] = Field(min_length=1)

    @field_validator("syllables_a", "syllables_b", "suffixes")
    @classmethod
    def _letters(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for s in value:
            if not re.fullmatch(r"[a-z]+", s):
                raise ValueError(f"{s!r}: name parts are lower-case letters only")
        return value


def default_path() -> Path:
    """The bundled knowledge file."""
    return Path(str(resources.files("medtrust.cohort") / "data" / DATA_FILE))


def load_knowledge(path: Path) -> HallucinationKB:
    """Load and validate a knowledge file. Raises ConfigError (``file:line: field: message``)."""
    return load_model(path, HallucinationKB, what="a hallucination knowledge file")


@functools.cache
def knowledge() -> HallucinationKB:
    """The bundled knowledge, loaded and validated once."""
    return load_knowledge(default_path())


_LEGACY = {
    "SYLLABLES_A": "syllables_a", "SYLLABLES_B": "syllables_b", "SUFFIXES": "suffixes",
    "SOCIETIES": "societies", "JOURNALS": "journals", "SURNAMES": "surnames",
    "INDICATIONS": "indications", "MECHANISMS": "mechanisms",
    "FALSE_PREMISES": "false_premises", "IMPOSSIBLE": "impossible", "DOSES": "doses",
}
_ANSWERS = {"FABRICATED_ANSWER": "fabricated", "FALSE_PREMISE_ANSWER": "false_premise",
            "IMPOSSIBLE_ANSWER": "impossible"}


def __getattr__(name: str) -> Any:
    """The former module constants (``DOSES``, ``FABRICATED_ANSWER``, ...), read from the
    bundled file on first use, so importing this module never reads it."""
    if name in _LEGACY:
        return getattr(knowledge(), _LEGACY[name])
    if name in _ANSWERS:
        return getattr(knowledge().answers, _ANSWERS[name])
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
