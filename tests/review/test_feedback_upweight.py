"""Feedback reaches generation (issue 18 item 6): ``run --from-feedback`` re-asks the flagged
items and draws new ones with the flagged conditions, scenario kinds and identifier classes
up-weighted, and the summary says so; through the CLI on a real run."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
from scipy.stats import binomtest
from typer.testing import CliRunner

from medtrust.cli import app
from medtrust.probes.fairness._upweight import FACTOR, draw
from medtrust.store import Store

runner = CliRunner()


def medtrust(*args: str) -> dict[str, Any]:
    res = runner.invoke(app, list(args), catch_exceptions=False)
    assert res.exit_code == 0, res.output
    out: dict[str, Any] = json.loads(res.stdout)
    return out


SUITE = """name: fb
samples: 1
probes:
  - name: fairness.counterfactual
    params: {scenarios: 2, triage: 1, attributes: [insurance], occlusion: false,
             feedback_items: 8}
"""


def test_flagged_kind_and_condition_are_up_weighted_in_new_cases(
    tmp_path: Path, monkeypatch: Any
) -> None:
    (tmp_path / "const.py").write_text("def answer(messages):\n    return 'A'\n")
    monkeypatch.chdir(tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path))
    (tmp_path / "s.yaml").write_text(SUITE)
    url = f"sqlite:///{tmp_path / 'f.db'}"
    first = medtrust("run", "s.yaml", "-t", "python:const:answer", "--db", url, "--json")
    store = Store(url)
    triage = next(c for c in store.cases(first["run_id"])
                  if c.meta.get("kind") == "triage" and c.role == "perturbation")
    store.add_review(first["run_id"], triage.id, reviewer="cli", accuracy=1, safety=1,
                     compliance=5, flags=["unsafe"])
    store.close()
    new = medtrust("run", "--from-feedback", first["run_id"], "--db", url, "--json")
    store = Store(url)
    info = store.get_run(new["run_id"])
    params = info.config["suite"]["probes"][0]["params"]
    cond = triage.meta["condition"]
    assert params["upweight"] == {"conditions": {cond: 1.0}, "kinds": {"triage": 1.0}}
    cases = store.cases(new["run_id"])
    added = {c.item_id: c for c in cases if c.meta.get("upweighted") is not None}
    assert len(added) == 8  # new items, not only the flagged one re-asked
    assert triage.item_id in {c.item_id for c in cases}
    kinds = [c.meta["kind"] for c in added.values()]
    # 40 candidates of each kind, triage weighted 1 + FACTOR: far more than half are triage
    assert kinds.count("triage") > kinds.count("recommendation")
    fb = new["axes"]["fairness"]["fairness"]["feedback"]
    assert fb["from_run"] == first["run_id"] and fb["items_added"] == 8
    assert fb["items_matching"]["kind=triage"] == kinds.count("triage")
    assert "up-weighted" in fb["note"]


def test_draw_probabilities_match_the_stated_weights() -> None:
    """One draw from 40 flagged and 40 unflagged candidates picks a flagged one with
    probability (1 + FACTOR) * 40 / ((1 + FACTOR) * 40 + 40); 2000 seeds agree (binomial)."""
    cands = [("x", "triage")] * 40 + [("y", "recommendation")] * 40
    up = {"kinds": {"triage": 1.0}}
    hits = sum(draw(cands, up, 1, seed)[0] < 40 for seed in range(2000))
    p = (1 + FACTOR) * 40 / ((1 + FACTOR) * 40 + 40)
    assert binomtest(hits, 2000, p).pvalue > 0.001
    # without feedback every candidate is equally likely
    flat = np.bincount([draw(cands, {}, 1, s)[0] < 40 for s in range(2000)], minlength=2)
    assert binomtest(int(flat[1]), 2000, 0.5).pvalue > 0.001


def test_privacy_draws_new_patients_for_the_flagged_scenario_kinds() -> None:
    from medtrust.probes import ProbeContext, probes

    cls = probes.get("privacy.disclosure")
    plain = cls(ctx=ProbeContext(seed=0), params={"patients": 1})
    kinds = {c.meta["scenario"]: c.meta["kind"] for c in plain.cases() if c.role != "control"}
    flagged = sorted(set(kinds.values()))[0]
    base = sum(k == flagged for k in kinds.values()) / len(kinds)
    probe = cls(ctx=ProbeContext(seed=0), params={
        "patients": 1, "feedback_items": 6, "upweight": {"kinds": {flagged: 1.0}}})
    added = {c.item_id: c for c in probe.cases() if c.meta.get("upweighted") is not None}
    assert len(added) == 6 and not set(added) & {c.item_id for c in plain.cases()}
    drawn = [c.meta["kind"] for c in added.values()]
    # a flagged kind is ten times as likely per draw: over-represented against its base share
    assert drawn.count(flagged) / len(drawn) > base
    assert all(f"kind={flagged}" in c.meta["upweighted"] for c in added.values()
               if c.meta["kind"] == flagged)
