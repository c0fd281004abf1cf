"""The gate on multiple-choice axes when the new run could score nothing: the runs share every
case, so this is a breach (exit 1) naming the errors, not "share no case" (exit 2, which stays
for runs of different suites)."""

from __future__ import annotations

import json
from pathlib import Path

from .conftest import SUITE, Planted, invoke

MUTE = "def mute(messages):\n    return ''\n"  # every reply unreadable: errors, never scored


def test_an_all_unreadable_mc_run_breaches_with_its_errors(planted: Planted) -> None:
    workdir = planted({"v1": {"model": "m", "static": 0.9, "fool": 0.05}})
    (workdir / "mute_target.py").write_text(MUTE)
    runs = {}
    for t in ("planted:v1", "mute_target:mute"):
        ran = invoke("run", SUITE, "-t", f"python:{t}", "--db", "sqlite:///u.db",
                     "--out", f"r-{Path(t).stem.replace(':', '-')}", "--json")
        assert ran.exit_code == (1 if t.startswith("mute") else 0), ran.output  # 1: unmeasured
        runs[t] = json.loads(ran.stdout)["run_id"]
    res = invoke("gate", runs["mute_target:mute"], "--baseline", runs["planted:v1"],
                 "--max-regression", "robustness=0.1", "--max-errors", "1", "--db",
                 "sqlite:///u.db")
    out = " ".join(res.output.split())
    assert res.exit_code == 1, out  # was exit 2 "share no scored case (different suite...)"
    assert "share no" not in out and "robustness: no seed item scored by both" in out
    assert "errored in " + runs["mute_target:mute"] in out
