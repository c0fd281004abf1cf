"""Issue 15: ``check_roots`` reads a run's events in batches (a 1,000,000-case run has millions)
and reports exactly the breaks that the whole-list check (``_reference_verify._roots``) reports,
intact or tampered: a forged root, a deleted event, an altered event hash, a non-hex hash,
roots deleted."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest

import medtrust.audit._roots_check as rc
from medtrust import api
from medtrust.audit import check_roots
from medtrust.audit._verify import trusted
from medtrust.store import Store

from ._reference_verify import _roots

Tamper = Callable[[sqlite3.Connection, str], object]
TAMPERS: dict[str, Tamper] = {
    "intact": lambda con, run: None,
    "forged root": lambda con, run: con.execute(
        "update audit_seals set root = ? where run_id = ?", ("00" * 32, run)),
    "event deleted": lambda con, run: con.execute(
        "delete from audit_events where seq = (select min(seq) + 3 from audit_events "
        "where run_id = ?)", (run,)),
    "hash altered": lambda con, run: con.execute(
        "update audit_events set hash = ? where seq = (select max(seq) - 2 from audit_events "
        "where run_id = ?)", ("ab" * 32, run)),
    "hash not hex": lambda con, run: con.execute(
        "update audit_events set hash = 'zz' where seq = (select min(seq) + 1 from "
        "audit_events where run_id = ?)", (run,)),
    "roots deleted": lambda con, run: con.execute(
        "delete from audit_seals where run_id = ?", (run,)),
}


@pytest.mark.parametrize("tamper", list(TAMPERS))
def test_streamed_roots_match_the_whole_list_check(
    oracle_dir: Path, tamper: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = oracle_dir / "c.db"
    store = Store(f"sqlite:///{db}")
    config = api.make_config("robustness", target="python:oracle:answer", limit=3)
    run_id = api.run(config, store=store).run.id
    with sqlite3.connect(db) as con:
        TAMPERS[tamper](con, run_id)
    seals = store.audit_seals(run_id)
    events = store.audit_events(run_id)
    status = store.get_run(run_id).status
    want = _roots(seals, run_id, events, status, trusted() or None)
    if not seals:
        want.append(rc.Break(None, "root", run_id, run_id, "no signed root for this run"))
    real = store.iter_audit_events
    monkeypatch.setattr(store, "iter_audit_events",
                        lambda run, batch=7: real(run, batch=batch))  # many batches
    rep = check_roots(store, run_id)
    assert rep.breaks == want
    assert rep.events == len(events) and rep.seals == len(seals)
    assert rep.ok == (tamper == "intact")
