"""Issue 15 item 1: the concern trigger keeps its audit event flat. The run's triggered cases go
to the review queue in the store (``review_concerns``); the one ``concern`` event holds their
count, the top k and SHA-256 digests that bind the exact set (recomputed here with hashlib and
the RFC 8785 reference package), and its size does not grow with the number of cases.
``audit verify`` compares the queue with the event; the review CLI reads the queue."""

from __future__ import annotations

import hashlib
import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest
import rfc8785
from hypothesis import given
from hypothesis import strategies as st
from typer.testing import CliRunner

from medtrust.audit import verify
from medtrust.audit._hashing import canonical
from medtrust.cli import app
from medtrust.records import Case, Verdict
from medtrust.review import Concern, concerning, trigger_review
from medtrust.review._concern_queue import _TopK
from medtrust.store import Store

runner = CliRunner()
VOTES = (["B"], ["B", "B", "A"], ["B", "A", "A"], ["A"], ["B", "B", "B", "A"])
"""Vote patterns cycled over the cases: failure probability 1, 2/3, 1/3, 0 and 3/4."""


def _store(path: Path, n: int, *, threshold: float = 0.5) -> tuple[Store, str]:
    """A finished run of ``n`` multiple-choice cases whose failure probabilities cycle through
    ``VOTES`` (so about 3 in 5 exceed 0.5), built through the public Store API."""
    store = Store(f"sqlite:///{path}")
    run = f"run-{n}"
    store.create_run(run, suite="s", target="python:x:y", seed=0,
                     config={"review": {"concern_threshold": threshold}})  # fmt: skip
    cases = [
        Case.make(
            axis="robustness",
            probe="robustness.das",
            operator="baseline",
            role="control",
            messages=[{"role": "user", "content": f"Question {i}?\n\nA. yes\nB. no"}],
            gold={"options": {"A": "yes", "B": "no"}, "accept": ["A"]},
        )
        for i in range(n)
    ]
    store.add_cases(run, cases)
    store.put_verdicts(run, [
        Verdict(case_id=c.id, judge="mc", outcome="fail" if VOTES[i % 5][0] == "B" else "pass",
                answer=VOTES[i % 5][0], detail={"votes": VOTES[i % 5]})
        for i, c in enumerate(cases)
    ])  # fmt: skip
    store.set_status(run, "done")
    return store, run


def _payload(store: Store, run: str) -> dict[str, Any]:
    events = [e for e in store.audit_events(run) if e.kind == "concern"]
    found, content = store.audit_payload(events[-1].seq)
    assert found
    return dict(content)


def test_the_event_binds_the_exact_queue(tmp_path: Path) -> None:
    store, run = _store(tmp_path / "q.db", 60)
    out = trigger_review(store, run, top_k=7)
    content = _payload(store, run)
    assert content == out
    want = concerning(store.cases(run), store.all_verdicts(run), 0.5)
    rows = list(store.iter_concerns(run))
    ids = [r["case_id"] for r in rows]
    assert ids == sorted(x.case_id for x in want) and len(ids) == 36  # 3 in 5 exceed 0.5
    assert content["triggered"] == len(rows) == store.count_concerns(run)
    ids_text = "".join(i + "\n" for i in ids).encode()
    assert content["digest"]["ids"] == hashlib.sha256(ids_text).hexdigest()
    lines = b"".join(
        rfc8785.dumps([r["case_id"], r["score"], r["source"], r["components"]]) + b"\n"
        for r in rows
    )
    assert content["digest"]["rows"] == hashlib.sha256(lines).hexdigest()
    assert content["top"] == [x.as_dict() for x in want[:7]]
    assert [x["score"] for x in content["top"]] == [1.0] * 7  # the probability-1 cases first
    assert verify(store, run).ok


def test_the_event_size_does_not_grow_with_the_triggered_cases(tmp_path: Path) -> None:
    sizes = {}
    for n in (50, 500):
        store, run = _store(tmp_path / f"s{n}.db", n)
        trigger_review(store, run)
        content = _payload(store, run)
        assert content["triggered"] == store.count_concerns(run) == 3 * n // 5
        assert len(content["top"]) == content["top_k"] == 20
        sizes[n] = len(canonical(content))
    # 10x more triggered cases: only the count's and the ref's digits may differ
    assert sizes[500] - sizes[50] <= 2, sizes


def test_retriggering_replaces_the_queue(tmp_path: Path) -> None:
    store, run = _store(tmp_path / "r.db", 20)
    first = trigger_review(store, run)
    again = trigger_review(store, run)
    assert again["digest"] == first["digest"] and store.count_concerns(run) == 12
    assert verify(store, run).ok


@pytest.mark.parametrize(
    "tamper",
    [
        "update review_concerns set score = score - 0.25 where rowid = 3",
        "update review_concerns set source = 'leak_score' where rowid = 1",
        "delete from review_concerns where rowid = 2",
        "insert into review_concerns select run_id, 'f00d', score, source, components "
        "from review_concerns where rowid = 1",
    ],
)
def test_audit_verify_catches_a_changed_queue(tmp_path: Path, tamper: str) -> None:
    db = tmp_path / "t.db"
    store, run = _store(db, 20)
    trigger_review(store, run)
    store.close()
    with sqlite3.connect(db) as con:
        con.execute(tamper)
    res = runner.invoke(app, ["audit", "verify", run, "--db", f"sqlite:///{db}"])
    assert res.exit_code == 1, res.output
    assert "review_concerns" in res.output and "concern" in res.output


def test_queue_rows_without_an_event_are_caught(tmp_path: Path) -> None:
    store, run = _store(tmp_path / "w.db", 10)
    store.replace_concerns(run, [{"case_id": "c0", "score": 0.9, "source": "x", "components": {}}])
    report = verify(store)
    assert not report.ok
    assert any("review_concerns" in b.line() and "no concern event" in b.line()
               for b in report.breaks)  # fmt: skip


def test_the_review_cli_reads_the_stored_queue(tmp_path: Path) -> None:
    db = tmp_path / "c.db"
    store, run = _store(db, 25)
    trigger_review(store, run)
    stored = {r["case_id"]: r["score"] for r in store.iter_concerns(run)}
    store.close()
    res = runner.invoke(app, ["review", "queue", run, "--db", f"sqlite:///{db}", "--json"])
    assert res.exit_code == 0, res.output
    shown = {x["case_id"]: x["concern"] for x in json.loads(res.stdout)["queue"]
             if x["concern"] is not None}  # fmt: skip
    assert shown == stored and len(shown) == 15


def _concern(i: int, score: float) -> Concern:
    return Concern(case_id=f"c{i:04d}", score=score, source="s", components={"s": score})


@given(
    scores=st.lists(st.sampled_from([0.0, 0.25, 0.5, 0.75, 1.0]), max_size=60),
    k=st.integers(min_value=0, max_value=25),
    order=st.randoms(use_true_random=False),
)
def test_top_k_is_the_head_of_the_full_ranking(scores: list[float], k: int, order: Any) -> None:
    """The bounded heap keeps what a full sort by (-score, case id) puts first, whatever the
    order the concerns arrive in (many ties)."""
    xs = [_concern(i, s) for i, s in enumerate(scores)]
    order.shuffle(xs)
    top = _TopK(k)
    for x in xs:
        top.offer(x)
    want = sorted(xs, key=lambda x: (-x.score, x.case_id))[:k]
    assert top.ranked() == [x.as_dict() for x in want]
    assert len(top.heap) == min(k, len(xs))
