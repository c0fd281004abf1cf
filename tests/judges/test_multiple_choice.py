"""The multiple-choice judge: majority vote over samples, errors apart, entropy of the vote."""

from __future__ import annotations

import math
from collections import Counter

import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy.stats import entropy

from medtrust.judges import MultipleChoiceJudge, judges, vote_entropy
from medtrust.records import Case, Reply

OPTIONS = {"A": "Gout", "B": "Septic arthritis", "C": "Pseudogout", "D": "Cellulitis"}


def case(accept: tuple[str, ...] = ("B",)) -> Case:
    return Case.make(
        axis="robustness",
        probe="robustness.das",
        operator="baseline",
        role="control",
        messages=[{"role": "user", "content": "Which diagnosis?"}],
        gold={"options": OPTIONS, "accept": list(accept)},
    )


def replies(c: Case, *texts: str | None) -> list[Reply]:
    """``None`` stands for a sample whose call failed."""
    return [
        Reply(case_id=c.id, sample=i, text=t)
        if t is not None
        else Reply(case_id=c.id, sample=i, error="HTTP 503")
        for i, t in enumerate(texts)
    ]


def test_registered_as_multiple_choice() -> None:
    assert judges.get("multiple_choice") is MultipleChoiceJudge
    assert MultipleChoiceJudge.name == "multiple_choice"


def test_single_correct_reply_passes() -> None:
    c = case()
    v = MultipleChoiceJudge()(c, replies(c, "B. Septic arthritis"))
    assert v.case_id == c.id
    assert v.judge == "multiple_choice"
    assert v.outcome == "pass"
    assert v.answer == "B"
    assert v.score == 1.0
    assert v.detail["votes"] == ["B"]
    assert v.detail["entropy_bits"] == 0.0


def test_single_wrong_reply_fails() -> None:
    c = case()
    v = MultipleChoiceJudge()(c, replies(c, "The answer is A."))
    assert v.outcome == "fail"
    assert v.answer == "A"


def test_majority_vote_wins() -> None:
    c = case()
    v = MultipleChoiceJudge()(c, replies(c, "A", "B", "B"))
    assert v.outcome == "pass"
    assert v.answer == "B"
    assert v.score == pytest.approx(2 / 3)
    v = MultipleChoiceJudge()(c, replies(c, "B", "D", "D"))
    assert v.outcome == "fail"
    assert v.answer == "D"


@pytest.mark.parametrize(
    ("texts", "expected"),
    [
        (("C", "B"), "C"),
        (("B", "C"), "B"),
        (("B", "C", "C", "B"), "B"),
        (("D", "B", "B", "D", "A"), "D"),
    ],
)
def test_ties_go_to_the_first_seen_letter(texts: tuple[str, ...], expected: str) -> None:
    c = case()
    v = MultipleChoiceJudge()(c, replies(c, *texts))
    assert v.answer == expected
    assert v.outcome == ("pass" if expected == "B" else "fail")


def test_errored_and_unreadable_replies_are_not_votes() -> None:
    c = case()
    # Two failed calls and two replies naming nothing would outvote "A" if they counted.
    v = MultipleChoiceJudge()(c, replies(c, None, "I cannot say.", "A", None, "no idea"))
    assert v.outcome == "fail"
    assert v.answer == "A"
    assert v.score == 1.0
    assert v.detail["votes"] == ["A"]
    assert v.detail["errors"] == 2
    assert v.detail["unreadable"] == 2
    assert v.detail["samples"] == 5


@pytest.mark.parametrize(
    "text",
    [
        "B or C",  # several options, none chosen: never the first letter it contains
        "either A or B",
        "A. Gout\nB. Septic arthritis\nC. Pseudogout\nD. Cellulitis",  # only the option list
        "I'm sorry, I cannot give medical advice.",
        "<think>The answer is B",  # cut off inside its reasoning
        "I'm not sure; it depends on the joint aspirate.",
    ],
)
def test_a_reply_nobody_can_read_is_an_error_not_a_vote(text: str) -> None:
    c = case()
    v = MultipleChoiceJudge()(c, replies(c, text))
    assert v.outcome == "error"
    assert v.answer is None
    assert v.detail["reason"] == "unreadable reply"
    assert v.detail["unreadable"] == 1
    assert v.detail["votes"] == []


def test_the_stated_conclusion_is_the_vote() -> None:
    c = case()
    text = "A would be too late to matter; C is unlikely at this age. Final answer: B"
    v = MultipleChoiceJudge()(c, replies(c, text, "<think>A? C?</think>\n**B**"))
    assert v.detail["votes"] == ["B", "B"]
    assert v.outcome == "pass"


def test_a_reply_with_an_error_and_text_is_not_a_vote() -> None:
    c = case()
    both = Reply(case_id=c.id, sample=0, text="B", error="truncated")
    v = MultipleChoiceJudge()(c, [both, Reply(case_id=c.id, sample=1, text="C")])
    assert v.detail["votes"] == ["C"]
    assert v.outcome == "fail"


@pytest.mark.parametrize(
    ("texts", "reason"),
    [
        ((None, None), "target error"),
        (("maybe", "unsure"), "unreadable reply"),
        ((None, "unsure"), "unreadable reply"),
        ((), "no reply"),
    ],
)
def test_no_votes_is_an_error_verdict(texts: tuple[str | None, ...], reason: str) -> None:
    c = case()
    v = MultipleChoiceJudge()(c, replies(c, *texts))
    assert v.outcome == "error"
    assert v.answer is None
    assert v.score is None
    assert v.detail["votes"] == []
    assert v.detail["reason"] == reason


@pytest.mark.parametrize(
    ("reply", "outcome"), [("A", "pass"), ("C", "pass"), ("B", "fail"), ("D", "fail")]
)
def test_accept_set_with_several_letters(reply: str, outcome: str) -> None:
    c = case(accept=("A", "C"))
    assert MultipleChoiceJudge()(c, replies(c, reply)).outcome == outcome


def test_vote_entropy_known_values() -> None:
    assert vote_entropy(Counter()) == 0.0
    assert vote_entropy(Counter({"A": 5})) == 0.0
    assert vote_entropy(Counter({"A": 3, "B": 3})) == pytest.approx(1.0)
    assert vote_entropy(Counter({"A": 1, "B": 1, "C": 1, "D": 1})) == pytest.approx(2.0)
    assert vote_entropy(Counter({"A": 2, "B": 0})) == 0.0


def test_verdict_reports_the_vote_entropy() -> None:
    c = case()
    assert MultipleChoiceJudge()(c, replies(c, "A", "B")).detail["entropy_bits"] == 1.0
    v = MultipleChoiceJudge()(c, replies(c, "A", "B", "B"))
    assert v.detail["entropy_bits"] == round(entropy([1, 2], base=2), 4)


@given(st.dictionaries(st.sampled_from("ABCDEFG"), st.integers(0, 50), min_size=1))
def test_vote_entropy_matches_scipy(counts: dict[str, int]) -> None:
    got = vote_entropy(Counter(counts))
    if sum(counts.values()) == 0:
        assert got == 0.0
    else:
        assert math.isclose(got, float(entropy(list(counts.values()), base=2)), abs_tol=1e-12)
