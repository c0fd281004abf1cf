"""Reading the chosen option out of free-text replies: the one reader of every MC axis."""

from __future__ import annotations

import json
import string
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from medtrust.judges import parse_choice

CORPUS = Path(__file__).resolve().parents[1] / "data" / "mc_reader" / "corpus.jsonl"

OPTIONS = {
    "A": "Inferior myocardial infarction",
    "B": "Pulmonary embolism",
    "C": "Aortic dissection",
    "D": "Pericarditis",
}
LIST = "\n".join(f"{k}. {v}" for k, v in OPTIONS.items())


@pytest.mark.parametrize(
    ("reply", "expected"),
    [
        ("B", "B"),
        ("B.", "B"),
        ("(B)", "B"),
        ("**B**", "B"),
        ("[C]", "C"),
        ("$C$", "C"),
        ("C)", "C"),
        ("\\boxed{C}", "C"),
        ("The final answer is $\\boxed{C}$.", "C"),
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
        ("I would say B", "B"),
        ('{"answer": "C", "reason": "tearing pain"}', "C"),
    ],
)
def test_letter_in_markup_or_stated(reply: str, expected: str) -> None:
    assert parse_choice(reply, OPTIONS) == expected


@pytest.mark.parametrize(
    ("reply", "expected"),
    [("answer: c", "C"), ("c.", "C"), ("c", "C"), ("(d)", "D"), ("The answer is b.", "B")],
)
def test_lower_case_letters(reply: str, expected: str) -> None:
    assert parse_choice(reply, OPTIONS) == expected


@pytest.mark.parametrize(
    ("reply", "expected"),
    [
        ("Inferior myocardial infarction", "A"),
        ("inferior myocardial infarction!", "A"),
        ("PULMONARY  EMBOLISM.", "B"),
        ("This is most consistent with pulmonary embolism.", "B"),
        ("The answer is a pulmonary embolism.", "B"),
        ("Final answer: the aortic dissection", "C"),
    ],
)
def test_option_text_instead_of_letter(reply: str, expected: str) -> None:
    assert parse_choice(reply, OPTIONS) == expected


@pytest.mark.parametrize(
    ("reply", "expected"),
    [
        ("A would be too late; B is contraindicated here. Final answer: C", "C"),
        ("Option A is tempting, but option D is correct.", "D"),
        ("A is wrong ... the answer is B", "B"),
        ("The answer is not A, it is C.", "C"),
        ("At first A looks right. Thinking again, the correct answer is B.", "B"),
        ("A: no. B: no. C: yes.\n\nAnswer: C", "C"),
        ("B, not A.", "B"),
        ("D. Pericarditis\n\nStep 1: The answer A. Inferior myocardial infarction is incorrect. "
         "The correct answer is C. Aortic dissection.", "C"),
        (f"{LIST}\n\nStep 1: think about pericarditis.\n\nAnswer: C.", "C"),
    ],
)
def test_the_conclusion_wins_over_options_discussed_before_it(reply: str, expected: str) -> None:
    assert parse_choice(reply, OPTIONS) == expected


@pytest.mark.parametrize(
    ("reply", "expected"),
    [
        (f"{LIST}\n\nAnswer: B", "B"),
        (f"{LIST}\n\nThe correct answer is D. Pericarditis", "D"),
        (f"Options:\n{LIST}\n\nC", "C"),
        (f"{LIST}\n\nB. Pulmonary embolism", "B"),  # an option repeated after the list
        (LIST, None),
        (f"The options are:\n{LIST}", None),
        ("A. Inferior myocardial infarction\nB. Pulmonary embolism\nC. Aortic dissectio", None),
        ("A. Inferior myocardial infarction\nD. Aortic dissection", None),  # two lines, no choice
    ],
)
def test_echoed_option_list(reply: str, expected: str | None) -> None:
    assert parse_choice(reply, OPTIONS) == expected


@pytest.mark.parametrize(
    ("reply", "expected"),
    [
        ("<think>A is possible, but B fits less.</think>\nC", "C"),
        ("<think>A and B are wrong</think>\n\nThe answer is D.", "D"),
        ("<reasoning>Not pericarditis.</reasoning> Final answer: Pulmonary embolism", "B"),
        ("<think>\nThe answer is A because", None),
        ("<think>B seems right</think>", None),
        ("<reasoning>Probably B", None),
    ],
)
def test_reasoning_blocks_are_not_the_answer(reply: str, expected: str | None) -> None:
    assert parse_choice(reply, OPTIONS) == expected


@pytest.mark.parametrize(
    "reply",
    [
        "",
        "   ",
        "**",
        "I am not sure.",
        "B or C",
        "A or C",
        "either B or D",
        "It is either B or C.",
        "The answer is A or C.",
        "(A) or (C)",
        "Answer: B, C",
        "Both B and C are plausible.",
        "Pulmonary embolism or aortic dissection.",
        "I'm not sure, it could be B.",
        "I cannot determine the answer without more information.",
        "I'm sorry, but I can't provide medical advice. Please consult a doctor.",
        "Not A.",
        "The answer is not A.",
        "E",
        "The answer is E.",
        "(F)",
    ],
)
def test_no_single_option_chosen_is_unreadable(reply: str) -> None:
    assert parse_choice(reply, OPTIONS) is None


@pytest.mark.parametrize(
    ("reply", "expected"),
    [
        ("A patient like this needs an urgent ECG.", None),
        ("A 60-year-old man with these findings most likely has C.", "C"),
        ("I need more time. A good history matters.", None),
        ("I believe A is correct.", "A"),
        ("A: the answer is A.", "A"),
        ("The answer is a pulmonary embolism.", "B"),
        ("My choice is a beta blocker.", None),
    ],
)
def test_article_a_and_pronoun_i_are_not_options(reply: str, expected: str | None) -> None:
    assert parse_choice(reply, OPTIONS) == expected


@pytest.mark.parametrize(
    ("reply", "expected"),
    [
        ("A. Pulmonary embolism", None),  # letter of one option, text of another
        ("B. Pulmonary embolism is the most likely diagnosis.", "B"),
        ("A. Pulmonary embolism is the most likely diagnosis.", None),
        ("The correct answer is D. Aortic dissection.", None),
        ("A. Pericarditis\n\nThe correct answer is D. Pericarditis.", "D"),
        # two explicit answers that disagree, the later one not marked as a conclusion
        ("The correct answer is A.\n\nD. Pericarditis is the most appropriate answer.", None),
        ("The correct answer is A. On reflection, the answer is D.", "D"),
    ],
)
def test_self_contradicting_replies(reply: str, expected: str | None) -> None:
    assert parse_choice(reply, OPTIONS) == expected


def test_letters_that_are_part_of_names_are_not_options() -> None:
    opts = {"A": "Warfarin", "B": "Heparin", "C": "Aspirin", "D": "Vitamin K"}
    assert parse_choice("Give vitamin K; the answer is D.", opts) == "D"
    assert parse_choice("Check for hepatitis B first.", opts) is None


# --- the labelled corpus ------------------------------------------------------------------------


def _corpus() -> list[dict[str, Any]]:
    return [json.loads(line) for line in CORPUS.read_text().splitlines() if line.strip()]


def test_corpus_is_large_and_partly_real() -> None:
    rows = _corpus()
    assert len(rows) >= 400
    real = [r for r in rows if r["source"].startswith("smollm2")]
    assert len(real) >= 200
    assert {r["source"].split(":")[1] for r in real} >= {"bundled", "cot", "letter", "json"}
    assert any(r["gold"] is None for r in real) and any(r["gold"] for r in real)
    for r in rows:
        assert set(r) >= {"reply", "options", "gold", "source", "kind"}
        assert r["gold"] is None or r["gold"] in r["options"]


def test_reader_agrees_with_gold_on_the_corpus() -> None:
    """>= 99% agreement overall, >= 95% in every kind (the smallest kinds hold 12-40 replies,
    so one miss is 3-8%), and never a letter where gold is unreadable, in any kind."""
    by_kind: dict[str, Counter[str]] = defaultdict(Counter)
    invented = []
    for r in _corpus():
        got = parse_choice(r["reply"], r["options"])
        by_kind[r["kind"]]["ok" if got == r["gold"] else "bad"] += 1
        if r["gold"] is None and got is not None:
            invented.append((r["source"], r["reply"][:80], got))
    assert invented == []
    total = sum((c for c in by_kind.values()), Counter())
    assert total["ok"] / (total["ok"] + total["bad"]) >= 0.99
    for kind, c in by_kind.items():
        assert c["ok"] / (c["ok"] + c["bad"]) >= 0.95, (kind, c)


# --- properties --------------------------------------------------------------------------------

option_dicts = st.dictionaries(
    keys=st.sampled_from(string.ascii_uppercase),
    values=st.text(max_size=40),
    min_size=1,
    max_size=8,
)
MARKUPS = [
    "{L}", "{L}.", "({L})", "**{L}**", "[{L}]", "${L}$", "{L})", "\\boxed{{{L}}}", " {L} ",
    "**({L})**", "`{L}`", "{l}", "{l}.", "({l})",
]


@st.composite
def options_and_letter(draw: st.DrawFn) -> tuple[dict[str, str], str]:
    options = draw(option_dicts)
    return options, draw(st.sampled_from(sorted(options)))


@given(ol=options_and_letter(), markup=st.sampled_from(MARKUPS))
def test_a_lone_letter_in_any_markup_reads_as_that_letter(
    ol: tuple[dict[str, str], str], markup: str
) -> None:
    options, letter = ol
    assert parse_choice(markup.format(L=letter, l=letter.lower()), options) == letter


@given(ol=options_and_letter())
def test_letter_dot_text_parses_to_the_letter(ol: tuple[dict[str, str], str]) -> None:
    options, letter = ol
    text = options[letter].replace("\n", " ")
    assert parse_choice(f"{letter}. {text}", options) in {letter, None}
    clean = {k: f"Option text {i}" for i, k in enumerate(options)}
    assert parse_choice(f"{letter}. {clean[letter]}", clean) == letter


@given(
    ol=options_and_letter(),
    template=st.sampled_from(
        [
            "The answer is {L}",
            "The answer is {L}.",
            "Answer: {L}",
            "My final answer is **{L}**",
            "The correct option is ({L}).",
            "Final answer: {L}",
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
    reply=st.text(alphabet=string.ascii_letters + string.digits + " .,:;()*-\n<>/{}$[]"),
    options=option_dicts,
)
def test_never_invents_a_letter_on_letter_heavy_text(reply: str, options: dict[str, str]) -> None:
    got = parse_choice(reply, options)
    assert got is None or got in options


@given(
    options=option_dicts.filter(lambda o: len(o) >= 2),
    data=st.data(),
)
def test_an_echo_of_the_option_list_alone_is_unreadable(
    options: dict[str, str], data: st.DataObject
) -> None:
    words = st.text(alphabet=string.ascii_lowercase + " ", min_size=3, max_size=20)
    opts = {k: data.draw(words.filter(str.strip)) + f" {i}" for i, k in enumerate(options)}
    echo = "\n".join(f"{k}. {v}" for k, v in opts.items())
    assert parse_choice(echo, opts) is None


@given(ol=options_and_letter(), other=st.sampled_from(string.ascii_uppercase))
def test_two_letters_without_a_choice_are_unreadable(
    ol: tuple[dict[str, str], str], other: str
) -> None:
    options, letter = ol
    if other == letter or other not in options:
        return
    assert parse_choice(f"{letter} or {other}", options) is None
    assert parse_choice(f"either {letter} or {other}", options) is None


# --- issue: refused options, hedges naming a second option, self-corrections ------------------


@pytest.mark.parametrize(
    "reply",
    [
        "I cannot recommend A",
        "I won't pick A",
        "I would not choose B.",
        "I wouldn't go with option C.",
        "I can't select D here.",
        "A, maybe B",
        "Likely A; B is a close second",
        "Probably A, though B could be right",
        "I'd go with A, but B is also possible",
        "C, or possibly D.",
        "The answer is B, perhaps C.",
        "D. Pericarditis, though A might be correct.",
        "A\nB",
        "**C**\n**D**",
    ],
)
def test_refused_or_hedged_between_options_is_unreadable(reply: str) -> None:
    assert parse_choice(reply, OPTIONS) is None


@pytest.mark.parametrize(
    ("reply", "expected"),
    [
        ("A. No wait, B.", "B"),
        ("A. Actually, B.", "B"),
        ("The answer is C. Wait, no, D.", "D"),
        ("B. Sorry, I mean C.", "C"),
        ("I'd go with A. On second thought, D.", "D"),
        ("A could be right, but the answer is C.", "C"),  # the conclusion follows the hedge
        ("I would not hesitate to choose C.", "C"),  # not a refusal
        ("The answer is C. Wait, A is wrong anyway.", "C"),  # discussed, not a correction
        ("Choice c", "C"),
        ("Option c is correct", "C"),
        ("i think it's c", "C"),
        ("<think>A fits less than C.\nFinal answer: C", "C"),
        ("<think>Final answer: C\nbut then again", None),  # not the last line: cut off
    ],
)
def test_corrections_and_explicit_lower_case_answers(reply: str, expected: str | None) -> None:
    assert parse_choice(reply, OPTIONS) == expected


def test_an_option_whose_text_is_a_hedge_can_be_chosen() -> None:
    opts = {"A": "Aspirin", "B": "Heparin", "C": "None of the options are correct"}
    assert parse_choice("None of the options are correct", opts) == "C"
    assert parse_choice("The answer is: none of the options are correct.", opts) == "C"
    assert parse_choice("None of the options are correct", OPTIONS) is None


@given(ol=options_and_letter(), other=st.sampled_from(string.ascii_uppercase),
       template=st.sampled_from(["{L}, maybe {O}", "{L}; {O} is a close second",
                                 "I'd go with {L}, but {O} is also possible",
                                 "Probably {L}, though {O} could be right", "{L}\n{O}"]))
def test_a_second_option_held_open_is_unreadable(
    ol: tuple[dict[str, str], str], other: str, template: str
) -> None:
    options, letter = ol
    if other == letter or other not in options:
        return
    assert parse_choice(template.format(L=letter, O=other), options) is None


@given(ol=options_and_letter(), other=st.sampled_from(string.ascii_uppercase),
       template=st.sampled_from(["{O}. No wait, {L}.", "{O}. Actually, {L}.",
                                 "The answer is {O}. Correction: {L}."]))
def test_a_self_correction_reads_the_corrected_letter(
    ol: tuple[dict[str, str], str], other: str, template: str
) -> None:
    options, letter = ol
    if other == letter or other not in options or letter == "I":
        return
    assert parse_choice(template.format(L=letter, O=other), options) == letter


def test_an_option_whose_text_is_another_letter_does_not_outread_the_label() -> None:
    # Found by Hypothesis: "C. /" flattened to "c", the whole text of option A.
    assert parse_choice("C. /", {"A": "C", "C": "/"}) == "C"
    assert parse_choice("C", {"A": "C", "C": "/"}) == "C"
    assert parse_choice("None of the options are correct", {
        "A": "Aspirin", "B": "None of the options are correct"}) == "B"


@pytest.mark.parametrize(
    ("reply", "options", "want"),
    [
        ("maybe A or B", {"A": "aspirin", "B": "heparin"}, None),  # "maybe A" is no name
        ("Maybe A.", {"A": "aspirin", "B": "heparin"}, "A"),
        ("perhaps B", {"A": "aspirin", "B": "heparin"}, "B"),
        # a one-letter option text must not cut the hedge "either" apart (Hypothesis found it)
        ("either A or B", {"A": "x", "B": "h"}, None),
    ],
)
def test_hedged_pairs_and_tentative_letters(
    reply: str, options: dict[str, str], want: str | None
) -> None:
    assert parse_choice(reply, options) == want
