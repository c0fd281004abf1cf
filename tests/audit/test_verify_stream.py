"""Issue 15: ``verify`` streams the chain (keyset batches), pairs the rows that grow with a run
with their latest events in the database and keeps only running state, yet reports exactly the
breaks of the whole-list verifier it replaced (``_reference_verify``), in the same order, on an
intact store and after any single mutation; a tamper deep in a store read in many batches is
still found and named."""

from __future__ import annotations

import shutil
import sqlite3
import uuid
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings

from medtrust.audit import verify
from medtrust.records import Case, Reply, Verdict
from medtrust.store import Store

from ._reference_verify import reference_verify
from .test_verify import TRUSTED, Mutation, mutations, template

__all__ = ["template"]  # the module-scoped populated store of test_verify, reused here


def _same(store: Store, run_id: str | None, batch: int) -> None:
    want = reference_verify(store, run_id, public_keys=TRUSTED)
    got = verify(store, run_id, public_keys=TRUSTED, batch=batch)
    assert got.breaks == want.breaks
    assert (got.events, got.runs, got.seals) == (want.events, want.runs, want.seals)
    assert got.to_json() == want.to_json()


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(mutations())
def test_streamed_verify_equals_the_whole_list_verifier(
    template: Path, tmp_path: Path, mutate: Mutation
) -> None:
    db = tmp_path / f"{uuid.uuid4().hex}.db"
    shutil.copy(template, db)
    with sqlite3.connect(db) as con:
        mutate(con)
    con.close()
    store = Store(f"sqlite:///{db}")
    try:
        _same(store, None, batch=3)  # several batches even on the small template
        _same(store, "run-a", batch=2)
    finally:
        store.close()


def test_intact_template_equals_the_whole_list_verifier(template: Path, tmp_path: Path) -> None:
    db = tmp_path / "t.db"
    shutil.copy(template, db)
    store = Store(f"sqlite:///{db}")
    _same(store, None, batch=1)
    assert verify(store, public_keys=TRUSTED, batch=1).ok


N_CASES = 40


@pytest.fixture
def big(tmp_path: Path) -> tuple[Path, str]:
    """One finished run of 40 cases, replies and verdicts: 120 row events, read 7 a query."""
    db = tmp_path / "big.db"
    store = Store(f"sqlite:///{db}")
    store.create_run("r", suite="s", target="python:x:y", seed=0, config={"suite": {}})
    cases = [
        Case.make(axis="robustness", probe="t", operator="baseline", role="control",
                  messages=[{"role": "user", "content": f"question {i}"}],
                  gold={"accept": ["A"]}, meta={})
        for i in range(N_CASES)
    ]  # fmt: skip
    store.add_cases("r", cases)
    store.add_replies("r", [Reply(case_id=c.id, text="A", latency_s=0.5) for c in cases])
    store.put_verdicts("r", [Verdict(case_id=c.id, judge="mc", outcome="pass", score=1.0,
                                     answer="A") for c in cases])  # fmt: skip
    store.set_status("r", "done")
    store.close()
    with sqlite3.connect(db) as con:
        con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    con.close()
    return db, cases[-1].id


DEEP = {
    "verdict row": ("update verdicts set outcome = 'fail' where case_id = ?", "verdict"),
    "reply row": ("update replies set text = 'B' where case_id = ?", "reply"),
    "event field": ("update audit_events set at = 'x' where kind = 'verdict' and "
                    "ref like ? || '/%'", "verdict"),
    "case row deleted": ("delete from cases where case_id = ?", "case"),
}  # fmt: skip


@pytest.mark.parametrize("tamper", list(DEEP))
def test_a_tamper_deep_in_a_many_batch_store_fails(big: tuple[Path, str], tamper: str) -> None:
    db, last = big
    store = Store(f"sqlite:///{db}")
    assert verify(store, batch=7).ok  # 120+ events: many batches of 7
    sql, kind = DEEP[tamper]
    with sqlite3.connect(db) as con:
        con.execute(sql, (last,))
    con.close()
    report = verify(store, batch=7)
    assert not report.ok and report.first is not None
    assert report.first.kind == kind and report.first.ref.startswith(last)
    assert report.first.seq is not None and report.first.seq > 5 * 7  # past the fifth batch
    assert report.breaks == reference_verify(store).breaks
