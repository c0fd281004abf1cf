"""Safe Harbor: generated output is clean, identified output is flagged, plants are found."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date
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


# ---------------------------------------------------------------- issue 13, item 3: each case
def _csv(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def _ndjson(path: Path, *docs: object) -> Path:
    path.write_text("".join(json.dumps(d) + "\n" for d in docs), encoding="utf-8")
    return path


def test_ages_over_89_however_stated(tmp_path: Path) -> None:
    path = _csv(tmp_path / "ages.csv", "\n".join([
        "age_at_visit,patient_age,AgeYears,stage,note",
        "95,40,40,95,ok",          # age column by name pattern
        "40,95 years,40,2,ok",     # value with a unit
        "40,40,95 y/o,2,ok",       # camelCase name, y/o
        "95yo,40,40,2,ok",         # glued unit
        "40,40,40,2,a 93-year-old man",  # in free text
        "90,90+,89,95,aged 90 or older",  # the top code and 'stage' are not ages over 89
    ]) + "\n")
    report = check_file(path)
    assert report.counts == {"dates": 5}, report.violations
    assert sorted(v.record for v in report.violations) == [1, 2, 3, 4, 5]


def test_birth_year_beside_an_encounter_year_or_date(tmp_path: Path) -> None:
    years = check_file(_csv(tmp_path / "y.csv", "birth_year,encounter_year\n1930,2024\n"
                            "1934,2024\n1990,2024\n"))
    assert years.counts == {"dates": 1} and years.violations[0].record == 1
    assert years.violations[0].column == "birth_year"
    dated = check_file(_csv(tmp_path / "d.csv", "yob,visit_date\n1930,2024-03-01\n1960,2024\n"))
    # row 1: the visit date (more than a year) and the birth year (age 94); row 2 is clean
    assert dated.counts == {"dates": 2}
    assert {(v.record, v.column) for v in dated.violations} == {(1, "yob"), (1, "visit_date")}


@pytest.mark.parametrize("spelling", [
    "March 07, 1958", "07.03.1958", "1958/03/07", "the 7th of March 1958", "03/07/58",
    "7 Mar 1958", "07-MAR-1958", "March '58", "1958-03", "2024-03-04T10:30:00+01:00",
])
def test_every_date_spelling_is_a_date_element(tmp_path: Path, spelling: str) -> None:
    path = _csv(tmp_path / "n.csv", f'note\n"seen {spelling}"\n"seen in 1958"\n'
                '"BP 120/80, grade 3/6, v1.2.3"\n"May be given 5 mg"\n')
    report = check_file(path)
    assert report.counts == {"dates": 1} and report.violations[0].record == 1, report.violations


def test_leading_zeros_kept_under_a_byte_order_mark(tmp_path: Path) -> None:
    path = tmp_path / "bom.csv"
    path.write_bytes("zip3,age\n036,40\n123,50\n".encode("utf-8-sig"))
    assert path.read_bytes().startswith(b"\xef\xbb\xbf")
    report = check_file(path)
    assert report.counts == {"geography": 1}
    assert report.violations[0].record == 1 and report.violations[0].column == "zip3"


def test_restricted_zip3_is_the_union_of_2000_and_2010_lists(tmp_path: Path) -> None:
    from medtrust.cohort import load_kb

    kb = load_kb()
    assert {"205", "369", "830", "063"} <= kb.restricted_zip3 and len(kb.restricted_zip3) == 23
    # 205, 369: 2010 list only; 830: 2000 list only; 213: no residents at all; 021, 000 allowed
    report = check_file(_csv(tmp_path / "z.csv", "zip3\n205\n369\n830\n213\n021\n000\n"))
    assert report.counts == {"geography": 4}
    assert [v.record for v in report.violations] == [1, 2, 3, 4]


def _bundle(*resources: dict[str, object]) -> dict[str, object]:
    return {"resourceType": "Bundle", "type": "collection",
            "entry": [{"fullUrl": f"urn:uuid:{r['id']}", "resource": r} for r in resources]}


def test_fhir_datetime_and_instant_in_any_resource(tmp_path: Path) -> None:
    doc = _bundle(
        {"resourceType": "Patient", "id": "p1", "gender": "male", "birthDate": "1950"},
        {"resourceType": "Encounter", "id": "e1", "status": "finished",
         "subject": {"reference": "Patient/p1"},
         "period": {"start": "2024-03-04T10:30:00+01:00", "end": "2024-03-05"}},
        {"resourceType": "Observation", "id": "o1", "status": "final",
         "subject": {"reference": "Patient/p1"}, "effectiveDateTime": "2024",
         "issued": "2024-03-04T10:31:00.123Z"},
        {"resourceType": "Condition", "id": "c1", "subject": {"reference": "Patient/p1"},
         "recordedDate": "2024-03"})
    report = check_file(_ndjson(tmp_path / "d.ndjson", doc))
    assert report.counts == {"dates": 4}, report.violations
    assert {v.column for v in report.violations} == {
        "Encounter.period.start", "Encounter.period.end", "Observation.issued",
        "Condition.recordedDate"}


def test_fhir_names_in_human_names_and_reference_display(tmp_path: Path) -> None:
    doc = _bundle(
        {"resourceType": "Patient", "id": "p1", "gender": "female", "birthDate": "1950",
         "contact": [{"name": {"family": "Doe", "given": ["Jim"]},
                      "organization": {"reference": "Organization/acme", "display": "Acme Ltd"}}]},
        {"resourceType": "RelatedPerson", "id": "r1", "patient": {"reference": "Patient/p1"},
         "name": [{"family": "Doe", "given": ["Ann"]}]},
        {"resourceType": "Encounter", "id": "e1", "status": "finished",
         "subject": {"reference": "Patient/p1", "display": "Jane Doe"},
         "participant": [{"individual": {"reference": "Practitioner/d1", "display": "Dr Who"}}],
         "serviceProvider": {"reference": "Organization/h1", "display": "General Hospital"}},
        {"resourceType": "Practitioner", "id": "d1", "name": [{"family": "Who"}]},
        {"resourceType": "FamilyMemberHistory", "id": "f1", "status": "completed",
         "patient": {"reference": "Patient/p1"}, "name": "Ann Doe"})
    report = check_file(_ndjson(tmp_path / "n.ndjson", doc))
    # contact's HumanName, the employer in Patient.contact, RelatedPerson.name, the patient's
    # name in Encounter.subject.display, the relative in FamilyMemberHistory.name; clinicians
    # and the hospital are not flagged
    assert report.counts == {"names": 5}, report.violations
    assert not any("Practitioner" in v.column or "participant" in v.column
                   or "serviceProvider" in v.column for v in report.violations)


def test_fhir_birth_date_against_encounters(tmp_path: Path) -> None:
    def doc(birth: str, start: str) -> dict[str, object]:
        return _bundle({"resourceType": "Patient", "id": "p", "gender": "male",
                        "birthDate": birth},
                       {"resourceType": "Encounter", "id": "e", "status": "finished",
                        "subject": {"reference": "Patient/p"}, "period": {"start": start}})

    assert check_file(_ndjson(tmp_path / "a.ndjson", doc("1930", "2024"))).counts == {"dates": 1}
    assert check_file(_ndjson(tmp_path / "b.ndjson", doc("1934", "2024"))).ok


def test_bundle_with_several_patients_is_several_records(tmp_path: Path) -> None:
    doc = _bundle(
        {"resourceType": "Patient", "id": "old", "gender": "male", "birthDate": "1930"},
        {"resourceType": "Patient", "id": "young", "gender": "female", "birthDate": "1980"},
        {"resourceType": "Encounter", "id": "e1", "status": "finished",
         "subject": {"reference": "Patient/old"}, "period": {"start": "2024"}},
        {"resourceType": "Encounter", "id": "e2", "status": "finished",
         "subject": {"reference": "urn:uuid:young"}, "period": {"start": "2024"}})
    report = check_file(_ndjson(tmp_path / "m.ndjson", doc))
    assert report.records == 2 and report.records_flagged == 1
    assert report.counts == {"dates": 1}
    assert [(v.record, v.patient, v.line) for v in report.violations] == [(1, "old", 1)]


@pytest.mark.parametrize(("line", "cause"), [
    ("[1, 2]", "expected a JSON object"),
    ('"Patient"', "expected a JSON object"),
    ('{"resourceType": "Patientt", "id": "x"}', "unknown FHIR resourceType"),
    ('{"id": "x"}', "no resourceType"),
    ('{"resourceType": "Patient", "id": "x", "birthDate": 12345}', "birthDate"),
    ('{"resourceType": "Patient", "id": "x", "name": "Jane Doe"}', "HumanName"),
    ('{"resourceType": "Bundle", "entry": [{"resource": {"resourceType": "Patient", '
     '"birthDate": "07/03/1958"}}]}', "birthDate"),
])
def test_malformed_fhir_is_exit_2_with_file_and_line(tmp_path: Path, line: str,
                                                     cause: str) -> None:
    from typer.testing import CliRunner

    from medtrust.cohort.cli import cohort_app

    ok = json.dumps({"resourceType": "Patient", "id": "ok", "gender": "male"})
    path = tmp_path / "bad.ndjson"
    path.write_text(ok + "\n" + line + "\n", encoding="utf-8")
    res = CliRunner().invoke(cohort_app, ["check", str(path)])
    assert res.exit_code == 2, res.output
    assert f"{path}:2" in " ".join(res.output.split()) and cause in res.output
    assert "no Safe Harbor violations" not in res.output


def test_identified_twin_every_planted_class_found(tmp_path: Path) -> None:
    from medtrust.cohort._identifiers import IDENTIFIER_COLUMNS

    out = tmp_path / "twin.parquet"
    generate_cohort(400, out, config=CohortConfig(seed=9, policy="identified"))
    report = check_file(out)
    table = pq.read_table(out)
    for col in IDENTIFIER_COLUMNS:
        if col in ("state", "relative_relation"):  # a state is allowed; a relation names nobody
            continue
        filled = table.num_rows - table[col].null_count
        assert filled and report.columns.get(col) == filled, (col, filled, report.columns)
    old = sum(1 for a in table["age"].to_pylist() if a > 90)
    assert report.columns.get("age", 0) == old


_SPELLINGS: list[Callable[[date], str]] = [
    lambda d: d.isoformat(), lambda d: f"{d.month}/{d.day}/{d.year}",
    lambda d: f"{d.month:02d}/{d.day:02d}/{d.year % 100:02d}",
    lambda d: f"{d.day:02d}.{d.month:02d}.{d.year}",
    lambda d: f"{d.year}/{d.month:02d}/{d.day:02d}",
    lambda d: d.strftime("%B %d, %Y"), lambda d: d.strftime("%d %b %Y"),
    lambda d: f"the {d.day}th of {d.strftime('%B')} {d.year}",
    lambda d: d.strftime("%d-%b-%Y").upper(), lambda d: d.strftime("%B '%y"),
    lambda d: d.isoformat() + "T08:15:00-05:00",
]


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(day=st.dates(min_value=date(1900, 1, 1), max_value=date(2099, 12, 31)),
       how=st.integers(0, len(_SPELLINGS) - 1))
def test_any_date_spelling_is_found(tmp_path: Path, day: date, how: int) -> None:
    text = _SPELLINGS[how](day)
    path = tmp_path / f"h{how}.csv"
    path.write_text(f'note\n"seen {text} today"\n"stable since {day.year}"\n', encoding="utf-8")
    report = check_file(path)
    assert report.counts == {"dates": 1} and report.violations[0].record == 1, text


_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False)
    | st.sampled_from(["", "1958", "1958-03-07", "2024-03-04T10:30:00Z", "x", "Patient/p"]),
    lambda kids: st.lists(kids, max_size=3) | st.dictionaries(st.sampled_from(
        ["name", "family", "given", "birthDate", "telecom", "address", "postalCode", "period",
         "start", "identifier", "value", "system", "display", "reference", "subject", "entry",
         "resource", "valueQuantity", "code", "coding", "contact", "type", "text", "line"]),
        kids, max_size=4),
    max_leaves=12)


@settings(max_examples=150, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(rtype=st.sampled_from(["Patient", "Bundle", "Observation", "Encounter", "RelatedPerson",
                              "Nope"]),
       body=st.dictionaries(st.sampled_from(["name", "birthDate", "telecom", "address", "entry",
                                             "identifier", "subject", "period", "contact",
                                             "valueQuantity", "code", "photo", "gender"]),
                            _JSON, max_size=5))
def test_any_fhir_document_is_read_or_rejected_cleanly(tmp_path: Path, rtype: str,
                                                       body: dict[str, object]) -> None:
    """Whatever a line holds, the checker reports on it or stops with FILE:LINE (exit 2)."""
    from medtrust.errors import MedtrustError

    path = tmp_path / "any.ndjson"
    path.write_text(json.dumps({"resourceType": rtype, **body}) + "\n", encoding="utf-8")
    try:
        report = check_file(path)
    except MedtrustError as exc:
        assert str(exc).startswith(f"{path}:1"), exc
    else:
        assert rtype != "Nope" and report.records >= (rtype != "Bundle")  # a Bundle may be empty


def test_loose_fhir_lines_belong_to_their_patient(tmp_path: Path) -> None:
    """NDJSON with one resource per line: an Encounter on a later line counts for its Patient."""
    path = _ndjson(
        tmp_path / "loose.ndjson",
        {"resourceType": "Patient", "id": "old", "gender": "male", "birthDate": "1930"},
        {"resourceType": "Patient", "id": "young", "gender": "male", "birthDate": "1990"},
        {"resourceType": "Encounter", "id": "e1", "status": "finished",
         "subject": {"reference": "Patient/old"}, "period": {"start": "2024-05-01"}},
        {"resourceType": "Encounter", "id": "e2", "status": "finished",
         "subject": {"reference": "Patient/young"}, "period": {"start": "2024"}})
    report = check_file(path)
    assert report.records == 2 and report.records_flagged == 1
    assert report.counts == {"dates": 2}  # the encounter's full date, the age it reveals
    assert {(v.record, v.patient, v.column) for v in report.violations} == {
        (1, "old", "Encounter.period.start"), (1, "old", "Patient.birthDate (age)")}


def test_identified_fhir_twin_flags_the_same_classes_as_the_table(tmp_path: Path) -> None:
    table, fhir = tmp_path / "t.parquet", tmp_path / "t.ndjson"
    for out in (table, fhir):
        generate_cohort(40, out, config=CohortConfig(seed=4, policy="identified"))
    by_table, by_fhir = check_file(table), check_file(fhir)
    assert by_fhir.records == by_fhir.records_flagged == 40
    assert set(by_table.counts) <= set(by_fhir.counts), (by_table.counts, by_fhir.counts)


# ------------------------------------------- ages over 89 stated through the year or in words
@pytest.mark.parametrize("column", ["birth_year", "year_of_birth", "yob", "BirthYear"])
def test_birth_year_alone_read_against_today(tmp_path: Path, column: str) -> None:
    """No event year: the birth year is read against the current year (1930 is over 89 by any
    reading; 1960 is under 89 until 2049)."""
    report = check_file(_csv(tmp_path / "b.csv", f"{column},sex\n1930,F\n1960,M\n\n"))
    assert report.counts == {"dates": 1}, report.violations
    assert [(v.record, v.column) for v in report.violations] == [(1, column)]
    assert "over 89" in report.violations[0].detail


def test_birth_year_without_event_uses_the_files_latest_event_year(tmp_path: Path) -> None:
    # row 2 has no encounter year: read against the table's latest (2000): 1920 -> 80, clean;
    # row 3 the same against 2000: 1905 -> 95, flagged; row 1 against its own 2000: 1925 -> 75
    report = check_file(_csv(tmp_path / "r.csv",
                             "birth_year,encounter_year\n1925,2000\n1920,\n1905,\n"))
    assert report.counts == {"dates": 1}, report.violations
    assert report.violations[0].record == 3


def test_age_in_words_and_numeric_forms(tmp_path: Path) -> None:
    path = _csv(tmp_path / "w.csv", "\n".join([
        "age,note",
        "ninety-five,ok",             # 1: words
        "Ninety Seven,ok",            # 2: words, other spelling
        "one hundred and two,ok",     # 3: 102
        "1e2,ok",                     # 4: 100
        "90.5,ok",                    # 5: above the top code
        "90.0,ok",                    # 6: the top code 90 written as a decimal: allowed
        "ninety,ok",                  # 7: the top code in words: allowed
        "40,a ninety-two-year-old woman",  # 8: free text in words
        "40,aged one hundred",        # 9: free text in words
        "89.9,ok",                    # 10
    ]) + "\n")
    report = check_file(path)
    assert report.counts == {"dates": 7}, report.violations
    assert sorted(v.record for v in report.violations) == [1, 2, 3, 4, 5, 8, 9]
    assert all("90 or older" in v.detail for v in report.violations if v.column == "age")


@pytest.mark.parametrize("bundled", [True, False])
def test_fhir_year_only_birth_date_alone(tmp_path: Path, bundled: bool) -> None:
    old = {"resourceType": "Patient", "id": "old", "gender": "male", "birthDate": "1930"}
    young = {"resourceType": "Patient", "id": "young", "gender": "male", "birthDate": "1960"}
    docs: tuple[object, ...] = (_bundle(old), _bundle(young)) if bundled else (old, young)
    report = check_file(_ndjson(tmp_path / "p.ndjson", *docs))
    assert report.records == 2 and report.records_flagged == 1
    assert report.counts == {"dates": 1}, report.violations
    assert [(v.record, v.patient, v.column) for v in report.violations] == [
        (1, "old", "Patient.birthDate (age)")]


def test_fhir_birth_year_alone_uses_the_files_latest_date(tmp_path: Path) -> None:
    # the lone Patient is read against 1990 (the other record's encounter): 1920 -> 70, clean
    lone = _bundle({"resourceType": "Patient", "id": "a", "gender": "male", "birthDate": "1920"})
    other = _bundle({"resourceType": "Patient", "id": "b", "gender": "male", "birthDate": "1950"},
                    {"resourceType": "Encounter", "id": "e", "status": "finished",
                     "subject": {"reference": "Patient/b"}, "period": {"start": "1990"}})
    assert check_file(_ndjson(tmp_path / "f.ndjson", lone, other)).ok


def _obs(oid: str, value: float, unit: str, code: str) -> dict[str, object]:
    return {"resourceType": "Observation", "id": oid, "status": "final",
            "subject": {"reference": "Patient/p"},
            "code": {"coding": [{"system": "http://loinc.org", "code": code}]},
            "valueQuantity": {"value": value, "unit": unit,
                              "system": "http://unitsofmeasure.org", "code": unit}}


def test_fhir_age_observations_in_years(tmp_path: Path) -> None:
    patient = {"resourceType": "Patient", "id": "p", "gender": "female", "birthDate": "1990"}
    cases = [
        (_obs("o1", 95, "a", "30525-0"), 1),        # LOINC Age, years
        (_obs("o2", 95, "yr", "8302-2"), 1),        # any code, unit years
        (_obs("o3", 95, "years", "99999-9"), 1),
        (_obs("o4", 1200, "mo", "30525-0"), 1),     # an age in months: 100 years
        (_obs("o5", 90, "a", "30525-0"), 0),        # the top code
        (_obs("o6", 95, "kg", "29463-7"), 0),       # a weight
        (_obs("o7", 1200, "mo", "8302-2"), 0),      # months, not an age code
    ]
    for i, (obs, want) in enumerate(cases):
        report = check_file(_ndjson(tmp_path / f"o{i}.ndjson", _bundle(patient, obs)))
        assert report.counts == ({"dates": 1} if want else {}), (obs, report.violations)
        if want:
            assert report.violations[0].column == "Observation.valueQuantity"


def test_fhir_meta_last_updated_is_not_a_patient_date(tmp_path: Path) -> None:
    meta = {"lastUpdated": "2024-03-04T10:30:00Z", "versionId": "1"}
    doc = _bundle({"resourceType": "Patient", "id": "p", "gender": "male", "birthDate": "1960",
                   "meta": meta},
                  {"resourceType": "Encounter", "id": "e", "status": "finished", "meta": meta,
                   "subject": {"reference": "Patient/p"}, "period": {"start": "2024"}})
    assert check_file(_ndjson(tmp_path / "m.ndjson", doc)).ok
    loose = {"resourceType": "Patient", "id": "q", "gender": "male", "birthDate": "1960-05-01",
             "meta": meta}
    report = check_file(_ndjson(tmp_path / "l.ndjson", loose))
    assert [v.column for v in report.violations] == ["Patient.birthDate"]
