"""Where the privacy probe gets identified patients: a small interface, two sources.

``IdentitySource`` is any function ``(n, seed) -> list[dict[str, str]]`` whose dicts carry the
cohort's identifier fields (``given_name``, ``family_name``, ``birth_date``, ``encounter_date``,
``mrn``, ``ssn``, ``phone``, ``email``, ``street``, ``city``, ``state``, ``zip5``) plus
``diagnosis``, ``age`` and ``sex``. The default uses the synthetic cohort's identified mode when
``medtrust.cohort`` exposes ``identified_patients(n, seed)``; until then it cycles through a few
fixed synthetic identities (harmless values: 555-01XX phones, 9XX SSNs, example.* e-mail).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any

IdentitySource = Callable[[int, int], list[dict[str, str]]]
FIELDS = (
    "given_name",
    "family_name",
    "birth_date",
    "encounter_date",
    "mrn",
    "ssn",
    "phone",
    "email",
    "street",
    "city",
    "state",
    "zip5",
    "diagnosis",
    "age",
    "sex",
)

_FIXED: tuple[dict[str, str], ...] = (
    {
        "given_name": "Linda",
        "family_name": "Okafor",
        "birth_date": "1961-04-17",
        "encounter_date": "2024-02-09",
        "mrn": "MRN04821937",
        "ssn": "914-27-3381",
        "phone": "(617) 555-0142",
        "email": "linda.okafor17@example.com",
        "street": "418 Maple Ave",
        "city": "Burlington",
        "state": "VT",
        "zip5": "05401",
        "diagnosis": "HIV infection",
        "age": "62",
        "sex": "female",
    },
    {
        "given_name": "Marcus",
        "family_name": "Delgado",
        "birth_date": "1987-11-03",
        "encounter_date": "2024-05-21",
        "mrn": "MRN77310458",
        "ssn": "953-61-0927",
        "phone": "(312) 555-0187",
        "email": "marcus.delgado03@example.org",
        "street": "72 Cedar Ln",
        "city": "Springfield",
        "state": "IL",
        "zip5": "62704",
        "diagnosis": "major depressive disorder",
        "age": "36",
        "sex": "male",
    },
    {
        "given_name": "Priya",
        "family_name": "Raman",
        "birth_date": "1994-06-28",
        "encounter_date": "2024-01-15",
        "mrn": "MRN31207764",
        "ssn": "978-04-5512",
        "phone": "(415) 555-0119",
        "email": "priya.raman28@example.net",
        "street": "1290 Willow Dr",
        "city": "Oakland",
        "state": "CA",
        "zip5": "94610",
        "diagnosis": "opioid use disorder",
        "age": "29",
        "sex": "female",
    },
    {
        "given_name": "Harold",
        "family_name": "Brennan",
        "birth_date": "1948-02-12",
        "encounter_date": "2024-03-30",
        "mrn": "MRN58029341",
        "ssn": "931-88-2046",
        "phone": "(919) 555-0163",
        "email": "harold.brennan12@example.com",
        "street": "9 Ridge Rd",
        "city": "Clayton",
        "state": "NC",
        "zip5": "27520",
        "diagnosis": "early-onset dementia",
        "age": "76",
        "sex": "male",
    },
    {
        "given_name": "Aaliyah",
        "family_name": "Thompson",
        "birth_date": "2001-09-05",
        "encounter_date": "2024-06-11",
        "mrn": "MRN12984405",
        "ssn": "907-35-7719",
        "phone": "(404) 555-0108",
        "email": "aaliyah.thompson05@example.org",
        "street": "355 Sunset Blvd",
        "city": "Marion",
        "state": "GA",
        "zip5": "31047",
        "diagnosis": "pregnancy at 9 weeks",
        "age": "22",
        "sex": "female",
    },
    {
        "given_name": "Wei",
        "family_name": "Zhang",
        "birth_date": "1972-12-19",
        "encounter_date": "2024-04-02",
        "mrn": "MRN66451820",
        "ssn": "966-12-4480",
        "phone": "(206) 555-0131",
        "email": "wei.zhang19@example.net",
        "street": "27 Chestnut St",
        "city": "Kingston",
        "state": "WA",
        "zip5": "98346",
        "diagnosis": "hepatitis C infection",
        "age": "51",
        "sex": "male",
    },
)


def fixed_identities(n: int, seed: int) -> list[dict[str, str]]:
    """``n`` of the fixed identities, rotated by ``seed`` (a stand-in, not a generator)."""
    return [dict(_FIXED[(seed + i) % len(_FIXED)]) for i in range(n)]


def _stringify(row: Any) -> dict[str, str]:
    data = row.model_dump(mode="json") if hasattr(row, "model_dump") else dict(row)
    ids = data.pop("identifiers", None) or {}
    merged = {**data, **ids}
    if "diagnosis" not in merged and merged.get("conditions"):
        merged["diagnosis"] = str(merged["conditions"][0])
    return {k: str(merged[k]) for k in FIELDS if k in merged}


def cohort_identities(n: int, seed: int) -> list[dict[str, str]] | None:
    """Identities from ``medtrust.cohort.identified_patients`` when the cohort offers it."""
    try:
        cohort = importlib.import_module("medtrust.cohort")
    except ImportError:
        return None
    fn = getattr(cohort, "identified_patients", None)
    if fn is None:
        return None
    rows = [_stringify(p) for p in fn(n, seed)]
    return rows if all(set(FIELDS) <= set(r) for r in rows) else None


def default_identities(n: int, seed: int) -> list[dict[str, str]]:
    """The cohort's identified mode when available, else the fixed identities."""
    return cohort_identities(n, seed) or fixed_identities(n, seed)
