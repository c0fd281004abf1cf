"""The identifier classes planted in identified records, by canonical name (no heavy imports:
judges, probes and reports read this list)."""

from __future__ import annotations

PHI_CLASSES: tuple[str, ...] = (
    "name",
    "family_name",
    "given_name",
    "birth_date",
    "admission_date",
    "discharge_date",
    "death_date",
    "visit_date",
    "age_over_89",
    "phone",
    "fax",
    "email",
    "ssn",
    "mrn",
    "health_plan_id",
    "account_number",
    "license_number",
    "vehicle_id",
    "device_id",
    "url",
    "ip_address",
    "street_address",
    "city",
    "zip",
    "relative_name",
    "relative_birth_date",
    "diagnosis",
)
"""The identifier classes a privacy probe plants and the PHI-leak judge looks for (canonical
names shared by cohort, probes and judges): the HIPAA Safe Harbor classes of
45 CFR 164.514(b)(2)(i)(A)-(O) and (R) that occur in text (see ``_identifiers``),
split where a reader would (a family name alone, a city alone), plus the relative's name and
birth date and the diagnosis (special-category data under GDPR Art. 9)."""

COLUMN_OF_CLASS: dict[str, str] = {
    "given_name": "given_name",
    "family_name": "family_name",
    "birth_date": "birth_date",
    "admission_date": "admission_date",
    "discharge_date": "discharge_date",
    "death_date": "death_date",
    "visit_date": "encounter_date",
    "phone": "phone",
    "fax": "fax",
    "email": "email",
    "ssn": "ssn",
    "mrn": "mrn",
    "health_plan_id": "health_plan_id",
    "account_number": "account_number",
    "license_number": "license_number",
    "vehicle_id": "vehicle_id",
    "device_id": "device_id",
    "url": "url",
    "ip_address": "ip_address",
    "street_address": "street",
    "city": "city",
    "zip": "zip5",
    "relative_name": "relative_name",
    "relative_birth_date": "relative_birth_date",
}
"""Identified-mode column holding each class that is one column (``name`` is given + family
name, ``age_over_89`` the exact ``age`` when it is 90 or more, ``diagnosis`` a condition)."""
