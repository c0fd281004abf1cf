"""``Store.remembering``: inside the block a small run is read from the database once, and every
read gives exactly what the database reads give (same windows, order and values); writes
through the store drop what was kept; a run above the limit is read from the database."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import event

from medtrust.records import Case, Reply, Verdict
from medtrust.store import Store

PROBES = ("p1", "p2")


def _case(i: int) -> Case:
    return Case.make(
        axis="robustness",
        probe=PROBES[i % 2],
        operator="baseline" if i % 3 else "typo",
        role="control" if i % 3 else "perturbation",
        messages=[{"role": "user", "content": f"question {i}"}],
        gold={"answer": "A", "i": i},
        meta={"samples": 2} if i % 4 == 0 else {},
        stage=i % 2,
    )


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Store, list[Case]]:
    path: Path = tmp_path_factory.mktemp("memo") / "m.db"
    store = Store(f"sqlite:///{path}")
    store.create_run("r", suite="s", target="t", seed=0, config={})
    store.create_run("other", suite="s", target="t", seed=0, config={})
    cases = [_case(i) for i in range(23)]
    store.add_cases("r", cases)
    store.add_cases("other", [_case(100)])
    store.add_replies(
        "r",
        [
            Reply(case_id=c.id, sample=s, text=f"{i}/{s}", latency_s=0.1)
            for i, c in enumerate(cases)
            if i % 5
            for s in range(1 + (i % 2))
        ],
    )
    verdicts = [
        Verdict(case_id=c.id, judge=judge, outcome="pass" if i % 2 else "fail", detail={"i": i})
        for i, c in enumerate(cases)
        if i % 7
        for judge in (("b", "a") if i % 3 == 0 else ("a",))
    ]
    store.put_verdicts("r", verdicts)
    return store, cases


@contextmanager
def _selects(store: Store) -> Iterator[list[str]]:
    """Every SELECT statement the store's engine runs inside the block."""
    seen: list[str] = []

    def hook(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if statement.lstrip().upper().startswith("SELECT"):
            seen.append(statement)

    event.listen(store.engine, "before_cursor_execute", hook)
    try:
        yield seen
    finally:
        event.remove(store.engine, "before_cursor_execute", hook)


def _reads(store: Store, ids: list[str], batch: int, probe: str | None, stage: int | None) -> Any:
    return (
        [[c.model_dump() for c in w]
         for w in store.iter_case_windows("r", batch=batch, probe=probe, stage=stage)],
        {k: [v.model_dump() for v in vs] for k, vs in store.all_verdicts_for("r", ids).items()},
        {k: v.model_dump() for k, v in store.verdicts_for("r", ids).items()},
        {k: [r.model_dump() for r in rs] for k, rs in store.replies_for("r", ids).items()},
    )  # fmt: skip


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    batch=st.integers(1, 30),
    probe=st.sampled_from([None, *PROBES, "none"]),
    stage=st.sampled_from([None, 0, 1, 5]),
    picks=st.lists(st.integers(0, 24), max_size=30),
    limit=st.sampled_from([1, 22, 23, 4096]),
)
def test_reads_inside_the_block_equal_the_database_reads(
    run: tuple[Store, list[Case]],
    batch: int,
    probe: str | None,
    stage: int | None,
    picks: list[int],
    limit: int,
) -> None:
    store, cases = run
    # ids of the run, repeated ids, and ids of no case / of another run's case
    ids = [cases[i].id if i < len(cases) else f"missing{i}" for i in picks] + [_case(100).id]
    want = _reads(store, ids, batch, probe, stage)
    with store.remembering("r", limit=limit):
        assert _reads(store, ids, batch, probe, stage) == want
        assert _reads(store, ids, batch, probe, stage) == want  # the second read: from memory
        # another run's reads are never answered from this run's memory
        other = next(store.iter_case_windows("other"))
        assert [c.id for c in other] == [_case(100).id]


def test_a_small_run_is_read_once(run: tuple[Store, list[Case]]) -> None:
    store, cases = run
    ids = [c.id for c in cases]
    with store.remembering("r"), _selects(store) as seen:
        first = _reads(store, ids, 1000, None, None)
        n_first = len(seen)
        for _ in range(3):
            assert _reads(store, ids, 7, "p1", None)[0] == [
                [c.model_dump() for c in w]
                for w in _chunks([c for c in cases if c.probe == "p1"], 7)
            ]
            assert _reads(store, ids, 1000, None, None) == first
    assert n_first <= 4  # the count, the cases, the verdicts, the replies
    assert len(seen) == n_first  # nothing more was read from the database


def test_a_run_above_the_limit_is_read_from_the_database(run: tuple[Store, list[Case]]) -> None:
    store, cases = run
    with store.remembering("r", limit=len(cases) - 1), _selects(store) as seen:
        want = _reads(store, [c.id for c in cases], 5, None, None)
        n = len(seen)
        assert _reads(store, [c.id for c in cases], 5, None, None) == want
    assert len(seen) > n + 1  # every read queried again


def test_writes_through_the_store_are_seen_inside_the_block(tmp_path: Path) -> None:
    store = Store(f"sqlite:///{tmp_path / 'w.db'}")
    store.create_run("r", suite="s", target="t", seed=0, config={})
    cases = [_case(i) for i in range(4)]
    store.add_cases("r", cases[:2])
    ids = [c.id for c in cases]
    with store.remembering("r"):
        assert [c.id for w in store.iter_case_windows("r") for c in w] == ids[:2]
        assert store.verdicts_for("r", ids) == {}
        assert store.replies_for("r", ids) == {}
        store.add_cases("r", cases[2:])
        store.put_verdicts("r", [Verdict(case_id=ids[0], judge="a", outcome="pass")])
        store.add_replies("r", [Reply(case_id=ids[1], sample=0, error="timeout")])
        assert [c.id for w in store.iter_case_windows("r") for c in w] == ids
        assert store.verdicts_for("r", ids)[ids[0]].outcome == "pass"
        assert store.replies_for("r", ids)[ids[1]][0].error == "timeout"
        assert store.delete_error_replies("r") == 1
        assert store.replies_for("r", ids) == {}


def test_cases_added_beyond_the_limit_are_all_read(tmp_path: Path) -> None:
    store = Store(f"sqlite:///{tmp_path / 'g.db'}")
    store.create_run("r", suite="s", target="t", seed=0, config={})
    cases = [_case(i) for i in range(6)]
    store.add_cases("r", cases[:2])
    with store.remembering("r", limit=3):
        assert len(next(store.iter_case_windows("r"))) == 2
        store.add_cases("r", cases[2:])  # now above the limit
        assert [c.id for w in store.iter_case_windows("r", batch=2) for c in w] == [
            c.id for c in cases
        ]


def test_objects_handed_out_are_not_shared_between_reads(run: tuple[Store, list[Case]]) -> None:
    store, cases = run
    ids = [c.id for c in cases]
    with store.remembering("r"):
        first = store.all_verdicts_for("r", ids)
        some = next(iter(first))
        first[some][0].detail["i"] = "changed by a reader"
        first[some].clear()
        again = store.all_verdicts_for("r", ids)
        assert again[some] and again[some][0].detail["i"] != "changed by a reader"


def _chunks(xs: list[Case], n: int) -> list[list[Case]]:
    return [xs[i : i + n] for i in range(0, len(xs), n)]
