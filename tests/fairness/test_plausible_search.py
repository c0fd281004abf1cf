"""Implausible counterfactuals are not applicable (never scored), and the joint search from the
CLI finds the worst plausible counterfactual, through ``medtrust audit-model``."""

from __future__ import annotations

import csv
import json
import textwrap
from pathlib import Path

import pytest
from typer.testing import CliRunner

from medtrust.cli import app
from medtrust.cohort import CohortConfig, generate_cohort
from medtrust.fairness._joint import joint_search
from medtrust.fairness.reference import WORST_ZIP3
from medtrust.targets import load_target

SPEC = "tabular:medtrust.fairness.reference:model"

# Scores female sex and Medicaid down; reads nothing clinical.
SEXIST = textwrap.dedent('''
    import numpy as np

    calls = []

    def model(frame):
        p = np.full(len(frame), 0.8)
        p = np.where(frame["sex"] == "female", 0.05, p)
        p = np.where(frame["insurance"] == "medicaid", p * 0.6, p)
        calls.append(len(frame))
        return np.column_stack([1 - p, p])
''')


def _audit(*args: str) -> dict[str, object]:
    res = CliRunner().invoke(app, ["audit-model", *args, "--json"], catch_exceptions=False)
    assert res.exit_code == 0, res.output
    out: dict[str, object] = json.loads(res.stdout)
    return out


def _rows(path: Path, bph: int = 10, pregnant: int = 10) -> Path:
    """Men with BPH, pregnant women, 20 others, and one woman recorded with BPH."""
    rows = (
        [("male", 70, "N40.1", "tamsulosin")] * bph
        + [("female", 30, "Z33.1", "folic acid")] * pregnant
        + [("male", 50, "I10", "amlodipine"), ("female", 50, "I10", "amlodipine")] * 10
        + [("female", 72, "N40.1", "tamsulosin")]  # already implausible in the user's data
    )
    with path.open("w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["record_id", "sex", "age", "race_ethnicity", "insurance", "zip3",
                    "conditions", "medications", "variants", "lab_cr"])
        for i, (sex, age, cond, med) in enumerate(rows):
            w.writerow([f"r{i}", sex, age, ("white_nh", "black_nh")[i % 2],
                        ("private", "medicaid")[i % 2], "021", cond, med, "", 1.0])
    return path


def test_sex_counterfactuals_that_are_impossible_are_not_applicable(tmp_path: Path) -> None:
    data = _rows(tmp_path / "u.csv")
    rep = _audit("-t", SPEC, "--data", str(data), "--protected", "sex,race",
                 "--reference", "sex=male", "--no-shap", "--no-search", "--resamples", "20")
    sex = rep["counterfactual"]["sex"]  # type: ignore[index]
    female = sex["values"][0]
    # a female twin of a man with BPH, and the male reference of a pregnant woman: 20 rows;
    # the woman already recorded with BPH gains no new fault and stays applicable
    assert (female["not_applicable"], female["n"]) == (20, 21)
    assert sex["not_applicable"] == 20
    # only applicable rows are sent: 31 at the reference (not the pregnant), 21 as female
    assert sex["calls"] == 31 + 21
    assert rep["not_applicable"] == {"sex": 20, "race": 0}  # type: ignore[comparison-overlap]
    race = rep["counterfactual"]["race"]  # type: ignore[index]
    assert all(v["not_applicable"] == 0 and v["n"] == 41 for v in race["values"])


@pytest.fixture(scope="module")
def cohort_csv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("joint") / "cohort.csv"
    generate_cohort(1500, out, config=CohortConfig(seed=3))
    return out


@pytest.mark.parametrize("method", ["halving", "de"])
def test_joint_search_from_the_cli_finds_the_planted_bias(cohort_csv: Path, method: str) -> None:
    rep = _audit("-t", SPEC, "--data", str(cohort_csv), "--protected",
                 "race,sex,insurance,zip3", "--search", method, "--no-shap", "--resamples", "20",
                 "--search-rows", "48")
    joint = rep["joint_search"]
    assert isinstance(joint, dict)
    assert joint["method"] == method
    assert joint["columns"] == ["race_ethnicity", "sex", "insurance", "zip3"]
    worst = joint["worst"]
    assert worst["insurance"] in ("medicaid", "uninsured")  # the planted insurance penalty
    if method == "halving":
        assert worst["zip3"] == WORST_ZIP3
    assert abs(int(worst["zip3"]) - int(WORST_ZIP3)) <= 12  # inside the planted ZIP dip
    assert joint["calls"] > 0 and joint["rows"] == 48
    assert 0 < joint["applicable_share"] <= 1
    assert joint["score"] <= joint["mean_abs_delta_p"]
    assert joint["search_space"] == 7 * 2 * 5 * 1000


def test_unknown_search_method_is_exit_2(cohort_csv: Path) -> None:
    res = CliRunner().invoke(app, ["audit-model", "-t", SPEC, "--data", str(cohort_csv),
                                   "--protected", "sex", "--search", "grid"])
    assert res.exit_code == 2 and "--search 'grid'" in res.output


def test_penalty_steers_away_from_implausible_counterfactuals(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import pandas as pd

    (tmp_path / "sexist.py").write_text(SEXIST)
    monkeypatch.syspath_prepend(str(tmp_path))
    target = load_target("tabular:sexist:model")
    rows = ([("male", 70, "N40.1", "tamsulosin")] * 20 + [("female", 30, "Z33.1", "folic acid")]
            + [("male", 50, "I10", "amlodipine")] * 20 + [("female", 60, "I10", "amlodipine")])
    frame = pd.DataFrame(rows, columns=["sex", "age", "conditions", "medications"])
    frame["insurance"] = ["private", "medicaid"] * 21
    # no penalty: "female" is worst, scored only on the 22 rows where it is possible
    free = joint_search(target, frame, ["sex", "insurance"], method="halving", rows=42,
                        penalty=0.0)
    assert free.assignment == {"sex": "female", "insurance": "medicaid"}
    assert free.applicable == pytest.approx(22 / 42)
    # a heavy penalty on the 20 BPH rows a female twin cannot have moves the worst to male
    # (whose only impossible twin is the one pregnant woman)
    steered = joint_search(target, frame, ["sex", "insurance"], method="halving", rows=42,
                           penalty=5.0)
    assert steered.assignment["sex"] == "male" and steered.applicable == pytest.approx(41 / 42)
    de = joint_search(target, frame, ["sex", "insurance"], method="de", rows=42, penalty=0.0,
                      de_maxiter=5)
    assert de.assignment == free.assignment and de.calls > 0


AGE_MODEL = textwrap.dedent('''
    import numpy as np

    def model(frame):
        p = np.clip(frame["age"].to_numpy(dtype=float) / 50, 0, 1)
        return np.column_stack([1 - p, p])
''')


def test_age_shift_search_skips_impossible_rows(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import pandas as pd

    from medtrust.fairness import worst_case

    (tmp_path / "agemodel.py").write_text(AGE_MODEL)
    monkeypatch.syspath_prepend(str(tmp_path))
    target = load_target("tabular:agemodel:model")
    rows = ([(13, "E66.9", "semaglutide")] * 10 + [(40, "", "")] * 10 + [(2, "", "")])
    frame = pd.DataFrame(rows, columns=["age", "conditions", "medications"])
    frame["sex"] = "female"
    res = worst_case(target, frame, "age", rows=21)
    assert res.mode == "shift" and res.value == pytest.approx(-38)
    # the ten 13-year-olds on semaglutide would be 2: not applicable, not scored
    assert res.not_applicable == 10
    assert res.effect == pytest.approx(10 * 38 / 50 / 11)
