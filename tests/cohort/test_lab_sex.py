"""The sex-specific lab rule (``lab_sex``) holds on every path a patient's labs take: the
generator (a female-only lab too), FHIR export, FHIR import and the validator's FHIR input."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from medtrust.cli import app
from medtrust.cohort import CohortConfig, generate_patients, render_fhir
from medtrust.cohort._kb import KnowledgeBase, load_kb
from medtrust.cohort._plan import compile_plan
from medtrust.cohort._plausibility import load_rules
from medtrust.cohort._sample import sample_chunk
from medtrust.errors import ConfigError

runner = CliRunner()
PSA_LOINC = "2857-1"


def _with_psa(sex: str) -> dict[str, object]:
    """A generated patient of sex at birth ``sex`` carrying a PSA value."""
    p = next(p for p in generate_patients(200, seed=3) if p.sex == sex)
    return p.model_copy(update={"labs": {**p.labs, "psa": 2.5}}).model_dump()


def test_the_rules_hold_labs_csv_sex_and_plausibility_yaml_labs() -> None:
    kb = load_kb()
    by_csv = {lab.column: lab.sex for lab in kb.labs if lab.sex}
    assert by_csv and by_csv.items() <= load_rules().lab_sex.items()


def test_fhir_export_refuses_a_lab_of_the_other_sex() -> None:
    from medtrust.cohort import Patient

    woman = Patient.model_validate(_with_psa("female"))
    with pytest.raises(ConfigError) as err:
        render_fhir(woman)
    msg = str(err.value)
    assert f"record {woman.record_id}" in msg and "lab_psa" in msg and "lab_sex" in msg
    man = Patient.model_validate(_with_psa("male"))
    codes = [e["resource"]["code"]["coding"][0]["code"] for e in render_fhir(man)["entry"]
             if e["resource"]["resourceType"] == "Observation"]
    assert PSA_LOINC in codes


def _female_with_psa_ndjson(path: Path) -> Path:
    from medtrust.cohort import Patient

    man = Patient.model_validate(_with_psa("male"))
    bundle = render_fhir(man)
    for e in bundle["entry"]:
        if e["resource"]["resourceType"] == "Patient":
            e["resource"]["gender"] = "female"
    path.write_text(json.dumps(bundle) + "\n", encoding="utf-8")
    return path


def test_fhir_import_and_validate_apply_the_rule(tmp_path: Path) -> None:
    src = _female_with_psa_ndjson(tmp_path / "in.ndjson")
    res = runner.invoke(app, ["cohort", "validate", str(src), "--json"])
    assert res.exit_code == 1, res.output
    report = json.loads(res.stdout)
    assert report["counts"]["lab_sex"] == 1
    # medtrust's own Safe Harbor export (dates are years) validates clean, without a crash
    plain = tmp_path / "plain.ndjson"
    made = runner.invoke(app, ["cohort", "generate", "-n", "20", "--out", str(plain)])
    assert made.exit_code == 0, made.output
    res = runner.invoke(app, ["cohort", "validate", str(plain), "--json"])
    assert res.exit_code == 0 and json.loads(res.stdout)["records"] == 20, res.output
    for out in ("out.ndjson", "out.parquet"):
        res = runner.invoke(app, ["cohort", "generate", "-n", "0", "--from-fhir", str(src),
                                  "--out", str(tmp_path / out)])
        assert res.exit_code == 2, res.output
        line = " ".join(res.output.split())
        assert str(src) in line and "lab_psa is measured for males only" in line, line
        assert not (tmp_path / out).exists()  # nothing half-written


def test_the_generator_honours_a_female_only_lab() -> None:
    # the bundled knowledge base has male-only labs; a female-only one must hold as well
    bundled = load_kb()
    labs = tuple(dataclasses.replace(lab, sex="female") if lab.key == "psa" else lab
                 for lab in bundled.labs)
    kb: KnowledgeBase = dataclasses.replace(bundled, labs=labs)
    plan = compile_plan(CohortConfig(seed=2), kb)
    chunk = sample_chunk(plan, 0, 3000)
    li = [lab.key for lab in kb.labs].index("psa")
    measured = ~np.isnan(chunk.labs[:, li])
    male = np.asarray(chunk.sex) == 1
    assert measured.any() and not (measured & male).any()
    assert measured[~male].all()
