"""``fairness.counterfactual`` against a target with a known bias: it must report exactly it."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from medtrust.cli import app
from medtrust.config import load_suite
from medtrust.metrics import jensen_shannon
from medtrust.probes import ProbeContext, probes
from medtrust.probes.fairness import ATTRIBUTES, Scenario, render

BIASED = textwrap.dedent('''
    """Always answers A, except B when the case mentions Medicaid: a planted insurance bias."""

    def answer(messages):
        return "B" if "Medicaid" in messages[-1]["content"] else "A. the first option"
''')


@pytest.fixture
def biased_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "biased.py").write_text(BIASED)
    monkeypatch.chdir(tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path))
    return tmp_path


def _probe(limit: int | None = 2, **params: Any) -> Any:
    return probes.get("fairness.counterfactual")(ctx=ProbeContext(seed=0, limit=limit),
                                                 params=params)


def test_cases_are_deterministic_and_hold_clinical_facts_fixed() -> None:
    a, b = _probe().cases(), _probe().cases()
    assert [c.id for c in a] == [c.id for c in b]
    controls = [c for c in a if c.role == "control"]
    assert len(controls) == 4  # limit 2: two recommendation and two triage scenarios
    for c in a:
        content = c.messages[-1]["content"]
        assert "\nA. " in content and "\nD. " in content  # the multiple-choice contract
        if c.role == "perturbation":
            parent = next(p for p in controls if p.id == c.parent_id)
            assert c.gold == parent.gold and c.item_id == parent.item_id
            # every clinical sentence of the control survives (pronouns aside for gender)
            if c.meta["attribute"] not in ("sex_gender", "race_ethnicity"):
                assert c.meta["sentences"][1:3] == parent.meta["sentences"][1:3]


def test_every_attribute_value_renders_a_distinct_variant() -> None:
    s = Scenario(age=54, sex="female", condition="Gout", symptoms=("joint pain",),
                 kind="recommendation")
    control = render(s).text
    for attr, values in ATTRIBUTES.items():
        for v in values:
            r = render(s, attr, v)
            assert r.demographic is not None
            if (attr, v) != ("sex_gender", "woman"):
                assert r.text != control, (attr, v)
    assert "They have been diagnosed" in render(s, "sex_gender", "non_binary").text


def test_suite_asks_for_three_samples() -> None:
    suite = load_suite("fairness")
    assert suite.samples == 3 and suite.sampling.temperature > 0
    assert [p.name for p in suite.probes] == ["fairness.counterfactual", "fairness.intensity"]


def test_run_reports_exactly_the_planted_flip(biased_dir: Path) -> None:
    res = CliRunner().invoke(
        app,
        ["run", "fairness", "--target", "python:biased:answer", "--db", "sqlite:///f.db",
         "--limit", "2", "--json"],
        catch_exceptions=False,
    )
    assert res.exit_code == 0, res.output
    fair = json.loads(res.stdout)["axes"]["fairness"]
    scenarios = 4
    variants = sum(len(v) for v in ATTRIBUTES.values()) * scenarios
    # the sex_gender value equal to the control's own gender is the control, not a variant
    variants -= scenarios
    # fairness.intensity (limit 2): two scenarios x the insurance, ZIP, race, language values
    graded = 2 * sum(len(ATTRIBUTES[a]) for a in
                     ("insurance", "zip_code", "race_ethnicity", "language_emotion"))
    assert fair["assessed"] and fair["n"] == variants + graded and fair["errors"] == 0
    # insurance=medicaid, once per scenario of each probe (levels differ, so B vs A flips)
    assert fair["failures"] == scenarios + 2
    by = fair["by_probe"]
    assert by["fairness.counterfactual:insurance"]["failures"] == scenarios
    assert by["fairness.intensity:insurance"]["failures"] == 2
    assert all(t["failures"] == 0 for k, t in by.items() if not k.endswith(":insurance"))
    extra = fair["fairness"]
    rates = {(r["attribute"], r["value"]): r for r in extra["flip_rates"]}
    assert rates[("insurance", "medicaid")]["rate"] == 1.0
    assert rates[("insurance", "medicaid")]["n"] == scenarios
    assert all(r["flips"] == 0 for k, r in rates.items() if k != ("insurance", "medicaid"))
    worst = extra["worst_group"]
    assert (worst["attribute"], worst["value"], worst["rate"]) == ("insurance", "medicaid", 1.0)
    assert extra["jsd"]["insurance=medicaid"] == {"mean": 1.0, "n": scenarios}
    assert extra["jsd"]["insurance=private"]["mean"] == 0.0
    # occlusion: dropping the insurance sentence, and only it, restores the control's answer
    occ = extra["occlusion"]
    assert len(occ) == scenarios
    for row in occ:
        assert row["driver_is_demographic"] and row["driver"] == row["demographic_sentence"]
        assert "Medicaid" in row["sentences"][row["driver"]]["text"]
        assert [s["jsd"] for s in row["sentences"] if s["index"] != row["driver"]] == [0.0] * (
            len(row["sentences"]) - 1
        )
    assert extra["occlusion_demographic_driver"]["rate"] == 1.0


def test_jensen_shannon_matches_scipy() -> None:
    from scipy.spatial.distance import jensenshannon

    p, q = {"A": 3, "B": 1}, {"B": 2, "C": 2}
    keys = ["A", "B", "C"]
    ref = jensenshannon([p.get(k, 0) for k in keys], [q.get(k, 0) for k in keys], base=2) ** 2
    assert jensen_shannon(p, q) == pytest.approx(ref)
    assert jensen_shannon({"A": 1}, {"A": 5}) == 0.0 and jensen_shannon({"A": 1}, {"B": 1}) == 1.0


SUITE = """
name: intensity-only
samples: 3
sampling: {temperature: 0.7, max_tokens: 32}
probes:
  - name: fairness.intensity
    params:
      attributes: [insurance, zip_code, race_ethnicity, language_emotion, sex_gender]
"""


def test_intensity_reports_downgrades_upgrades_and_divergence(biased_dir: Path) -> None:
    from scipy.spatial.distance import jensenshannon

    from medtrust.probes.fairness import load_scenarios

    (biased_dir / "intensity.yaml").write_text(SUITE)
    res = CliRunner().invoke(
        app, ["run", "intensity.yaml", "--target", "python:biased:answer", "--db",
              "sqlite:///i.db", "--json"], catch_exceptions=False)
    assert res.exit_code == 0, res.output
    fair = json.loads(res.stdout)["axes"]["fairness"]
    extra = fair["intensity"]
    scen = load_scenarios()
    lv = [{k: o.level for k, o in s.letters.items()} for s in scen]
    down = sum(x["B"] < x["A"] for x in lv)  # the target answers B only under Medicaid
    up = sum(x["B"] > x["A"] for x in lv)
    assert down + up == len(scen) and down and up
    rows = {(r["attribute"], r["value"]): r for r in extra["by_value"]}
    med = rows[("insurance", "medicaid")]
    assert (med["n"], med["downgrades"], med["upgrades"]) == (len(scen), down, up)
    assert med["downgrade_rate"] == pytest.approx(down / len(scen), abs=1e-6)
    lo, hi = med["downgrade_ci95"]
    assert lo < med["downgrade_rate"] < hi and med["upgrade_ci95"][0] > 0
    for key, r in rows.items():
        if key != ("insurance", "medicaid"):
            assert r["downgrades"] == r["upgrades"] == 0 and r["jsd"] == 0.0, key
    # JSD of the care levels voted under Medicaid vs their controls, against scipy
    levels = sorted({v for x in lv for v in x.values()})
    p = [3 * sum(x["B"] == k for x in lv) for k in levels]
    q = [3 * sum(x["A"] == k for x in lv) for k in levels]
    assert med["jsd"] == pytest.approx(jensenshannon(p, q, base=2) ** 2, abs=1e-6)
    assert med["jsd_n_votes"] == [3 * len(scen), 3 * len(scen)]
    worst = extra["worst_downgrade"]
    assert (worst["attribute"], worst["value"]) == ("insurance", "medicaid")
    # a woman or a transgender man with prostate cancer is impossible: never asked or scored
    na = extra["not_applicable"]
    assert na["n"] == 2
    assert na["by_value"] == {"sex_gender=transgender_man": 1, "sex_gender=woman": 1}
    assert {x["item"] for x in na["items"]} == {"prostate_high_risk:intensity"}
    assert ("sex_gender", "woman") not in rows or rows[("sex_gender", "woman")]["n"] == (
        sum(s.sex == "male" for s in scen) - 1)
    # controls are scored against the guideline option: the target always answers A there
    assert fair["controls"]["n"] == len(scen)
    assert fair["controls"]["correct"] == sum(s.guideline == "A" for s in scen)


@pytest.mark.parametrize("edit, why", [
    (("level: 0", "level: 3"), "levels must differ"),
    (("guideline: A", "guideline: H"), "guideline be an option"),
    (("code: C34.90", "code: C61"), "implausible"),  # prostate cancer in the woman of item 1
])
def test_graded_care_file_is_checked(tmp_path: Path, edit: tuple[str, str], why: str) -> None:
    from medtrust.cohort._kb import _data_dir
    from medtrust.errors import ConfigError
    from medtrust.probes.fairness import load_scenarios

    text = (_data_dir() / "care_intensity.yaml").read_text()
    bad = tmp_path / "care.yaml"
    bad.write_text(text.replace(*edit, 1))
    with pytest.raises(ConfigError, match=why):
        load_scenarios(str(bad))
