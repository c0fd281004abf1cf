"""``compare``, ``gate --baseline`` and every report format agree with the run summary.

One suite with a probe on every scored axis (robustness, cognitive_bias, fairness, privacy,
hallucination, open_ended) is run against four python targets whose behaviour makes the
probes' own failure definitions differ from "answered wrongly": ``letter_a`` answers "A" to
everything (wrong on most items, but it cannot flip under priming nor between demographic
variants), ``fickle`` answers A or B by a hash of the prompt (it flips), ``boom`` raises on
every call and ``knows`` is the oracle of the shared fixtures.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from statsmodels.stats.contingency_tables import mcnemar as sm_mcnemar

from medtrust.compare._units import run_outcomes
from medtrust.plan import probes_for
from medtrust.store import Store

from .conftest import invoke, json_of

SCORED_AXES = ("robustness", "cognitive_bias", "fairness", "privacy", "hallucination",
               "open_ended")  # fmt: skip
SUITE = """\
name: every-axis
sampling: {temperature: 0, max_tokens: 64}
samples: 1
probes:
  - {name: robustness.das, limit: 6}
  - {name: cognitive_bias.biasmedqa, limit: 6, params: {k: 1}}
  - name: fairness.counterfactual
    params: {scenarios: 2, triage: 1, occlusion: false}
  - name: privacy.disclosure
    limit: 2
    params:
      scenarios: [vendor_discharge_summary, whatsapp_specialist]
      chain: false
      attempts: 1
  - {name: hallucination.known_answer, limit: 2}
  # pass mark 0: these one-letter targets meet no criterion, yet their controls are attacked
  # (a control below the pass mark is not), so the open-ended rates are not vacuous
  - {name: open_ended.rubric, limit: 3, params: {pass_mark: 0.0}}
"""
TARGETS = """\
import zlib


def letter_a(messages):
    return "A"


def fickle(messages):
    return "AB"[zlib.crc32(messages[-1]["content"].encode()) % 2]


def boom(messages):
    raise RuntimeError("target down")
"""
NAMES = ("letter_a", "fickle", "boom")


@dataclass
class Runs:
    db: str
    comparison: str
    summaries: dict[str, dict[str, Any]]  # target name -> run summary JSON

    def id(self, name: str) -> str:
        return str(self.summaries[name]["run_id"])


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Runs]:
    work = tmp_path_factory.mktemp("every-axis")
    (work / "every_axis_targets.py").write_text(TARGETS)
    (work / "suite.yaml").write_text(SUITE)
    with pytest.MonkeyPatch.context() as mp:
        mp.chdir(work)
        mp.syspath_prepend(str(work))
        mp.setenv("MEDTRUST_HOME", str(work / "home"))
        mp.delenv("MEDTRUST_DB", raising=False)
        mp.delenv("MEDTRUST_POLICIES", raising=False)
        db = f"sqlite:///{work / 'e.db'}"
        args = ["run", "suite.yaml", "--db", db, "--out", "rep"]
        for n in NAMES:
            args += ["--target", f"python:every_axis_targets:{n}"]
        res = invoke(*args, "--json")  # boom measured nothing: exit 1, the others stored
        said = " ".join(res.stderr.split())
        assert res.exit_code == 1 and "target(s): python:every_axis_targets:boom (run" in said
        out = json.loads(res.stdout)
        by_name = {r["target"].rsplit(":", 1)[1]: r for r in out["runs"]}
        yield Runs(db=db, comparison=out["comparison"], summaries=by_name)


def _same(entry: dict[str, Any], summary: dict[str, Any] | None) -> None:
    """A compare rate entry carries the run summary's n, failures, rate, interval, errors."""
    s = summary or {"n": 0, "failures": 0, "failure_rate": None, "ci95": None, "errors": 0}
    keys = ("n", "failures", "failure_rate", "ci95", "errors")
    assert {k: entry[k] for k in keys} == {k: s[k] for k in keys}


def test_compare_rates_are_the_summary_rates_on_every_axis_and_operator(runs: Runs) -> None:
    c = json_of("compare", runs.comparison, "--db", runs.db)
    by_id = {r["run_id"]: r for r in runs.summaries.values()}
    assert set(SCORED_AXES) <= set(c["axes"])
    assert not [w for w in c["warnings"] if "neither seed items nor variants" in w]
    for axis, sec in c["axes"].items():
        for rate in sec["rates"]:
            summary = by_id[rate["run_id"]]["axes"][axis]
            _same(rate, summary)
            assert rate["error_rate"] == summary["error_rate"]
        for op, entry in sec["by_probe"].items():
            for rate in entry["rates"]:
                _same(rate, by_id[rate["run_id"]]["axes"][axis]["by_probe"].get(op))
    # every scored axis is scored somewhere, so the equality above is not vacuous
    for axis in SCORED_AXES:
        assert any(r["n"] for r in c["axes"][axis]["rates"]), axis
    # the probe's own definition: a constant answer is wrong, yet it never flips
    a = runs.summaries["letter_a"]["axes"]
    assert a["cognitive_bias"]["controls"]["correct"] < a["cognitive_bias"]["controls"]["n"]
    assert a["cognitive_bias"]["n"] > 0 and a["cognitive_bias"]["failures"] == 0
    assert a["fairness"]["n"] > 0 and a["fairness"]["failures"] == 0
    assert runs.summaries["fickle"]["axes"]["fairness"]["failures"] > 0


def test_paired_tests_pair_the_probes_own_units(runs: Runs) -> None:
    store = Store(runs.db)
    units = {}
    for name in ("letter_a", "fickle"):
        info = store.get_run(runs.id(name))
        units[name] = run_outcomes(
            info, store.cases(info.id), store.verdicts(info.id), probes_for(info)
        )
    c = json_of("compare", runs.id("letter_a"), runs.id("fickle"), "--db", runs.db)
    for axis in SCORED_AXES:
        ua, ub = units["letter_a"].axes[axis].scored, units["fickle"].axes[axis].scored
        shared = sorted(set(ua) & set(ub))
        (pair,) = c["axes"][axis]["pairwise"]
        assert pair["n"] == len(shared)
        if not shared:
            continue
        table = [
            [sum(ua[k] and ub[k] for k in shared), sum(ua[k] and not ub[k] for k in shared)],
            [sum(ub[k] and not ua[k] for k in shared), sum(not (ua[k] or ub[k]) for k in shared)],
        ]
        assert pair["p_value"] == pytest.approx(sm_mcnemar(table, exact=True).pvalue, rel=1e-5)
        assert (pair["failed_only_a"], pair["failed_only_b"]) == (table[0][1], table[1][0])


def test_gate_against_a_baseline_uses_the_probes_definition(runs: Runs) -> None:
    """letter_a never flips (0%), fickle does: gated against letter_a, fickle's cognitive bias
    rate goes up by what the summaries say, never by letter_a's wrong answers."""
    res = invoke("gate", runs.id("letter_a"), "--baseline", runs.id("fickle"),
                 "--max-regression", "cognitive_bias=0.1", "--db", runs.db)  # fmt: skip
    assert runs.summaries["letter_a"]["axes"]["cognitive_bias"]["failure_rate"] == 0.0
    assert "% -> " not in res.output  # fewer flips than the baseline: never a regression
    # the other way round it is one, by the summaries' own rates
    res = invoke("gate", runs.id("fickle"), "--baseline", runs.id("letter_a"),
                 "--max-regression", "cognitive_bias=0.1", "--db", runs.db)  # fmt: skip
    before, after = (runs.summaries[n]["axes"]["cognitive_bias"] for n in ("letter_a", "fickle"))
    assert res.exit_code == 1
    assert (
        f"cognitive_bias: failure rate {100 * before['failure_rate']:.1f}% -> "
        f"{100 * after['failure_rate']:.1f}%"
    ) in " ".join(res.output.split())


def test_errors_are_the_summarys_in_every_format(runs: Runs, tmp_path: Path) -> None:
    s = runs.summaries["boom"]
    run_id = s["run_id"]
    assert s["errors"] == s["calls"] > 0
    junit = tmp_path / "r.junit"
    res = invoke("report", run_id, "-f", "junit", "--db", runs.db, "--out", str(junit))
    assert res.exit_code == 0
    root = ET.parse(junit).getroot()
    md = tmp_path / "r.md"
    assert invoke("report", run_id, "-f", "md", "--db", runs.db, "--out", str(md)).exit_code == 0
    text = md.read_text()
    c = json_of("compare", runs.comparison, "--db", runs.db)
    for axis, e in s["axes"].items():
        suite = root.find(f"testsuite[@name='{axis}']")
        assert suite is not None
        props = {p.get("name"): p.get("value") for p in suite.iter("property")}
        assert props["medtrust.errors"] == str(e["errors"]), axis
        assert props["medtrust.calls"] == str(e["calls"]), axis
        if e["errors"] and not e["n"]:  # errors are never shown as skipped
            assert int(suite.get("errors") or 0) > 0, axis
            # (compliance rules without evidence are skipped; the outputs' errors are not)
            assert axis == "compliance" or suite.get("skipped") == "0", axis
        if e["calls"]:
            row = next(line for line in text.splitlines() if line.startswith(f"| {axis} ")
                       or line.startswith(f"| **{axis}**"))  # fmt: skip
            assert f"| {e['errors']} |" in row, (axis, row)
        if axis in c["axes"]:
            (rate,) = [r for r in c["axes"][axis]["rates"] if r["run_id"] == run_id]
            assert rate["errors"] == e["errors"], axis
    # the run-level line names why, not "calls errored"
    reasons = sum((Counter(e.get("error_reasons") or {}) for a, e in s["axes"].items()
                   if a != "compliance"), Counter())  # fmt: skip
    assert reasons == {"target error": s["errors"]}
    assert f"errors: {s['errors']} of {s['calls']} judged cases could not be scored" in text
    assert f"target error {s['errors']}" in text


def test_undecided_verdicts_are_not_called_failed_calls(runs: Runs, tmp_path: Path) -> None:
    """A hallucination verdict the judge could not reach is an error with its reason, and the
    report says so instead of "calls errored"."""
    s = runs.summaries["letter_a"]
    reasons = s["axes"]["hallucination"].get("error_reasons") or {}
    assert reasons and "target error" not in reasons
    md = tmp_path / "r.md"
    invoke("report", s["run_id"], "-f", "md", "--db", runs.db, "--out", str(md))
    line = next(x for x in md.read_text().splitlines() if x.startswith("- errors:"))
    assert "calls" not in line and all(f"{k} {v}" in line for k, v in reasons.items())
    html = tmp_path / "r.html"
    invoke("report", s["run_id"], "-f", "html", "--db", runs.db, "--out", str(html))
    assert "calls errored" not in html.read_text()


def test_assessed_is_one_definition(runs: Runs) -> None:
    """``assessed`` means the axis scored something (n > 0), in the JSON and at the gate."""
    for s in runs.summaries.values():
        for axis, e in s["axes"].items():
            assert e["assessed"] == (e["n"] > 0), (s["target"], axis)
    boom = runs.summaries["boom"]
    res = invoke("gate", boom["run_id"], "--db", runs.db, "--max-failure", "privacy=0.5",
                 "--json")  # fmt: skip
    out = json.loads(res.stdout)
    e = boom["axes"]["privacy"]
    assert (
        f"privacy: not assessed (n=0: nothing scored; {e['errors']} of {e['calls']} judged "
        "cases could not be scored)"
    ) in out["reasons"]
    # the risk reason names the axes that only errored, not only the uninformative ones
    reason = boom["risk"]["reason"]
    for axis in SCORED_AXES:
        assert axis in reason, (axis, reason)
