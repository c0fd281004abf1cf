"""Identifier-shaped spans: one detector for redaction (reports, logs) and PHI-leak checks.

Pattern-based: identifiers with a recognisable shape (SSN, phone, e-mail, MRN, dates, street
addresses, zip codes, IPs, URLs). Names need an NER model; the privacy axis adds Presidio.
Redaction and the compliance checks share :func:`find_identifiers`, so what a report hides is
exactly what a disclosure check looks for.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass

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

_3DIGITS = re.compile(r"\d{3}")
# A cheap necessary condition per type: a pattern cannot match text failing its guard, so
# skipping it is exact. Python's re tries every position; most clinical text has no
# identifier, and the guards make a scan about 5x faster there (compliance scans every reply).
_GUARDS: dict[str, re.Pattern[str]] = {
    "EMAIL": re.compile("@"),
    "URL": re.compile("://"),
    "SSN": re.compile(r"\d{3}-\d"),
    "MRN": re.compile(r"mrn|medical record", re.IGNORECASE),
    "PHONE": _3DIGITS,
    "IP": re.compile(r"\d\.\d{1,3}\.\d"),
    "DATE": re.compile(r"\d[/-]\d"),
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


def redact(text: str) -> str:
    """Replace identifier-shaped spans with ``[TYPE]``."""
    out: list[str] = []
    pos = 0
    for sp in find_identifiers(text):
        out += [text[pos : sp.start], f"[{sp.type}]"]
        pos = sp.end
    out.append(text[pos:])
    return "".join(out)
