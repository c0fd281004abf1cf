"""Exact sentence Shapley values reuse the occlusion answers: the leave-one-out coalitions are
the occlusion cases' own prompts, so a fairness run asks each of them once, and the values are
the same as when every coalition was asked (review debt: the plan re-sent n prompts per
explained flip). Cross-checked against ``shap``'s exact explainer and the n! definition."""

from __future__ import annotations

import importlib.util
import itertools
import json
import math
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from medtrust.cli import app
from medtrust.probes._attribution import coalition_cases, keep, leave_one_out
from medtrust.probes._attribution_rows import explain_one
from medtrust.probes.fairness import occlude
from medtrust.probes.fairness._variants import Rendering
from medtrust.probes.mcq_format import render_mc
from medtrust.records import Case, Verdict

runner = CliRunner()


def brute_force(n: int, value: Any) -> list[float]:
    """The definition: mean marginal contribution over all n! orderings."""
    phi = [0.0] * n
    for perm in itertools.permutations(range(n)):
        for k, i in enumerate(perm):
            phi[i] += value(frozenset(perm[: k + 1])) - value(frozenset(perm[:k]))
    return [x / math.factorial(n) for x in phi]


OPTIONS = {"A": "Watchful waiting", "B": "Surgery"}


def _flip(n: int) -> tuple[Case, Rendering]:
    r = Rendering(sentences=(*(f"Sentence number {i}." for i in range(n)), "Which?"),
                  demographic=n - 1)
    c = Case.make(axis="fairness", probe="fairness.counterfactual", operator="insurance=x",
                  role="perturbation", messages=render_mc(r.text, OPTIONS),
                  gold={"options": OPTIONS, "accept": ["A"]}, parent_id="ctl", item_id="i",
                  meta={"sentences": list(r.sentences), "demographic": n - 1,
                        "attribute": "insurance", "value": "x"})
    return c, r


def _occlusions(c: Case, r: Rendering) -> list[Case]:
    """The fairness probe's occlusion follow-ups of ``c`` (as ``followups`` makes them)."""
    return [Case.make(axis=c.axis, probe=c.probe, operator=f"occlude:{i}", role="perturbation",
                      messages=render_mc(occlude(r, i), OPTIONS), gold=c.gold, parent_id=c.id,
                      item_id=c.item_id, stage=1, meta={**c.meta, "occluded": i})
            for i in range(len(r.sentences) - 1)]


def test_occlusion_prompts_are_the_leave_one_out_coalitions() -> None:
    c, r = _flip(4)
    for oc in _occlusions(c, r):
        sub = frozenset(range(4)) - {int(oc.meta["occluded"])}
        assert oc.messages == render_mc(keep(r.sentences, sub), OPTIONS)


@given(st.integers(1, 5), st.data())
@settings(max_examples=60, deadline=None)
def test_reusing_the_occlusion_answers_keeps_every_value(n: int, data: st.DataObject) -> None:
    c, r = _flip(n)
    subsets = [frozenset(s) for k in range(n + 1) for s in itertools.combinations(range(n), k)]
    # each coalition's prompt gets the same three votes however many cases ask it
    votes = {s: data.draw(st.lists(st.sampled_from("AB"), min_size=3, max_size=3))
             for s in subsets}

    def verdict(case: Case, sub: frozenset[int]) -> Verdict:
        v = votes[sub]
        return Verdict(case_id=case.id, judge="multiple_choice", outcome="pass",
                       answer=Counter(v).most_common(1)[0][0], detail={"votes": v})

    def sub_of(k: Case) -> frozenset[int]:
        if k.operator.startswith("occlude:"):
            return frozenset(range(n)) - {int(k.meta["occluded"])}
        return frozenset(k.meta["coalition"])

    budget = 2**n
    occl = _occlusions(c, r)
    before = coalition_cases(c, "B", r.sentences, budget, stage=1)  # every coalition asked
    after = coalition_cases(c, "B", r.sentences, budget, stage=1, asked=leave_one_out(n))
    saved = n if n > 1 else 0  # n == 1: the one coalition case is kept (it carries the plan)
    assert len(before) == 2**n - 1 and len(after) == len(before) - saved
    if n > 1:  # no prompt is asked twice any more
        prompts = [json.dumps(k.messages) for k in [*occl, *after]]
        assert len(prompts) == len(set(prompts))
    verdicts = {k.id: verdict(k, sub_of(k)) for k in [*occl, *before, *after]}
    verdicts[c.id] = verdict(c, frozenset(range(n)))
    old = explain_one(c, [*occl, *before], verdicts)
    new = explain_one(c, [*occl, *after], verdicts)
    assert new == old and new is not None and new["missing"] == 0
    table = {s: sum(x == "B" for x in votes[s]) / 3 for s in subsets}
    shapley = [s["shapley"] for s in new["sentences"]]
    assert shapley == pytest.approx(brute_force(n, table.__getitem__), abs=1e-6)


TARGET = '''
import os
def answer(messages):
    text = messages[-1]["content"]
    with open(os.environ["PROMPT_LOG"], "a") as fh:
        fh.write(repr(text) + "\\n")
    # a flip the insurance sentence drives, but only with the symptoms or the patient's words
    return "B" if "Medicaid" in text and ("reports" in text or "says:" in text) else "A"
'''
SUITE = """name: reuse
samples: 1
probes:
  - name: fairness.counterfactual
    params: {scenarios: 1, triage: 0, attributes: [insurance], shapley_budget: 32}
"""


def test_a_run_asks_each_prompt_once_and_its_values_match_shap(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "logged.py").write_text(TARGET)
    (tmp_path / "s.yaml").write_text(SUITE)
    log = tmp_path / "prompts.log"
    monkeypatch.setenv("PROMPT_LOG", str(log))
    monkeypatch.chdir(tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path))
    res = runner.invoke(app, ["run", "s.yaml", "-t", "python:logged:answer", "--db",
                              f"sqlite:///{tmp_path / 'a.db'}", "--json"])
    assert res.exit_code == 0, res.output
    fair = json.loads(res.stdout)["axes"]["fairness"]
    (row,) = fair["fairness"]["attributions"]["rows"]
    n = len(row["sentences"])
    assert n == 5 and row["method"] == "exact" and row["missing"] == 0
    assert row["coalitions"] == 2**n  # the plan still needs all 32 (full and 5 leave-one-out)
    sent = log.read_text().splitlines()
    # cases: 1 control + 4 insurance variants + 5 occlusions + (2**5 - 1 - 5) coalitions = 36;
    # the 5 leave-one-out coalitions are the occlusion prompts, no longer asked a second time
    # (41 cases before: each leave-one-out prompt twice in one stage, 39 target calls). The
    # occlusion of the insurance sentence is the control's own vignette: the run's reply cache
    # answers it, so the target sees 35 prompts, each once.
    assert len(sent) == len(set(sent)) == 1 + 4 + n + (2**n - 1 - n) - 1 == 35
    sentences = [s["text"] for s in row["sentences"]] + ["Which treatment do you recommend?"]

    def game(sub: frozenset[int]) -> float:
        text = keep(sentences, sub)
        return 1.0 if "Medicaid" in text and ("reports" in text or "says:" in text) else 0.0

    ours = [s["shapley"] for s in row["sentences"]]
    assert ours == pytest.approx(brute_force(n, game), abs=1e-6)
    assert sum(ours) == pytest.approx(row["value_full"] - row["value_empty"], abs=1e-5)
    if importlib.util.find_spec("shap") is None:
        pytest.skip("shap is not installed")
    import shap

    def f(masks: np.ndarray) -> np.ndarray:
        return np.array([game(frozenset(int(i) for i in np.flatnonzero(m))) for m in masks])

    explainer = shap.explainers.Exact(f, shap.maskers.Independent(np.zeros((1, n))))
    ref = explainer(np.ones((1, n))).values[0]
    assert ours == pytest.approx(list(ref), abs=1e-6)
