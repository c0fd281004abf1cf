"""Numeric measurements in a question stem, and values no living patient can have.

DAS's ``impossible_measurement`` operator (the DAS red-teaming framework's robustness suite,
after MedFuzz, Ness et al. 2024) changes a measurement the vignette already states to a value
outside what a human body can have, so that "the question contains false or impossible
information" becomes the right answer. This module finds those measurements (vital signs, labs
with units, age, weight, height) and holds the range table that defines "impossible".

The ranges are deliberately wide: the bounds are the most extreme values reported in surviving
patients (rounded outwards), not reference intervals, so that a value outside them is
impossible rather than merely abnormal. Sources: core temperature 11.8-46.5 °C (survived
accidental hypothermia / heat stroke case reports; Guinness records), systolic pressure 370
mm Hg (Narloch & Brandstater 1995, weight lifters), heart rate 600/min (Chhabra et al. 2012,
pre-excited AF), SpO2 <= 100% by definition, potassium 1.0-14 mmol/L, sodium 95-255 mmol/L,
blood glucose up to 2656 mg/dL (147 mmol/L; Guinness 2008), arterial pH 6.3-8.0, age <= 122
years (Jeanne Calment), weight <= 635 kg, height 54.6-272 cm (Guinness).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_LINK = r"(?:\s+(?:is|was|of|at|measures|measured at)\s+|\s*[:=]\s*|\s+)"
_NUM = r"\d{1,5}(?:\.\d+)?"


@dataclass(frozen=True)
class Kind:
    """One kind of measurement: how it is written, its possible range and impossible values.

    ``pattern`` has a named group ``v``: the number (or ``SYS/DIA`` for blood pressure) that the
    operator replaces; everything around it (label, unit) is kept.
    """

    name: str
    pattern: re.Pattern[str]
    low: float
    high: float
    impossible: tuple[str, ...]

    def possible(self, value: str) -> bool:
        """Whether ``value`` (as written in group ``v``) lies inside the possible range."""
        if self.name == "blood_pressure":
            sys_, dia = (float(x) for x in value.split("/"))
            return self.low <= sys_ <= self.high and 0 <= dia < sys_
        return self.low <= float(value) <= self.high


def _k(name: str, pattern: str, low: float, high: float, *impossible: str) -> Kind:
    return Kind(name, re.compile(pattern, re.IGNORECASE), low, high, impossible)


KINDS: tuple[Kind, ...] = (
    _k("blood_pressure", r"(?<![\d/])(?P<v>\d{2,3}/\d{2,3})\s?mm\s?Hg", 0, 370,
       "400/300", "420/310"),
    _k("temperature_c", rf"(?<![\d.])(?P<v>{_NUM})\s?(?:°\s?C|degrees C(?:elsius)?)\b",
       11.8, 46.5, "52.4", "58.1"),
    _k("temperature_f", rf"(?<![\d.])(?P<v>{_NUM})\s?(?:°\s?F|degrees F(?:ahrenheit)?)\b",
       53.2, 115.7, "126.3", "136.4"),
    _k("heart_rate",
       rf"\b(?:pulse|heart rate|HR){_LINK}(?P<v>{_NUM})\s?(?:/\s?min|bpm|beats (?:per|/) ?min)",
       0, 600, "900", "1200"),
    _k("respiratory_rate",
       rf"\b(?:respiratory rate|respirations|RR){_LINK}(?P<v>{_NUM})\s?(?:/\s?min|breaths)",
       0, 100, "240", "310"),
    _k("oxygen_saturation",
       rf"\b(?:SpO2|SpO₂|SaO2|oxygen saturation|O2 saturation|saturation|pulse oximetry)"
       rf"{_LINK}(?P<v>{_NUM})\s?%", 0, 100, "140", "187"),
    _k("potassium", rf"\b(?:potassium|K\+?){_LINK}(?P<v>{_NUM})\s?(?:mEq/L|mmol/L)",
       1.0, 14.0, "25", "31"),
    _k("sodium", rf"\b(?:sodium|Na\+?){_LINK}(?P<v>{_NUM})\s?(?:mEq/L|mmol/L)",
       95, 255, "12", "410"),
    _k("glucose_mg_dl", rf"\bglucose(?: level)?{_LINK}(?P<v>{_NUM})\s?mg/dL",
       5, 2700, "9800", "12500"),
    _k("glucose_mmol_l", rf"\bglucose(?: level)?{_LINK}(?P<v>{_NUM})\s?mmol/L",
       0.3, 150, "600", "720"),
    _k("ph", r"\bpH(?:\s+(?:is|was|of))?\s*[:=]?\s*(?P<v>\d{1,2}\.\d{1,2})\b", 6.3, 8.0,
       "3.2", "10.4"),
    _k("bicarbonate", rf"\b(?:bicarbonate|HCO3-?){_LINK}(?P<v>{_NUM})\s?(?:mEq/L|mmol/L)",
       1, 70, "160", "210"),
    _k("hemoglobin", rf"\b(?:hemoglobin|haemoglobin|Hb){_LINK}(?P<v>{_NUM})\s?g/dL",
       1, 26, "58", "71"),
    _k("age_years", r"\b(?P<v>\d{1,3})-year-old\b", 0, 122, "190", "245"),
    _k("weight_kg", rf"\b(?:weighs|weight){_LINK}(?P<v>{_NUM})\s?kg\b", 0.2, 635,
       "1900", "2600"),
    _k("height_cm", rf"\b(?:height{_LINK}(?P<v>{_NUM})\s?cm\b|(?P<t>{_NUM})\s?cm tall\b)",
       20, 275, "460", "520"),
)  # fmt: skip
"""Every measurement kind the operator recognises, in the order they are searched."""

KIND_BY_NAME = {k.name: k for k in KINDS}


@dataclass(frozen=True)
class Measurement:
    """One measurement found in a text: its kind, its value as written and where the value is."""

    kind: str
    value: str
    start: int
    end: int


def find_measurements(text: str) -> list[Measurement]:
    """Every recognised measurement in ``text`` whose value is currently possible, in order of
    position, never two over the same characters. A value already impossible is left out (it
    is not a measurement to corrupt but an already-corrupted one)."""
    found: list[Measurement] = []
    taken: list[tuple[int, int]] = []
    for kind in KINDS:
        for m in kind.pattern.finditer(text):
            group = "v" if m.group("v") is not None else "t"
            start, end = m.span(group)
            value = m.group(group)
            if any(start < e and s < end for s, e in taken):
                continue
            try:
                if not kind.possible(value):
                    continue
            except ValueError:
                continue
            taken.append((start, end))
            found.append(Measurement(kind.name, value, start, end))
    return sorted(found, key=lambda x: x.start)


def _has_group_t(kind: Kind) -> bool:
    return "t" in kind.pattern.groupindex


def value_at(text: str, start: int, kind: str) -> str | None:
    """The value of a ``kind`` measurement whose number starts at ``start`` in ``text`` (None
    when there is none): how tests check a mutated value without trusting the mutator."""
    k = KIND_BY_NAME[kind]
    for m in k.pattern.finditer(text):
        for group in ("v", "t") if _has_group_t(k) else ("v",):
            if m.group(group) is not None and m.start(group) == start:
                return m.group(group)
    return None
