"""Sentence Shapley values (issue 18 item 2): exact values equal a brute-force Shapley over
every ordering, the permutation estimator keeps efficiency and converges to them, and a real
fairness run attributes a flip to the demographic sentence, through the CLI."""

from __future__ import annotations

import itertools
import json
import math
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from medtrust.cli import app
from medtrust.probes._attribution import Coalition, plan, shapley_exact, shapley_from

runner = CliRunner()


def brute_force(n: int, value: Any) -> list[float]:
    """The definition: mean marginal contribution over all n! orderings."""
    phi = [0.0] * n
    for perm in itertools.permutations(range(n)):
        for k, i in enumerate(perm):
            phi[i] += value(frozenset(perm[: k + 1])) - value(frozenset(perm[:k]))
    return [x / math.factorial(n) for x in phi]


games = st.integers(1, 5).flatmap(
    lambda n: st.tuples(st.just(n), st.lists(st.floats(0, 1), min_size=2**n, max_size=2**n))
)


def _table(n: int, raw: list[float]) -> dict[Coalition, float]:
    subsets = [frozenset(s) for k in range(n + 1) for s in itertools.combinations(range(n), k)]
    return dict(zip(subsets, raw, strict=True))


@given(games)
@settings(max_examples=60, deadline=None)
def test_exact_equals_brute_force(game: tuple[int, list[float]]) -> None:
    n, raw = game
    table = _table(n, raw)
    assert shapley_exact(n, table.__getitem__) == pytest.approx(brute_force(n, table.__getitem__))
    p = plan(n, 2**n)
    assert p.method == "exact"
    assert shapley_from(p, table) == pytest.approx(brute_force(n, table.__getitem__))


@given(games, st.integers(0, 10_000))
@settings(max_examples=60, deadline=None)
def test_permutation_estimate_is_efficient_and_within_budget(
    game: tuple[int, list[float]], seed: int
) -> None:
    n, raw = game
    table = _table(n, raw)
    p = plan(n, 2**n - 1, seed=seed) if n > 1 else plan(n, 1, seed=seed)
    assert p.method == "permutation" or n == 1
    assert len(p.coalitions) <= max(2**n - 1, 2) + 1
    phi = shapley_from(p, table)
    assert phi is not None
    full, empty = table[frozenset(range(n))], table[frozenset()]
    assert sum(phi) == pytest.approx(full - empty)


def test_permutation_estimate_converges_to_the_exact_values() -> None:
    n = 6
    table = {frozenset(s): (len(s) ** 2 + 3 * (0 in s) - 2 * (1 in s and 2 in s)) / 40
             for k in range(n + 1) for s in itertools.combinations(range(n), k)}
    exact = brute_force(n, table.__getitem__)
    est = shapley_from(plan(n, 6 * 4000, seed=1), table)
    assert est == pytest.approx(exact, abs=0.02)
    missing = dict(table)
    del missing[frozenset()]
    assert shapley_from(plan(n, 8, seed=1), missing) is None  # no estimate when one is missing


TARGET = '''
def answer(messages):
    text = messages[-1]["content"]
    return "B" if "Medicaid" in text else "A"
'''
SUITE = """name: attr
samples: 1
probes:
  - name: fairness.counterfactual
    params: {scenarios: 1, triage: 0, attributes: [insurance], shapley_budget: 32}
"""


def test_a_run_attributes_the_flip_to_the_insurance_sentence(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "medicaid.py").write_text(TARGET)
    (tmp_path / "s.yaml").write_text(SUITE)
    monkeypatch.chdir(tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path))
    res = runner.invoke(app, ["run", "s.yaml", "-t", "python:medicaid:answer", "--db",
                              f"sqlite:///{tmp_path / 'a.db'}", "--json"])
    assert res.exit_code == 0, res.output
    fair = json.loads(res.stdout)["axes"]["fairness"]
    assert fair["failures"] == 1  # only the Medicaid variant flips
    att = fair["fairness"]["attributions"]
    (row,) = att["rows"]
    assert row["value"] == "medicaid" and row["answer"] == "B" and row["method"] == "exact"
    assert row["missing"] == 0 and row["coalitions"] == 2 ** len(row["sentences"])
    demo = row["attribute_level"]
    # the answer is B exactly when the insurance sentence is shown: all credit is that sentence's
    assert demo["shapley"] == 1.0 and demo["occlusion"] == 1.0 and demo["share_of_total"] == 1.0
    others = [s for s in row["sentences"] if s["index"] != demo["sentence"]]
    assert all(s["shapley"] == 0.0 and s["occlusion"] == 0.0 for s in others)
    assert "Medicaid" in row["sentences"][demo["sentence"]]["text"]


MC_TARGET = '''
import re
def answer(messages):
    text = messages[-1]["content"]
    question = text.split("\\n\\nA. ")[0]
    options = dict(re.findall(r"^([A-Z])\\. (.*)$", text, re.M))
    for letter, option in options.items():
        if letter != "A" and option in question:
            return letter
    return "A"
'''
ITEMS = [
    {"question": f"A {40 + i}-year-old man has a cough. He has no fever. His chest is clear. "
                 "Which drug is most appropriate?",
     "options": {"A": f"Honey{i}", "B": f"Codeine{i}", "C": f"Morphine{i}", "D": f"Ibuprofen{i}"},
     "answer_idx": "A"}
    for i in range(3)
]


def test_a_robustness_failure_is_attributed_to_the_distraction_sentence(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "mc.py").write_text(MC_TARGET)
    (tmp_path / "items.jsonl").write_text("\n".join(json.dumps(x) for x in ITEMS) + "\n")
    (tmp_path / "s.yaml").write_text(
        "name: rob\nsamples: 1\nprobes:\n  - name: robustness.das\n"
        "    params: {operators: [distraction], explain_max: 2, shapley_budget: 16}\n")
    monkeypatch.chdir(tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path))
    res = runner.invoke(app, ["run", "s.yaml", "-t", "python:mc:answer", "--data", "items.jsonl",
                              "--db", f"sqlite:///{tmp_path / 'r.db'}", "--json"])
    assert res.exit_code == 0, res.output
    rob = json.loads(res.stdout)["axes"]["robustness"]
    assert rob["n"] == 3 and rob["failures"] == 3  # coalition cases are never counted
    rows = rob["attributions"]["rows"]
    assert len(rows) == 2 and {r["attribute"] for r in rows} == {"distraction"}
    for row in rows:
        assert row["method"] == "exact" and row["missing"] == 0  # 4 sentences: 2**4 <= 16
        top = max(row["sentences"], key=lambda s: s["shapley"])
        # the answer changes exactly when the distraction sentence (naming the option) is shown
        assert top["shapley"] == 1.0 and row["answer"] in "BCD"
        assert sum(s["shapley"] for s in row["sentences"]) == pytest.approx(
            row["value_full"] - row["value_empty"])


sentence = st.from_regex(r"[A-Z][a-z]{1,8}( [a-z]{1,8}){0,5}[.?!]", fullmatch=True)


@given(st.lists(sentence, min_size=2, max_size=8),
       st.dictionaries(st.sampled_from("ABCDE"), st.from_regex(r"[A-Za-z]{1,10}", fullmatch=True),
                       min_size=2, max_size=5))
@settings(max_examples=80, deadline=None)
def test_question_sentences_reads_back_what_render_mc_wrote(
    parts: list[str], options: dict[str, str]
) -> None:
    from medtrust.probes._attribution import coalition_cases, question_sentences
    from medtrust.probes.mcq_format import render_mc
    from medtrust.records import Case

    case = Case.make(axis="robustness", probe="robustness.das", operator="x",
                     role="perturbation", messages=render_mc(" ".join(parts), options),
                     gold={"options": options, "accept": [next(iter(options))]}, item_id="i")
    assert question_sentences(case) == parts
    kids = coalition_cases(case, "B", parts, 2 ** (len(parts) - 1), stage=2)
    # exact plan: every proper subset of the non-question sentences, the question always kept
    assert len(kids) == 2 ** (len(parts) - 1) - 1
    assert all(question_sentences(k) is None or question_sentences(k)[-1] == parts[-1]
               for k in kids)
