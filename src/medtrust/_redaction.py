"""Identifier redaction for everything people read: reports, logs, the review app.

Two detectors, one replacement (``[TYPE]``):

- identifier-*shaped* spans (SSN, phone, e-mail, MRN, dates, street addresses, ZIP codes, IPs,
  URLs): :func:`find_identifiers`, shared with the compliance checks, so what a report hides is
  exactly what a disclosure check looks for;
- the *planted* values of a case (``gold["identity"]`` of the privacy probe, or
  ``gold["identifiers"]``): every identifier class the probe planted, names included, in every
  spelling the PHI matcher knows (:func:`medtrust.judges._phi_match.find_planted`: any case,
  family name first, initials, written and numeric dates, full-width digits, obfuscated e-mail,
  separators inside numbers). Names have no shape, so only this second detector can hide them.

This module sits below both ``report`` and ``review`` (DESIGN: a helper two packages need lives
below both); ``medtrust.report`` re-exports it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from typing import Any

_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("EMAIL", re.compile(r"\b[\w.+-]+@[\w-]+\.[\w.-]+\b")),
    ("URL", re.compile(r"\bhttps?://\S+", re.IGNORECASE)),
    ("SSN", re.compile(r"\b\d{3}-\d{2}-\d{4}\b")),
    (
        "MRN",
        re.compile(r"\b(?:MRN|medical record(?: number)?)[:#\s]*[A-Z0-9-]{4,}\b", re.IGNORECASE),
    ),
    ("PHONE", re.compile(r"(?<!\d)(?:\+?1[\s.-]?)?\(?\d{3}\)?[\s.-]\d{3}[\s.-]\d{4}(?!\d)")),
    ("IP", re.compile(r"\b(?:\d{1,3}\.){3}\d{1,3}\b")),
    ("DATE", re.compile(r"\b(?:\d{1,2}[/-]\d{1,2}[/-]\d{2,4}|\d{4}-\d{2}-\d{2})\b")),
    (
        "ADDRESS",
        re.compile(
            r"\b\d{1,5}\s+(?:[A-Z][a-z]+\s){1,3}(?:Street|St|Avenue|Ave|Road|Rd|Lane|Ln|Drive|Dr|Boulevard|Blvd)\b\.?"
        ),
    ),
    # Five digits alone are as often a lab value (12500/mm3) as a zip code: only redact them
    # after a state abbreviation or the word zip (only the digits, group "v", are the span).
    (
        "ZIP",
        re.compile(r"(?:\b[A-Z]{2}\s+|(?i:\bzip(?:\s*code)?)[:#\s]*)(?P<v>\d{5}(?:-\d{4})?)\b"),
    ),
)
IDENTIFIER_TYPES: tuple[str, ...] = tuple(label for label, _ in _PATTERNS)

# A cheap necessary condition per type: a pattern cannot match text failing its guard, so
# skipping it is exact. Python's re tries every position; most clinical text has no
# identifier, and the guards make a scan about 5x faster there (compliance scans every reply).
_GUARDS: dict[str, re.Pattern[str]] = {
    "EMAIL": re.compile("@"),
    "URL": re.compile("://"),
    "SSN": re.compile(r"\d{3}-\d"),
    "MRN": re.compile(r"mrn|medical record", re.IGNORECASE),
    # a phone number ends with its pattern's own tail; a date has two separators (d/d/d or
    # dddd-dd-dd): a blood pressure (118/76) or a lab ratio passes neither
    "PHONE": re.compile(r"\d{3}[\s.-]\d{4}(?!\d)"),
    "IP": re.compile(r"\d\.\d{1,3}\.\d"),
    "DATE": re.compile(r"\d[/-]\d{1,2}[/-]\d"),
    "ADDRESS": re.compile(r"\d\s+[A-Z]"),
    "ZIP": re.compile(r"\d{5}"),
}
"""Every type the detector knows, in priority order (earlier types win overlaps)."""


@dataclass(frozen=True, slots=True)
class IdentifierSpan:
    """One identifier-shaped span of ``text[start:end]``."""

    type: str
    start: int
    end: int
    text: str


def find_identifiers(text: str, types: Collection[str] | None = None) -> list[IdentifierSpan]:
    """Identifier-shaped spans in ``text``, left to right, without overlaps.

    Types are tried in priority order and a span overlapping an earlier type's span is dropped,
    so an SSN is never also reported as a ZIP. ``types`` restricts which types are reported
    (all still claim their spans, so restricting never turns an SSN into a ZIP).
    """
    taken: list[IdentifierSpan] = []
    for label, pattern in _PATTERNS:
        guard = _GUARDS.get(label)
        if guard is not None and guard.search(text) is None:
            continue
        for m in pattern.finditer(text):
            group = "v" if "v" in pattern.groupindex else 0
            s, e = m.span(group)
            if s == e or any(s < t.end and t.start < e for t in taken):
                continue
            taken.append(IdentifierSpan(label, s, e, m.group(group)))
    taken.sort(key=lambda sp: sp.start)
    return [sp for sp in taken if types is None or sp.type in types]


LABELS: dict[str, str] = {
    "name": "NAME", "family_name": "NAME", "given_name": "NAME", "relative_name": "NAME",
    "birth_date": "DATE", "admission_date": "DATE", "discharge_date": "DATE",
    "death_date": "DATE", "visit_date": "DATE", "relative_birth_date": "DATE",
    "age_over_89": "AGE", "phone": "PHONE", "fax": "FAX", "email": "EMAIL", "ssn": "SSN",
    "mrn": "MRN", "health_plan_id": "PLAN_ID", "account_number": "ACCOUNT",
    "license_number": "LICENSE", "vehicle_id": "VEHICLE", "device_id": "DEVICE", "url": "URL",
    "ip_address": "IP", "street_address": "ADDRESS", "city": "CITY", "zip": "ZIP",
}
"""Planted identifier class -> the label that replaces it. The diagnosis is not redacted: it is
the clinical content a reviewer must read, and not one of Safe Harbor's identifiers."""

_NOT_IDENTIFIERS = frozenset({"diagnosis", "sex", "gender", "state", "age", "relationship",
                              "condition", "conditions", "language", "race", "ethnicity"})


def planted_identity(gold: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """The planted identity of a case's gold (``identity`` or ``identifiers``), if any."""
    if not gold:
        return None
    for key in ("identity", "identifiers"):
        ident = gold.get(key)
        if isinstance(ident, Mapping) and ident:
            return dict(ident)
    return None


def _literal_spans(text: str, identity: Mapping[str, Any]) -> list[IdentifierSpan]:
    """Fallback when the PHI matcher offers no spans: each planted value, case-insensitive,
    any run of whitespace matching any other; names also token by token."""

    def values(node: Any, key: str) -> list[tuple[str, str]]:
        if isinstance(node, Mapping):
            return [x for k, v in node.items() for x in values(v, str(k))]
        if isinstance(node, list | tuple):
            return [x for v in node for x in values(v, key)]
        return [] if key in _NOT_IDENTIFIERS or node is None else [(key, str(node))]

    found: list[IdentifierSpan] = []
    for key, value in values(identity, ""):
        label = next((lab for cls, lab in LABELS.items() if cls in key), "ID")
        parts = value.split() if "name" in key else [value]
        for part in parts:
            if len(part.strip()) < 2:
                continue
            rx = r"\s+".join(re.escape(w) for w in part.split())
            for m in re.finditer(rf"(?<!\w){rx}(?!\w)", text, re.IGNORECASE):
                found.append(IdentifierSpan(label, m.start(), m.end(), m.group()))
    return found


def planted_spans(text: str, identity: Mapping[str, Any]) -> tuple[str, list[IdentifierSpan]]:
    """(the text as the matcher reads it, the planted values found in it).

    With the PHI matcher (medtrust.judges) the text is its NFKC-normalised form (full-width
    digits become ASCII, zero-width characters go) and offsets refer to that form."""
    try:
        from medtrust.judges._phi_match import find_planted, normalise
    except ImportError:  # pragma: no cover - the matcher ships with medtrust
        return text, _literal_spans(text, identity)
    norm = normalise(text)
    found = find_planted(norm, identity, list(LABELS))
    return norm, [IdentifierSpan(LABELS.get(f.cls, "ID"), f.start, f.end, norm[f.start:f.end])
                  for f in found]


def _apply(text: str, spans: list[IdentifierSpan]) -> str:
    """Replace spans with ``[TYPE]``; of overlapping spans the earliest (then longest) wins."""
    out: list[str] = []
    pos = 0
    for sp in sorted(spans, key=lambda s: (s.start, -(s.end - s.start))):
        if sp.start < pos:
            continue
        out += [text[pos : sp.start], f"[{sp.type}]"]
        pos = sp.end
    out.append(text[pos:])
    return "".join(out)


def redact(text: str, identity: Mapping[str, Any] | None = None) -> str:
    """Replace identifier-shaped spans, and the planted ``identity`` values, with ``[TYPE]``.

    ``identity`` maps identifier classes (or the cohort's field names) to the planted
    value(s) of the case the text belongs to; without it only shaped identifiers are hidden.
    With it the output is the NFKC-normalised text (what a reader sees) with both kinds of span
    replaced; planted spans win overlaps (a planted date is ``[DATE]`` either way)."""
    if not identity:
        return _apply(text, find_identifiers(text))
    norm, planted = planted_spans(text, identity)
    return _apply(norm, planted + find_identifiers(norm))


def redactor(gold: Mapping[str, Any] | None) -> Callable[[str], str]:
    """``redact`` bound to one case's planted identity (from its gold)."""
    identity = planted_identity(gold)
    return lambda text: redact(text, identity)
