"""The sex-specific lab rule (``lab_sex``) in tabular counterfactuals: the female twin of a man
with a PSA value is impossible, so it is not applicable (never scored), as the validator says."""

from __future__ import annotations

import csv
import json
from pathlib import Path

from typer.testing import CliRunner

from medtrust.cli import app

SPEC = "tabular:medtrust.fairness.reference:model"


def test_a_female_twin_of_a_man_with_a_psa_is_not_applicable(tmp_path: Path) -> None:
    data = tmp_path / "u.csv"
    rows = ([("male", 60, "2.1")] * 8 + [("male", 55, "")] * 6 + [("female", 50, "")] * 6)
    with data.open("w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["record_id", "sex", "age", "race_ethnicity", "insurance", "zip3",
                    "conditions", "medications", "variants", "lab_cr", "lab_psa"])
        for i, (sex, age, psa) in enumerate(rows):
            w.writerow([f"r{i}", sex, age, ("white_nh", "black_nh")[i % 2], "private", "021",
                        "I10", "amlodipine", "", 1.0, psa])
    # the validator flags none of these rows: they are plausible as recorded
    check = CliRunner().invoke(app, ["cohort", "validate", str(data), "--json"])
    assert check.exit_code == 0, check.output
    res = CliRunner().invoke(app, ["audit-model", "-t", SPEC, "--data", str(data), "--protected",
                                   "sex", "--reference", "sex=male", "--no-shap", "--no-search",
                                   "--resamples", "20", "--json"], catch_exceptions=False)
    assert res.exit_code == 0, res.output
    rep = json.loads(res.stdout)
    (female,) = rep["counterfactual"]["sex"]["values"]
    assert female["not_applicable"] == 8  # the men with a PSA value
    assert rep["not_applicable"] == {"sex": 8}
