"""The adaptive orchestrator: no repeats, conflict rules, size schedule, determinism, report."""

from __future__ import annotations

from itertools import combinations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from medtrust.attack import Attempt, Orchestrator, attack_report, size_window
from medtrust.probes.robustness import CONFLICTS, OPERATORS, allowed_combos


def orch(max_iter: int = 5, max_size: int = 3, seed: int = 0) -> Orchestrator:
    cands = [c for s in range(1, max_size + 1) for c in allowed_combos(s)]
    return Orchestrator(candidates=cands, max_iter=max_iter, max_size=max_size, seed=seed)


def conflict_free(combo: tuple[str, ...]) -> bool:
    return not any(frozenset(p) in CONFLICTS for p in combinations(combo, 2))


def run_loop(o: Orchestrator, items: list[str], fooled_by: set[str]) -> list[Attempt]:
    """Simulate a model fooled exactly when the combination contains an operator in fooled_by."""
    attempts: list[Attempt] = []
    for r in range(1, o.max_iter + 1):
        for item, combo in o.plan(r, items, attempts).items():
            outcome = "fail" if set(combo) & fooled_by else "pass"
            attempts.append(Attempt(item=item, combo=combo, round=r, outcome=outcome))
    return attempts


def test_size_schedule_small_first_larger_later() -> None:
    assert [size_window(r, 3) for r in (1, 2, 3, 4, 5)] == [(1, 1), (1, 2), (2, 3), (2, 3), (2, 3)]
    assert size_window(1, 1) == (1, 1) and size_window(5, 1) == (1, 1)


@settings(max_examples=40, deadline=None)
@given(
    fooled_by=st.sets(st.sampled_from(list(OPERATORS)), max_size=2),
    seed=st.integers(0, 1000),
    max_iter=st.integers(1, 8),
)
def test_never_repeats_never_conflicts_stops_when_fooled(
    fooled_by: set[str], seed: int, max_iter: int
) -> None:
    o = orch(max_iter=max_iter, seed=seed)
    attempts = run_loop(o, ["q1", "q2", "q3"], fooled_by)
    for item in ("q1", "q2", "q3"):
        mine = [a for a in attempts if a.item == item]
        combos = [a.combo for a in mine]
        assert len(combos) == len(set(combos)), "a failed combination was repeated"
        assert all(conflict_free(c) for c in combos)
        assert len(mine) <= max_iter
        fooled = [i for i, a in enumerate(mine) if a.outcome == "fail"]
        assert not fooled or fooled[0] == len(mine) - 1, "attacked again after being fooled"
        for a in mine:
            lo, hi = size_window(a.round, 3)
            assert lo <= len(a.combo) <= hi


def test_learns_which_operator_works_across_items() -> None:
    """After round 1 shows that distraction fools, round 2 prefers combinations with it."""
    o = orch()
    attempts = run_loop(o, [f"q{i}" for i in range(10)], {"distraction"})
    late = [a for a in attempts if a.round >= 2]
    assert late and sum("distraction" in a.combo for a in late) >= len(late) / 2


def test_deterministic_given_seed() -> None:
    a = run_loop(orch(seed=3), ["a", "b"], {"bias"})
    b = run_loop(orch(seed=3), ["a", "b"], {"bias"})
    assert a == b


def test_exhausted_candidates_and_budget() -> None:
    o = Orchestrator(candidates=[("distraction",), ("bias",)], max_iter=5, max_size=1)
    attempts = run_loop(o, ["q"], set())
    assert sorted(a.combo for a in attempts) == [("bias",), ("distraction",)]
    assert o.next_combo("q", 3, attempts) is None
    with pytest.raises(ValueError):
        Orchestrator(candidates=[], max_iter=0)


def test_errors_are_not_repeated_and_not_fooled() -> None:
    o = orch()
    attempts = [Attempt(item="q", combo=("inverted",), round=1, outcome="error")]
    nxt = o.next_combo("q", 2, attempts)
    assert nxt is not None and nxt != ("inverted",)


def test_report_iterations_and_conditional_rates() -> None:
    attempts = [
        Attempt(item="a", combo=("bias",), round=1, outcome="fail"),
        Attempt(item="b", combo=("add_nota",), round=1, outcome="pass"),
        Attempt(item="b", combo=("bias", "distraction"), round=2, outcome="fail"),
        Attempt(item="c", combo=("add_nota",), round=1, outcome="pass"),
    ]
    r = attack_report(attempts, ["a", "b", "c"], max_iter=3)
    assert r["items_fooled"] == 2 and r["items_attacked"] == 3
    assert r["iterations_to_failure"]["histogram"] == {"1": 1, "2": 1}
    assert r["cumulative_fooled_by_round"] == [
        pytest.approx(1 / 3, abs=1e-6),
        pytest.approx(2 / 3, abs=1e-6),
        pytest.approx(2 / 3, abs=1e-6),
    ]
    assert r["by_operator"]["bias"]["failures"] == 2 and r["by_operator"]["bias"]["n"] == 2
    assert r["by_operator"]["add_nota"]["failure_rate"] == 0.0
    assert r["by_combination"]["bias+distraction"]["n"] == 1
    assert r["attack_calls_per_failure"] == 2.0
