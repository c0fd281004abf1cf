"""Safe Harbor: generated output is clean, identified output is flagged, plants are found."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from medtrust.cohort import CohortConfig, check_file, generate_cohort
from medtrust.cohort._io import flatten_for_text

PLANTS: dict[str, tuple[str, object, str]] = {
    "ssn": ("note", "SSN on file 912-34-5678", "ssn"),
    "phone": ("note", "call (212) 555-0123", "phone"),
    "email": ("note", "mail jo.doe@example.com", "email"),
    "url": ("note", "see https://example.org/p/1", "url"),
    "ip": ("note", "login from 10.1.2.3", "ip"),
    "date": ("note", "seen on 2021-03-04", "dates"),
    "mrn": ("note", "MRN: 00123456", "mrn"),
    "age": ("age", 95, "dates"),
    "zip": ("zip3", "036", "geography"),
    "zip5": ("zip3", "02139", "geography"),
    "name": ("first_name", "Alice", "names"),
    "fax": ("fax", "617 555 0100", "fax"),
    "old": ("birth_year", 1930, "dates"),
}


def _write(rows: list[dict[str, object]], path: Path) -> None:
    table = pa.Table.from_pylist(rows)
    if path.suffix == ".parquet":
        pq.write_table(table, path)
    elif path.suffix == ".csv":
        pacsv.write_csv(flatten_for_text(table), path)
    else:
        path.write_text("".join(json.dumps(r, default=str) + "\n" for r in rows))


@pytest.mark.parametrize("ext", ["parquet", "csv", "jsonl", "ndjson"])
def test_generated_safe_harbor_is_clean(tmp_path: Path, ext: str) -> None:
    out = tmp_path / f"c.{ext}"
    generate_cohort(300 if ext == "ndjson" else 3000, out, config=CohortConfig(seed=7))
    report = check_file(out)
    assert report.ok, report.violations[:5]


@pytest.mark.parametrize("ext", ["parquet", "csv", "jsonl", "ndjson"])
def test_identified_output_is_flagged(tmp_path: Path, ext: str) -> None:
    out = tmp_path / f"c.{ext}"
    generate_cohort(50, out, config=CohortConfig(seed=7, policy="identified"))
    report = check_file(out)
    assert not report.ok
    for rule in ("names", "ssn", "phone", "email", "mrn", "dates", "geography"):
        assert report.counts.get(rule, 0) >= 50, (rule, report.counts)
    flagged = {v.record for v in report.violations}
    assert flagged == set(range(1, 51))


@settings(max_examples=25, deadline=None, suppress_health_check=[
    HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(plants=st.lists(st.tuples(st.integers(0, 99), st.sampled_from(sorted(PLANTS))),
                       min_size=1, max_size=12, unique_by=lambda x: x[0]),
       ext=st.sampled_from([".parquet", ".csv", ".jsonl"]))
def test_checker_finds_every_planted_violation(sh_table: pa.Table, tmp_path: Path,
                                               plants: list[tuple[int, str]], ext: str) -> None:
    rows = sh_table.slice(0, 100).to_pylist()
    for r in rows:
        r.update(note="routine follow-up, no complaints", first_name=None, fax=None)
        r["age"] = min(int(r["age"]), 89)
        r["birth_year"] = r["birth_year"] or 1935
    for row, kind in plants:
        col, value, _ = PLANTS[kind]
        if kind == "old":
            rows[row]["age"] = 90
        rows[row][col] = value
    path = tmp_path / f"planted{ext}"
    _write(rows, path)
    report = check_file(path)
    found = {(v.record, v.rule) for v in report.violations}
    for row, kind in plants:
        assert (row + 1, PLANTS[kind][2]) in found, (kind, row, report.violations[:5])
    planted_rows = {row + 1 for row, _ in plants}
    assert {v.record for v in report.violations} <= planted_rows


def test_fhir_violations(tmp_path: Path) -> None:
    doc = {"resourceType": "Bundle", "type": "collection", "entry": [{"resource": {
        "resourceType": "Patient", "id": "x", "gender": "male", "birthDate": "1950-02-03",
        "name": [{"family": "Doe"}], "address": [{"postalCode": "03601", "city": "Keene"}]}}]}
    path = tmp_path / "b.ndjson"
    path.write_text(json.dumps(doc) + "\n")
    rules = {v.rule for v in check_file(path).violations}
    assert {"names", "dates", "geography"} <= rules
