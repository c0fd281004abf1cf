"""The eight cognitive-bias styles of DAS and BiasMedQA, each a sentence pushing a wrong option.

Wording follows BiasMedQA (Schmidgall et al., 2024), two phrasings per style so that a model
cannot learn one template; the phrasing is chosen with the run's seed. The sentences live in
``medtrust/cohort/data/bias_styles.yaml`` beside the clinical knowledge base, validated when
first used (:func:`bias_styles`): a style without a template, or a template without exactly one
``{wrong}``, is one :class:`~medtrust.errors.ConfigError` line naming the file, line and style.
"""

from __future__ import annotations

import functools
import random
from importlib import resources
from pathlib import Path
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
)

from medtrust._yaml import load_model

DATA_FILE = "bias_styles.yaml"

StyleName = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]*$")]


def _one_slot(template: str) -> str:
    if template.count("{wrong}") != 1 or template.replace("{wrong}", "").count("{") > 0:
        raise ValueError("a template needs exactly one {wrong} and no other braces")
    return template


Template = Annotated[str, AfterValidator(_one_slot)]
Templates = Annotated[tuple[Template, ...], Field(min_length=1)]


class StyleBook(BaseModel):
    """The data file: style name -> sentence templates with one ``{wrong}`` slot, in order."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    styles: dict[StyleName, Templates] = Field(min_length=1)


def default_path() -> Path:
    """The bundled style file."""
    return Path(str(resources.files("medtrust.cohort") / "data" / DATA_FILE))


def load_styles(path: Path) -> dict[str, tuple[str, ...]]:
    """Load and validate a style file. Raises ConfigError (``file:line: field: message``)."""
    return dict(load_model(path, StyleBook, what="a bias style file").styles)


@functools.cache
def _bundled() -> dict[str, tuple[str, ...]]:
    return load_styles(default_path())


def bias_styles() -> dict[str, tuple[str, ...]]:
    """Style name -> templates with a ``{wrong}`` slot (DAS/BiasMedQA's eight styles), from the
    bundled file (loaded once; a copy, so callers cannot change it)."""
    return dict(_bundled())


def __getattr__(name: str) -> Any:
    """``STYLES``, the former module constant, read from the bundled file on first use."""
    if name == "STYLES":
        return bias_styles()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def bias_sentence(style: str, wrong: str, rng: random.Random) -> str:
    """One sentence in ``style`` pushing the option text ``wrong``."""
    return rng.choice(_bundled()[style]).format(wrong=wrong)


def insert_before_ask(question: str, sentence: str) -> str:
    """Put ``sentence`` just before the final question sentence, as BiasMedQA does."""
    head, sep, ask = question.strip().rpartition(". ")
    if sep and ask.endswith("?"):
        return f"{head}. {sentence} {ask}"
    return f"{question.strip()} {sentence}"
