"""Safe Harbor checker: find HIPAA identifiers (45 CFR 164.514(b)(2)(i)(A)-(R)) in a file.

Three kinds of evidence, each reported per record: a column whose *name* says it holds an
identifier (and is filled in), a *value* that looks like one (SSN, phone, e-mail, URL, IP, MRN,
full date), and the numeric rules (ages over 89, birth years of people 90+, restricted or
five-digit ZIPs). Tables are scanned with Arrow compute, FHIR bundles by walking the JSON.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
from pydantic import BaseModel

from medtrust.cohort._io import format_of, json_lines, read_tables
from medtrust.cohort._kb import load_kb

RULES: dict[str, str] = {
    "names": "(A) names",
    "geography": "(B) geographic subdivisions smaller than a state",
    "dates": "(C) dates (except year) and ages over 89",
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
             "middle_name surname given family maiden_name",
    "geography": "address street street_address address_line city county town zip zip5 zipcode "
                 "zip_code postal_code postcode latitude longitude lat lon lng geocode",
    "dates": "birth_date dob date_of_birth birthdate admission_date discharge_date death_date "
             "date_of_death encounter_date visit_date service_date",
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

PATTERNS: dict[str, str] = {
    "ssn": r"\b\d{3}-\d{2}-\d{4}\b",
    "phone": r"(\(\d{3}\)\s?|\b\d{3}[-.\s])\d{3}[-.]\d{4}\b",
    "email": r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}",
    "url": r"\bhttps?://|\bwww\.[A-Za-z0-9-]+\.",
    "ip": r"\b(\d{1,3}\.){3}\d{1,3}\b",
    "dates": r"\b(19|20)\d{2}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])\b"
             r"|\b(0?[1-9]|1[0-2])/(0?[1-9]|[12]\d|3[01])/((19|20)\d{2}|\d{2})\b",
    "mrn": r"(?i)\bMRN[:#\s-]*\d{4,}\b",
}
AGE_COLUMNS = {"age", "age_years", "patient_age"}
BIRTH_YEAR_COLUMNS = {"birth_year", "year_of_birth", "yob"}
ZIP3_COLUMNS = {"zip3", "zip_3", "three_digit_zip"}
FHIR_SKIP_KEYS = {"system", "url", "fullUrl", "reference", "profile", "id", "code"}
_COMPILED = {k: re.compile(v) for k, v in PATTERNS.items()}
_MAYBE = re.compile(r"[\d@]|www\.|https?:")
"""Cheap pre-filter: a string with no digit, '@' or URL prefix cannot match any pattern."""


class Violation(BaseModel):
    """One identifier found: which record (1-based), where, which Safe Harbor rule, and why."""

    record: int
    column: str
    rule: str
    detail: str


class CheckReport(BaseModel):
    """Result of checking one file."""

    file: str
    records: int
    violations: list[Violation]
    counts: dict[str, int]
    total: int
    truncated: bool
    restricted_zip3: str

    @property
    def ok(self) -> bool:
        return self.total == 0


def _norm(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_")


def _rows(mask: pa.Array) -> list[int]:
    return pc.indices_nonzero(pc.fill_null(mask, False)).to_pylist()  # type: ignore[no-any-return]


def _strings(col: pa.ChunkedArray) -> tuple[pa.Array, pa.Array | None] | None:
    """String values of a column and, for lists, the row of each value."""
    arr = col.combine_chunks() if isinstance(col, pa.ChunkedArray) else col
    if pa.types.is_dictionary(arr.type):
        arr = pc.cast(arr, pa.string())
    if pa.types.is_list(arr.type) or pa.types.is_large_list(arr.type):
        parents = pc.list_parent_indices(arr)
        flat = pc.list_flatten(arr)
        return (flat, parents) if pa.types.is_string(flat.type) else None
    if pa.types.is_string(arr.type) or pa.types.is_large_string(arr.type):
        return arr, None
    return None


def _numbers(col: pa.ChunkedArray) -> pa.Array:
    arr = col.combine_chunks()
    if pa.types.is_dictionary(arr.type):
        arr = pc.cast(arr, pa.string())
    if pa.types.is_string(arr.type):
        ok = pc.match_substring_regex(arr, r"^\s*\d+(\.\d+)?\s*$")
        arr = pc.if_else(ok, arr, None)
        return pc.cast(arr, pa.float64())
    if pa.types.is_integer(arr.type) or pa.types.is_floating(arr.type):
        return pc.cast(arr, pa.float64())
    return pa.nulls(len(arr), pa.float64())


def check_table(table: pa.Table, offset: int = 0) -> Iterator[Violation]:
    """Violations in one table (records numbered from ``offset + 1``)."""
    restricted = pa.array(sorted(load_kb().restricted_zip3))
    names = {_norm(c): c for c in table.column_names}
    for key, col_name in names.items():
        col = table[col_name]
        rule = COLUMN_RULES.get(key)
        if rule is not None:
            filled = pc.and_(pc.is_valid(col), pc.not_equal(pc.cast(col, pa.string()), ""))
            for r in _rows(filled):
                yield Violation(record=offset + r + 1, column=col_name, rule=rule,
                                detail=f"column {col_name!r} holds {RULES[rule]}")
        if pa.types.is_temporal(col.type):
            for r in _rows(pc.is_valid(col)):
                yield Violation(record=offset + r + 1, column=col_name, rule="dates",
                                detail="date more precise than a year")
        values = _strings(col)
        if values is not None:
            arr, parents = values
            for prule, regex in PATTERNS.items():
                hits = _rows(pc.match_substring_regex(arr, regex))
                rows = sorted({parents[h].as_py() for h in hits}) if parents is not None else hits
                for r in rows:
                    yield Violation(record=offset + r + 1, column=col_name, rule=prule,
                                    detail=f"value looks like {RULES[prule]}")
        if key in AGE_COLUMNS:
            for r in _rows(pc.greater(_numbers(col), 90)):
                yield Violation(record=offset + r + 1, column=col_name, rule="dates",
                                detail="age over 89 not pooled into 90+")
        if key in ZIP3_COLUMNS:
            z = pc.cast(col.combine_chunks(), pa.string())
            for r in _rows(pc.is_in(z, value_set=restricted)):
                yield Violation(record=offset + r + 1, column=col_name, rule="geography",
                                detail=f"restricted zip3 {z[r].as_py()} must be 000")
            for r in _rows(pc.invert(pc.match_substring_regex(z, r"^\d{3}$"))):
                yield Violation(record=offset + r + 1, column=col_name, rule="geography",
                                detail="zip3 is not three digits")
    ages = [names[k] for k in AGE_COLUMNS if k in names]
    years = [names[k] for k in BIRTH_YEAR_COLUMNS if k in names]
    if ages and years:
        old = pc.and_(pc.greater_equal(_numbers(table[ages[0]]), 90),
                      pc.is_valid(_numbers(table[years[0]])))
        for r in _rows(old):
            yield Violation(record=offset + r + 1, column=years[0], rule="dates",
                            detail="birth year reveals an age over 89")


def _walk(node: Any, path: str) -> Iterator[tuple[str, str, Any]]:
    if isinstance(node, dict):
        for k, v in node.items():
            yield path, k, v
            yield from _walk(v, f"{path}.{k}" if path else k)
    elif isinstance(node, list):
        for v in node:
            yield from _walk(v, path)


def check_fhir_doc(doc: Any, record: int) -> Iterator[Violation]:
    """Violations in one FHIR resource or Bundle (one NDJSON line)."""
    restricted = load_kb().restricted_zip3
    for path, key, value in _walk(doc, ""):
        where = f"{path}.{key}" if path else key
        in_patient = "Patient" in path or path == "" or path.endswith("resource")
        if key in ("name", "telecom", "identifier", "photo") and in_patient and value:
            rule = {"name": "names", "telecom": "phone", "identifier": "other_id",
                    "photo": "photo"}[key]
            if key == "name" and not isinstance(value, list):
                continue
            yield Violation(record=record, column=where, rule=rule, detail=f"FHIR {key} present")
        elif key in ("line", "city", "district") and "address" in path:
            yield Violation(record=record, column=where, rule="geography",
                            detail=f"address {key} present")
        elif key == "postalCode" and isinstance(value, str):
            if len(value) != 3 or value in restricted:
                yield Violation(record=record, column=where, rule="geography",
                                detail=f"postal code {value!r} is not a permitted zip3")
        elif key in ("birthDate", "deceasedDateTime") and isinstance(value, str) and len(value) > 4:
            yield Violation(record=record, column=where, rule="dates",
                            detail=f"{key} more precise than a year")
        if isinstance(value, str) and key not in FHIR_SKIP_KEYS and _MAYBE.search(value):
            for prule, regex in _COMPILED.items():
                if regex.search(value):
                    yield Violation(record=record, column=where, rule=prule,
                                    detail=f"value looks like {RULES[prule]}")


def check_file(path: Path, *, limit: int = 10_000) -> CheckReport:
    """Check a cohort file against Safe Harbor; ``violations`` holds the first ``limit``."""
    counts: Counter[str] = Counter()
    kept: list[Violation] = []
    records = 0

    def take(vs: Iterator[Violation]) -> None:
        for v in vs:
            counts[v.rule] += 1
            if len(kept) < limit:
                kept.append(v)

    if format_of(path) == "fhir":
        for lineno, doc in json_lines(path):
            records += 1
            take(check_fhir_doc(doc, lineno))
    else:
        for table in read_tables(path):
            take(check_table(table, records))
            records += table.num_rows
    kept.sort(key=lambda v: (v.record, v.column, v.rule))
    total = sum(counts.values())
    return CheckReport(file=str(path), records=records, violations=kept, counts=dict(counts),
                       total=total, truncated=total > len(kept),
                       restricted_zip3=load_kb().restricted_zip3_version)
