"""``check_roots``: the cheap per-report check of a run's signed roots, and its limits."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from medtrust import api
from medtrust.audit import check_roots, verify
from medtrust.store import Store


def _run(oracle_dir: Path) -> tuple[Path, Store, str]:
    db = oracle_dir / "c.db"
    store = Store(f"sqlite:///{db}")
    config = api.make_config("robustness", target="python:oracle:answer", limit=3)
    return db, store, api.run(config, store=store).run.id


def test_intact_run_passes(oracle_dir: Path) -> None:
    _, store, run_id = _run(oracle_dir)
    rep = check_roots(store, run_id)
    assert rep.ok and rep.seals >= 1 and rep.events > 0


def test_forged_root_is_caught(oracle_dir: Path) -> None:
    db, store, run_id = _run(oracle_dir)
    with sqlite3.connect(db) as con:
        con.execute("update audit_seals set root = ? where run_id = ?", ("00" * 32, run_id))
    rep = check_roots(store, run_id)
    assert not rep.ok and rep.first is not None and "root" in rep.first.line()


def test_row_edits_are_left_to_full_verify(oracle_dir: Path) -> None:
    db, store, run_id = _run(oracle_dir)
    with sqlite3.connect(db) as con:
        con.execute("update replies set text = 'Z' where run_id = ?", (run_id,))
    assert check_roots(store, run_id).ok  # by design: no content re-hashing per report
    assert not verify(store, run_id).ok  # the byte-level check catches it
