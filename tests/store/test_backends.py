"""The store and its audit trail behave the same on SQLite and PostgreSQL: the audit
fixture's every kind of write verifies, and tampering through plain SQL is caught."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import text

from audit._fixtures import populate
from medtrust.audit import attestation, make_proof, public_key_hex, verify, verify_proof
from medtrust.store import Store
from store._pg import db_url

__all__ = ["db_url"]


def test_every_write_verifies(db_url: str) -> None:
    store = Store(db_url)
    out = populate(store)
    rep = verify(store)
    assert rep.ok, rep.first
    assert set(rep.runs) == {"run-a", "run-b"}
    assert rep.seals >= 2
    assert len(store.cases("run-a")) == 4
    replies = store.replies("run-a")
    assert replies[out["run-a"][3].id][0].text == "B"
    assert store.verdicts("run-a")[out["run-a"][0].id].outcome == "fail"
    proof = make_proof(store, out["run-a"][1].id)
    published = attestation(store, "run-a")
    assert published is not None
    assert verify_proof(proof, root=published["root"], public_key=public_key_hex()) == []
    store.close()


@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE replies SET text = 'C' WHERE sample = 0 AND text = 'A. MI'",
        "UPDATE verdicts SET outcome = 'pass' WHERE outcome = 'fail'",
        "DELETE FROM cases WHERE seq = 1",
        "UPDATE audit_events SET at = 'x' WHERE seq = 3",
    ],
)
def test_tampering_is_caught(db_url: str, sql: str) -> None:
    store = Store(db_url)
    populate(store)
    with store.engine.begin() as conn:
        conn.execute(text(sql))
    assert not verify(store).ok
    store.close()


def test_reopening_an_existing_database_keeps_the_chain(db_url: str, tmp_path: Path) -> None:
    populate(Store(db_url))
    again = Store(db_url)
    again.create_run("run-c", suite="s", target="t", seed=0, config={})
    assert verify(again).ok


def test_unknown_and_malformed_run_ids_are_not_found(db_url: str) -> None:
    from medtrust.errors import NotFoundError

    store = Store(db_url)
    populate(store)
    for bad in ("no-such-run", "run-a\x00", ""):
        with pytest.raises(NotFoundError):
            store.get_run(bad)
    assert store.get_run("run-a").id == "run-a"
    store.close()
