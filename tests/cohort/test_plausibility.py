"""Plausibility rules: each family counted right, through ``medtrust cohort validate``."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from medtrust.cli import app
from medtrust.cohort import CohortConfig, generate_cohort, generate_patients, load_kb
from medtrust.cohort._fhir import bundle_dict
from medtrust.cohort._plausibility import FAMILIES, Record, load_rules

# (id, sex, age, conditions, medications, variants, expected {family: count})
CASES: list[tuple[str, str, int, str, str, str, dict[str, int]]] = [
    ("t2d-infant", "male", 1, "E11.9", "", "", {"condition_age": 1}),
    ("dmd-girl", "female", 10, "G71.01", "prednisone", "", {"condition_sex": 1}),
    ("bph-woman", "F", 70, "N40.1", "tamsulosin", "", {"anatomy": 1}),
    ("pregnant-man", "M", 30, "Z33.1", "folic acid", "", {"anatomy": 1}),
    ("sema-child", "female", 9, "E66.9", "semaglutide", "", {"drug_age": 1}),
    ("hd-infant", "male", 0, "G10", "tetrabenazine", "", {"condition_age": 1, "drug_age": 1}),
    ("kawasaki-aspirin", "male", 4, "M30.3",
     "aspirin;intravenous immunoglobulin", "", {}),  # the exception to aspirin's age limit
    ("acei-pregnancy", "female", 30, "Z33.1;I10", "folic acid;lisinopril", "",
     {"contraindication": 1}),
    ("nitrate-pde5", "male", 60, "I27.0;I25.10", "sildenafil;nitroglycerin", "",
     {"contraindication": 1}),
    ("her2-negative", "female", 55, "C50.919", "trastuzumab;tamoxifen", "", {"mutation_drug": 1}),
    ("braf-crc", "male", 60, "C18.9", "fluorouracil;oxaliplatin;dabrafenib-trametinib",
     "BRAF_V600E", {"mutation_drug": 1}),
    ("egfr-no-cancer", "male", 50, "", "", "EGFR_L858R", {"mutation_drug": 1}),
    ("her2-positive", "female", 60, "C50.919", "trastuzumab;tamoxifen", "ERBB2_AMP", {}),
    ("brca-parp", "female", 50, "C56.9", "carboplatin;paclitaxel;olaparib", "BRCA1_185DELAG",
     {}),
    ("metformin-alone", "male", 50, "", "metformin", "", {"pathway": 1}),
    ("second-line-first", "male", 50, "E11.9", "sitagliptin", "", {"pathway": 1}),
    ("second-line-ckd", "male", 50, "E11.9;N18.4", "sitagliptin;dapagliflozin", "", {}),
    ("gdm-not-pregnant", "female", 30, "O24.419", "insulin glargine", "", {"pathway": 1}),
    ("asthma-toddler", "female", 3, "J45.909", "budesonide", "", {}),
    ("healthy", "male", 40, "", "", "", {}),
    ("psa-woman", "female", 60, "", "", "", {"lab_sex": 1}),
    ("psa-man", "male", 68, "", "", "", {}),
    ("psa-sex-unstated", "unknown", 68, "", "", "", {}),
]
LAB_PSA = {"psa-woman": "1.4", "psa-man": "3.9", "psa-sex-unstated": "2.0"}
"""The `lab_psa` column (empty for every other case): PSA is male-only (plausibility.yaml labs)."""
EXPECTED = {f: sum(c[6].get(f, 0) for c in CASES) for f in FAMILIES}
FLAGGED = {c[0] for c in CASES if c[6]}


def _write_csv(path: Path, rows: list[tuple[Any, ...]] = CASES) -> Path:  # type: ignore[assignment]
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["record_id", "sex", "age", "conditions", "medications", "variants",
                    "lab_psa"])
        for rid, sex, age, conds, meds, var, _ in rows:
            w.writerow([rid, sex, age, conds, meds, var, LAB_PSA.get(rid, "")])
    return path


def _run(*args: str) -> Any:
    return CliRunner().invoke(app, ["cohort", "validate", *args], catch_exceptions=False)


def test_every_family_counted_right_through_the_cli(tmp_path: Path) -> None:
    res = _run(str(_write_csv(tmp_path / "u.csv")), "--json")
    assert res.exit_code == 1, res.output
    out = json.loads(res.stdout)
    assert out["records"] == len(CASES)
    assert out["records_flagged"] == len(FLAGGED)
    assert out["counts"] == {f: n for f, n in EXPECTED.items() if n}
    assert set(EXPECTED) == set(FAMILIES) and all(EXPECTED.values())  # every family exercised
    by_record: dict[str, dict[str, int]] = {}
    for f in out["findings"]:
        by_record.setdefault(f["record"], {}).setdefault(f["family"], 0)
        by_record[f["record"]][f["family"]] += 1
    assert by_record == {c[0]: c[6] for c in CASES if c[6]}
    line = {f["record"]: f["line"] for f in out["findings"]}
    assert line["t2d-infant"] == 2 and line["bph-woman"] == 4  # CSV lines, header is line 1
    assert out["rules"]["semaglutide:min_age"] == 1
    assert out["rules"]["dabrafenib-trametinib:not-in:C18.9"] == 1
    lo, hi = out["flagged_ci95"]
    assert lo < out["flagged_rate"] < hi


def test_table_output_and_exit_zero_when_plausible(tmp_path: Path) -> None:
    bad = _run(str(_write_csv(tmp_path / "u.csv")))
    assert bad.exit_code == 1
    assert "anatomy" in bad.output and "semaglutide" in bad.output
    good = [c for c in CASES if not c[6]]
    res = _run(str(_write_csv(tmp_path / "ok.csv", good)))
    assert res.exit_code == 0, res.output
    text = " ".join(res.output.split())  # the console wraps long paths
    assert f"{len(good)} records, none implausible" in text


def test_parquet_and_jsonl_lists_read_like_csv(tmp_path: Path) -> None:
    cols: dict[str, list[Any]] = {k: [] for k in
                                  ("record_id", "sex", "age", "conditions", "medications",
                                   "variants")}
    cols["lab_psa"] = []
    for rid, sex, age, conds, meds, var, _ in CASES:
        for k, v in zip(cols, (rid, sex, age, conds, meds, var), strict=False):
            cols[k].append([x for x in v.split(";") if x] if k in (
                "conditions", "medications", "variants") else v)
        psa = LAB_PSA.get(rid)
        cols["lab_psa"].append(None if psa is None else float(psa))
    pq.write_table(pa.table(cols), tmp_path / "u.parquet")
    with (tmp_path / "u.jsonl").open("w") as fh:
        for i in range(len(CASES)):
            fh.write(json.dumps({k: v[i] for k, v in cols.items()}) + "\n")
    for name in ("u.parquet", "u.jsonl"):
        res = _run(str(tmp_path / name), "--json")
        assert res.exit_code == 1
        assert json.loads(res.stdout)["counts"] == {f: n for f, n in EXPECTED.items() if n}


def test_fhir_bundles(tmp_path: Path) -> None:
    kb = load_kb()
    adults = [p for p in generate_patients(200, config=CohortConfig(seed=2, policy="identified"))
              if 45 <= p.age <= 85]  # FHIR carries the birth date: keep each patient's age
    base = adults[:3]
    upd = {"conditions": ["N40.1"], "medications": ["tamsulosin"], "variants": []}
    people = [p.model_copy(update={**upd, "sex": sex}) for p, sex in
              zip(base, ["female", "female", "male"], strict=True)]
    path = tmp_path / "b.ndjson"
    path.write_text("".join(json.dumps(bundle_dict(p, kb), default=str) + "\n" for p in people))
    res = _run(str(path), "--json")
    assert res.exit_code == 1, res.output
    out = json.loads(res.stdout)
    assert (out["records"], out["records_flagged"], out["counts"]) == (3, 2, {"anatomy": 2})


@pytest.mark.parametrize("content, why", [
    ("record_id,sex,age\nx,male,abc\n", "u.csv:2: age 'abc' is not a number"),
    ("record_id,sex,conditions\nx,male,E11.9\n", "missing column 'age'"),
    ("record_id,sex,age\nx,male,200\n", "u.csv:2: age '200' outside 0-130"),
])
def test_bad_input_is_exit_2_with_file_and_line(tmp_path: Path, content: str, why: str) -> None:
    (tmp_path / "u.csv").write_text(content)
    res = _run(str(tmp_path / "u.csv"))
    assert res.exit_code == 2
    assert why in res.output


def test_bad_json_line_is_exit_2(tmp_path: Path) -> None:
    (tmp_path / "u.ndjson").write_text('{"resourceType": "Patient", "id": "a"}\n{oops\n')
    res = _run(str(tmp_path / "u.ndjson"))
    assert res.exit_code == 2 and "u.ndjson:2" in res.output


def test_generated_cohort_with_boost_and_balance_has_no_implausible_record(
        tmp_path: Path) -> None:
    for i, cfg in enumerate([CohortConfig(seed=21, rare_boost=300),
                             CohortConfig(seed=22, balance="G10"),
                             CohortConfig(seed=23, balance="age_band")]):
        out = tmp_path / f"c{i}.parquet"
        generate_cohort(8000, out, config=cfg)
        res = _run(str(out), "--json")
        assert res.exit_code == 0, res.stdout[:2000]
        assert json.loads(res.stdout)["records"] == 8000


_codes = [c.code for c in load_kb().conditions]
_drugs = sorted(load_kb().drugs)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(sex=st.sampled_from(["female", "male", None]), age=st.integers(0, 110),
       conds=st.lists(st.sampled_from(_codes), max_size=4, unique=True),
       meds=st.lists(st.sampled_from(_drugs), max_size=4, unique=True),
       labs=st.lists(st.sampled_from(["lab_psa", "lab_free_psa", "lab_hgb"]), unique=True))
def test_check_is_total_and_families_are_known(sex: str | None, age: int, conds: list[str],
                                               meds: list[str], labs: list[str]) -> None:
    rules = load_rules()
    issues = rules.check(Record(sex=sex, age=age, conditions=tuple(conds),
                                medications=tuple(meds), labs=tuple(labs)))
    assert {i.family for i in issues} <= set(FAMILIES)
    if sex is None:  # sex not stated: no sex-based rule may fire
        assert not {i.family for i in issues} & {"anatomy", "condition_sex", "lab_sex"}
    psa = {"lab_psa", "lab_free_psa"} & set(labs)
    assert sum(i.family == "lab_sex" for i in issues) == (len(psa) if sex == "female" else 0)
    for i in issues:
        assert i.detail and i.rule


@pytest.mark.parametrize("bad, why", [
    ("drugs:\n  unobtainium: {min_age: 3}\n", "unknown drug 'unobtainium'"),
    ("conditions:\n  E11.9: {min_age: 9, max_age: 3}\n", "min_age must not exceed max_age"),
    ("anatomy:\n  prostate: {sex: both, conditions: [C61]}\n", "sex must be female or male"),
    ("biomarkers:\n  olaparib: {variants: [BRCA9_X]}\n", "unknown variant 'BRCA9_X'"),
    ("labs:\n  lab_psa: {sex: men}\n", "labs lab_psa: sex must be female or male"),
])
def test_a_bad_rule_file_fails_loudly(tmp_path: Path, bad: str, why: str) -> None:
    import shutil

    from medtrust.cohort._kb import _data_dir
    from medtrust.errors import ConfigError

    data = tmp_path / "data"
    shutil.copytree(_data_dir(), data)
    (data / "plausibility.yaml").write_text(bad)
    with pytest.raises(ConfigError, match=why) as exc:
        load_rules(str(data))
    assert "plausibility.yaml" in str(exc.value)


@settings(max_examples=200, deadline=None)
@given(age=st.one_of(st.none(), st.integers(-5, 200).map(str), st.text(max_size=6)),
       sex=st.one_of(st.none(), st.sampled_from(["F", "m", "Woman", "intersex", ""]),
                     st.text(max_size=4)),
       cells=st.lists(st.text(max_size=12), min_size=3, max_size=3))
def test_reader_gives_a_record_or_one_clear_error(age: str | None, sex: str | None,
                                                  cells: list[str]) -> None:
    from medtrust.cohort._validate import table_records
    from medtrust.errors import ConfigError

    table = pa.table({"sex": [sex], "age": [age], "conditions": [cells[0]],
                      "medications": [cells[1]], "variants": [cells[2]]})
    try:
        [(rid, line, rec)] = list(table_records(table, where="t.csv", first_line=2))
    except ConfigError as exc:
        assert str(exc).startswith("t.csv:2: age ")
        return
    assert line == 2 and rid == "1"
    assert rec.sex in ("female", "male", None)
    assert rec.age is None or 0 <= rec.age <= 130
    load_rules().check(rec)  # any record the reader accepts, the rules can judge
