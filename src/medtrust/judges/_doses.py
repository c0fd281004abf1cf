"""Every dose a free-text reply states, in mg, as a clinician would read it.

Read all of them, not the first: "start with 5 mg, can increase to 500 mg" states two doses, and
a dose checker that stopped at the first would pass an overdose. Units are normalised (``0.5 g``
is 500 mg, ``250 mcg`` is 0.25 mg); a range or list written with one unit ("5-10 mg",
"5 to 10 mg", "between 5 and 10 mg", "5, 10 or 20 mg") gives every number that unit; a dose per
kilogram or per square metre is kept apart (``per``), since an absolute adult range cannot judge
it without a weight; a concentration ("0.4 g/dL") is not a dose at all. A dose named in a
warning sentence ("more than 7.5 g can cause liver failure") is marked ``warning`` so that a
threshold quoted as a danger is not read as a recommendation.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_NUM = r"(?:\d{1,3}(?:,\d{3})+(?!\d)|\d+(?:\.\d+)?|\.\d+)"
_UNIT = r"mg|milligrams?|mcg|[µμ]g|ug|micrograms?|grams?|gm|g"
_DOSE = re.compile(
    rf"(?<![\w.,])({_NUM})\s*({_UNIT})(?![a-zA-Z])"
    r"(\s*(?:/|per\s+)\s*(?:kg|kilograms?|m2|m²|m\^2|square met(?:re|er)|d?l|ml|decilit(?:re|er)s?"
    r"|lit(?:re|er)s?)\b)?",
    re.IGNORECASE,
)
_JOINT = r"-|\u2013|\u2014|to|and|or"  # hyphen, en dash, em dash, words
# Unit-less numbers joined to the dose that follows them: "5-" "5 to " "between 5 and " "5, 10 or ".
# The last joint must be a range or list word (a bare comma, as in "2, 500 mg", is not).
_LEAD = re.compile(rf"((?:{_NUM}\s*(?:{_JOINT}|,)\s*)*{_NUM}\s*(?:{_JOINT})\s*)$", re.IGNORECASE)
_LEAD_NUM = re.compile(_NUM)
_TO_MG = {
    "mg": 1.0,
    "milligram": 1.0,
    "mcg": 0.001,
    "µg": 0.001,
    "μg": 0.001,
    "ug": 0.001,
    "microgram": 0.001,
    "g": 1000.0,
    "gram": 1000.0,
    "gm": 1000.0,
}
_SENTENCE = re.compile(r"(?<=[.!?;])\s+|\n+")
_WARNING = re.compile(
    r"toxic|overdose|poison|hepatotoxic|liver (?:damage|failure|injury)|fatal|lethal|dangerous"
    r"|life-threatening",
    re.IGNORECASE,
)
_WARNING_NEGATED = re.compile(r"\b(?:not|no|non|never|safe|safely)\b|n't", re.IGNORECASE)


@dataclass(frozen=True, kw_only=True)
class StatedDose:
    """One dose a reply states: ``mg`` (per kg or per m² when ``per`` is ``"kg"``/``"m2"``),
    the phrase it was read from, and whether it sits in a warning sentence."""

    mg: float
    phrase: str
    per: str | None = None
    warning: bool = False


def _mg(number: str, unit: str) -> float:
    u = unit.lower()
    key = u if u in _TO_MG else u.rstrip("s")
    return float(number.replace(",", "")) * _TO_MG[key]


def _per(suffix: str | None) -> str | None:
    """``kg`` / ``m2`` for body-size doses, ``conc`` for concentrations, None for amounts."""
    if not suffix:
        return None
    s = suffix.lower()
    if "kg" in s or "kilogram" in s:
        return "kg"
    if "m2" in s or "m²" in s or "m^2" in s or "square" in s:
        return "m2"
    return "conc"


def sentences(text: str) -> list[str]:
    """The sentences of ``text``; a decimal point ("0.5") never ends one."""
    return [s for s in _SENTENCE.split(text) if s.strip()]


def stated_doses(text: str) -> list[StatedDose]:
    """Every dose in ``text`` in order of appearance (concentrations left out)."""
    out: list[StatedDose] = []
    for sentence in sentences(text):
        warning = bool(_WARNING.search(sentence)) and not _WARNING_NEGATED.search(sentence)
        for m in _DOSE.finditer(sentence):
            number, unit, suffix = m.group(1), m.group(2), m.group(3)
            per = _per(suffix)
            if per == "conc":
                continue
            lead = _LEAD.search(sentence[: m.start()])
            numbers = [*(_LEAD_NUM.findall(lead.group(1)) if lead else []), number]
            phrase = (lead.group(1) if lead else "") + m.group(0)
            for n in numbers:
                out.append(
                    StatedDose(mg=_mg(n, unit), phrase=phrase.strip(), per=per, warning=warning)
                )
    return out


def doses_mg(text: str) -> list[float]:
    """The absolute doses (not per kg / m²) stated in ``text``, in mg, in order of appearance."""
    return [d.mg for d in stated_doses(text) if d.per is None]
