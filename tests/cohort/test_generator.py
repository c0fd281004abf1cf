"""Generator properties: plausible ages, labs and drugs; reproducible from (seed, index)."""

from __future__ import annotations

import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from medtrust.cohort import (
    CohortConfig,
    Patient,
    generate_patients,
    generate_table,
    iter_chunks,
    patient_at,
)
from medtrust.cohort._kb import KnowledgeBase

FAST = settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _check_patient(p: Patient, kb: KnowledgeBase) -> None:
    assert 0 <= p.age <= 104
    conds = [kb.by_code[c] for c in p.conditions]
    for c in conds:
        assert c.sex[0 if p.sex == "female" else 1] > 0, (c.code, p.sex)
        assert c.min_age <= p.age <= max(c.max_age, 0), (c.code, p.age)
        if c.given:
            assert c.given in p.conditions
        assert not set(c.excludes) & set(p.conditions)
    assert kb.conflicts(p.medications, p.conditions) == []
    values = {**p.labs, **p.vitals}
    for lab in kb.labs:
        v = values.get(lab.key)
        if lab.sex == "male" and p.sex == "female":
            assert v is None
            continue
        assert v is not None and lab.phys_min <= v <= lab.phys_max
        ranges = [c.labs[lab.key] for c in conds if lab.key in c.labs]
        if not ranges:
            ranges = [(lab.ped_low, lab.ped_high) if p.age < 18 else (lab.ref_low, lab.ref_high)]
        assert any(lo - 1e-9 <= v <= hi + 1e-9 for lo, hi in ranges), (lab.key, v, ranges)
    cancers = [c for c in p.conditions if c in kb.panels]
    assert p.genomic_tested == bool(cancers)
    if p.variants:
        assert cancers
    assert (p.lesion is not None) == any(c.lesion for c in conds)


@FAST
@given(seed=st.integers(0, 2**32), start=st.integers(0, 10**7), policy=st.sampled_from(
    ["safe_harbor", "identified"]), boost=st.sampled_from([1.0, 500.0]))
def test_patient_properties(kb: KnowledgeBase, seed: int, start: int, policy: str,
                            boost: float) -> None:
    cfg = CohortConfig(seed=seed, policy=policy, rare_boost=boost)  # type: ignore[arg-type]
    for p in generate_patients(64, config=cfg, start=start):
        _check_patient(p, kb)
        if policy == "safe_harbor":
            assert p.identifiers is None and p.age <= 90
            assert (p.birth_year is None) == (p.age >= 90)
            assert p.zip3 not in kb.restricted_zip3
        else:
            assert p.identifiers is not None
            assert 900 <= int(p.identifiers.ssn[:3]) <= 999
            assert "555-01" in p.identifiers.phone


def test_edge_cases_all_consistent(kb: KnowledgeBase, boosted_table: pa.Table) -> None:
    rows = boosted_table.to_pylist()
    for row in rows[:4000]:
        _check_patient(Patient.from_row(row, kb), kb)
    with_variants = [r for r in rows if r["variants"]]
    assert with_variants, "boosted cohort should contain oncology patients with variants"
    for r in with_variants:
        _check_patient(Patient.from_row(r, kb), kb)


@FAST
@given(seed=st.integers(0, 2**40), index=st.integers(0, 10**9))
def test_reproducible_from_seed_and_index(seed: int, index: int) -> None:
    a = patient_at(index, seed=seed)
    block = generate_patients(3, seed=seed, start=max(index - 1, 0))
    assert a == block[min(index, 1)]
    assert a.record_id == f"syn-{seed}-{index}"


def test_chunking_does_not_change_patients() -> None:
    cfg = CohortConfig(seed=3)
    whole = generate_table(9000, config=cfg)
    small = pa.concat_tables([t for _, t in iter_chunks(cfg, 9000, chunk_size=4096)])
    assert whole.equals(small)
    assert not whole.equals(generate_table(9000, config=CohortConfig(seed=4)))


def test_identified_and_safe_harbor_share_clinical_content() -> None:
    sh = generate_patients(200, config=CohortConfig(seed=9))
    ident = generate_patients(200, config=CohortConfig(seed=9, policy="identified"))
    for a, b in zip(sh, ident, strict=True):
        assert (a.conditions, a.medications, a.labs, a.sex) == (
            b.conditions, b.medications, b.labs, b.sex)
        assert a.age == min(b.age, 90)


def test_prevalence_close_to_knowledge_base(sh_table: pa.Table, kb: KnowledgeBase) -> None:
    import pyarrow.compute as pc

    codes = pc.list_flatten(sh_table["conditions"]).to_pylist()
    n = sh_table.num_rows
    share = codes.count("E11.9") / n
    # Prevalence is calibrated before comorbidity links (which can only raise it).
    assert 0.08 < share < 0.25
    assert codes.count("C61") == sum(
        1 for r in sh_table.select(["sex", "conditions"]).to_pylist()
        if "C61" in r["conditions"] and r["sex"] == "male")


@pytest.mark.parametrize("attr", ["race_ethnicity", "sex", "insurance", "language"])
def test_balance_attribute_is_uniform(attr: str) -> None:
    cfg = CohortConfig(seed=1, balance=attr)
    table = generate_table(16384, config=cfg)
    counts = table[attr].combine_chunks().dictionary_decode().value_counts().to_pylist()
    shares = [c["counts"] / table.num_rows for c in counts]
    k = len(shares)
    assert max(shares) - min(shares) < 0.03 * k / 2 + 0.02, shares


def test_balance_condition_and_rare_boost_reported(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from medtrust.cohort import generate_cohort

    s = generate_cohort(16384, tmp_path / "c.parquet",
                        config=CohortConfig(seed=2, balance="J45.909", rare_boost=100))
    assert abs(s["balance"]["achieved_share"] - 0.5) < 0.03
    assert s["balance"]["rule"] == "w_c = 1 / P(c)"
    rare = s["rare_boost"]["conditions"]
    assert len(rare) >= 10
    total = sum(r["count"] for r in rare)
    expected = sum(r["expected_without_boost"] for r in rare)
    assert total > 20 * expected
    assert s["weights"]["effective_sample_size"] < 16384
    assert (tmp_path / "c.parquet.summary.json").exists()


def test_weights_undo_boost() -> None:
    import numpy as np

    cfg = CohortConfig(seed=4, balance="J45.909")
    table = generate_table(32768, config=cfg)
    has = np.array(["J45.909" in c for c in table["conditions"].to_pylist()])
    w = table["weight"].to_numpy()
    assert has.mean() > 0.4
    assert abs(float((w * has).sum() / w.sum()) - 0.08) < 0.02


def test_no_implausible_record_in_100k_boosted_and_balanced() -> None:
    """Issue 17: the generator (rare-condition boost and balancing included) emits nothing the
    plausibility validator rejects. 1,000,000 patients: bench/plausibility (bench/README.md)."""
    from medtrust.cohort._validate import table_records, validate_records

    cfg = CohortConfig(seed=17, rare_boost=50, balance="race_ethnicity")
    report = validate_records(table_records(generate_table(100_000, config=cfg)), limit=5)
    assert report.records == 100_000
    assert report.total == 0, report.findings
