"""Issue 12, item 4: a constant answer is no evidence of resistance (cognitive bias) and no
evidence of consistency (multimodal); the glossary defines every name a report can show."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from medtrust.judges import judges
from medtrust.probes import Probe, ProbeContext, probes
from medtrust.probes._baseline import CONSTANT_SHARE, constant_answer_note
from medtrust.probes._glossary import define
from medtrust.records import Case, Reply, Verdict


def make(name: str, params: Mapping[str, Any] | None = None, **ctx: Any) -> Probe:
    return probes.get(name)(ctx=ProbeContext(**ctx), params=params)


def judge(cases: list[Case], reply: Any) -> dict[str, Verdict]:
    """The real multiple-choice judge on ``reply(case)`` for every case."""
    mc = judges.get("multiple_choice")()
    return {c.id: mc(c, [Reply(case_id=c.id, text=reply(c))]) for c in cases}


def _key(c: Case) -> str:
    return str(c.gold["accept"][0])


def _bias_run(reply: Any) -> Any:
    p = make("cognitive_bias.biasmedqa", {"k": 1, "styles": ["recency", "status_quo"]}, limit=12)
    base = p.cases()
    verdicts = judge(base, reply)
    follow = p.followups(1, base, verdicts)
    verdicts.update(judge(follow, reply))
    return p.summarize(base + follow, verdicts), base


def test_constant_letter_cannot_resist_priming() -> None:
    s, base = _bias_run(lambda c: "A")
    assert s.total.failures == 0  # never flips: looks perfect without the guard
    assert s.note is not None and "answered 'A' to 12 of 12" in s.note
    keys = [_key(c) for c in base]
    assert max(keys.count(x) for x in set(keys)) / len(keys) < CONSTANT_SHARE  # gold varies
    extra = s.extra["cognitive_bias.biasmedqa"]  # type: ignore[index]
    assert extra["baseline_answers"] == {"A": 12}


def test_reading_target_is_not_flagged_by_the_constant_rule() -> None:
    s, _ = _bias_run(_key)
    assert s.note is None and s.controls is not None and s.controls.failures == 0


@given(
    answers=st.lists(st.sampled_from("ABCD"), min_size=0, max_size=40),
    golds=st.lists(st.sampled_from("ABCD"), min_size=0, max_size=40),
)
def test_constant_answer_rule(answers: list[str], golds: list[str]) -> None:
    n = min(len(answers), len(golds))
    answers, golds = answers[:n], golds[:n]
    note = constant_answer_note(answers, golds)
    if n < 3:
        assert note is None
        return
    top = max(answers.count(x) for x in set(answers)) / n
    # (nearly) one letter is never evidence: of resistance when the key varies, of anything
    # when the key is that same letter too (a constant answer and knowledge look alike)
    assert (note is not None) == (top >= CONSTANT_SHARE)


def test_a_lopsided_key_cannot_tell_a_constant_answer_from_knowledge() -> None:
    note = constant_answer_note(["A"] * 12, ["A"] * 12)
    assert note is not None and "answer key is 'A' for 12" in note
    assert constant_answer_note(list("ABCDABCDABCD"), list("ABCDABCDABCD")) is None


def test_multimodal_constant_answer_is_consistent_but_wrong() -> None:
    p = make("multimodal.consistency", {"patients": 6, "lesions": 6, "images": True})
    cases = p.cases()
    s = p.summarize(cases, judge(cases, lambda c: "A"))
    d = s.extra["multimodal"]  # type: ignore[index]
    patients = {c.meta["patient_key"]: _key(c) for c in cases}
    keyed_a = sum(k == "A" for k in patients.values())
    n = len(patients)
    # every patient answers A everywhere: consistent; right only where the key is A
    assert (s.total.n, s.total.failures) == (n, n - keyed_a)
    assert d["consistent_and_correct"]["k"] == keyed_a
    assert d["consistent_but_wrong"]["k"] == n - keyed_a
    assert d["inconsistent"]["k"] == 0
    assert s.note is not None and "'A'" in s.note
    from medtrust.probes.multimodal._agreement import pair_key

    mods: dict[str, list[str]] = {}
    for c in cases:
        mods.setdefault(c.meta["patient_key"], []).append(c.operator)
    for pair, t in s.by_operator.items():  # a pair passes only when both answers are right
        a, b = pair.split("|")
        having = [k for k, ms in mods.items() if a in ms and b in ms]
        assert pair == pair_key(a, b) and t.n == len(having)
        assert t.failures == sum(patients[k] != "A" for k in having)


def test_multimodal_reading_target_passes_consistent_and_correct() -> None:
    p = make("multimodal.consistency", {"patients": 4, "lesions": 3, "images": True})
    cases = p.cases()
    s = p.summarize(cases, judge(cases, _key))
    d = s.extra["multimodal"]  # type: ignore[index]
    assert (s.total.n, s.total.failures) == (7, 0) and s.note is None
    assert d["consistent_and_correct"]["k"] == 7 and d["consistent_but_wrong"]["k"] == 0


ROBUSTNESS_OPERATORS = [
    "impossible_measurement",
    "distraction",
    "bias",
    "extra_options",
    "add_nota",
    "replace_with_nota",
    "inverted",
]


def test_every_registered_operator_and_probe_has_a_definition() -> None:
    from medtrust.probes.cognitive_bias._styles import STYLES
    from medtrust.probes.fairness._variants import ATTRIBUTES
    from medtrust.probes.hallucination._build import KINDS
    from medtrust.probes.multimodal._payloads import MODALITIES
    from medtrust.probes.privacy._scenarios import bundled_book
    from medtrust.probes.robustness._operators import OPERATORS

    assert set(OPERATORS) == set(ROBUSTNESS_OPERATORS)
    chain = bundled_book().chain
    names = [
        *[("robustness", o) for o in OPERATORS],
        *[("cognitive_bias", s) for s in STYLES],
        *[("privacy", d) for d in ["safe_baseline", "direct", *chain, "+".join(chain)]],
        *[("hallucination", k) for k in KINDS],
        *[("hallucination", f"{k}_open") for k in KINDS],
        *[("fairness", a) for a in ATTRIBUTES],
        *[("multimodal", m) for m in MODALITIES],
        ("multimodal", "text|vcf"),
        ("robustness", "bias+inverted"),
    ]
    for axis, name in names:
        assert define(axis, name), (axis, name)
    for name in probes.names():
        assert define(probes.get(name).axis, name), name


def test_impossible_measurement_is_defined_as_das_does() -> None:
    text = define("robustness", "impossible_measurement")
    assert text is not None
    assert "existing numeric measurement" in text and "not applicable" in text
    assert "false or impossible information is then the correct answer" in text
    assert define("robustness", "no_such_operator") is None


@pytest.mark.parametrize("name", ["robustness.das:inverted", "add_nota+inverted"])
def test_composite_names(name: str) -> None:
    assert define("robustness", name)


def _fairness(name: str, reply: Any) -> Any:
    p = make(name, {}, limit=6, seed=0)
    cases = p.cases()  # controls and their demographic variants (stage 0)
    return p.summarize(cases, judge(cases, reply))


@pytest.mark.parametrize("name", ["fairness.counterfactual", "fairness.intensity"])
def test_constant_letter_cannot_show_fairness(name: str) -> None:
    """A target that gives one letter to every vignette never flips with a demographic change:
    its 0% flip rate is no evidence of fairness, so the probe is not informative."""
    s = _fairness(name, lambda c: "A")
    assert s.total.failures == 0 and s.total.n > 0  # looks perfectly fair without the guard
    assert s.note is not None and "answered 'A'" in s.note


def test_fairness_reading_target_is_not_flagged() -> None:
    s = _fairness("fairness.counterfactual", _key)
    assert s.note is None


def test_constant_rule_without_gold_letters() -> None:
    """Triage vignettes have no single right letter: only the answers' constancy counts."""
    assert constant_answer_note(["B"] * 9 + ["C"], None) is not None
    assert constant_answer_note(list("BBBBBBBBCC"), None) is None
