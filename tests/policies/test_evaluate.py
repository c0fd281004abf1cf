"""Rules evaluated on crafted runs: a PHI leak fails HIPAA disclosure, unanswered controls are
"not assessed", missing axes never pass, dates decide applicability, the axis is defined."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest

from medtrust.config import Declarations, load_declared
from medtrust.errors import ConfigError
from medtrust.policies import RunFacts, evaluate, load_policies
from medtrust.report import summarize_run

from .crafted import CASES, crafted_run


def summarize(*args: Any, **kwargs: Any) -> dict[str, Any]:
    """The run JSON of a stored run (the typed summary, dumped as ``report --format json``)."""
    return summarize_run(*args, **kwargs).to_json()


def _rules(summary: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {r["id"]: r for r in summary["compliance"]["rules"]}


def test_phi_leak_fails_hipaa_disclosure_with_evidence(tmp_path: Path) -> None:
    store, info = crafted_run(tmp_path)
    s = summarize(store, info, [])
    r = _rules(s)["hipaa.164-502a-disclosure"]
    assert r["status"] == "fail" and r["severity"] == "critical"
    ev = r["evidence"]
    # leak (SSN echoed) and the privacy verdict fail; safe passes; err errored; plain and the
    # authorised "share" case are not exposed; so 2 of 3 judged outputs violate
    assert (ev["n"], ev["failures"], ev["errors"]) == (3, 2, 1)
    assert set(ev["case_ids"]) == {CASES["leak"].id, CASES["priv_fail"].id}
    assert ev["found"] == {"SSN": 1, "phone": 1}
    assert r["violation_rate"] == pytest.approx(2 / 3, abs=1e-6)
    assert ev["ci95"][0] < 2 / 3 < ev["ci95"][1]
    sh = _rules(s)["hipaa.164-514b-safe-harbor"]
    assert (sh["status"], sh["evidence"]["n"], sh["evidence"]["failures"]) == ("fail", 2, 1)


def test_compliance_axis_definition_and_by_regulation(tmp_path: Path) -> None:
    store, info = crafted_run(tmp_path)
    s = summarize(store, info, [])
    axis = s["axes"]["compliance"]
    assert axis["assessed"] and (axis["n"], axis["failures"], axis["errors"]) == (3, 2, 1)
    assert set(axis["by_probe"]) == {
        "hipaa.164-502a-disclosure",
        "hipaa.164-514b-safe-harbor",
        "gdpr.art9-special-category-disclosure",
    }
    fields = {"n", "failures", "failure_rate", "ci95", "errors"}
    assert fields <= set(axis["by_probe"]["hipaa.164-514b-safe-harbor"])
    by_reg = s["compliance"]["by_regulation"]
    assert by_reg["HIPAA"]["failures"] == 2 and by_reg["GDPR"]["failures"] == 2
    assert "outputs" in s["compliance"]["definition"]
    # compliance has its own risk but does not count twice in the overall score
    assert s["risk"]["by_axis"]["compliance"]["in_overall"] is False
    assert "compliance" not in s["risk"]["axes_assessed"]


def test_clean_run_passes_and_unexposed_run_is_not_assessed(tmp_path: Path) -> None:
    store, info = crafted_run(tmp_path, keys=("safe", "plain"))
    r = _rules(summarize(store, info, []))["hipaa.164-502a-disclosure"]
    assert r["status"] == "pass" and r["evidence"]["n"] == 1
    (tmp_path / "b").mkdir()
    store2, info2 = crafted_run(tmp_path / "b", keys=("plain",))
    s2 = summarize(store2, info2, [])
    r2 = _rules(s2)["hipaa.164-502a-disclosure"]
    assert r2["status"] == "not assessed" and "no output had identifiers" in r2["reason"]
    assert s2["axes"]["compliance"]["assessed"] is False
    assert s2["axes"]["compliance"]["failure_rate"] is None


def test_declared_controls_unanswered_yes_no(tmp_path: Path) -> None:
    store, info = crafted_run(tmp_path)
    rules = _rules(summarize(store, info, []))
    r = rules["gdpr.art22-human-intervention"]
    assert r["status"] == "not assessed" and "unanswered" in r["reason"]
    decl = Declarations.model_validate(
        {"controls": {"human_oversight": True, "business_associate_agreement": {"answer": False}}}
    )
    rules = _rules(summarize(store, info, [], declared=decl))
    assert rules["gdpr.art22-human-intervention"]["status"] == "pass"
    assert rules["hipaa.164-502e-business-associate"]["status"] == "fail"
    assert rules["hipaa.164-502b-minimum-necessary"]["status"] == "not assessed"


def test_declarations_stored_with_the_run_and_file_loader(tmp_path: Path) -> None:
    path = tmp_path / "declare.yaml"
    path.write_text(
        "intended_purpose: Triage support for emergency nurses\n"
        "controls:\n  human_oversight: {answer: yes, evidence: SOP-7}\n"
    )
    decl = load_declared(path)
    store, info = crafted_run(tmp_path, declared=decl)
    s = summarize(store, info, [])
    r = _rules(s)["gdpr.art22-human-intervention"]
    assert r["status"] == "pass" and "SOP-7" in r["reason"]
    assert s["compliance"]["intended_purpose"] == "Triage support for emergency nurses"
    path.write_text("controls:\n  human_oversight: {answer: maybe}\n")
    with pytest.raises(ConfigError, match=r"declare\.yaml:2"):
        load_declared(path)


def _facts(axes: dict[str, Any], day: date = date(2026, 9, 1)) -> RunFacts:
    return RunFacts(
        run_id="r", status="done", day=day, cases=[], replies={}, verdicts={}, axes=axes
    )


def test_metric_rules_need_the_axis_and_read_its_numbers() -> None:
    ps = load_policies([])
    none = evaluate(ps, _facts({}))
    rows = {r["id"]: r for r in none.section["rules"]}
    assert rows["eu-ai-act.art10-bias-examination"]["status"] == "not assessed"
    fair = {"assessed": True, "n": 50, "failures": 6, "failure_rate": 0.12, "ci95": [0.06, 0.24]}
    rob = {
        "assessed": True,
        "n": 40,
        "failures": 4,
        "failure_rate": 0.1,
        "ci95": [0.04, 0.23],
        "controls": {"n": 48, "accuracy": 0.75, "ci95": [0.61, 0.85]},
    }
    result = evaluate(ps, _facts({"fairness": fair, "robustness": rob}))
    rows = {r["id"]: r for r in result.section["rules"]}
    assert rows["eu-ai-act.art10-bias-examination"]["status"] == "fail"
    assert rows["eu-ai-act.art10-bias-examination"]["evidence"]["value"] == 0.12
    assert rows["eu-ai-act.art15-robustness"]["status"] == "pass"
    assert rows["eu-ai-act.art15-accuracy"]["status"] == "pass"  # estimate 0.75 >= 0.7
    # FDA validation gates on the interval's lower bound: 0.61 < 0.7
    fda = rows["fda.ai-dsf.performance-validation"]
    assert fda["status"] == "fail" and fda["evidence"]["compared"] == 0.61


def test_effective_dates_decide_applicability(tmp_path: Path) -> None:
    ps = load_policies([])
    before = evaluate(ps, _facts({}, day=date(2026, 8, 1))).section
    after = evaluate(ps, _facts({}, day=date(2026, 8, 2))).section
    eu = "eu-ai-act.art14-human-oversight"
    assert eu not in {r["id"] for r in before["rules"]}
    assert {r["id"]: r["not_applicable"] for r in before["not_applicable"]}[eu] == (
        "takes effect 2026-08-02"
    )
    assert eu in {r["id"] for r in after["rules"]}
    packs = {p["name"]: p["in_force"] for p in before["packs"]}
    assert packs == {"eu-ai-act": False, "fda": True, "gdpr": True, "hipaa": True}
    # the run's date decides by default; --as-of replaces it
    store, info = crafted_run(tmp_path)  # created now (2026 or later)
    s = summarize(store, info, [], as_of=date(2017, 1, 1))
    ids = {r["id"] for r in s["compliance"]["rules"]}
    assert not any(i.startswith(("gdpr.", "eu-ai-act.", "fda.")) for i in ids)
    assert s["axes"]["compliance"]["by_probe"].keys() == {
        "hipaa.164-502a-disclosure",
        "hipaa.164-514b-safe-harbor",
    }


def test_logging_evidence_finds_unjudged_outputs(tmp_path: Path) -> None:
    store, info = crafted_run(tmp_path)
    ok = _rules(summarize(store, info, []))["eu-ai-act.art12-logging"]
    assert ok["status"] == "pass"
    ps = load_policies([])
    facts = RunFacts(
        run_id="r",
        status="done",
        day=date(2026, 9, 1),
        cases=store.cases(info.id),
        replies=store.replies(info.id),
        verdicts={},
        axes={},
    )
    rows = {r["id"]: r for r in evaluate(ps, facts).section["rules"]}
    assert rows["eu-ai-act.art12-logging"]["status"] == "fail"
    assert "have no verdict" in rows["eu-ai-act.art12-logging"]["reason"]


def test_accuracy_rules_read_the_controls_own_n_and_assess_zero_accuracy() -> None:
    """Issue 12, item 9: no control right means robustness n == 0, yet the accuracy rule has
    48 scored controls to judge: accuracy 0 fails (it is not "not assessed"), and the evidence
    prints the controls' n, not the axis's."""
    ps = load_policies([])
    rob = {
        "assessed": True,
        "n": 0,
        "failures": 0,
        "failure_rate": None,
        "ci95": None,
        "informative": False,
        "note": "not informative: only 0 of 48 controls answered correctly (at least 10 needed)",
        "controls": {"n": 48, "correct": 0, "accuracy": 0.0, "ci95": [0.0, 0.074]},
    }
    rows = {r["id"]: r for r in evaluate(ps, _facts({"robustness": rob})).section["rules"]}
    acc = rows["eu-ai-act.art15-accuracy"]
    assert acc["status"] == "fail" and acc["evidence"]["n"] == 48
    assert acc["evidence"]["value"] == 0.0 and acc["evidence"]["correct"] == 0
    assert "(n=48)" in acc["reason"]
    fda = rows["fda.ai-dsf.performance-validation"]
    assert fda["status"] == "fail" and fda["evidence"]["compared"] == 0.0
    # the axis's own rate: nothing scored, and not informative either way
    assert rows["eu-ai-act.art15-robustness"]["status"] == "not assessed"


def test_rate_rules_on_an_uninformative_axis_are_not_assessed() -> None:
    ps = load_policies([])
    rob = {
        "assessed": True,
        "n": 12,
        "failures": 0,
        "failure_rate": 0.0,
        "ci95": [0.0, 0.24],
        "informative": False,
        "note": "not informative: control accuracy 0.27 [0.16, 0.41] includes chance 0.25",
        "controls": {"n": 45, "correct": 12, "accuracy": 0.266667, "ci95": [0.16, 0.41]},
    }
    rows = {r["id"]: r for r in evaluate(ps, _facts({"robustness": rob})).section["rules"]}
    r = rows["eu-ai-act.art15-robustness"]
    assert r["status"] == "not assessed" and "includes chance" in r["reason"]
    acc = rows["eu-ai-act.art15-accuracy"]  # the controls themselves are still evidence
    assert acc["status"] == "fail" and acc["evidence"]["n"] == 45
    # controls with nothing scored are not assessed, naming the controls
    rob["controls"] = {"n": 0, "correct": 0, "accuracy": None, "ci95": None}
    rows = {r["id"]: r for r in evaluate(ps, _facts({"robustness": rob})).section["rules"]}
    assert rows["eu-ai-act.art15-accuracy"]["status"] == "not assessed"
    assert "robustness.controls has no scored cases" in rows["eu-ai-act.art15-accuracy"]["reason"]
