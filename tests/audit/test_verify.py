"""``verify`` recomputes the chain, the commitments and the signed roots: an intact store passes,
and any single mutation of the store or of the chain is detected (hypothesis), with the first
broken event named."""

from __future__ import annotations

import json
import shutil
import sqlite3
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from medtrust.audit import VerifyReport, public_key_hex
from medtrust.audit import verify as verify_with_keys
from medtrust.audit._hashing import event_hash
from medtrust.store import Store

from ._fixtures import populate

Mutation = Callable[[sqlite3.Connection], None]
TRUSTED: list[str] = []


def verify(store: Store, run_id: str | None = None) -> VerifyReport:
    """Verify trusting the template writer's key (kept outside the store, in a file)."""
    return verify_with_keys(store, run_id, public_keys=TRUSTED)


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One populated store, copied for every example (building it each time is slow)."""
    home = tmp_path_factory.mktemp("home")
    mp = pytest.MonkeyPatch()
    mp.setenv("MEDTRUST_HOME", str(home))
    db = tmp_path_factory.mktemp("tpl") / "t.db"
    store = Store(f"sqlite:///{db}")
    populate(store)
    assert verify(store).ok
    store.close()
    # the verifying tests run with another MEDTRUST_HOME (no local key): they trust the writer's
    # key through a file, as a second machine would
    db.with_suffix(".pub").write_text(public_key_hex() + "\n", encoding="utf-8")
    mp.undo()
    with sqlite3.connect(db) as con:  # fold the WAL in: examples copy the main file only
        con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    TRUSTED[:] = [str(db.with_suffix(".pub"))]
    return db


def _flip(text: str, at: int) -> str:
    i = at % len(text)
    return text[:i] + chr(ord(text[i]) ^ 1) + text[i + 1 :]


def _rows(con: sqlite3.Connection, table: str) -> list[sqlite3.Row]:
    con.row_factory = sqlite3.Row
    return con.execute(f"select rowid as _rid, * from {table}").fetchall()


def _set(con: sqlite3.Connection, table: str, rid: int, col: str, value: Any) -> None:
    con.execute(f"update {table} set {col} = ? where rowid = ?", (value, rid))


def _change_text(table: str, col: str, pick: int, at: int) -> Mutation:
    def m(con: sqlite3.Connection) -> None:
        rows = [r for r in _rows(con, table) if r[col]]
        r = rows[pick % len(rows)]
        _set(con, table, r["_rid"], col, _flip(str(r[col]), at))

    return m


def _change_json(table: str, col: str, pick: int, at: int) -> Mutation:
    def m(con: sqlite3.Connection) -> None:
        rows = _rows(con, table)
        r = rows[pick % len(rows)]
        value = json.loads(r[col])
        blob = json.dumps(value)
        strings = [s for s in _walk(value)]
        target = strings[at % len(strings)] if strings else None
        new = blob.replace(json.dumps(target), json.dumps(_flip(target, at)), 1) if target else (
            json.dumps({"added": True, **value}) if isinstance(value, dict) else "[1]")  # fmt: skip
        _set(con, table, r["_rid"], col, new)

    return m


def _walk(v: Any) -> list[str]:
    if isinstance(v, str) and v:
        return [v]
    if isinstance(v, dict):
        return [s for x in v.values() for s in _walk(x)]
    if isinstance(v, list):
        return [s for x in v for s in _walk(x)]
    return []


def _delete(table: str, pick: int) -> Mutation:
    def m(con: sqlite3.Connection) -> None:
        rows = _rows(con, table)
        con.execute(f"delete from {table} where rowid = ?", (rows[pick % len(rows)]["_rid"],))

    return m


def _swap_events(pick: int, other: int) -> Mutation:
    def m(con: sqlite3.Connection) -> None:
        rows = _rows(con, "audit_events")
        a, b = rows[pick % len(rows)], rows[other % len(rows)]
        if a["seq"] == b["seq"]:
            b = rows[(other + 1) % len(rows)]
        con.execute("update audit_events set seq = -1 where seq = ?", (a["seq"],))
        con.execute("update audit_events set seq = ? where seq = ?", (a["seq"], b["seq"]))
        con.execute("update audit_events set seq = ? where seq = -1", (b["seq"],))

    return m


def _append_event(valid: bool) -> Mutation:
    """An extra event at the end; ``valid``: its prev and hash are computed as an attacker would."""

    def m(con: sqlite3.Connection) -> None:
        last = _rows(con, "audit_events")[-1]
        seq, prev = last["seq"] + 1, last["hash"] if valid else "0" * 64
        run, at, c = last["run_id"], last["at"], "ab" * 32
        h = event_hash(seq=seq, run=run, kind="verdict", ref="x/mc", commitment=c, prev=prev, at=at)
        row = (seq, run, "verdict", "x/mc", c, prev, h, at)
        con.execute("insert into audit_events values (?,?,?,?,?,?,?,?)", row)

    return m


def _insert_row(table: str) -> Mutation:
    def m(con: sqlite3.Connection) -> None:
        r = dict(_rows(con, table)[0])
        r.pop("_rid")
        key = "case_id"
        r[key] = "f" * 16
        cols = ", ".join(r)
        con.execute(
            f"insert into {table} ({cols}) values ({', '.join('?' * len(r))})", tuple(r.values())
        )

    return m


def mutations() -> st.SearchStrategy[Mutation]:
    i = st.integers(0, 10_000)

    def text(table: str, *cols: str) -> st.SearchStrategy[Mutation]:
        return st.builds(lambda c, p, a: _change_text(table, c, p, a), st.sampled_from(cols), i, i)

    def jsons(table: str, *cols: str) -> st.SearchStrategy[Mutation]:
        return st.builds(lambda c, p, a: _change_json(table, c, p, a), st.sampled_from(cols), i, i)

    def delete(table: str) -> st.SearchStrategy[Mutation]:
        return st.builds(lambda p: _delete(table, p), i)

    return st.one_of(
        text("audit_events", "run_id", "kind", "ref", "commitment", "prev_hash", "hash", "at"),
        delete("audit_events"),
        st.builds(_swap_events, i, i),
        st.builds(_append_event, st.booleans()),
        text("replies", "text", "error"),
        delete("replies"),
        st.just(_insert_row("replies")),
        text("verdicts", "outcome", "answer"),
        jsons("verdicts", "detail"),
        delete("verdicts"),
        jsons("cases", "messages", "gold", "meta"),
        delete("cases"),
        jsons("runs", "config"),
        text("runs", "status", "target"),
        text("audit_head", "hash"),
        text("audit_seals", "root", "signature", "public_key"),
        delete("audit_seals"),
        text("audit_secrets", "secret"),
        jsons("audit_payloads", "content"),
    )


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(mutations())
def test_any_single_mutation_is_detected(template: Path, tmp_path: Path, mutate: Mutation) -> None:
    db = tmp_path / f"{uuid.uuid4().hex}.db"  # unique: no stale WAL from an earlier example
    shutil.copy(template, db)
    with sqlite3.connect(db) as con:
        mutate(con)
    con.close()
    store = Store(f"sqlite:///{db}")
    try:
        report = verify(store)
        assert not report.ok and report.first is not None
    finally:
        store.close()


def test_intact_store_verifies_and_names_the_changed_reply(template: Path, tmp_path: Path) -> None:
    db = tmp_path / "x.db"
    shutil.copy(template, db)
    store = Store(f"sqlite:///{db}")
    report = verify(store)
    assert report.ok and report.events > 30 and report.runs == ["run-a", "run-b"]
    assert report.seals >= 3
    with sqlite3.connect(db) as con:
        case_id, sample = con.execute(
            "select case_id, sample from replies where run_id='run-b'"
        ).fetchone()
        con.execute(
            "update replies set text = 'B. GERD' where run_id='run-b' and case_id = ?", (case_id,)
        )
    first = verify(store).first
    assert first is not None and first.kind == "reply" and first.ref == f"{case_id}/{sample}"
    assert first.run_id == "run-b" and "differs" in first.reason
    assert verify(store, "run-a").ok  # the other run's content and roots are intact


def test_deleting_an_event_names_the_gap(template: Path, tmp_path: Path) -> None:
    db = tmp_path / "x.db"
    shutil.copy(template, db)
    with sqlite3.connect(db) as con:
        con.execute("delete from audit_events where seq = 7")
    first = verify(Store(f"sqlite:///{db}")).first
    assert first is not None and first.seq == 8 and "deleted or inserted" in first.reason
