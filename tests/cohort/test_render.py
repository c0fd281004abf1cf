"""Renderers (note, FHIR, VCF, image) and FHIR import from one patient record."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pyarrow as pa
import pytest

from medtrust.cohort import (
    CohortConfig,
    Patient,
    generate_cohort,
    generate_patients,
    import_fhir,
    render_fhir,
    render_lesion_image,
    render_note,
    render_vcf,
)
from medtrust.cohort._kb import KnowledgeBase
from medtrust.errors import MedtrustError


def _patients(table: pa.Table, kb: KnowledgeBase) -> list[Patient]:
    return [Patient.from_row(r, kb) for r in table.slice(0, 20000).to_pylist()]


def test_fhir_bundles_validate(boosted_table: pa.Table, kb: KnowledgeBase) -> None:
    pts = _patients(boosted_table, kb)
    picked = [p for p in pts if p.variants][:5] + [p for p in pts if p.age >= 90][:3] + pts[:20]
    for p in picked:
        bundle = render_fhir(p)
        kinds = {e["resource"]["resourceType"] for e in bundle["entry"]}
        assert "Patient" in kinds and "Observation" in kinds
        patient = bundle["entry"][0]["resource"]
        assert "name" not in patient and "identifier" not in patient
        assert len(patient.get("birthDate", "1900")) == 4
    for p in generate_patients(10, config=CohortConfig(seed=1, policy="identified")):
        res = render_fhir(p)["entry"][0]["resource"]
        assert res["name"][0]["family"] == p.identifiers.family_name  # type: ignore[union-attr]


def test_fhir_validation_rejects_bad_bundle() -> None:
    from medtrust.cohort import validate_bundle

    bad = {"resourceType": "Bundle", "type": "collection", "entry": [
        {"resource": {"resourceType": "Patient", "birthDate": "not-a-date"}}]}
    with pytest.raises(ValueError):
        validate_bundle(bad)
    with pytest.raises(ValueError):
        validate_bundle({"resourceType": "Bundle", "type": "collection", "bogus": 1})


def test_note_states_record_facts(kb: KnowledgeBase) -> None:
    p = generate_patients(5, seed=2)[1]
    note = render_note(p)
    for code in p.conditions:
        assert kb.by_code[code].name in note
    for drug in p.medications:
        assert drug in note
    assert "Safe Harbor" in note
    ident = generate_patients(2, config=CohortConfig(seed=2, policy="identified"))[1]
    assert ident.identifiers is not None and ident.identifiers.mrn in render_note(ident)


def test_vcf(boosted_table: pa.Table, kb: KnowledgeBase) -> None:
    p = next(p for p in _patients(boosted_table, kb) if p.variants)
    text = render_vcf(p)
    lines = text.strip().split("\n")
    assert lines[0] == "##fileformat=VCFv4.3"
    header = next(line for line in lines if line.startswith("#CHROM"))
    assert header.split("\t")[-1] == p.record_id
    records = [line.split("\t") for line in lines if not line.startswith("#")]
    assert {r[2] for r in records} == set(p.variants)
    for r in records:
        v = kb.variants[r[2]]
        assert (r[0], int(r[1]), r[3], r[4]) == (v.chrom, v.pos, v.ref, v.alt)


def test_lesion_image_and_mask(boosted_table: pa.Table, kb: KnowledgeBase) -> None:
    import numpy as np
    from PIL import Image

    pts = [p for p in _patients(boosted_table, kb) if p.lesion is not None]
    kinds = {p.lesion.kind for p in pts if p.lesion}
    assert kinds == {"skin", "ct_nodule", "mammo_mass"}
    for kind in sorted(kinds):
        p = next(p for p in pts if p.lesion and p.lesion.kind == kind)
        out = render_lesion_image(p, size=128)
        img = Image.open(io.BytesIO(out.image_png))
        mask = np.array(Image.open(io.BytesIO(out.mask_png)))
        assert img.size == (128, 128) and mask.shape == (128, 128)
        assert set(np.unique(mask)) <= {0, 255}
        assert (mask == 255).sum() == out.lesion_pixels > 0
        expected = np.pi * (p.lesion.diameter_mm / 2 * out.pixels_per_mm) ** 2  # type: ignore[union-attr]
        assert 0.5 < out.lesion_pixels / expected < 1.5
        assert render_lesion_image(p, size=128) == out
    with pytest.raises(MedtrustError):
        render_lesion_image(next(p for p in _patients(boosted_table, kb) if p.lesion is None))


def test_fhir_import_roundtrip(tmp_path: Path) -> None:
    out = tmp_path / "c.ndjson"
    generate_cohort(200, out, config=CohortConfig(seed=4))
    orig = generate_patients(200, seed=4)
    back = list(import_fhir(out))
    assert len(back) == 200
    for a, b in zip(back, orig, strict=True):
        assert (a.conditions, a.medications, a.labs, a.vitals, a.sex, a.zip3) == (
            b.conditions, b.medications, b.labs, b.vitals, b.sex, b.zip3)
        assert a.record_id.startswith("fhir-")


def test_fhir_import_synthea_style_bundle(tmp_path: Path) -> None:
    bundle = {"resourceType": "Bundle", "type": "transaction", "entry": [
        {"resource": {"resourceType": "Patient", "id": "abc", "gender": "female",
                      "birthDate": "1960-05-01", "name": [{"family": "Doe", "given": ["Jane"]}],
                      "address": [{"postalCode": "03601", "city": "Keene"}]}},
        {"resource": {"resourceType": "Condition", "subject": {"reference": "Patient/abc"},
                      "onsetDateTime": "2020-01-02",
                      "code": {"coding": [{"system": "http://snomed.info/sct",
                                           "code": "44054006", "display": "Diabetes"}]}}},
        {"resource": {"resourceType": "Observation", "effectiveDateTime": "2021-06-01",
                      "code": {"coding": [{"system": "http://loinc.org", "code": "4548-4"}]},
                      "valueQuantity": {"value": 7.9, "unit": "%"}}},
        {"resource": {"resourceType": "MedicationRequest", "authoredOn": "2021-06-01",
                      "medicationCodeableConcept": {"text": "Metformin 500 MG Oral Tablet"}}},
    ]}
    (tmp_path / "jane.json").write_text(json.dumps(bundle))
    (p,) = list(import_fhir(tmp_path))
    assert p.conditions == ["E11.9"] and p.medications == ["metformin"]
    assert p.labs == {"hba1c": 7.9} and p.age == 61 and p.birth_year == 1960
    assert p.zip3 == "000" and p.identifiers is None  # 036 is a restricted zip3
    (q,) = list(import_fhir(tmp_path, identified=True))
    assert q.identifiers is not None and q.identifiers.family_name == "Doe"
