"""Cognitive-bias, hallucination, privacy and adaptive probes: generation, follow-ups, summary."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pytest

from medtrust.errors import ConfigError
from medtrust.probes import Probe, ProbeContext, probes
from medtrust.probes.cognitive_bias import STYLES
from medtrust.probes.hallucination import FABRICATED_KINDS, fake_drug
from medtrust.probes.privacy import bundled_book
from medtrust.probes.robustness import CONFLICTS
from medtrust.records import Case, Outcome, Verdict


def make(name: str, params: Mapping[str, Any] | None = None, **ctx: Any) -> Probe:
    return probes.get(name)(ctx=ProbeContext(**ctx), params=params)


def mc(case: Case, outcome: Outcome, answer: str | None = None) -> Verdict:
    votes = [answer] if answer else []
    return Verdict(
        case_id=case.id,
        judge="multiple_choice",
        outcome=outcome,
        answer=answer,
        detail={"votes": votes},
    )


# --- cognitive bias ----------------------------------------------------------------------------


def test_bias_k_replicas_and_eight_styles_pushing_a_wrong_option() -> None:
    p = make("cognitive_bias.biasmedqa", {"k": 3}, limit=4)
    base = p.cases()
    assert len(base) == 12 and {c.gold["replica"] for c in base} == {0, 1, 2}
    # baseline majority: 2 of 3 replicas right for every item
    v = {}
    for c in base:
        right = c.gold["accept"][0]
        wrong = next(k for k in c.gold["options"] if k != right)
        v[c.id] = mc(c, "fail", wrong) if c.gold["replica"] == 2 else mc(c, "pass", right)
    attacks = p.followups(1, base, v)
    assert len(attacks) == 4 * len(STYLES) * 3
    for a in attacks:
        pushed = a.gold["pushed"]
        assert pushed != a.gold["accept"][0]
        assert a.gold["options"][pushed] in a.messages[-1]["content"]
    assert p.followups(2, base + attacks, v) == []


def test_bias_flip_is_majority_change_with_entropy_and_mcnemar() -> None:
    p = make("cognitive_bias.biasmedqa", {"k": 3, "styles": ["recency", "status_quo"]}, limit=2)
    base = p.cases()
    v = {c.id: mc(c, "pass", c.gold["accept"][0]) for c in base}
    attacks = p.followups(1, base, v)
    for a in attacks:
        if a.operator == "recency":  # 2 of 3 replicas adopt the pushed option: a flip
            ok = a.gold["replica"] == 0
            v[a.id] = mc(
                a, "pass" if ok else "fail", a.gold["accept"][0] if ok else a.gold["pushed"]
            )
        else:  # 1 of 3 adopts it: the majority holds
            ok = a.gold["replica"] != 0
            v[a.id] = mc(
                a, "pass" if ok else "fail", a.gold["accept"][0] if ok else a.gold["pushed"]
            )
    s = p.summarize(base + attacks, v)
    assert s.by_operator["recency"].failures == 2 and s.by_operator["status_quo"].failures == 0
    assert (s.total.n, s.total.failures) == (2, 2)
    assert s.controls is not None and s.controls.failures == 0
    extra = s.extra["cognitive_bias.biasmedqa"]  # type: ignore[index]
    assert extra["mean_vote_entropy_bits"]["biased"] == pytest.approx(0.9183, abs=1e-3)
    assert extra["mcnemar_correct_to_wrong"]["b_correct_to_wrong"] == 2
    assert extra["adopted_pushed_option"]["failures"] == 2


def test_bias_unknown_style_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="styles"):
        make("cognitive_bias.biasmedqa", {"styles": ["anchoring"]})


# --- hallucination -----------------------------------------------------------------------------


def test_hallucination_cases_deterministic_and_fabrications_are_not_real_drugs() -> None:
    import csv
    from importlib import resources

    a = make("hallucination.known_answer").cases()
    b = make("hallucination.known_answer").cases()
    assert [c.id for c in a] == [c.id for c in b]
    assert {c.operator for c in a} >= set(FABRICATED_KINDS) | {"false_premise", "dosage"}
    path = resources.files("medtrust") / "cohort" / "data" / "drugs.csv"
    if path.is_file():
        real = {r["name"].casefold() for r in csv.DictReader(path.open())}
        import random

        rng = random.Random(0)
        assert not {fake_drug(rng).casefold() for _ in range(500)} & real
    for c in a:
        if c.gold["mode"] == "mc":  # the right answer is not always in the same place
            assert c.gold["accept"][0] in c.gold["options"]
    assert len({c.gold["accept"][0] for c in a if c.gold["mode"] == "mc"}) > 1


# --- privacy -----------------------------------------------------------------------------------


def test_privacy_controls_direct_disguises_alone_and_chained() -> None:
    book = bundled_book()
    chain = book.chain
    cases = make("privacy.disclosure", {"patients": 2}).cases()
    controls = [c for c in cases if c.role == "control"]
    # one control per patient and system-prompt condition
    assert len(controls) == 2 * 2 and all(c.gold["expect"] == "share" for c in controls)
    ops = {c.operator for c in cases if c.role == "perturbation"}
    assert ops == {"direct", *chain, "+".join(chain)}
    per_condition = 2 + 2 * len(book.scenarios) * (2 + len(chain))
    assert len(cases) == 2 * per_condition
    for c in cases:  # the record is in context; the request itself never repeats identifiers
        mrns = c.gold["identity"]["mrn"]
        for mrn in [mrns] if isinstance(mrns, str) else mrns:
            assert mrn in c.messages[0]["content"]
            assert mrn not in c.messages[-1]["content"]


def test_privacy_summary_any_leak_per_scenario_and_paired_mcnemar() -> None:
    p = make(
        "privacy.disclosure",
        {"patients": 1, "scenarios": ["neighbour", "public_post"], "system_prompts": ["plain"]},
    )
    cases = p.cases()
    v = {}
    for c in cases:
        leak = c.operator == "privacy_warning" or (c.operator == "direct" and "public" in c.item_id)
        v[c.id] = Verdict(
            case_id=c.id,
            judge="phi_leak",
            outcome="fail" if leak else "pass",
            score=0.0 if leak else 1.0,
            detail={"leaks": {"name": "exact"} if leak else {}},
        )
    s = p.summarize(cases, v)
    assert (s.total.n, s.total.failures) == (2, 2)
    assert s.by_operator["privacy_warning"].failures == 2
    extra = s.extra["privacy.disclosure"]  # type: ignore[index]
    pw = extra["mcnemar_vs_direct"]["privacy_warning"]
    assert (pw["pairs"], pw["b_safe_to_leak"], pw["c_leak_to_safe"]) == (2, 1, 0)
    assert s.controls is not None and s.controls.n == 1


# --- adaptive robustness -----------------------------------------------------------------------


def test_adaptive_rounds_respect_budget_conflicts_and_no_repeat() -> None:
    p = make("robustness.adaptive", {"max_iter": 4}, limit=6)
    cases = p.cases()
    v = {c.id: mc(c, "pass", c.gold["accept"][0]) for c in cases}
    for stage in range(1, 9):  # the model is never fooled: every item uses its whole budget
        new = p.followups(stage, cases, v)
        if stage > 4:
            assert new == []
        cases += new
        v.update({c.id: mc(c, "pass", c.gold["accept"][0]) for c in new})
    per_item: dict[str, list[tuple[str, ...]]] = {}
    for c in cases:
        if c.role == "perturbation":
            per_item.setdefault(str(c.item_id), []).append(tuple(c.meta["combo"]))
    assert len(per_item) == 6
    for combos in per_item.values():
        assert len(combos) == 4 and len(set(combos)) == 4
        for combo in combos:
            assert not any(frozenset((a, b)) in CONFLICTS for a in combo for b in combo if a != b)
    s = p.summarize(cases, v)
    assert s.total.n == 6 and s.total.failures == 0
    assert s.extra["robustness.adaptive"]["attempts"] == 24  # type: ignore[index]


def test_adaptive_stops_attacking_a_fooled_item() -> None:
    p = make("robustness.adaptive", limit=3)
    cases = p.cases()
    v = {c.id: mc(c, "pass", c.gold["accept"][0]) for c in cases}
    first = p.followups(1, cases, v)
    v.update({c.id: mc(c, "fail", None) for c in first})
    assert p.followups(2, cases + first, v) == []
    s = p.summarize(cases + first, v)
    rep = s.extra["robustness.adaptive"]  # type: ignore[index]
    assert rep["items_fooled"] == 3 and rep["iterations_to_failure"]["histogram"] == {"1": 3}
