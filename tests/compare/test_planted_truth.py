"""The small version of ``bench/compare``: five targets with planted, independent static accuracy
and robustness, over 120 of the benchmark's items. medtrust must recover the dynamic ranking
exactly and detect the planted shift between the static and the dynamic ranking."""

from __future__ import annotations

import json

import pytest
from scipy.stats import kendalltau

from .conftest import ROOT, SUITE, Planted, json_of

ITEMS = ROOT / "bench" / "data" / "mcq_1000.jsonl"
PLANTED = {  # item failure under 4 mutations = 1 - (1 - fool) ** 4: .96, .80, .55, .08, .28
    "t1": {"static": 0.97, "fool": 0.55},
    "t2": {"static": 0.37, "fool": 0.33},
    "t3": {"static": 0.67, "fool": 0.18},
    "t4": {"static": 0.82, "fool": 0.02},
    "t5": {"static": 0.52, "fool": 0.08},
}


def test_recovers_the_dynamic_ranking_and_the_planted_shift(planted: Planted) -> None:
    conf = planted(PLANTED) / "planted.json"
    conf.write_text(json.dumps({**json.loads(conf.read_text()), "items": str(ITEMS)}))
    args = ["run", SUITE, "--data", str(ITEMS), "--limit", "120", "--db", "sqlite:///p.db"]
    for name in PLANTED:
        args += ["-t", f"python:planted:{name}"]
    cid = json_of(*args, "--out", "rep")["comparison"]
    c = json_of("compare", cid, "--db", "sqlite:///p.db")
    names = list(PLANTED)
    g = {m["target"].rsplit(":", 1)[1]: m for m in c["static_vs_dynamic"]["models"]}
    robust = [-PLANTED[n]["fool"] for n in names]
    static = [PLANTED[n]["static"] for n in names]
    recovered = kendalltau(robust, [-g[n]["dynamic_failure_rate"] for n in names]).statistic
    assert recovered == pytest.approx(1.0)
    ranks = {r["target"].rsplit(":", 1)[1]: r for r in c["axes"]["robustness"]["ranks"]}
    by_fool = sorted(names, key=lambda n: PLANTED[n]["fool"])
    assert [ranks[n]["rank"] for n in by_fool] == [1.0, 2.0, 3.0, 4.0, 5.0]
    # the shift: static and dynamic rankings differ as planted, and medtrust can tell
    planted_shift = kendalltau(static, robust).statistic
    gap = c["static_vs_dynamic"]
    assert gap["ci95"][0] <= planted_shift <= gap["ci95"][1] < 1.0
    assert kendalltau(static, [g[n]["static_accuracy"] for n in names]).statistic >= 0.6
