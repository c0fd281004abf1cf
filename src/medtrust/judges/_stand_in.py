"""The keyword stand-in grader's one rule: it can grade only a criterion that has ``keywords``.

Every place that applies the rule calls these functions: the stand-in itself
(:func:`medtrust.judges._rubric_grade.keyword_grade`: a criterion without keywords is
``ungradable`` at grade time, a judge error) and the up-front checks that make such a criterion
bad input before anything is asked: ``run`` and ``cases export`` (the open-ended probe's items),
``judge validate`` on criterion-level labels, and ``import inspect``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from medtrust.errors import ConfigError

STAND_IN = "keywords"
"""The grader spec of the deterministic keyword stand-in (``run --judge keywords``)."""


def criterion_keywords(criterion: Mapping[str, Any]) -> list[str]:
    """The criterion's ``keywords`` (regular expressions) as strings; ``[]`` when it has none
    (missing, null or empty), which is what the stand-in cannot grade."""
    return [str(k) for k in criterion.get("keywords") or []]


def without_keywords(criteria: Iterable[object]) -> Mapping[str, Any] | None:
    """The first criterion (a mapping; anything else is left to the readers' own checks) that
    has no keywords, or None."""
    return next((c for c in criteria
                 if isinstance(c, Mapping) and not criterion_keywords(c)), None)


def require_keywords(
    grader: str, criteria: Iterable[object], where: str, *, named: bool = True
) -> None:
    """Raise :class:`ConfigError` (one line: ``where``, the criterion's ``id`` when ``named``,
    the fix) when ``grader`` is the stand-in and one of ``criteria`` has no keywords; any other
    grader (an LLM) grades every criterion, so nothing is checked."""
    if grader != STAND_IN:
        return
    bare = without_keywords(criteria)
    if bare is None:
        return
    which = f"criterion {bare.get('id')}" if named else "this criterion"
    raise ConfigError(
        f"{where}: {which} has no 'keywords', so the stand-in grader {STAND_IN!r} cannot "
        "grade it; add them, or pass --judge SPEC (an LLM grader)"
    )
