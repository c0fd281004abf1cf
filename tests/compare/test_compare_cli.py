"""``medtrust run --target A --target B ...`` and ``medtrust compare`` through the CLI, against
planted python targets whose static accuracy and robustness are known."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from scipy.stats import kendalltau
from statsmodels.stats.contingency_tables import mcnemar as sm_mcnemar
from statsmodels.stats.multitest import multipletests

from medtrust.cli import app
from medtrust.store import Store

from .conftest import SUITE, Planted, invoke, json_of, runner

TARGETS = {  # planted: a is the best statically and the worst under attack
    "a": {"static": 0.95, "fool": 0.5},
    "b": {"static": 0.75, "fool": 0.05},
    "c": {"static": 0.85, "fool": 0.2},
}
SPECS = [f"python:planted:{t}" for t in TARGETS]
EXTERNAL = re.compile(
    r"""(?:src|href|xlink:href|action)\s*=\s*["']?\s*(?:https?:)?//|url\(\s*["']?(?:https?:)?//|@import""",
    re.I,
)


def _multi(db: str, *specs: str, out: str = "rep") -> dict[str, Any]:
    args = ["run", SUITE, "--db", db, "--out", out]
    for s in specs:
        args += ["--target", s]
    return dict(json_of(*args))


def _item_units(store: Store, run_id: str) -> dict[str, int]:
    """Independently of medtrust.compare: per seed item, 1 if any scored perturbation failed."""
    verdicts = store.verdicts(run_id)
    units: dict[str, list[str]] = {}
    for c in store.cases(run_id):
        v = verdicts.get(c.id)
        if c.role == "perturbation" and v is not None and v.outcome != "error":
            units.setdefault(str(c.item_id), []).append(v.outcome)
    return {k: int("fail" in vs) for k, vs in units.items()}


def test_several_targets_are_asked_the_same_cases_under_one_comparison(planted: Planted) -> None:
    planted(TARGETS)
    out = _multi("sqlite:///c.db", *SPECS)
    cid = out["comparison"]
    assert cid.startswith("cmp-") and [r["target"] for r in out["runs"]] == SPECS
    store = Store("sqlite:///c.db")
    ids = [r["run_id"] for r in out["runs"]]
    stage0 = [{c.id for c in store.cases(i) if c.stage == 0} for i in ids]
    assert stage0[0] == stage0[1] == stage0[2] and len(stage0[0]) == 48
    # attacks adapt per target: each is attacked on the items it answered correctly
    for i in ids:
        verdicts = store.verdicts(i)
        right = {
            c.item_id for c in store.cases(i) if c.stage == 0 and verdicts[c.id].outcome == "pass"
        }
        assert {c.item_id for c in store.cases(i) if c.stage == 1} == right
    for r in store.list_runs():
        assert r.config["comparison_id"] == cid
    listed = json_of("runs", "--db", "sqlite:///c.db")["runs"]
    assert {r["id"]: r["comparison"] for r in listed} == dict.fromkeys(ids, cid)
    table = runner.invoke(app, ["runs", "--db", "sqlite:///c.db"], env={"COLUMNS": "240"})
    assert "comparison" in table.output and cid in table.output
    assert Path("rep/leaderboard.html").is_file()
    assert len(list(Path("rep").glob("*/index.html"))) == 3


def test_compare_json_is_cross_checked_against_scipy_and_statsmodels(planted: Planted) -> None:
    planted(TARGETS)
    out = _multi("sqlite:///c.db", *SPECS)
    ids = [r["run_id"] for r in out["runs"]]
    c = json_of("compare", out["comparison"], "--db", "sqlite:///c.db")
    assert [r["run_id"] for r in c["runs"]] == ids
    rob = c["axes"]["robustness"]
    assert {"rates", "pairwise", "ranks"} <= set(rob)
    # the axis rate is the run summary's (an item fails when any mutation fools it)
    for rate, summary in zip(rob["rates"], out["runs"], strict=True):
        s = summary["axes"]["robustness"]
        assert (rate["n"], rate["failures"]) == (s["n"], s["failures"])
        assert rate["ci95"] == s["ci95"]
    store = Store("sqlite:///c.db")
    units = {i: _item_units(store, i) for i in ids}
    assert len(rob["pairwise"]) == 3
    for p in rob["pairwise"]:
        ua, ub = units[p["a"]], units[p["b"]]
        shared = sorted(set(ua) & set(ub))
        table = np.array(
            [
                [sum(ua[k] and ub[k] for k in shared), sum(ua[k] and not ub[k] for k in shared)],
                [
                    sum(ub[k] and not ua[k] for k in shared),
                    sum(not ua[k] and not ub[k] for k in shared),
                ],
            ]
        )
        assert p["n"] == len(shared)
        assert p["p_value"] == pytest.approx(sm_mcnemar(table, exact=True).pvalue, rel=1e-5)
        assert p["difference"] == pytest.approx(
            (sum(ub[k] for k in shared) - sum(ua[k] for k in shared)) / len(shared), abs=1e-6
        )
        assert p["ci95"][0] <= p["difference"] <= p["ci95"][1]
    holm = multipletests([p["p_value"] for p in rob["pairwise"]], method="holm")[1]
    assert [p["p_holm"] for p in rob["pairwise"]] == pytest.approx(list(holm), rel=1e-5)
    # planted robustness b > c > a is recovered, with intervals around each rank
    ranks = {r["target"]: r for r in rob["ranks"]}
    assert [ranks[s]["rank"] for s in SPECS] == [3.0, 1.0, 2.0]
    for r in ranks.values():
        assert r["ci95"][0] <= r["rank"] <= r["ci95"][1]
    # static vs dynamic: a is first statically and last under attack
    g = c["static_vs_dynamic"]
    models = {m["target"]: m for m in g["models"]}
    assert [models[s]["static_rank"] for s in SPECS] == [1.0, 3.0, 2.0]
    ref = kendalltau(
        [m["static_accuracy"] for m in g["models"]],
        [-m["dynamic_failure_rate"] for m in g["models"]],
    ).statistic
    assert g["kendall_tau"] == pytest.approx(ref) == -1.0
    assert g["ci95"][0] <= g["kendall_tau"] <= g["ci95"][1]
    # by operator: the planted per-mutation fool rate, one pair per pair of runs
    assert set(rob["by_probe"]) == {"distraction", "bias", "extra_options", "add_nota"}
    again = json_of("compare", *ids, "--db", "sqlite:///c.db")
    assert again["axes"] == c["axes"]  # seeded bootstrap: same input, same output


def test_leaderboard_page_is_offline_and_flags_uninformative_runs(planted: Planted) -> None:
    planted({**TARGETS, "guess": {"static": 0.3, "fool": 0.3}})
    out = _multi("sqlite:///c.db", "python:planted:a", "python:planted:guess")
    guess = out["runs"][1]["axes"]["robustness"]
    assert guess["informative"] is False  # controls at chance (4 options)
    res = invoke(
        "compare",
        out["comparison"],
        "--db",
        "sqlite:///c.db",
        "--format",
        "html",
        "--out",
        "lb.html",
    )
    assert res.exit_code == 0, res.output
    page = Path("lb.html").read_text()
    assert not EXTERNAL.search(page) and "<script" not in page
    for chart in ('id="chart-scatter"', 'id="chart-ranks-robustness"', 'id="kendall-tau"'):
        assert chart in page
    for table in ("rates-robustness", "gap"):
        body = page.split(f'id="{table}"', 1)[1].split("</table>", 1)[0]
        row = re.search(r"<tr><td>python:planted:guess[^\n]*", body)
        assert row is not None and "not informative" in row.group(0), table
        row = re.search(r"<tr><td>python:planted:a<[^\n]*", body)
        assert row is not None and "not informative" not in row.group(0), table
    md = invoke("compare", out["comparison"], "--db", "sqlite:///c.db", "--format", "md")
    assert md.exit_code == 0 and "## robustness" in md.stdout and "(not informative)" in md.stdout
    c = json_of("compare", out["comparison"], "--db", "sqlite:///c.db")
    rates = {r["target"]: r for r in c["axes"]["robustness"]["rates"]}
    assert rates["python:planted:guess"]["informative"] is False
    assert rates["python:planted:a"]["informative"] is True


def test_errors_are_counted_apart_and_never_paired(planted: Planted) -> None:
    planted({"a": {"static": 0.95, "fool": 0.3}, "e": {"static": 0.95, "fool": 0.3, "error": 0.4}})
    out = _multi("sqlite:///c.db", "python:planted:a", "python:planted:e")
    c = json_of("compare", out["comparison"], "--db", "sqlite:///c.db")
    rates = {r["target"]: r for r in c["axes"]["robustness"]["rates"]}
    assert rates["python:planted:e"]["errors"] > 0 and rates["python:planted:a"]["errors"] == 0
    store = Store("sqlite:///c.db")
    ua, ue = (_item_units(store, r["run_id"]) for r in out["runs"])
    (pair,) = c["axes"]["robustness"]["pairwise"]
    assert pair["n"] == len(set(ua) & set(ue))
    assert pair["unpaired"] == len(set(ua) ^ set(ue))
    static = {m["target"]: m for m in c["static_vs_dynamic"]["models"]}
    summary_e = out["runs"][1]["axes"]["robustness"]["controls"]
    assert static["python:planted:e"]["static_n"] == summary_e["n"]  # errored controls apart


def test_one_member_resumes_on_its_own(planted: Planted) -> None:
    stop = Path("stop-b").resolve()
    stop.write_text("x")
    planted({"a": TARGETS["a"], "b": {**TARGETS["b"], "stop_if": str(stop)}, "c": TARGETS["c"]})
    res = invoke("run", SUITE, "--db", "sqlite:///c.db", *[a for s in SPECS for a in ("-t", s)])
    assert res.exit_code == 130
    said = " ".join(res.output.split())
    assert "not started: python:planted:c" in said
    runs = {r["target"]: r for r in json_of("runs", "--db", "sqlite:///c.db")["runs"]}
    assert runs["python:planted:a"]["status"] == "done"
    assert runs["python:planted:b"]["status"] == "interrupted"
    assert "python:planted:c" not in runs
    cid = runs["python:planted:a"]["comparison"]
    assert runs["python:planted:b"]["comparison"] == cid
    assert f"medtrust run --resume {runs['python:planted:b']['id']}" in said
    stop.unlink()
    resumed = json_of("run", "--resume", runs["python:planted:b"]["id"], "--db", "sqlite:///c.db")
    assert resumed["status"] == "done"
    c = json_of("compare", cid, "--db", "sqlite:///c.db")
    assert [r["target"] for r in c["runs"]] == SPECS[:2]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["compare", "nope"], "no run or comparison 'nope'"),
        (["compare", "--format", "pdf", "x"], "--format 'pdf'"),
        (["run", SUITE, "-t", "python:planted:a", "-t", "python:planted:a"], "given twice"),
        (
            ["run", "--resume", "x", "-t", "python:planted:a", "-t", "python:planted:b"],
            "one target",
        ),
    ],
)
def test_bad_input_is_one_line_and_exit_2(planted: Planted, args: list[str], message: str) -> None:
    planted(TARGETS)
    res = invoke(*args, "--db", "sqlite:///c.db")
    assert res.exit_code == 2 and message in res.output, res.output


def test_compare_needs_two_runs(planted: Planted) -> None:
    planted(TARGETS)
    run = json_of("run", SUITE, "-t", "python:planted:a", "--db", "sqlite:///c.db", "--out", "r")
    res = invoke("compare", run["run_id"], "--db", "sqlite:///c.db")
    assert res.exit_code == 2 and "at least two runs" in res.output
