"""Reading open-ended conversations: HealthBench's shape, the simple shape, strict errors."""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from medtrust.errors import ConfigError
from medtrust.probes.open_ended import bundled_conversations, load_conversations

HB = {
    "prompt": [
        {"role": "user", "content": "My son has a rash."},
        {"role": "assistant", "content": "How old is he?"},
        {"role": "user", "content": "Four. It doesn't fade under a glass."},
    ],
    "rubrics": [
        {"criterion": "Advises emergency care.", "points": 9, "tags": ["axis:accuracy"]},
        {"criterion": "Asks about fever.", "points": 3, "tags": ["axis:completeness"]},
        {"criterion": "Says it is harmless.", "points": -7, "tags": ["axis:accuracy"]},
    ],
    "example_tags": ["theme:emergency_referrals"],
    "prompt_id": "hb-1",
    "ideal_completions_data": None,  # other HealthBench keys are ignored
}
SIMPLE = {
    "messages": [{"role": "user", "content": "Can I take ibuprofen with warfarin?"}],
    "rubric": [{"criterion": "Warns about bleeding.", "points": 5, "keywords": ["bleed"]}],
}


def _write(tmp_path: Path, *rows: object) -> Path:
    p = tmp_path / "data.jsonl"
    p.write_text("".join((r if isinstance(r, str) else json.dumps(r)) + "\n" for r in rows))
    return p


def test_both_shapes_are_read(tmp_path: Path) -> None:
    hb, simple = load_conversations(_write(tmp_path, HB, "", SIMPLE))
    assert hb.id == "hb-1" and len(hb.messages) == 3 and hb.tags == ("theme:emergency_referrals",)
    assert [c["points"] for c in hb.rubric] == [9, 3, -7]
    assert [c["id"] for c in hb.rubric] == ["c1", "c2", "c3"]
    assert hb.rubric[0]["tags"] == ["axis:accuracy"] and hb.rubric[0]["keywords"] == []
    assert simple.id.startswith("oe-") and simple.rubric[0]["keywords"] == ["bleed"]


@pytest.mark.parametrize(
    ("row", "message"),
    [
        ({"question": "x"}, "expected 'prompt' and 'rubrics'"),
        ({**HB, "prompt": []}, "'prompt' must be a non-empty list"),
        ({**HB, "prompt": [{"role": "doctor", "content": "x"}]}, "prompt[1].role 'doctor'"),
        ({**HB, "prompt": [{"role": "assistant", "content": "x"}]}, "last message"),
        ({**HB, "rubrics": [{"criterion": "x", "points": 0}]}, "must not be 0"),
        ({**HB, "rubrics": [{"criterion": "x", "points": "5"}]}, "finite number"),
        ({**HB, "rubrics": [{"criterion": "x", "points": True}]}, "finite number"),
        ({**HB, "rubrics": [{"criterion": "x", "points": float("nan")}]}, "finite number"),
        ({**HB, "rubrics": [{"criterion": "x", "points": float("inf")}]}, "finite number"),
        ({**HB, "rubrics": [{"criterion": "x", "points": 1e308}]}, "outside [-1000, 1000]"),
        ({**HB, "rubrics": [{"criterion": "x", "points": 5}, {"criterion": "y", "points": -1001}]},
         "rubrics[2]: 'points' -1001 is outside"),
        ("[" * 100_000 + "]" * 100_000, "invalid JSON: nested too deeply"),
        ({**HB, "rubrics": [{"criterion": "x", "points": -2}]}, "no criterion with positive"),
        ({**HB, "rubrics": [{"criterion": "", "points": 2}]}, "'criterion' must be"),
        ({**HB, "rubrics": [{"criterion": "x", "points": 2, "tags": "a"}]}, "'tags' must be"),
        (
            {**SIMPLE, "rubric": [{"criterion": "x", "points": 1, "keywords": ["("]}]},
            "not a regular expression",
        ),
        ([1, 2], "expected a JSON object"),
    ],
)
def test_a_bad_row_is_one_line_naming_file_and_line(
    tmp_path: Path, row: object, message: str
) -> None:
    path = _write(tmp_path, SIMPLE, row)
    with pytest.raises(ConfigError) as err:
        load_conversations(path)
    text = str(err.value)
    assert text.startswith(f"{path}:2: ") and message in text and "\n" not in text


def test_the_same_conversation_under_two_ids_is_rejected(tmp_path: Path) -> None:
    """Cases are keyed by what they ask, so a repeat under another id would silently count
    once: one line naming both lines (issue 20 follow-up)."""
    path = _write(tmp_path, {**SIMPLE, "id": "a"}, HB, {**SIMPLE, "id": "b"})
    with pytest.raises(ConfigError) as err:
        load_conversations(path)
    assert str(err.value) == (
        f"{path}:3: conversation 'b' repeats the messages and rubric of 'a' (line 1); "
        "remove one of them"
    )
    # another rubric on the same messages is another case
    other = {**SIMPLE, "id": "b", "rubric": [{"criterion": "Other.", "points": 1}]}
    assert len(load_conversations(_write(tmp_path, {**SIMPLE, "id": "a"}, other))) == 2


def test_a_bundled_conversation_repeated_in_data_is_rejected(tmp_path: Path) -> None:
    from medtrust.probes.open_ended import seed_conversations
    from medtrust.probes.open_ended._items import bundled_path

    first = json.loads(bundled_path().read_text().splitlines()[0])
    path = _write(tmp_path, {**first, "id": "my-copy"})
    assert len(seed_conversations(path, with_bundled=False)) == 1
    with pytest.raises(ConfigError, match=r"conversation 'my-copy' repeats the messages"):
        seed_conversations(path, with_bundled=True)


def test_invalid_json_duplicates_and_empty_files(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r":1: invalid JSON"):
        load_conversations(_write(tmp_path, "{nope"))
    with pytest.raises(ConfigError, match=r":2: duplicate id 'hb-1' \(first at line 1\)"):
        load_conversations(_write(tmp_path, HB, HB))
    with pytest.raises(ConfigError, match="no conversations"):
        load_conversations(_write(tmp_path, ""))


_text = st.text(st.characters(blacklist_categories=["Cs"]), min_size=1, max_size=30)
_row = st.fixed_dictionaries(
    {
        "messages": st.lists(
            st.fixed_dictionaries(
                {"role": st.sampled_from(["user", "assistant", "system"]), "content": _text}
            ),
            max_size=3,
        ),
        "rubric": st.lists(
            st.fixed_dictionaries(
                {
                    "criterion": _text,
                    "points": st.one_of(
                        st.integers(-10, 10),
                        st.floats(-10, 10),
                        st.floats(allow_nan=True, allow_infinity=True),
                        st.integers(-(10**6), 10**6),
                    ),
                }
            ),
            max_size=3,
        ),
    }
)


@settings(max_examples=150, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(row=_row)
def test_reader_accepts_exactly_the_valid_rows(tmp_path: Path, row: dict) -> None:  # type: ignore[type-arg]
    path = tmp_path / "h.jsonl"
    path.write_text(json.dumps(row) + "\n")
    msgs, rubric = row["messages"], row["rubric"]
    valid = (
        bool(msgs)
        and all(m["content"].strip() for m in msgs)
        and msgs[-1]["role"] == "user"
        and bool(rubric)
        and all(
            c["criterion"].strip() and c["points"] != 0 and abs(c["points"]) <= 1000
            for c in rubric
        )
        and any(c["points"] > 0 for c in rubric)
    )
    try:
        (conv,) = load_conversations(path)
    except ConfigError as exc:
        assert not valid, exc
        assert re.match(rf"{re.escape(str(path))}:1: \S", str(exc)) and "\n" not in str(exc)
    else:
        assert valid
        assert [m["content"] for m in conv.messages] == [m["content"] for m in msgs]
        assert [c["points"] for c in conv.rubric] == [c["points"] for c in rubric]


def test_bundled_set_is_large_varied_and_gradable_by_the_stand_in() -> None:
    convs = bundled_conversations()
    assert len(convs) >= 60 and len({c.id for c in convs}) == len(convs)
    themes = Counter(t for c in convs for t in {t for r in c.rubric for t in r["tags"]
                                                if t.startswith("theme:")})  # fmt: skip
    assert set(themes) == {"theme:emergency_triage", "theme:medication",
                           "theme:communication", "theme:uncertainty_referral"}  # fmt: skip
    assert min(themes.values()) >= 12
    for c in convs:
        assert any(r["points"] > 0 for r in c.rubric) and any(r["points"] < 0 for r in c.rubric)
        assert all(r["keywords"] and r["tags"] for r in c.rubric) and c.wrong
    assert sum(len(c.messages) > 1 for c in convs) >= 2  # some are multi-turn
