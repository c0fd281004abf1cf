"""Drift between two versions of one model, and the regression gate built on it. The versions
share their planted coins (``model``), so exactly the prompts whose coin lies between the old
and the new fool rate regress: the changed cases are known."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from medtrust.store import Store

from .conftest import SUITE, Planted, invoke, json_of

VERSIONS = {
    "v1": {"model": "m", "static": 0.9, "fool": 0.05},
    "v2": {"model": "m", "static": 0.9, "fool": 0.4},
    "same": {"model": "m", "static": 0.9, "fool": 0.05},
}


def _run(target: str, *extra: str) -> dict[str, Any]:
    return dict(
        json_of(
            "run",
            SUITE,
            "-t",
            f"python:planted:{target}",
            "--db",
            "sqlite:///d.db",
            "--out",
            f"r-{target}",
            *extra,
        )
    )


def test_drift_lists_the_cases_that_changed_and_tests_each_axis(planted: Planted) -> None:
    planted(VERSIONS)
    old, new = _run("v1")["run_id"], _run("v2")["run_id"]
    c = json_of("compare", "--baseline", old, new, "--db", "sqlite:///d.db")
    assert c["baseline"] == old
    (d,) = c["drift"]
    rob = d["axes"]["robustness"]
    assert rob["change"] > 0.2 and rob["p_value"] < 0.05 and rob["significant"]
    assert rob["ci95"][0] > 0 and rob["better"] == 0
    # only the baseline pairs: one pair per axis, baseline first
    (pair,) = c["axes"]["robustness"]["pairwise"]
    assert (pair["a"], pair["b"]) == (old, new)
    # the changed list holds compare's units: as many as its discordant pairs, axis by axis
    for axis, e in d["axes"].items():
        mine = [x for x in d["changed"] if x["axis"] == axis]
        (p,) = c["axes"][axis]["pairwise"]
        assert len(mine) == p["failed_only_a"] + p["failed_only_b"] == e["worse"] + e["better"]
    assert d["changed"] and all(x["before"] == "pass" and x["after"] == "fail"
                                for x in d["changed"])
    assert len({x["unit"] for x in d["changed"]}) == len(d["changed"])
    assert d["shared_units"] >= rob["n"]
    # each changed unit (a seed item here) holds a case whose verdict changed
    store = Store("sqlite:///d.db")
    before, after = store.verdicts(old), store.verdicts(new)
    cases = {c.id: c for c in store.cases(old)}
    moved = {
        (cases[cid].probe, cases[cid].item_id)
        for cid, v in before.items()
        if cid in after
        and v.outcome != after[cid].outcome
        and "error" not in (v.outcome, after[cid].outcome)
    }
    assert {(x["probe"], x["item_id"]) for x in d["changed"]} <= moved
    table = invoke("compare", "--baseline", old, new, "--db", "sqlite:///d.db")
    assert table.exit_code == 0 and "drift" in table.output


def test_no_change_is_not_significant(planted: Planted) -> None:
    planted(VERSIONS)
    old, new = _run("v1")["run_id"], _run("same")["run_id"]
    (d,) = json_of("compare", "--baseline", old, new, "--db", "sqlite:///d.db")["drift"]
    assert d["axes"]["robustness"]["change"] == 0 and not d["axes"]["robustness"]["significant"]
    assert d["changed"] == []


def test_gate_fails_on_a_significant_regression_beyond_the_limit(planted: Planted) -> None:
    planted(VERSIONS)
    old, new = _run("v1")["run_id"], _run("v2")["run_id"]
    bad = invoke(
        "gate",
        new,
        "--baseline",
        old,
        "--max-regression",
        "robustness=0.05",
        "--db",
        "sqlite:///d.db",
    )
    assert bad.exit_code == 1, bad.output
    assert "robustness" in bad.output and "max-regression" in bad.output
    ok = invoke(
        "gate",
        new,
        "--baseline",
        old,
        "--max-regression",
        "robustness=0.9",
        "--db",
        "sqlite:///d.db",
    )
    assert ok.exit_code == 0, ok.output
    improved = invoke(
        "gate", old, "--baseline", new, "--max-regression", "robustness=0", "--db", "sqlite:///d.db"
    )
    assert improved.exit_code == 0, improved.output


def test_a_baseline_sharing_no_case_is_bad_input(planted: Planted) -> None:
    planted(VERSIONS)
    items = Path("mine.jsonl")
    items.write_text(
        "\n".join(
            json.dumps(
                {
                    "question": f"Question number {i} about nothing bundled?",
                    "options": {"A": f"x{i}", "B": f"y{i}", "C": f"z{i}", "D": f"w{i}"},
                    "answer_idx": "A",
                }
            )
            for i in range(12)
        )
    )
    old = _run("v1")["run_id"]
    ran = invoke("run", SUITE, "-t", "python:planted:v2", "--db", "sqlite:///d.db", "--out",
                 "r-v2", "--data", str(items), "--json")  # fmt: skip
    assert ran.exit_code == 1  # planted knows none of these items: nothing measured
    other = json.loads(ran.stdout)["run_id"]
    res = invoke(
        "gate",
        other,
        "--baseline",
        old,
        "--max-regression",
        "robustness=0.1",
        "--db",
        "sqlite:///d.db",
    )
    assert res.exit_code == 2 and "share no case" in res.output, res.output
    res = invoke("compare", "--baseline", old, other, "--db", "sqlite:///d.db")
    assert res.exit_code == 2 and "share no case" in res.output
    res = invoke(
        "gate", old, "--baseline", old, "--max-regression", "nonsense=0.1", "--db", "sqlite:///d.db"
    )
    assert res.exit_code == 2


def test_regression_gate_needs_both_flags_and_an_informative_baseline(planted: Planted) -> None:
    planted({**VERSIONS, "guess": {"model": "m", "static": 0.3, "fool": 0.05}})
    old, new = _run("v1")["run_id"], _run("v2")["run_id"]
    db = ("--db", "sqlite:///d.db")
    alone = invoke("gate", new, "--max-regression", "robustness=0.1", *db)
    assert alone.exit_code == 2 and "go together" in alone.output
    bare = invoke("gate", new, "--baseline", old, *db)
    assert bare.exit_code == 2 and "go together" in bare.output
    guess = _run("guess")["run_id"]
    res = invoke("gate", new, "--baseline", guess, "--max-regression", "robustness=0.9", *db)
    said = " ".join(res.output.split())
    assert res.exit_code == 1 and f"baseline {guess}: robustness: not assessable" in said
    res = invoke(
        "gate", new, "--baseline", old, "--max-regression", "robustness=0.05", *db, "--json"
    )
    verdict = json.loads(res.stdout)
    assert res.exit_code == 1 and verdict["passed"] is False
    assert verdict["thresholds"]["max_regression"] == {"robustness": 0.05}
    assert verdict["thresholds"]["baseline"] == old
