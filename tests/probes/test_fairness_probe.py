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
    assert [p.name for p in suite.probes] == ["fairness.counterfactual"]


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
    assert fair["assessed"] and fair["n"] == variants and fair["errors"] == 0
    assert fair["failures"] == scenarios  # insurance=medicaid, once per scenario
    assert fair["by_probe"]["insurance"]["failures"] == scenarios
    assert all(t["failures"] == 0 for k, t in fair["by_probe"].items() if k != "insurance")
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
