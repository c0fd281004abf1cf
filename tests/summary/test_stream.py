"""The summary's one streaming pass counts what the old per-axis passes counted: calls and
errors per axis and for the run, why calls failed (judge reasons, a few distinct target
messages), cached replies, and each probe's mean option count of multiple-choice controls.

The reference below is the pre-refactor code (``report/_summary.py`` at commit 3766efe:
``_calls``, ``_error_causes``, ``_chance``), one list comprehension per axis and probe."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from medtrust.records import Case, Reply, Verdict
from medtrust.store import Store
from medtrust.summary import ERROR_EXAMPLES, summarize
from medtrust.summary._pass import run_pass

AXES = ("robustness", "privacy", "hallucination")
PROBES = ("p.one", "p.two")


def _old_calls(
    axis: str | None, cases: Sequence[Case], verdicts: Mapping[str, Verdict]
) -> tuple[int, int]:
    outcomes = [v.outcome for c in cases if axis in (None, c.axis) and (v := verdicts.get(c.id))]
    return len(outcomes), outcomes.count("error")


def _old_causes(
    axis: str,
    cases: Sequence[Case],
    verdicts: Mapping[str, Verdict],
    replies: Mapping[str, Sequence[Reply]],
) -> tuple[dict[str, int], list[str]]:
    reasons: dict[str, int] = {}
    examples: list[str] = []
    for c in cases:
        v = verdicts.get(c.id)
        if c.axis != axis or v is None or v.outcome != "error":
            continue
        why = str(v.detail.get("reason") or "error")
        reasons[why] = reasons.get(why, 0) + 1
        for r in replies.get(c.id, ()):
            msg = (r.error or "")[:160]
            if msg and msg not in examples and len(examples) < ERROR_EXAMPLES:
                examples.append(msg)
    return reasons, examples


def _old_chance(probe: str, cases: Sequence[Case], verdicts: Mapping[str, Verdict]) -> float | None:
    mc = [
        c
        for c in cases
        if c.probe == probe
        and c.role == "control"
        and isinstance(c.gold.get("options"), Mapping)
        and c.gold["options"]
        and c.id in verdicts
    ]
    scored = [c for c in mc if verdicts[c.id].outcome != "error"] or mc
    counts = [len(c.gold["options"]) for c in scored]
    return sum(counts) / len(counts) if counts else None


row = st.tuples(
    st.sampled_from(AXES),
    st.sampled_from(PROBES),
    st.sampled_from(("control", "perturbation")),
    st.integers(0, 5),  # options (0: not multiple choice)
    st.sampled_from(("pass", "fail", "error", None)),  # None: not judged yet
    st.sampled_from(("timeout", "unreadable reply", None)),
    st.lists(st.sampled_from(("HTTP 500", "HTTP 400: bad", "x" * 200, None)), max_size=3),
)


def _run(rows: list[Any]) -> tuple[list[Case], dict[str, Verdict], dict[str, list[Reply]]]:
    cases, verdicts, replies = [], {}, {}
    for i, (axis, probe, role, options, outcome, reason, errors) in enumerate(rows):
        gold: dict[str, Any] = {"i": i}
        if options:
            gold["options"] = {chr(65 + k): f"o{k}" for k in range(options)}
        c = Case.make(axis=axis, probe=probe, operator="op", role=role, gold=gold,
                      messages=[{"role": "user", "content": f"q{i}"}])  # fmt: skip
        cases.append(c)
        replies[c.id] = [
            Reply(case_id=c.id, sample=k, error=e, text=None if e else "A", cached=k == 1)
            for k, e in enumerate(errors)
        ]
        if outcome is not None:
            detail = {"reason": reason} if reason else {}
            verdicts[c.id] = Verdict(case_id=c.id, judge="j", outcome=outcome, detail=detail)
    return cases, verdicts, replies


@settings(max_examples=200, deadline=None)
@given(st.lists(row, max_size=40))
def test_one_pass_counts_what_the_old_passes_counted(rows: list[Any]) -> None:
    cases, verdicts, replies = _run(rows)
    got = run_pass(cases, verdicts, replies)
    assert (got.calls, got.errors) == _old_calls(None, cases, verdicts)
    for axis in AXES:
        a = got.axis(axis)
        assert (a.calls, a.errors) == _old_calls(axis, cases, verdicts)
        assert (a.reasons, a.examples) == _old_causes(axis, cases, verdicts, replies)
    for probe in PROBES:
        assert got.chance_options(probe) == _old_chance(probe, cases, verdicts)
    assert got.replies == sum(len(r) for r in replies.values())
    assert got.cached_replies == sum(r.cached for rs in replies.values() for r in rs)


def test_the_summary_reports_the_counts_with_reasons_and_examples(tmp_path: Path) -> None:
    """Through a real SQLite store: errors over calls per axis and for the run, the reasons
    sorted by count, the examples, and the warning above 10% errors."""
    rows = [
        ("robustness", "p.one", "control", 4, "pass", None, []),
        ("robustness", "p.one", "control", 4, "error", "timeout", ["HTTP 500"]),
        ("robustness", "p.one", "perturbation", 0, "error", "unreadable reply", []),
        ("robustness", "p.one", "perturbation", 0, "error", "unreadable reply", []),
        ("privacy", "p.two", "control", 0, "fail", None, []),
        ("privacy", "p.two", "control", 0, None, None, []),  # never judged: not a call
    ]
    cases, verdicts, replies = _run(rows)
    store = Store(f"sqlite:///{tmp_path / 's.db'}")
    store.create_run("r1", suite="s", target="python:t:f", seed=0, config={})
    store.add_cases("r1", cases)
    store.add_replies("r1", [r for rs in replies.values() for r in rs])
    store.put_verdicts("r1", verdicts.values())
    store.set_status("r1", "done")
    s = summarize(store, store.get_run("r1"), [])
    assert (s.calls, s.errors, s.error_rate) == (5, 3, 0.6)
    rob = s.axes["robustness"]
    assert (rob.calls, rob.errors, rob.error_rate) == (4, 3, 0.75)
    assert list((rob.error_reasons or {}).items()) == [("unreadable reply", 2), ("timeout", 1)]
    assert rob.error_examples == ["HTTP 500"]
    assert "error_reasons" not in s.model_dump(mode="json")["axes"]["privacy"]
    assert s.axes["privacy"].calls == 1 and s.axes["privacy"].error_rate == 0.0
    assert s.warnings[0] == ("errors: 3 of 5 judged cases (60.0%) could not be scored > 10%: "
                             "2 target replies unreadable, 1 target calls failed")
    assert any(w.startswith("robustness: 3 of 4 judged cases (75.0%)") and "timeout: 1" in w
               and "e.g. 'HTTP 500'" in w for w in s.warnings)  # fmt: skip
