"""Audit appends are atomic with the writes they record, idempotent writes add no events, two
writers on one SQLite file keep a single chain, and ``audit=False`` writes no events."""

from __future__ import annotations

import multiprocessing as mp
from pathlib import Path

import pytest

from medtrust.audit import verify
from medtrust.records import Case, Reply, Verdict
from medtrust.store import Store
from medtrust.store._ledger import AuditTx


def _cases(tag: str, n: int) -> list[Case]:
    return [
        Case.make(
            axis="robustness",
            probe="t",
            operator="baseline",
            role="control",
            messages=[{"role": "user", "content": f"{tag} {i}"}],
            gold={},
        )
        for i in range(n)
    ]


def test_a_failed_append_rolls_back_the_write(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = Store(f"sqlite:///{tmp_path / 'a.db'}")
    store.create_run("r", suite="s", target="t", seed=0, config={})
    cases = _cases("a", 3)
    store.add_cases("r", cases)
    before = len(store.audit_events())

    def boom(*args: object, **kwargs: object) -> None:
        raise RuntimeError("crash between the row and its event")

    monkeypatch.setattr(AuditTx, "append", boom)
    with pytest.raises(RuntimeError):
        store.add_replies("r", [Reply(case_id=cases[0].id, text="A")])
    with pytest.raises(RuntimeError):
        store.put_verdicts("r", [Verdict(case_id=cases[0].id, judge="j", outcome="pass")])
    monkeypatch.undo()
    assert store.replies("r") == {} and store.verdicts("r") == {}
    assert len(store.audit_events()) == before
    store.add_replies("r", [Reply(case_id=cases[0].id, text="A")])  # the retry is recorded
    assert verify(store).ok


def test_idempotent_writes_add_no_events(tmp_path: Path) -> None:
    store = Store(f"sqlite:///{tmp_path / 'b.db'}")
    store.create_run("r", suite="s", target="t", seed=0, config={})
    cases = _cases("b", 4)
    store.add_cases("r", cases + cases[:1])
    store.add_cases("r", cases)
    reply = Reply(case_id=cases[0].id, text="A")
    store.add_replies("r", [reply, reply])
    store.add_replies("r", [reply])
    kinds = [e.kind for e in store.audit_events("r")]
    assert kinds.count("case") == 4 and kinds.count("reply") == 1
    assert [c.id for c in store.cases("r")] == [c.id for c in cases]
    assert verify(store).ok


def test_auditing_off_writes_no_events(tmp_path: Path) -> None:
    store = Store(f"sqlite:///{tmp_path / 'c.db'}", audit=False)
    store.create_run("r", suite="s", target="t", seed=0, config={})
    store.add_cases("r", _cases("c", 2))
    store.set_status("r", "done")
    assert store.audit_events() == [] and store.audit_seals("r") == []
    assert store.record_event("r", "report", "html", {}) is None


def _writer(url: str, run: str, home: str) -> None:
    import os

    os.environ["MEDTRUST_HOME"] = home
    store = Store(url)
    store.create_run(run, suite="s", target="t", seed=0, config={})
    cases = _cases(run, 60)
    store.add_cases(run, cases)
    for i in range(0, 60, 3):
        store.add_replies(run, [Reply(case_id=c.id, text="A") for c in cases[i : i + 3]])
    store.put_verdicts(run, [Verdict(case_id=c.id, judge="j", outcome="pass") for c in cases])
    store.set_status(run, "done")


def test_two_writers_on_one_sqlite_file_keep_one_chain(tmp_path: Path, medtrust_home: Path) -> None:
    url = f"sqlite:///{tmp_path / 'd.db'}"
    Store(url)  # create the schema once
    ctx = mp.get_context("spawn")
    procs = [
        ctx.Process(target=_writer, args=(url, f"run-{i}", str(medtrust_home))) for i in range(2)
    ]
    for p in procs:
        p.start()
    for p in procs:
        p.join(120)
        assert p.exitcode == 0
    store = Store(url)
    report = verify(store)
    assert report.ok, report.first and report.first.line()
    runs = [e.run_id for e in store.audit_events()]
    assert runs.count("run-0") == runs.count("run-1") > 180


def test_reply_events_cite_their_case_with_few_commitments_in_memory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The store keeps only its latest case commitments in memory (flat memory at a million
    cases); replies to older cases, to cases another Store object added, and batches larger
    than what is kept still cite the right commitment: the chain verifies."""
    from medtrust.store import _audit

    monkeypatch.setattr(_audit, "CASE_COMMITS_KEPT", 3)
    db = f"sqlite:///{tmp_path / 'k.db'}"
    store = Store(db)
    store.create_run("r", suite="s", target="t", seed=0, config={})
    cases = _cases("k", 10)
    for i in range(0, 10, 2):
        store.add_cases("r", cases[i : i + 2])
    assert len(store._case_commits["r"]) == 3
    store.add_replies("r", [Reply(case_id=c.id, sample=0, text="A") for c in cases[:7]])
    other = Store(db)  # a resume: none of its cases in memory
    other.add_replies("r", [Reply(case_id=c.id, sample=0, text="B") for c in cases[7:]])
    store.add_replies("r", [Reply(case_id=c.id, sample=1, text="C") for c in cases[::3]])
    assert len(store._case_commits["r"]) <= 3
    report = verify(store)
    assert report.ok, [b.line() for b in report.breaks]
