"""The DAS mutation operators: gold stays well defined under every operator and combination."""

from __future__ import annotations

import random
from dataclasses import dataclass
from itertools import combinations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from medtrust.probes.robustness import (
    CONFLICTS,
    IMPOSSIBLE,
    MCQ,
    NOTA,
    OPERATORS,
    NotApplicable,
    OpContext,
    allowed_combos,
    apply,
    check_combo,
)
from medtrust.probes.robustness._measurements import KIND_BY_NAME, find_measurements, value_at

ALL_COMBOS: list[tuple[str, ...]] = [c for size in (1, 2, 3) for c in allowed_combos(size)]
CONFLICT_PAIRS: list[tuple[str, ...]] = sorted(tuple(sorted(p)) for p in CONFLICTS)

# Short lower-case phrases: never equal to NOTA / IMPOSSIBLE, never containing sentence breaks.
_VOCAB = ("acute", "chronic", "renal", "cardiac", "sepsis", "gout", "lupus", "anemia", "iron")
_VOCAB += ("aspirin", "heparin", "insulin", "ct", "mri", "ecg", "the", "a", "of", "x", "b", "c")
_WORD = st.sampled_from(_VOCAB)


def _phrase(min_size: int, max_size: int, end: str = "") -> st.SearchStrategy[str]:
    words = st.lists(_WORD, min_size=min_size, max_size=max_size)
    return words.map(lambda ws: " ".join(ws).capitalize() + end)


TEXT = _phrase(1, 3)
STEM_SENTENCE = _phrase(2, 6, ".")
ASK_SENTENCE = _phrase(2, 6, "?")


def _dec(lo: float, hi: float, places: int) -> st.SearchStrategy[str]:
    return st.integers(round(lo * 10**places), round(hi * 10**places)).map(
        lambda n: f"{n / 10**places:.{places}f}"
    )


def _bp() -> st.SearchStrategy[str]:
    return st.integers(70, 240).flatmap(
        lambda sys_: st.integers(30, sys_ - 10).map(lambda dia: f"{sys_}/{dia}")
    )


# One measurement sentence per kind, with values inside the possible range (mostly ordinary).
MEASUREMENTS: dict[str, tuple[str, st.SearchStrategy[str]]] = {
    "heart_rate": ("Pulse is {v}/min.", st.integers(30, 220).map(str)),
    "blood_pressure": ("Blood pressure is {v} mm Hg.", _bp()),
    "oxygen_saturation": ("SpO2 is {v}% on room air.", st.integers(50, 100).map(str)),
    "temperature_c": ("Temperature is {v} °C.", _dec(34, 42, 1)),
    "temperature_f": ("Temperature is {v} °F.", _dec(95, 106, 1)),
    "respiratory_rate": ("Respiratory rate is {v}/min.", st.integers(6, 50).map(str)),
    "potassium": ("Serum potassium is {v} mmol/L.", _dec(2, 7.5, 1)),
    "sodium": ("Serum sodium is {v} mEq/L.", st.integers(110, 170).map(str)),
    "glucose_mg_dl": ("Glucose is {v} mg/dL.", st.integers(40, 900).map(str)),
    "glucose_mmol_l": ("Glucose is {v} mmol/L.", _dec(2, 40, 1)),
    "ph": ("Arterial pH is {v}.", _dec(6.9, 7.7, 2)),
    "bicarbonate": ("Bicarbonate is {v} mEq/L.", st.integers(5, 40).map(str)),
    "hemoglobin": ("Hemoglobin is {v} g/dL.", _dec(4, 19, 1)),
    "age_years": ("The patient is a {v}-year-old retiree.", st.integers(1, 100).map(str)),
    "weight_kg": ("She weighs {v} kg.", st.integers(3, 200).map(str)),
    "height_cm": ("Height is {v} cm.", st.integers(50, 210).map(str)),
}


@st.composite
def measurement_sentences(draw: st.DrawFn) -> tuple[str, str, str]:
    """(kind, value, sentence) with the value possible for its kind."""
    kind = draw(st.sampled_from(sorted(MEASUREMENTS)))
    template, values = MEASUREMENTS[kind]
    value = draw(values)
    return kind, value, template.format(v=value)


@dataclass(frozen=True)
class Drawn:
    """A generated item plus everything the assertions need to know about how it was built."""

    mcq: MCQ
    key: str
    stem: str
    ask: str | None
    pool: tuple[str, ...]
    wrong: str
    seed: int
    measurement: tuple[str, str] | None = None  # (kind, value) of the one measurement, if any

    def ctx(self) -> OpContext:
        return OpContext(rng=random.Random(self.seed), wrong=self.wrong, pool=self.pool)


@st.composite
def drawn_items(draw: st.DrawFn) -> Drawn:
    texts = draw(st.lists(TEXT, min_size=2, max_size=6, unique_by=str.casefold))
    options = {chr(ord("A") + i): t for i, t in enumerate(texts)}
    key = draw(st.sampled_from(sorted(options)))
    ask = draw(st.none() | ASK_SENTENCE)
    # A question may be the ask alone, or stem sentences with or without a final ask.
    sentences = draw(st.lists(STEM_SENTENCE, min_size=0 if ask else 1, max_size=3))
    meas = draw(st.none() | measurement_sentences())
    if meas is not None:
        sentences.insert(draw(st.integers(0, len(sentences))), meas[2])
    stem = " ".join(sentences)
    question = " ".join(p for p in (stem, ask) if p)
    # The pool may hold the item's own texts and case variants of one text (other items may
    # spell an option differently): the operator must never list one text twice.
    base = draw(st.lists(TEXT, max_size=6, unique_by=str.casefold))
    respell = st.sampled_from([str.upper, str.lower, str.swapcase])
    variants = draw(st.lists(st.builds(lambda f, t: f(t), respell, st.sampled_from(base + texts))))
    pool = draw(st.permutations(list(dict.fromkeys(base + variants))))
    wrong = options[draw(st.sampled_from(sorted(k for k in options if k != key)))]
    return Drawn(
        mcq=MCQ(question=question, options=options, accept=frozenset({key})),
        key=key,
        stem=stem,
        ask=ask,
        pool=tuple(pool),
        wrong=wrong,
        seed=draw(st.integers(0, 2**32)),
        measurement=None if meas is None else (meas[0], meas[1]),
    )


def usable_pool(d: Drawn) -> set[str]:
    present = {t.casefold() for t in d.mcq.options.values()}
    return {p.casefold() for p in d.pool} - present


def not_applicable(d: Drawn, combo: tuple[str, ...] | list[str]) -> bool:
    """Whether ``combo`` cannot apply to the drawn item (no measurement, no spare option)."""
    return ("impossible_measurement" in combo and d.measurement is None) or (
        "extra_options" in combo and not usable_pool(d)
    )


def assert_well_formed(m: MCQ) -> None:
    letters = list(m.options)
    assert letters == [chr(ord("A") + i) for i in range(len(letters))], "letters not A.. contiguous"
    assert m.accept, "no correct answer left"
    assert m.accept <= set(letters), "accept names a letter that is not an option"
    texts = [t.casefold() for t in m.options.values()]
    assert len(set(texts)) == len(texts), f"duplicate option texts: {m.options}"


def letter_of(m: MCQ, text: str) -> str:
    (letter,) = [k for k, v in m.options.items() if v == text]
    return letter


def assert_inserted_before_ask(d: Drawn, question: str, must_contain: str | None) -> str:
    """The new sentence sits between the stem and the final question; return that sentence."""
    if d.ask:
        prefix = d.stem + " " if d.stem else ""
        assert question.startswith(prefix)
        assert question.endswith(" " + d.ask)
        inserted = question[len(prefix) : -len(d.ask) - 1]
    else:
        assert question.startswith(d.mcq.question + " ")
        inserted = question[len(d.mcq.question) + 1 :]
    assert inserted.strip(), "nothing was inserted"
    if must_contain is not None:
        assert must_contain in inserted
    return inserted


# --- single operators -------------------------------------------------------------------------


@settings(max_examples=40)
@given(d=drawn_items())
def test_replace_with_nota_makes_nota_the_only_key(d: Drawn) -> None:
    out = apply(d.mcq, ["replace_with_nota"], d.ctx())
    assert_well_formed(out)
    assert list(out.options.values()).count(NOTA) == 1
    assert out.accept == {d.key}
    assert out.options[d.key] == NOTA
    assert {k: v for k, v in out.options.items() if k != d.key} == {
        k: v for k, v in d.mcq.options.items() if k != d.key
    }
    assert out.question == d.mcq.question


@settings(max_examples=40)
@given(d=drawn_items())
def test_add_nota_adds_a_wrong_nota_option(d: Drawn) -> None:
    out = apply(d.mcq, ["add_nota"], d.ctx())
    assert_well_formed(out)
    assert out.accept == {d.key}
    assert list(out.options.values()).count(NOTA) == 1
    assert letter_of(out, NOTA) not in out.accept
    assert len(out.options) == len(d.mcq.options) + 1
    assert {k: out.options[k] for k in d.mcq.options} == d.mcq.options
    assert out.question == d.mcq.question


@settings(max_examples=80)
@given(d=drawn_items())
def test_impossible_measurement_changes_only_the_measured_value(d: Drawn) -> None:
    """DAS: an existing measurement becomes impossible; nothing else in the stem changes; the
    "false or impossible information" option is added and is the only key. A stem without a
    measurement is not applicable: no case, never an unrelated sentence."""
    if d.measurement is None:
        with pytest.raises(NotApplicable):
            apply(d.mcq, ["impossible_measurement"], d.ctx())
        return
    kind, value = d.measurement
    out = apply(d.mcq, ["impossible_measurement"], d.ctx())
    assert_well_formed(out)
    assert list(out.options.values()).count(IMPOSSIBLE) == 1
    assert out.accept == {letter_of(out, IMPOSSIBLE)}
    assert {k: out.options[k] for k in d.mcq.options} == d.mcq.options
    (found,) = find_measurements(d.mcq.question)
    assert (found.kind, found.value) == (kind, value)
    before, after = d.mcq.question[: found.start], d.mcq.question[found.end :]
    assert out.question.startswith(before) and out.question.endswith(after)
    new = out.question[len(before) : len(out.question) - len(after)]
    assert new != value
    assert value_at(out.question, found.start, kind) == new, "value no longer reads as its kind"
    assert not KIND_BY_NAME[kind].possible(new), f"{kind} {new} is within the possible range"


@settings(max_examples=40)
@given(d=drawn_items())
def test_inverted_accepts_every_formerly_wrong_option(d: Drawn) -> None:
    out = apply(d.mcq, ["inverted"], d.ctx())
    assert_well_formed(out)
    assert out.accept == set(d.mcq.options) - {d.key}
    assert out.options == d.mcq.options
    assert d.mcq.question in out.question
    assert "NOT" in out.question


@pytest.mark.parametrize("op", ["distraction", "bias"])
@settings(max_examples=40)
@given(d=drawn_items())
def test_pushing_operators_name_the_wrong_option_before_the_ask(op: str, d: Drawn) -> None:
    out = apply(d.mcq, [op], d.ctx())
    assert_well_formed(out)
    assert out.options == d.mcq.options
    assert out.accept == {d.key}
    assert d.wrong in out.question
    assert_inserted_before_ask(d, out.question, d.wrong)


@settings(max_examples=40)
@given(d=drawn_items())
def test_extra_options_adds_up_to_two_new_pool_texts(d: Drawn) -> None:
    if not usable_pool(d):  # nothing to add: not applicable, never an unchanged "mutation"
        with pytest.raises(NotApplicable):
            apply(d.mcq, ["extra_options"], d.ctx())
        return
    out = apply(d.mcq, ["extra_options"], d.ctx())
    assert_well_formed(out)
    assert out.accept == {d.key}
    assert out.question == d.mcq.question
    assert {k: out.options[k] for k in d.mcq.options} == d.mcq.options
    new = [v for k, v in out.options.items() if k not in d.mcq.options]
    present = {t.casefold() for t in d.mcq.options.values()}
    usable = {p.casefold() for p in d.pool} - present
    assert len(new) == min(2, len(usable))
    assert set(new) <= set(d.pool)
    assert not {t.casefold() for t in new} & present


def test_extra_options_never_adds_two_case_variants_of_one_text() -> None:
    m = MCQ(question="Q.", options={"A": "Aspirin", "B": "Heparin"}, accept=frozenset({"A"}))
    out = apply(
        m,
        ["extra_options"],
        OpContext(rng=random.Random(0), wrong="Heparin", pool=("Sepsis", "sepsis", "ASPIRIN")),
    )
    assert_well_formed(out)
    assert len(out.options) == 3
    assert out.options["C"].casefold() == "sepsis"


@pytest.mark.parametrize("op", ["distraction", "bias"])
def test_single_sentence_question_gets_the_sentence_before_it(op: str) -> None:
    ask = "What is the most likely diagnosis?"
    m = MCQ(question=ask, options={"A": "Gout", "B": "Sepsis"}, accept=frozenset({"A"}))
    out = apply(m, [op], OpContext(rng=random.Random(0), wrong="Sepsis"))
    assert out.question != ask
    assert out.question.endswith(ask)


def test_impossible_measurement_on_a_stem_without_numbers_is_not_applicable() -> None:
    ask = "What is the most likely diagnosis?"
    m = MCQ(question=ask, options={"A": "Gout", "B": "Sepsis"}, accept=frozenset({"A"}))
    with pytest.raises(NotApplicable, match="no numeric measurement"):
        apply(m, ["impossible_measurement"], OpContext(rng=random.Random(0), wrong="Sepsis"))


@pytest.mark.parametrize(
    ("stem", "kind", "value"),
    [
        ("Pulse is 112/min, blood pressure 128/80 mm Hg, and SpO2 90%.", None, None),
        ("A 19-year-old woman with asthma. Oxygen saturation is 93% on room air.",
         "oxygen_saturation", "93"),
        ("Glucose is 480 mg/dL, arterial pH 7.15, bicarbonate 10 mEq/L.", None, None),
        ("Serum sodium 121 mEq/L and potassium 3.1 mmol/L; temperature 38.4 °C.", None, None),
    ],
)  # fmt: skip
def test_measurements_in_real_stems_are_found(
    stem: str, kind: str | None, value: str | None
) -> None:
    found = find_measurements(stem)
    assert len(found) >= 2 if kind is None else any(
        (f.kind, f.value) == (kind, value) for f in found
    )
    for f in found:
        assert stem[f.start : f.end] == f.value
        assert KIND_BY_NAME[f.kind].possible(f.value)


def test_an_already_impossible_value_is_not_a_measurement_to_corrupt() -> None:
    assert find_measurements("SpO2 is 140% on room air.") == []


# --- combinations ------------------------------------------------------------------------------


@pytest.mark.parametrize("combo", ALL_COMBOS, ids="+".join)
@settings(max_examples=12)
@given(d=drawn_items())
def test_every_allowed_combo_keeps_gold_well_defined(combo: tuple[str, ...], d: Drawn) -> None:
    before = MCQ(question=d.mcq.question, options=dict(d.mcq.options), accept=d.mcq.accept)
    if not_applicable(d, combo):
        with pytest.raises(NotApplicable):
            apply(d.mcq, combo, d.ctx())
        assert d.mcq == before
        return
    out = apply(d.mcq, combo, d.ctx())
    assert d.mcq == before, "apply mutated its input"
    assert_well_formed(out)

    # Original options survive (the key is only rewritten by replace_with_nota).
    for k, v in d.mcq.options.items():
        expected = NOTA if ("replace_with_nota" in combo and k == d.key) else v
        assert out.options[k] == expected
    new = [v for k, v in out.options.items() if k not in d.mcq.options]
    assert set(new) <= set(d.pool) | {NOTA, IMPOSSIBLE}
    assert (NOTA in new) == ("add_nota" in combo)
    assert (IMPOSSIBLE in new) == ("impossible_measurement" in combo)
    assert len([t for t in new if t in d.pool]) <= (2 if "extra_options" in combo else 0)
    assert list(out.options.values()).count(NOTA) == (
        1 if {"add_nota", "replace_with_nota"} & set(combo) else 0
    )

    if "replace_with_nota" in combo:
        assert out.accept == {d.key}
    elif "impossible_measurement" in combo:
        assert out.accept == {letter_of(out, IMPOSSIBLE)}
    elif "inverted" in combo:
        assert out.accept == set(out.options) - {d.key}
    else:
        assert out.accept == {d.key}

    if {"distraction", "bias"} & set(combo):
        assert d.wrong in out.question
    if not {"distraction", "bias", "impossible_measurement", "inverted"} & set(combo):
        assert out.question == d.mcq.question


@pytest.mark.parametrize("combo", ALL_COMBOS, ids="+".join)
@settings(max_examples=4)
@given(d=drawn_items())
def test_same_seed_same_mutation(combo: tuple[str, ...], d: Drawn) -> None:
    if not_applicable(d, combo):
        return
    assert apply(d.mcq, combo, d.ctx()) == apply(d.mcq, combo, d.ctx())
    # The order the caller lists operators in does not matter either.
    assert apply(d.mcq, combo[::-1], d.ctx()) == apply(d.mcq, combo, d.ctx())


# --- check_combo / allowed_combos --------------------------------------------------------------


@pytest.mark.parametrize("pair", CONFLICT_PAIRS, ids="+".join)
def test_check_combo_rejects_every_conflicting_pair(pair: tuple[str, ...]) -> None:
    for ops in (list(pair), list(pair[::-1])):
        with pytest.raises(ValueError, match="conflict"):
            check_combo(ops)
    with pytest.raises(ValueError):
        apply(
            MCQ(question="Q?", options={"A": "x", "B": "y"}, accept=frozenset("A")),
            list(pair),
            OpContext(rng=random.Random(0), wrong="y"),
        )


@pytest.mark.parametrize("pair", CONFLICT_PAIRS, ids="+".join)
def test_check_combo_rejects_a_conflict_inside_a_larger_combo(pair: tuple[str, ...]) -> None:
    third = next(o for o in OPERATORS if o not in pair)
    with pytest.raises(ValueError, match="conflict"):
        check_combo([pair[0], third, pair[1]])


def test_check_combo_rejects_unknown_and_repeated_operators() -> None:
    with pytest.raises(ValueError, match="unknown operator 'typo'"):
        check_combo(["bias", "typo"])
    with pytest.raises(ValueError, match="repeated"):
        check_combo(["bias", "bias"])
    with pytest.raises(ValueError, match="repeated"):
        check_combo(["distraction", "extra_options", "distraction"])


@pytest.mark.parametrize("combo", ALL_COMBOS, ids="+".join)
def test_check_combo_returns_canonical_order(combo: tuple[str, ...]) -> None:
    order = list(OPERATORS)
    assert list(combo) == sorted(combo, key=order.index)
    assert check_combo(combo[::-1]) == combo
    assert check_combo(list(combo)) == combo


@pytest.mark.parametrize("size", [1, 2, 3, 4])
def test_allowed_combos_are_exactly_the_conflict_free_ones(size: int) -> None:
    got = allowed_combos(size)
    assert len(got) == len(set(got))
    for combo in got:
        assert len(combo) == size
        assert not any(frozenset(p) in CONFLICTS for p in combinations(combo, 2))
    brute = [
        c
        for c in combinations(OPERATORS, size)
        if all(frozenset(p) not in CONFLICTS for p in combinations(c, 2))
    ]
    assert got == brute


def test_allowed_combos_singles_and_subsets() -> None:
    assert allowed_combos(1) == [(op,) for op in OPERATORS]
    subset = ["inverted", "bias", "extra_options"]
    assert allowed_combos(2, subset) == [("bias", "extra_options"), ("extra_options", "inverted")]
    assert allowed_combos(2, ["add_nota", "replace_with_nota"]) == []
