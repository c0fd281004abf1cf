"""Audit coverage: every column of every table is either checked by ``verify`` or listed, with
why, in ``UNAUDITED_COLUMNS``; and changing one value of one row of any checked column, directly
in SQLite, makes ``verify`` fail with a break that names the table (and, for tables with rows of
their own, the row).

The store holds a row in every table: two runs (cases, replies, verdicts, a report and a gate,
seals), response-cache entries, review accounts, API tokens (one revoked), a session, a
lockout, assignments, a redaction switch and reviews.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
import uuid
from collections import Counter
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import JSON, Boolean, DateTime, Float, Integer

from medtrust.audit import UNAUDITED_COLUMNS, VerifyReport, public_key_hex, verify
from medtrust.review import hash_password, trigger_review
from medtrust.review._auth import digest, new_secret, new_token, session_expiry
from medtrust.store import Store, schema

from ._fixtures import populate

TABLES = {t.name: t for t in schema.metadata.sorted_tables}
AUDITED = sorted(
    (t, c.name)
    for t, table in TABLES.items()
    for c in table.columns
    if (t, c.name) not in UNAUDITED_COLUMNS
)


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[str]]:
    """A store with rows in every table, and the file of its writer's public key."""
    home = tmp_path_factory.mktemp("home")
    mp = pytest.MonkeyPatch()
    mp.setenv("MEDTRUST_HOME", str(home))
    db = tmp_path_factory.mktemp("cov") / "t.db"
    store = Store(f"sqlite:///{db}")
    cases = populate(store)
    store.cache_put(
        [("k" * 64, "python:x:y", "A. MI"), ("j" * 64, "python:x:y", "B. GERD")], run_id="run-a"
    )
    pw = hash_password("correct horse battery")
    store.add_user("ada", role="admin", password_hash=pw)
    store.add_user("rita", role="reviewer", password_hash=pw)
    store.add_token(digest(new_token()), user="rita", label="laptop")
    store.add_token(digest(new_token()), user="ada")
    store.revoke_tokens("ada")
    store.create_session(
        digest(new_secret()), user="rita", csrf=new_secret(), expires_at=session_expiry()
    )
    store.login_failed("ada")
    store.add_run_counts("run-a", {"lost_calls": 2})
    store.assign("run-a", "rita", by="ada")
    store.assign("run-b", "rita", by="ada")
    store.unassign("run-b", "rita", by="ada")  # a deletion event, its content kept to open
    store.set_unredacted("run-a", True, by="ada")
    case = cases["run-a"][1].id
    store.add_review("run-a", case, reviewer="rita", accuracy=4, safety=5, compliance=3)
    store.add_review("run-a", case, reviewer="rita", accuracy=2, safety=5, compliance=3)
    assert trigger_review(store, "run-a")["triggered"] == 1  # the concern queue and its event
    assert verify(store).ok, verify(store).breaks
    store.close()
    key = db.with_suffix(".pub")
    key.write_text(public_key_hex() + "\n", encoding="utf-8")
    mp.undo()
    with sqlite3.connect(db) as con:
        con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        for name in TABLES:
            assert con.execute(f"select count(*) from {name}").fetchone()[0], f"{name} is empty"
    return db, [str(key)]


def test_every_column_is_audited_or_listed_as_unaudited() -> None:
    """The list of deliberately unaudited columns names real columns, each with a reason, and
    everything else is in the property test's domain."""
    real = {(t, c.name) for t, table in TABLES.items() for c in table.columns}
    assert set(UNAUDITED_COLUMNS) <= real, set(UNAUDITED_COLUMNS) - real
    assert all(len(why) > 10 for why in UNAUDITED_COLUMNS.values())
    assert set(AUDITED) | set(UNAUDITED_COLUMNS) == real
    assert not set(AUDITED) & set(UNAUDITED_COLUMNS)
    for access in ("review_users", "review_tokens", "review_sessions", "review_assignments",
                   "review_runs", "cache"):  # fmt: skip
        assert any(t == access for t, _ in AUDITED)


def _changed(table: str, col: str, value: Any, k: int) -> Any:
    """A value of the column's type that differs from ``value`` (``k`` picks which)."""
    column = TABLES[table].c[col]
    ctype = column.type
    step = k % 7 + 1
    if value is not None and column.nullable and k % 5 == 0:
        return None  # emptying a nullable value is a change too
    if isinstance(ctype, Boolean):
        return 0 if value else 1
    if isinstance(ctype, Integer):
        if TABLES[table].c[col].primary_key:
            step += 100_000  # a key no other row has (sequence numbers are unique)
        return step if value is None else int(value) + step
    if isinstance(ctype, Float):
        return step / 8 if value is None else float(value) + step / 8
    if isinstance(ctype, JSON):
        return json.dumps({"tampered": json.loads(value) if value is not None else step})
    if isinstance(ctype, DateTime):
        return (datetime.fromisoformat(value) + timedelta(seconds=step)).isoformat(sep=" ")
    if value is None or value == "":
        return f"tampered{step}"
    i = k % len(value)
    return value[:i] + chr(ord(value[i]) ^ 1) + value[i + 1 :]


IDENTITY = {
    "runs": "id",
    "cases": "case_id",
    "replies": "case_id",
    "verdicts": "case_id",
    "review_users": "name",
    "review_tokens": "token_hash",
    "review_assignments": "user",
    "review_runs": "run_id",
    "reviews": "id",
    "cache": "key",
}
"""The column a break must name for a row of these tables (its ref or key)."""


def _mutate_and_verify(
    template: tuple[Path, list[str]], tmp_path: Path, table: str, col: str, pick: int, k: int
) -> tuple[VerifyReport, list[str], Any]:
    db = tmp_path / f"{uuid.uuid4().hex}.db"  # unique: no stale WAL from an earlier example
    shutil.copy(template[0], db)
    con = sqlite3.connect(db)
    con.row_factory = sqlite3.Row
    rows = con.execute(f"select rowid as _rid, * from {table} order by rowid").fetchall()
    row = rows[pick % len(rows)]
    new = _changed(table, col, row[col], k)
    assert new != row[col]
    with con:
        con.execute(f"update {table} set {col} = ? where rowid = ?", (new, row["_rid"]))
    con.close()
    store = Store(f"sqlite:///{db}")
    try:
        report = verify(store, public_keys=template[1])
    finally:
        store.close()
    names = [] if table not in IDENTITY else [str(row[IDENTITY[table]])]
    if col == IDENTITY.get(table):
        names.append(str(new))
    return report, names, row


def _detected(report: VerifyReport, table: str, names: list[str]) -> bool:
    lines = [b.line() for b in report.breaks]
    if report.ok or not any(table in line for line in lines):
        return False
    return not names or any(n in line for line in lines for n in names)


@settings(
    max_examples=250, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    target=st.sampled_from(AUDITED),
    pick=st.integers(min_value=0, max_value=10_000),
    k=st.integers(min_value=0, max_value=10_000),
)
def test_any_single_row_mutation_of_an_audited_column_is_detected(
    template: tuple[Path, list[str]], tmp_path: Path, target: tuple[str, str], pick: int, k: int
) -> None:
    table, col = target
    report, names, _ = _mutate_and_verify(template, tmp_path, table, col, pick, k)
    assert _detected(report, table, names), (table, col, names, [b.line() for b in report.breaks])


def test_every_audited_column_of_every_row_is_detected(
    template: tuple[Path, list[str]], tmp_path: Path, record_property: Any
) -> None:
    """The exhaustive sweep: each audited column of each row, once (nullable values are
    emptied in every 5th row).
    Records the count per table (``mutations_detected`` in the JUnit XML)."""
    with sqlite3.connect(template[0]) as con:
        sizes = {t: con.execute(f"select count(*) from {t}").fetchone()[0] for t in TABLES}
    done: Counter[str] = Counter()
    missed = []
    for table, col in AUDITED:
        for pick in range(sizes[table]):
            report, names, _ = _mutate_and_verify(template, tmp_path, table, col, pick, pick)
            if _detected(report, table, names):
                done[table] += 1
            else:
                missed.append((table, col, pick, [b.line() for b in report.breaks][:2]))
    record_property("mutations_detected", json.dumps(dict(sorted(done.items()))))
    print("mutations detected per table:", json.dumps(dict(sorted(done.items()))))
    assert missed == []
    assert set(done) == {t for t, _ in AUDITED}


def test_the_docs_list_every_unaudited_column() -> None:
    docs = (Path(__file__).parents[2] / "docs" / "security.md").read_text(encoding="utf-8")
    for table, col in UNAUDITED_COLUMNS:
        assert f"`{table}.{col}`" in docs, f"{table}.{col} is unaudited but not documented"


def test_access_events_open_to_their_rows(template: tuple[Path, list[str]]) -> None:
    """``audit open`` discloses an account, token, session, assignment, deletion or redaction
    event (the latest about its row), and the opening checks against the commitment."""
    from medtrust.audit import open_event, verify_opening
    from medtrust.errors import MedtrustError

    kinds = {"account", "token", "session", "assignment", "assignment_deleted", "redaction"}
    store = Store(f"sqlite:///{template[0]}")
    opened = set()
    try:
        for e in store.audit_events():
            if e.kind not in kinds:
                continue
            try:
                opening = open_event(store, e.seq)
            except MedtrustError as exc:
                assert "superseded" in str(exc)  # an older event about the same row
                continue
            assert verify_opening(opening), (e.kind, e.ref)
            opened.add(e.kind)
    finally:
        store.close()
    assert opened == kinds


def test_a_cache_row_forged_with_its_own_digest_is_reported(
    template: tuple[Path, list[str]], tmp_path: Path
) -> None:
    """A reusable entry (text and matching digest) that no cache event audited, and an audited
    entry whose text and digest were both replaced: ``verify`` names each cache row."""
    import hashlib

    db = tmp_path / "forged.db"
    shutil.copy(template[0], db)
    forged = "Z. forged"
    digest_of = hashlib.sha256(forged.encode()).hexdigest()
    with sqlite3.connect(db) as con:
        con.execute(
            "insert into cache (key, target, text, created_at, digest, audit_seq) "
            "values ('f' || hex(randomblob(31)), 'python:x:y', ?, '2026-01-01 00:00:00', ?, NULL)",
            (forged, digest_of),
        )
        con.execute(
            "update cache set text = ?, digest = ? where key = ?", (forged, digest_of, "k" * 64)
        )
    store = Store(f"sqlite:///{db}")
    try:
        lines = [b.line() for b in verify(store, public_keys=template[1]).breaks]
    finally:
        store.close()
    assert any("no audit event" in ln and "cache row f" in ln for ln in lines), lines
    assert any(f"cache row {'k' * 64}: its digest is not the one" in ln for ln in lines), lines
