"""Reading the chosen option letter out of free-text replies."""

from __future__ import annotations

import string

import pytest
from hypothesis import given
from hypothesis import strategies as st

from medtrust.judges import parse_choice

OPTIONS = {
    "A": "Inferior myocardial infarction",
    "B": "Pulmonary embolism",
    "C": "Aortic dissection",
    "D": "Pericarditis",
}


@pytest.mark.parametrize(
    ("reply", "expected"),
    [
        ("B", "B"),
        ("B.", "B"),
        ("(B)", "B"),
        ("**B**", "B"),
        ("  B  ", "B"),
        ("B) Pulmonary embolism", "B"),
        ("B - Pulmonary embolism", "B"),
        ("B\nBecause the D-dimer is high.", "B"),
        ("A. Inferior myocardial infarction", "A"),
        ("A", "A"),
        ("The answer is C.", "C"),
        ("The answer is (C)", "C"),
        ("Answer: D", "D"),
        ("Final answer: **D**", "D"),
        ("The correct answer is: **B**", "B"),
        ("Correct answer: option C", "C"),
        ("The answer is A.", "A"),
        ("I think the correct option is A because of ST elevation in II, III and aVF.", "A"),
        ("Inferior myocardial infarction", "A"),
        ("inferior myocardial infarction!", "A"),
        ("This is most consistent with pulmonary embolism.", "B"),
        ("I would say B", "B"),
    ],
)
def test_crafted_replies(reply: str, expected: str) -> None:
    assert parse_choice(reply, OPTIONS) == expected


@pytest.mark.parametrize(
    "reply",
    [
        "",
        "   ",
        "**",
        "I am not sure.",
        "B or C",
        "It is either B or C.",
        "Both B and C are plausible.",
        "Pulmonary embolism or aortic dissection.",
        "E",
        "The answer is E.",
        "(F)",
    ],
)
def test_no_single_option_named(reply: str) -> None:
    assert parse_choice(reply, OPTIONS) is None


@pytest.mark.parametrize(
    ("reply", "expected"),
    [
        ("A patient like this needs an urgent ECG.", None),
        ("A 60-year-old man with these findings most likely has C.", "C"),
    ],
)
def test_leading_article_a_is_not_option_a(reply: str, expected: str | None) -> None:
    assert parse_choice(reply, OPTIONS) == expected


@pytest.mark.parametrize(
    ("reply", "expected"),
    [
        ("The answer is a pulmonary embolism.", "B"),
        ("My choice is a beta blocker.", None),
    ],
)
def test_article_after_answer_is_not_option_a(reply: str, expected: str | None) -> None:
    assert parse_choice(reply, OPTIONS) == expected


# --- properties --------------------------------------------------------------------------------

option_dicts = st.dictionaries(
    keys=st.sampled_from(string.ascii_uppercase),
    values=st.text(max_size=40),
    min_size=1,
    max_size=8,
)


@st.composite
def options_and_letter(draw: st.DrawFn) -> tuple[dict[str, str], str]:
    options = draw(option_dicts)
    return options, draw(st.sampled_from(sorted(options)))


@given(ol=options_and_letter())
def test_letter_dot_text_parses_to_the_letter(ol: tuple[dict[str, str], str]) -> None:
    options, letter = ol
    assert parse_choice(f"{letter}. {options[letter]}", options) == letter


@given(
    ol=options_and_letter(),
    template=st.sampled_from(
        [
            "The answer is {L}",
            "The answer is {L}.",
            "Answer: {L}",
            "My final answer is **{L}**",
            "The correct option is ({L}).",
        ]
    ),
)
def test_stated_answer_parses_to_the_letter(ol: tuple[dict[str, str], str], template: str) -> None:
    options, letter = ol
    assert parse_choice(template.format(L=letter), options) == letter


@given(reply=st.text(), options=option_dicts)
def test_never_raises_and_never_invents_a_letter(reply: str, options: dict[str, str]) -> None:
    got = parse_choice(reply, options)
    assert got is None or got in options


@given(
    reply=st.text(alphabet=string.ascii_letters + string.digits + " .,:;()*-\n", max_size=80),
    options=option_dicts,
)
def test_never_invents_a_letter_on_letter_heavy_text(reply: str, options: dict[str, str]) -> None:
    got = parse_choice(reply, options)
    assert got is None or got in options
