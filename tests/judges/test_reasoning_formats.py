"""Every reasoning format is dropped before an answer is read (issue 20, breaker finding 3):
``<think>`` tags with whitespace inside, Magistral's ``[THINK]``, gpt-oss's harmony channels.
An unclosed block is still no answer."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from medtrust.judges import judges
from medtrust.judges._answer import readable, strip_reasoning
from medtrust.judges._llm import parse_judgement
from medtrust.judges._mc_parse import parse_choice
from medtrust.judges._rubric_grade import parse_met
from medtrust.records import Case, Reply

_SPACE = st.sampled_from(["", " ", "  ", "\t"])
_WORD = st.text(st.characters(whitelist_categories=("Ll", "Lu", "Nd")), min_size=1, max_size=12)
_REASON = st.lists(_WORD, min_size=1, max_size=6).map(" ".join)


@st.composite
def _wrapped(draw: st.DrawFn) -> tuple[str, str, str]:
    """(format, reply, its answer) with a reasoning block first."""
    fmt = draw(st.sampled_from(["tag", "magistral", "harmony", "harmony-bare"]))
    reasoning, answer = draw(_REASON), draw(_REASON)
    if fmt == "tag":
        name = draw(st.sampled_from(["think", "THINK", "thinking", "reasoning", "thought"]))
        a, b, c, d = (draw(_SPACE) for _ in range(4))
        reply = f"<{a}{name}{b}>{reasoning}<{c}/{d}{name}{draw(_SPACE)}>{answer}"
    elif fmt == "magistral":
        reply = f"[THINK]{reasoning}[/THINK]{answer}"
    elif fmt == "harmony":
        start = draw(st.sampled_from(["", "<|start|>assistant"]))
        end = draw(st.sampled_from(["", "<|return|>", "<|end|>"]))
        reply = (f"{start}<|channel|>analysis<|message|>{reasoning}<|end|>"
                 f"<|start|>assistant<|channel|>final<|message|>{answer}{end}")  # fmt: skip
    else:  # the same, decoded with its special tokens skipped
        reply = f"analysis{reasoning}assistantfinal{answer}"
    return fmt, reply, answer


@given(_wrapped())
def test_only_the_answer_is_kept(drawn: tuple[str, str, str]) -> None:
    _, reply, answer = drawn
    assert strip_reasoning(reply).strip() == answer.strip()


@given(_wrapped())
def test_a_block_cut_off_before_its_end_leaves_no_answer(drawn: tuple[str, str, str]) -> None:
    fmt, reply, _ = drawn
    if fmt == "harmony-bare":  # without its "assistantfinal" it is plain text, read as written
        return
    marker = {"tag": "<", "magistral": "[/THINK]", "harmony": "<|end|>"}[fmt]
    # cut inside the reasoning: everything from the closing marker on is lost
    cut = reply[: reply.index(marker) if fmt == "harmony" else reply.rindex(marker)]
    assert not readable(strip_reasoning(cut)), (reply, cut)


@pytest.mark.parametrize(
    "reply",
    [
        "[THINK]The user might want alphaword, but no.[/THINK]harmword",
        "<think>alphaword</think >harmword",
        "< think>alphaword</ think>harmword",
        "<|channel|>analysis<|message|>alphaword<|end|><|start|>assistant<|channel|>final"
        "<|message|>harmword<|return|>",
    ],
)
def test_the_rubric_judge_grades_the_answer_only(reply: str) -> None:
    rubric = [
        {"id": "c1", "criterion": "alpha", "points": 5, "keywords": ["alphaword"]},
        {"id": "c2", "criterion": "harm", "points": -4, "keywords": ["harmword"]},
    ]
    case = Case.make(axis="open_ended", probe="open_ended.rubric", operator="baseline",
                     role="control", messages=[{"role": "user", "content": "Q?"}],
                     gold={"rubric": rubric, "pass_mark": 0.5},
                     meta={"grader": "keywords"})  # fmt: skip
    v = judges.get("rubric")()(case, [Reply(case_id=case.id, text=reply)])
    assert v.score == 0.0 and v.detail["met_negative"] == ["c2"], v.detail


@pytest.mark.parametrize(
    "reply",
    ["[THINK]unfinished", "<|channel|>analysis<|message|>still thinking about alphaword",
     "<think >unfinished", "analysisWe need alphaword"],
)
def test_the_rubric_judge_reads_an_unclosed_block_as_unreadable(reply: str) -> None:
    rubric = [{"id": "c1", "criterion": "alpha", "points": 5, "keywords": ["alphaword"]}]
    case = Case.make(axis="open_ended", probe="open_ended.rubric", operator="baseline",
                     role="control", messages=[{"role": "user", "content": "Q?"}],
                     gold={"rubric": rubric}, meta={"grader": "keywords"})  # fmt: skip
    v = judges.get("rubric")()(case, [Reply(case_id=case.id, text=reply)])
    if reply.startswith("analysisWe"):  # no "assistantfinal": plain text, read as written
        assert v.outcome != "error"
    else:
        assert v.outcome == "error" and v.detail["reason"] == "unreadable reply"


def test_the_multiple_choice_reader_and_graders_use_the_same_rule() -> None:
    opts = {"A": "aspirin", "B": "heparin"}
    assert parse_choice("[THINK]Maybe A.[/THINK]The answer is B.", opts) == "B"
    assert parse_choice("<|channel|>analysis<|message|>A?<|end|><|start|>assistant"
                        "<|channel|>final<|message|>B", opts) == "B"  # fmt: skip
    assert parse_choice("<think>A</think >B", opts) == "B"
    assert parse_met("[THINK]VERDICT: NOT MET?[/THINK]VERDICT: MET").met is True
    lv = parse_judgement("<|channel|>analysis<|message|>VERDICT: PASS?<|end|>"
                         "<|channel|>final<|message|>VERDICT: FAIL\nCODE: fact")  # fmt: skip
    assert lv.failed is True
