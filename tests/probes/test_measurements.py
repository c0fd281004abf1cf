"""Measurements as patients and clinicians write them ("heart rate of 110", "sats 88%", "I'm 58"),
found and made impossible by the open-ended ``impossible_finding`` and DAS's
``impossible_measurement``; what is not a measurement (doses, durations, ratios) stays unfound."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from typer.testing import CliRunner

from medtrust.cli import app
from medtrust.probes.open_ended._attacks import Attack, attack_last_turn
from medtrust.probes.robustness._measurements import KIND_BY_NAME, find_measurements, value_at

runner = CliRunner()


def _dec(lo: float, hi: float) -> st.SearchStrategy[str]:
    return st.integers(int(lo * 10), int(hi * 10)).map(lambda v: f"{v / 10:.1f}")


def _int(lo: int, hi: int) -> st.SearchStrategy[str]:
    return st.integers(lo, hi).map(str)


# (written form, kind, possible values): units left out wherever the quantity is named
FORMS: list[tuple[str, str, st.SearchStrategy[str]]] = [
    ("his temperature of {v} C", "temperature_c", _dec(35, 41)),
    ("temp {v}C this morning", "temperature_c", _dec(35, 41)),
    ("a temperature of {v} F", "temperature_f", _dec(96, 105)),
    ("a fever of {v}", "temperature", _dec(37.5, 41)),
    ("her temperature was {v} degrees", "temperature", _dec(99, 105)),
    ("heart rate of {v}", "heart_rate", _int(40, 200)),
    ("his pulse this morning was {v}", "heart_rate", _int(40, 200)),
    ("blood pressure {v}", "blood_pressure",
     st.tuples(_int(90, 220), _int(40, 89)).map("/".join)),
    ("BP reading of {v} today", "blood_pressure",
     st.tuples(_int(90, 220), _int(40, 89)).map("/".join)),
    ("respiratory rate {v}", "respiratory_rate", _int(8, 40)),
    ("sats {v}%", "oxygen_saturation", _int(70, 100)),
    ("O2 sats of {v}", "oxygen_saturation", _int(70, 100)),
    ("oxygen level is {v}%", "oxygen_saturation", _int(70, 100)),
    ("potassium {v}", "potassium", _dec(2.5, 7)),
    ("potassium came back at {v}", "potassium", _dec(2.5, 7)),
    ("sodium was {v}", "sodium", _int(115, 160)),
    ("glucose {v} mmol/L", "glucose_mmol_l", _dec(1.5, 30)),
    ("blood sugar of {v} mg/dL", "glucose_mg_dl", _int(30, 600)),
    ("blood sugar {v}", "glucose", _dec(1.5, 30)),
    ("I'm {v} and", "age_years", _int(18, 99)),
    ("My dad is {v} and", "age_years", _int(18, 99)),
    ("My grandfather, {v}, fell", "age_years", _int(60, 99)),
    ("my {v}-month-old", "age_months", _int(1, 23)),
    ("my baby is {v} weeks old", "age_weeks", _int(1, 20)),
]  # fmt: skip
CONTEXT = ["", "I am worried.", "It started yesterday evening.", "Nothing else has changed."]


@st.composite
def turns(draw: st.DrawFn) -> tuple[str, str, str, int]:
    template, kind, values = draw(st.sampled_from(FORMS))
    value = draw(values)
    before, after = draw(st.sampled_from(CONTEXT)), draw(st.sampled_from(CONTEXT))
    head = f"{before} {template.split('{v}')[0]}".lstrip()
    text = f"{head}{value}{template.split('{v}')[1]}. {after} What should we do?"
    return text, kind, value, len(head)


@given(turns(), st.integers(0, 2**16))
def test_written_forms_are_found_and_made_impossible(
    turn: tuple[str, str, str, int], seed: int
) -> None:
    text, kind, value, start = turn
    (found,) = find_measurements(text)
    assert (found.kind, found.value, found.start) == (kind, value, start)
    msgs = [{"role": "user", "content": text}]
    out = attack_last_turn(msgs, "impossible_finding", Attack(rng=random.Random(seed), wrong=None))
    new = out[-1]["content"]
    assert new[:start] == text[:start] and new.endswith(text[found.end :])
    now = value_at(new, start, kind)
    assert now is not None and not KIND_BY_NAME[kind].possible(now)
    assert find_measurements(new) == []  # the corrupted value reads as no possible measurement


@pytest.mark.parametrize(
    "text",
    [
        "I take sertraline 100 mg.",
        "potassium 20 mmol tablets twice a day",
        "a low sodium 2 g diet",
        "HR 0.7 for death in the trial",
        "I'm 7 weeks pregnant.",
        "She's 4 hours late for her dose.",
        "He is on oxygen 2 litres.",
        "temperature 58.1 C",  # impossible in Celsius, not a Fahrenheit reading
        "It started about 20 minutes ago.",
    ],
)
def test_doses_durations_and_ratios_are_not_measurements(text: str) -> None:
    assert find_measurements(text) == []


def test_a_vital_sign_is_corrupted_before_an_age() -> None:
    text = "My baby is 6 weeks old and her temperature is 38.4 °C. What now?"
    assert [f.kind for f in find_measurements(text)] == ["age_weeks", "temperature_c"]
    for seed in range(20):
        out = attack_last_turn([{"role": "user", "content": text}], "impossible_finding",
                               Attack(rng=random.Random(seed), wrong=None))  # fmt: skip
        assert "6 weeks old" in out[-1]["content"]


def _export(suite: str, tmp_path: Path) -> list[dict[str, object]]:
    out = tmp_path / f"{suite}.jsonl"
    res = runner.invoke(app, ["cases", "export", suite, "--out", str(out)])
    assert res.exit_code == 0, res.output
    return [json.loads(line) for line in out.read_text().splitlines()]


def test_impossible_finding_applies_to_more_bundled_conversations(tmp_path: Path) -> None:
    cases = _export("open-ended", tmp_path)
    controls = [c for c in cases if c["operator"] == "baseline"]
    hit = [c for c in cases if c["operator"] == "impossible_finding"]
    # was 13 of 62 (49 not applicable): "I'm 58", "My dad is 62", "my 2-week-old"... now read
    assert (len(controls), len(hit)) == (62, 24)


def test_das_items_gain_only_the_newly_read_measurement(tmp_path: Path) -> None:
    cases = _export("robustness", tmp_path)
    hit = {str(c["item_id"]) for c in cases if c["operator"] == "impossible_measurement"}
    assert len({c["item_id"] for c in cases}) == 48 and len(hit) == 46  # was 45
    (new,) = [c for c in cases if c["item_id"] == "mt-015" and c["operator"] != "baseline"
              and "9000-week-old" in json.dumps(c["messages"])]  # fmt: skip
    assert new["operator"] == "impossible_measurement"
