"""What the Safe Harbor checker looks for: rules, column names, value patterns, the result types.

45 CFR 164.514(b)(2)(i) lists eighteen kinds of identifier "of the individual or of relatives,
employers, or household members of the individual". Shared by the table checker
(:mod:`._safe_harbor`), the FHIR checker (:mod:`._safe_harbor_fhir`) and the learned generator's
output filter (:mod:`._deid`), so that what one removes is exactly what the other looks for.

Every pattern here is valid for both Python's ``re`` and RE2 (Arrow compute): no look-arounds.
"""

from __future__ import annotations

import re

from pydantic import BaseModel

RULES: dict[str, str] = {
    "names": "(A) names",
    "geography": "(B) geographic subdivisions smaller than a state",
    "dates": "(C) dates (except year) and ages over 89, and any year indicative of such an age "
             "(90 itself is the permitted aggregate code '90 or older')",
    "phone": "(D) telephone numbers",
    "fax": "(E) fax numbers",
    "email": "(F) e-mail addresses",
    "ssn": "(G) social security numbers",
    "mrn": "(H) medical record numbers",
    "health_plan": "(I) health plan beneficiary numbers",
    "account": "(J) account numbers",
    "license": "(K) certificate/license numbers",
    "vehicle": "(L) vehicle identifiers",
    "device": "(M) device identifiers and serial numbers",
    "url": "(N) web URLs",
    "ip": "(O) IP addresses",
    "biometric": "(P) biometric identifiers",
    "photo": "(Q) full-face photographs",
    "other_id": "(R) other unique identifying numbers or codes",
}

COLUMN_RULES: dict[str, str] = {}
for _rule, _names in {
    "names": "name names first_name last_name given_name family_name full_name patient_name "
             "middle_name surname given family maiden_name mother_name father_name "
             "spouse_name guardian_name emergency_contact next_of_kin employer employer_name "
             "relative_name relative_names contact_name caregiver_name "
             "emergency_contact_name kin_name household_member_name",
    "geography": "address street street_address address_line city county town zip zip5 zipcode "
                 "zip_code postal_code postcode latitude longitude lat lon lng geocode",
    "dates": "birth_date dob date_of_birth birthdate admission_date admit_date discharge_date "
             "death_date date_of_death encounter_date visit_date service_date procedure_date "
             "event_date relative_birth_date relative_dob",
    "phone": "phone telephone phone_number mobile cell home_phone",
    "fax": "fax fax_number",
    "email": "email email_address e_mail",
    "ssn": "ssn social_security_number social_security",
    "mrn": "mrn medical_record_number medical_record chart_number",
    "health_plan": "health_plan_id member_id beneficiary_id insurance_id policy_number "
                   "subscriber_id medicaid_id medicare_id",
    "account": "account account_number account_id",
    "license": "license_number certificate_number drivers_license dea_number",
    "vehicle": "vin license_plate vehicle_id",
    "device": "device_id device_serial serial_number udi",
    "url": "url website web_url",
    "ip": "ip ip_address",
    "biometric": "fingerprint voiceprint biometric retina_scan",
    "photo": "photo face_photo portrait photo_url",
    "other_id": "national_id passport passport_number employee_id",
}.items():
    for _n in _names.split():
        COLUMN_RULES[_n] = _rule

ZIP_COLUMNS = frozenset({"zip", "zip5", "zipcode", "zip_code", "postal_code", "postcode", "zip3",
                         "zip_3", "three_digit_zip"})
"""Columns holding a ZIP code: a permitted three-digit prefix (or 000) is allowed in any of them."""
BIRTH_YEAR_COLUMNS = frozenset({"birth_year", "year_of_birth", "yob", "birthyear", "birth_yr"})
BIRTH_DATE_COLUMNS = frozenset({"birth_date", "dob", "date_of_birth", "birthdate"})
_EVENT_WORDS = frozenset({"encounter", "visit", "admission", "admit", "discharge", "service",
                          "event", "exam", "procedure", "death"})
_AGE_UNITS_OTHER = frozenset({"month", "months", "week", "weeks", "day", "days", "hour", "hours",
                              "mo", "wk", "wks"})

_MONTH_NAMES = ("January", "February", "March", "April", "May", "June", "July", "August",
                "September", "October", "November", "December")
_MONTHS = sorted({v for m in _MONTH_NAMES for v in (m, m.upper(), m[:3], m[:3].upper())}
                 | {"Sept", "SEPT"}, key=len, reverse=True)
_MON = "(?:" + "|".join(_MONTHS) + r")\.?"
_ORD = r"(?:st|nd|rd|th)?"
_YEAR4 = r"(?:1[89]|20)\d{2}"
DATE_PATTERN = "|".join([
    # ISO and year-first: 1958-03-07, 1958/3/7, 1958.03.07, with any time and zone after it
    rf"\b{_YEAR4}[-/.](?:0?[1-9]|1[0-2])[-/.](?:0?[1-9]|[12]\d|3[01])\b",
    # year and month only (an element of a date): 1958-03
    rf"\b{_YEAR4}-(?:0[1-9]|1[0-2])\b",
    # numeric day and month either order, 2- or 4-digit year: 03/07/58, 7-3-1958
    rf"\b(?:0?[1-9]|[12]\d|3[01])[/-](?:0?[1-9]|[12]\d|3[01])[/-](?:{_YEAR4}|\d{{2}})\b",
    # European dotted, 4-digit year (2-digit dotted triples are too often versions): 07.03.1958
    rf"\b(?:0?[1-9]|[12]\d|3[01])\.(?:0?[1-9]|1[0-2])\.{_YEAR4}\b",
    # written month with day and/or year: March 7, 1958; 7th of March 1958; 07-MAR-1958; March '58
    rf"\b(?:\d{{1,2}}{_ORD}[\s-]+(?:of\s+)?)?{_MON}[\s-]+(?:\d{{1,2}}{_ORD},?[\s-]+)?"
    rf"(?:{_YEAR4}|'\d{{2}})\b",
    rf"\b{_MON}\s+\d{{1,2}}{_ORD}\b",
    rf"\b\d{{1,2}}{_ORD}\s+(?:of\s+)?{_MON}",
])
"""A date element more precise than a year (164.514(b)(2)(i)(C) keeps the year only)."""

_OLD = r"(?:9[1-9]|1[0-4]\d)"
_UNITS = "one|two|three|four|five|six|seven|eight|nine"
_OLD_WORDS = rf"(?i:\b(?:ninety[\s-]*(?:{_UNITS})|(?:a|one)[\s-]+hundred)\b)"
"""An age over 90 in words: "ninety-one" to "ninety-nine", and "a/one hundred [and ...]"
(every such phrase is 100 or more: "one hundred and twenty" is 120)."""
AGE_TEXT_PATTERN = (
    rf"(?i)\b{_OLD}\s*-?\s*(?:years?|yrs?|y)\.?\s*-?\s*old\b"
    rf"|\b{_OLD}\s*(?:y/o|y\.o\.|yo|yrs?|years?)(?:\W|$)"
    rf"|\baged?\s*[:=]?\s*{_OLD}\b"
    rf"|{_OLD_WORDS}(?:[\s-]+(?:and[\s-]+)?[a-z]+)?[\s-]*(?:years?|yrs?)[\s-]*old\b"
    rf"|\baged?\s*[:=]?\s*{_OLD_WORDS}"
)
"""An age over 90 stated in text ("95-year-old", "95 y/o", "95yo", "95 years", "aged 95",
"ninety-five years old", "aged one hundred"). 90 itself ("ninety") is the Safe Harbor
aggregate code for "90 or older" (164.514(b)(2)(i)(C)) and is allowed."""
AGE_VALUE_PATTERN = rf"(?:^|[^\d.]){_OLD}(?:[^\d]|$)|{_OLD_WORDS}"
"""In an age column: any age token over 90 ("95", "95 years", "95+", "91-94", "ninety-five",
"one hundred and two"). Numeric forms ("90.5", "1e2") are compared as numbers: over 90 is a
violation, exactly 90 is the permitted top code "90 or older"."""

PATTERNS: dict[str, str] = {
    "ssn": r"\b\d{3}-\d{2}-\d{4}\b",
    "phone": r"(\(\d{3}\)\s?|\b\d{3}[-.\s])\d{3}[-.]\d{4}\b",
    "email": r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}",
    "url": r"\bhttps?://|\bwww\.[A-Za-z0-9-]+\.",
    "ip": r"\b(\d{1,3}\.){3}\d{1,3}\b",
    "dates": DATE_PATTERN,
    "mrn": r"(?i)\bMRN[:#\s-]*\d{4,}\b",
}
"""Identifier-shaped values in any text cell, by rule."""
AGE_RULE = "dates"
COMPILED = {k: re.compile(v) for k, v in PATTERNS.items()}
AGE_TEXT = re.compile(AGE_TEXT_PATTERN)
MAYBE = re.compile(r"[\d@]|www\.|https?:")
"""Cheap pre-filter: a string with no digit, '@' or URL prefix cannot match any pattern."""
YEAR_ONLY = re.compile(r"^\s*\d{4}\s*$")


class Violation(BaseModel):
    """One identifier found: which record (1-based), where, which Safe Harbor rule, and why.

    For FHIR input a record is one Patient (numbered in file order); ``line`` is its NDJSON
    line and ``patient`` its resource id."""

    record: int
    column: str
    rule: str
    detail: str
    line: int | None = None
    patient: str | None = None


class CheckReport(BaseModel):
    """Result of checking one file: ``counts`` per rule (one per record, column and rule)."""

    file: str
    records: int
    violations: list[Violation]
    counts: dict[str, int]
    total: int
    truncated: bool
    restricted_zip3: str
    records_flagged: int = 0
    columns: dict[str, int] = {}
    """Records flagged per column (FHIR: per element path), any rule."""

    @property
    def ok(self) -> bool:
        return self.total == 0


def norm_name(name: str) -> str:
    """A column name in snake case: ``AgeYears`` -> ``age_years``, ``Patient Age`` ->
    ``patient_age`` (a leading byte-order mark dropped)."""
    snake = re.sub(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])", "_", name.strip("\ufeff"))
    return re.sub(r"[^a-z0-9]+", "_", snake.lower()).strip("_")


def is_age_column(key: str) -> bool:
    """An age in years by name: ``age``, ``age_at_visit``, ``patient_age``, ``age_years``..."""
    tokens = set(key.split("_"))
    return "age" in tokens and not tokens & _AGE_UNITS_OTHER


def is_event_column(key: str) -> bool:
    """A year or date of an encounter-like event (``encounter_year``, ``visit_date``, ``year``)."""
    tokens = set(key.split("_"))
    return key in ("year", "date") or bool(
        tokens & _EVENT_WORDS and tokens & {"year", "date", "dt", "datetime", "time", "yr"})


def zip3_allowed(value: str, restricted: frozenset[str]) -> bool:
    """True for ``000`` or a populated prefix above 20,000 people that is not restricted."""
    from medtrust.cohort._zip3 import sparse

    if value == "000":
        return True
    return bool(re.fullmatch(r"\d{3}", value)) and value not in restricted and not sparse(value)
