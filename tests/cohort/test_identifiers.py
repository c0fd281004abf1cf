"""Identified mode: every planted class, fake-safe values, reproducible from (seed, index)."""

from __future__ import annotations

import ipaddress
import re
from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from medtrust.cohort import (
    COLUMN_OF_CLASS,
    IDENTIFIER_COLUMNS,
    PHI_CLASSES,
    CohortConfig,
    generate_patients,
    generate_table,
    patient_at,
)
from medtrust.cohort._identifiers import TEST_NETS, vin_check_digit

N = 3000


@pytest.fixture(scope="module")
def table() -> list[dict[str, object]]:
    rows: list[dict[str, object]] = generate_table(
        N, config=CohortConfig(seed=7, policy="identified")
    ).to_pylist()
    return rows


def test_every_class_has_a_column_or_a_rule() -> None:
    assert set(COLUMN_OF_CLASS.values()) <= set(IDENTIFIER_COLUMNS)
    # name = given + family, age_over_89 = the exact age, diagnosis = a condition
    assert set(PHI_CLASSES) - set(COLUMN_OF_CLASS) == {"name", "age_over_89", "diagnosis"}


def test_every_column_filled_and_death_only_for_some(table: list[dict[str, object]]) -> None:
    for col in IDENTIFIER_COLUMNS:
        missing = sum(1 for r in table if r[col] in (None, ""))
        if col == "death_date":
            assert 0 < N - missing < N / 2  # some patients died, most did not
        else:
            assert missing == 0, col
    assert any(int(str(r["age"])) >= 90 for r in table)  # ages over 89 are planted too


def test_values_are_fake_safe(table: list[dict[str, object]]) -> None:
    nets = [ipaddress.ip_network(n + "0/24") for n in TEST_NETS]
    for r in table:
        area, group, serial = (int(x) for x in str(r["ssn"]).split("-"))
        # SSA never issues areas 900-999; groups 01-49 are outside ITIN and ATIN ranges
        assert 900 <= area <= 999 and 1 <= group <= 49 and serial >= 1
        for col in ("phone", "fax"):
            assert re.fullmatch(r"\(\d{3}\) 555-01\d\d", str(r[col])), r[col]
        assert r["phone"] != r["fax"]
        assert str(r["email"]).rsplit("@", 1)[1] in {"example.com", "example.org", "example.net"}
        assert str(r["url"]).startswith("https://portal.example.org/")
        assert any(ipaddress.ip_address(str(r["ip_address"])) in n for n in nets)
        vin = str(r["vehicle_id"])
        assert len(vin) == 17 and not set(vin) & set("IOQ")
        assert vin_check_digit(vin) != vin[8]  # the check digit is wrong: no real vehicle


def test_dates_are_distinct_ordered_and_never_in_the_future(
    table: list[dict[str, object]],
) -> None:
    for r in table:
        adm, dis, visit = r["admission_date"], r["discharge_date"], r["encounter_date"]
        assert isinstance(adm, date) and isinstance(dis, date) and isinstance(visit, date)
        assert adm < dis and visit not in (adm, dis)
        rel = r["relative_birth_date"]
        assert isinstance(rel, date) and rel.year <= 2024
        if r["death_date"] is not None:
            assert r["death_date"] > max(dis, visit)


def test_vin_check_digit_matches_the_published_example() -> None:
    # 49 CFR 565 worked example: 1M8GDM9A_KP042788 has check digit X
    assert vin_check_digit("1M8GDM9AXKP042788") == "X"


@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 2**31), index=st.integers(0, 9000))
def test_a_patient_is_the_same_alone_or_in_a_chunk(seed: int, index: int) -> None:
    cfg = CohortConfig(seed=seed, policy="identified")
    alone = patient_at(index, config=cfg)
    start = max(0, index - 2)
    together = generate_patients(5, config=cfg, start=start)[index - start]
    assert alone.identifiers == together.identifiers


def test_identified_fhir_carries_every_planted_value() -> None:
    import json

    from medtrust.cohort import render_fhir

    patients = generate_patients(60, config=CohortConfig(seed=2, policy="identified"))
    assert any(p.identifiers and p.identifiers.death_date for p in patients)
    for p in patients:
        assert p.identifiers is not None
        text = json.dumps(render_fhir(p))  # validated against the FHIR R4B models
        for col, value in p.identifiers.model_dump(mode="json").items():
            if value is not None and col != "relative_name":
                assert str(value) in text, col
        given, _, family = str(p.identifiers.relative_name).rpartition(" ")
        assert given in text and family in text
