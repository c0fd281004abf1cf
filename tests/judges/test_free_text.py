"""Every free-text judge reads an empty reply as unreadable (an error counted apart), never as
a score of 0, a missed flag or a low-fidelity note charged to the target."""

from __future__ import annotations

import pytest

from medtrust.judges import judges
from medtrust.probes import ProbeContext, probes
from medtrust.records import Case, Reply


def _case(probe: str, operator: str | None = None, **params: object) -> Case:
    cases = probes.get(probe)(ctx=ProbeContext(limit=2), params=params).cases()
    return next(c for c in cases if operator is None or c.operator == operator)


CASES = {
    "hallucination": lambda: _case("hallucination.known_answer", "fabricated_drug_open"),
    "rubric": lambda: _case("open_ended.rubric"),
    "note_fidelity": lambda: _case("multimodal.fidelity"),
}


@pytest.mark.parametrize("judge", sorted(CASES))
@pytest.mark.parametrize("text", ["", "   ", "\n\t"])
def test_an_empty_reply_is_unreadable(judge: str, text: str) -> None:
    case = CASES[judge]()
    v = judges.get(judge)()(case, [Reply(case_id=case.id, text=text)])
    assert v.outcome == "error" and v.detail["reason"] == "unreadable reply"


@pytest.mark.parametrize("judge", sorted(CASES))
def test_a_failed_call_is_a_target_error(judge: str) -> None:
    case = CASES[judge]()
    v = judges.get(judge)()(case, [Reply(case_id=case.id, error="timeout")])
    assert v.outcome == "error" and v.detail["reason"] == "target error"


@pytest.mark.parametrize("judge", sorted(CASES))
def test_the_lowest_readable_sample_is_judged(judge: str) -> None:
    """A failed or empty first sample does not hide a readable later one."""
    case = CASES[judge]()
    replies = [Reply(case_id=case.id, sample=2, text="I do not know this drug; no such drug."),
               Reply(case_id=case.id, sample=1, error="timeout"),
               Reply(case_id=case.id, sample=0, text=" ")]  # fmt: skip
    v = judges.get(judge)()(case, replies)
    assert v.outcome != "error", v.detail
