"""The ``robustness.das`` probe: controls, seeded subsampling, follow-up attacks, summaries."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pytest

from medtrust.errors import ConfigError
from medtrust.metrics import Tally
from medtrust.probes import Probe, ProbeContext, probes
from medtrust.probes.robustness import OPERATORS, bundled_items
from medtrust.records import Case, Outcome, Verdict

N_BUNDLED = 48


def das(ctx: ProbeContext | None = None, params: Mapping[str, Any] | None = None) -> Probe:
    cls = probes.get("robustness.das")
    return cls(ctx=ctx or ProbeContext(), params=params)


def verdict(case: Case, outcome: Outcome) -> Verdict:
    return Verdict(case_id=case.id, judge="multiple_choice", outcome=outcome)


def user_content(case: Case) -> str:
    return str(case.messages[-1]["content"])


def write_jsonl(path: Path, rows: Sequence[object]) -> Path:
    path.write_text(
        "\n".join(r if isinstance(r, str) else json.dumps(r) for r in rows) + "\n", encoding="utf-8"
    )
    return path


def row(ident: str | None = "u-1", **over: Any) -> dict[str, Any]:
    r: dict[str, Any] = {
        "question": f"Which vitamin deficiency causes scurvy ({ident})?",
        "options": {"A": "Vitamin C", "B": "Vitamin D", "C": "Vitamin K"},
        "answer_idx": "A",
    }
    if ident is not None:
        r["id"] = ident
    r.update(over)
    return r


# --- stage 0 -----------------------------------------------------------------------------------


def test_registered_under_its_name() -> None:
    cls = probes.get("robustness.das")
    assert cls.name == "robustness.das"
    assert cls.axis == "robustness"
    assert cls.judge == "multiple_choice"
    assert "robustness.das" in probes.names()


def test_one_control_per_bundled_item() -> None:
    cases = das().cases()
    items = bundled_items()
    assert len(items) == N_BUNDLED
    assert len(cases) == N_BUNDLED
    assert [c.item_id for c in cases] == [it.id for it in items]
    assert len({c.id for c in cases}) == N_BUNDLED
    for c, it in zip(cases, items, strict=True):
        assert c.role == "control"
        assert c.operator == "baseline"
        assert c.parent_id is None
        assert c.stage == 0
        assert c.probe == "robustness.das"
        assert c.gold == {"options": it.options, "accept": [it.answer]}
        assert it.question in user_content(c)
        for letter, text in it.options.items():
            assert f"{letter}. {text}" in user_content(c)


def test_case_ids_are_stable_across_instances() -> None:
    first = [c.id for c in das(ProbeContext(seed=3)).cases()]
    second = [c.id for c in das(ProbeContext(seed=3)).cases()]
    assert first == second


def test_limit_subsamples_deterministically_per_seed() -> None:
    def ids(seed: int) -> list[str]:
        return [c.item_id or "" for c in das(ProbeContext(seed=seed, limit=10)).cases()]

    a, b = ids(1), ids(1)
    assert a == b
    assert len(a) == 10
    assert len(set(a)) == 10
    assert set(a) <= {it.id for it in bundled_items()}
    # Subsampling keeps the file order.
    order = [it.id for it in bundled_items()]
    assert a == sorted(a, key=order.index)
    assert ids(1) != ids(2)


def test_limit_at_or_above_the_item_count_keeps_everything() -> None:
    assert len(das(ProbeContext(limit=N_BUNDLED)).cases()) == N_BUNDLED
    assert len(das(ProbeContext(limit=1000)).cases()) == N_BUNDLED


# --- stage 1 -----------------------------------------------------------------------------------


def test_followups_attack_only_controls_that_passed() -> None:
    probe = das()
    cases = probe.cases()
    outcomes: list[Outcome | None] = ["pass", "fail", "error", None]
    verdicts = {c.id: verdict(c, o) for i, c in enumerate(cases) if (o := outcomes[i % 4])}
    passed = {c.id for c in cases if c.id in verdicts and verdicts[c.id].outcome == "pass"}
    assert len(passed) == N_BUNDLED // 4

    out = probe.followups(1, cases, verdicts)
    # every operator on every passed item, except where the operator cannot apply (a stem with
    # no measurement for impossible_measurement): those are recorded on the control instead
    skipped = sum(len(c.meta["not_applicable"]) for c in cases if c.id in passed)
    assert len(out) == len(passed) * len(OPERATORS) - skipped
    assert {c.parent_id for c in out} == passed
    assert len({c.id for c in out}) == len(out)
    parents = {c.id: c for c in cases}
    for c in out:
        assert c.role == "perturbation"
        assert c.stage == 1
        assert c.parent_id is not None
        assert c.item_id == parents[c.parent_id].item_id
    per_parent: dict[str, list[str]] = {}
    for c in out:
        per_parent.setdefault(str(c.parent_id), []).append(c.operator)
    by_id = {c.id: c for c in cases}
    for parent, ops in per_parent.items():
        na = by_id[parent].meta["not_applicable"]
        assert ops == [op for op in OPERATORS if op not in na]


def test_followups_only_at_stage_one() -> None:
    probe = das()
    cases = probe.cases()
    verdicts = {c.id: verdict(c, "pass") for c in cases}
    assert probe.followups(2, cases, verdicts) == []
    assert probe.followups(1, cases, {}) == []


def test_followups_include_configured_combos_and_operator_subset() -> None:
    probe = das(
        ProbeContext(limit=5),
        {"operators": ["inverted", "add_nota"], "combos": [["bias", "distraction"]]},
    )
    cases = probe.cases()
    out = probe.followups(1, cases, {c.id: verdict(c, "pass") for c in cases})
    assert len(out) == 5 * 3
    # Combos are named in canonical order, whatever order the suite lists them in.
    assert {c.operator for c in out} == {"inverted", "add_nota", "distraction+bias"}


def test_followups_are_deterministic_and_well_formed() -> None:
    def attack() -> list[Case]:
        probe = das(ProbeContext(seed=7, limit=6))
        cases = probe.cases()
        return probe.followups(1, cases, {c.id: verdict(c, "pass") for c in cases})

    first, second = attack(), attack()
    assert [c.id for c in first] == [c.id for c in second]
    items = {it.id: it for it in bundled_items()}
    for c in first:
        item = items[str(c.item_id)]
        letters = list(c.gold["options"])
        assert letters == [chr(ord("A") + i) for i in range(len(letters))]
        assert c.gold["accept"]
        assert set(c.gold["accept"]) <= set(letters)
        pushed = c.meta["pushed"]
        assert pushed in item.options.values()
        assert pushed != item.options[item.answer]
        if c.operator in {"distraction", "bias"}:
            assert pushed in user_content(c)
        if c.operator == "inverted":
            assert c.gold["accept"] == sorted(set(item.options) - {item.answer})
        if c.operator == "extra_options":
            # Spare options come from the other items, never from this one.
            extra = [t for k, t in c.gold["options"].items() if k not in item.options]
            assert len(extra) == 2
            assert not set(extra) & set(item.options.values())


def test_followups_ignore_other_probes_cases() -> None:
    probe = das(ProbeContext(limit=2))
    cases = probe.cases()
    foreign = [c.model_copy(update={"probe": "other.probe", "id": c.id + "x"}) for c in cases]
    verdicts = {c.id: verdict(c, "pass") for c in foreign}
    assert probe.followups(1, foreign, verdicts) == []


# --- summarize ---------------------------------------------------------------------------------


def test_summarize_counts_items_once_and_errors_apart() -> None:
    probe = das(ProbeContext(limit=4), {"operators": ["distraction", "bias", "inverted"]})
    controls = probe.cases()
    control_outcomes: list[Outcome] = ["pass", "pass", "pass", "fail"]
    verdicts = {c.id: verdict(c, o) for c, o in zip(controls, control_outcomes, strict=True)}
    attacks = probe.followups(1, controls, verdicts)
    assert len(attacks) == 9
    by_parent: dict[str | None, dict[str, Case]] = {}
    for c in attacks:
        by_parent.setdefault(c.parent_id, {})[c.operator] = c
    p1, p2, p3 = (by_parent[c.id] for c in controls[:3])
    plan: dict[str, Outcome] = {
        # item 1: fooled by distraction only
        p1["distraction"].id: "fail", p1["bias"].id: "pass", p1["inverted"].id: "pass",
        # item 2: fooled by two operators (still one failed item)
        p2["distraction"].id: "fail", p2["bias"].id: "fail", p2["inverted"].id: "error",
        # item 3: every attack errored: not scored at all
        p3["distraction"].id: "error", p3["bias"].id: "error", p3["inverted"].id: "error",
    }  # fmt: skip
    verdicts.update({c.id: verdict(c, plan[c.id]) for c in attacks})

    s = probe.summarize([*controls, *attacks], verdicts)
    assert s.total == Tally(n=2, failures=2, errors=4)
    assert s.controls == Tally(n=4, failures=1, errors=0)
    assert s.by_operator == {
        "distraction": Tally(n=2, failures=2, errors=1),
        "bias": Tally(n=2, failures=1, errors=1),
        "inverted": Tally(n=1, failures=0, errors=2),
    }

    # Flip item 2 back to passing everything: only item 1 was fooled.
    verdicts[p2["distraction"].id] = verdict(p2["distraction"], "pass")
    verdicts[p2["bias"].id] = verdict(p2["bias"], "pass")
    s = probe.summarize([*controls, *attacks], verdicts)
    assert s.total == Tally(n=2, failures=1, errors=4)


def test_summarize_skips_cases_without_verdicts_and_other_probes() -> None:
    probe = das(ProbeContext(limit=3))
    controls = probe.cases()
    verdicts = {controls[0].id: verdict(controls[0], "pass")}
    foreign = controls[1].model_copy(update={"probe": "other.probe"})
    verdicts[foreign.id] = verdict(foreign, "fail")
    s = probe.summarize([controls[0], controls[2], foreign], verdicts)
    assert s.controls == Tally(n=1, failures=0, errors=0)
    assert s.total == Tally()
    assert s.by_operator == {}


# --- parameters --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("params", "match"),
    [
        ({"operators": ["distraction", "typo"]}, "params.operators"),
        ({"combos": [["inverted", "bias"]]}, "params.combos"),
        ({"combos": [["bias", "bias"]]}, "params.combos"),
        ({"combos": [["bias", "nope"]]}, "params.combos"),
        ({"colour": "red"}, "params.colour"),
        ({"bundled": "perhaps"}, "params.bundled"),
    ],
)
def test_bad_params_are_config_errors(params: dict[str, Any], match: str) -> None:
    with pytest.raises(ConfigError, match=match) as info:
        das(params=params)
    assert "robustness.das" in str(info.value)


# --- --data JSONL ------------------------------------------------------------------------------


def test_user_jsonl_replaces_the_bundled_items(tmp_path: Path) -> None:
    data = write_jsonl(tmp_path / "mine.jsonl", [row("u-1"), "", row(None), "   "])
    mine = das(ProbeContext(data=data)).cases()
    assert len(mine) == 2
    assert mine[0].item_id == "u-1"
    assert mine[1].item_id is not None
    assert mine[1].item_id.startswith("q-")
    assert all(c.meta["source"] == "mine.jsonl" for c in mine)

    both = das(ProbeContext(data=data, with_bundled=True)).cases()
    assert len(both) == N_BUNDLED + 2
    assert [c.id for c in both[N_BUNDLED:]] == [c.id for c in mine]
    assert {c.meta["source"] for c in both[:N_BUNDLED]} == {"bundled"}

    only = das(ProbeContext(data=data, with_bundled=True), {"bundled": False}).cases()
    assert [c.id for c in only] == [c.id for c in mine]


def test_a_user_id_equal_to_a_bundled_id_names_both_lines(tmp_path: Path) -> None:
    data = write_jsonl(tmp_path / "mine.jsonl", [row("u-1"), row("mt-002")])
    assert len(das(ProbeContext(data=data)).cases()) == 2  # alone, the id is the user's own
    with pytest.raises(ConfigError) as info:
        das(ProbeContext(data=data, with_bundled=True)).cases()
    message = str(info.value)
    assert f"{data}:2: id 'mt-002'" in message
    assert "mcq_seed.jsonl:2)" in message


def test_no_measurement_means_no_impossible_measurement_case_and_a_count(tmp_path: Path) -> None:
    rows = [
        row("u-1"),  # no number in the stem
        row(
            "u-2",
            question="A 60-year-old man has chest pain. Pulse is 110/min. Diagnosis?",
            options={"A": "Angina", "B": "Gout", "C": "Reflux"},
        ),
    ]
    probe = das(ProbeContext(data=write_jsonl(tmp_path / "d.jsonl", rows)))
    cases = probe.cases()
    assert [c.meta["not_applicable"] for c in cases] == [["impossible_measurement"], []]
    verdicts = {c.id: verdict(c, "pass") for c in cases}
    out = probe.followups(1, cases, verdicts)
    im = [c for c in out if c.operator == "impossible_measurement"]
    assert [c.item_id for c in im] == ["u-2"]
    assert "Pulse is 900/min" in user_content(im[0]) or "Pulse is 1200/min" in user_content(im[0])
    assert "60-year-old" in user_content(im[0])  # the vital sign is preferred to the age
    verdicts.update({c.id: verdict(c, "pass") for c in out})
    s = probe.summarize(cases + out, verdicts)
    assert s.extra == {"not_applicable": {"impossible_measurement": 1}}
    assert s.by_operator["impossible_measurement"].n == 1


def test_user_items_without_bundled_can_be_attacked(tmp_path: Path) -> None:
    rows = [row(f"u-{i}", options={"A": f"Right {i}", "B": f"Wrong {i}"}) for i in range(3)]
    probe = das(ProbeContext(data=write_jsonl(tmp_path / "d.jsonl", rows)), {"bundled": False})
    cases = probe.cases()
    out = probe.followups(1, cases, {c.id: verdict(c, "pass") for c in cases})
    assert len(out) == 3 * (len(OPERATORS) - 1)  # no measurement: impossible_measurement n/a
    for c in out:
        assert set(c.gold["accept"]) <= set(c.gold["options"])


@pytest.mark.parametrize(
    ("bad", "fragment"),
    [
        ("{not json", "invalid JSON"),
        (json.dumps({k: v for k, v in row("b").items() if k != "answer_idx"}), "answer_idx"),
        (json.dumps(row("b", answer_idx="E")), "answer_idx"),
        (json.dumps(row("b", options={"A": "x", "b": "y"})), "option key 'b'"),
        (json.dumps(row("b", options={"A": "x", "BB": "y"})), "option key 'BB'"),
        (json.dumps(row("b", options={"A": "x", "B": "  "})), "option 'B'"),
        (json.dumps(row("b", options={"A": "x"})), "options"),
        (json.dumps(row("b", question="")), "question"),
        (json.dumps(["a", "list"]), "JSON object"),
        (json.dumps(row("u-1")), "duplicate id 'u-1' (first at line 1)"),
    ],
)
def test_bad_jsonl_line_names_file_and_line(tmp_path: Path, bad: str, fragment: str) -> None:
    path = write_jsonl(tmp_path / "bad.jsonl", [row("u-1"), "", bad, row("u-3")])
    with pytest.raises(ConfigError) as info:
        das(ProbeContext(data=path)).cases()
    message = str(info.value)
    assert f"{path}:3" in message
    assert fragment in message


def test_data_file_problems(tmp_path: Path) -> None:
    empty = tmp_path / "empty.jsonl"
    empty.write_text("\n\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="no items"):
        das(ProbeContext(data=empty)).cases()
    with pytest.raises(ConfigError, match="cannot read"):
        das(ProbeContext(data=tmp_path / "missing.jsonl")).cases()
    csv = tmp_path / "data.csv"
    csv.write_text("question,answer\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"\.jsonl"):
        das(ProbeContext(data=csv)).cases()
    with pytest.raises(ConfigError, match="no items"):
        das(params={"bundled": False}).cases()


def test_user_id_clashing_with_a_bundled_id_is_not_silently_merged(tmp_path: Path) -> None:
    clash = bundled_items()[0].id
    data = write_jsonl(tmp_path / "clash.jsonl", [row(clash)])
    probe = das(ProbeContext(data=data), {"operators": ["add_nota"]})
    try:
        cases = probe.cases()
    except ConfigError as exc:  # rejecting the clash is a fine fix
        assert clash in str(exc)
        return
    controls = [c for c in cases if c.item_id == clash]
    out = probe.followups(1, cases, {c.id: verdict(c, "pass") for c in controls})
    parents = {c.id: c for c in controls}
    for c in out:
        question = user_content(parents[str(c.parent_id)]).split("\n\n")[0]
        assert user_content(c).startswith(question)


def test_adaptive_counts_the_operators_it_cannot_apply(tmp_path: Path) -> None:
    rows = [row("u-1"), row("u-2", question="SpO2 is 91% on room air. Next step?",
                                options={"A": "Oxygen", "B": "CT", "C": "Discharge"})]  # fmt: skip
    probe = probes.get("robustness.adaptive")(
        ctx=ProbeContext(data=write_jsonl(tmp_path / "d.jsonl", rows)), params={"max_iter": 1}
    )
    cases = probe.cases()
    assert [c.meta["not_applicable"] for c in cases] == [["impossible_measurement"], []]
    verdicts = {c.id: verdict(c, "pass") for c in cases}
    out = probe.followups(1, cases, verdicts)
    assert all("impossible_measurement" not in c.operator or c.item_id == "u-2" for c in out)
    verdicts.update({c.id: verdict(c, "pass") for c in out})
    extra = probe.summarize(cases + out, verdicts).extra
    assert extra is not None
    assert extra["robustness.adaptive"]["not_applicable"] == {"impossible_measurement": 1}
