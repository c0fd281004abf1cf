"""The Store: every stage reads and writes results through here, in small transactions, so a
killed run loses at most the batch in flight and never writes a duplicate.

Each write also appends its audit events (see ``_ledger``) inside the same transaction. This
module opens the database and keeps the runs; cases, replies and verdicts are in ``_results``
(read whole or streamed in bounded windows), the response cache in ``_cache``.
"""

from __future__ import annotations

import json
import os
import re
import socket
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
from sqlalchemy import Engine, create_engine, event, make_url, select, update
from sqlalchemy.exc import ArgumentError, DBAPIError
from sqlalchemy.sql.dml import Insert
from sqlalchemy.sql.schema import Table

from medtrust.audit._hashing import GENESIS
from medtrust.errors import MedtrustError, NotFoundError
from medtrust.records import RunInfo, RunStatus
from medtrust.store import schema
from medtrust.store._accounts import AccountsMixin
from medtrust.store._audit import AuditMixin
from medtrust.store._cache import CacheMixin
from medtrust.store._concerns import ConcernsMixin
from medtrust.store._ledger import run_content, status_content
from medtrust.store._memo import MemoMixin
from medtrust.store._pairs import PairsMixin
from medtrust.store._results import now
from medtrust.store._reviews import ReviewsMixin


def default_db_url() -> str:
    """``$MEDTRUST_DB`` or ``sqlite:///medtrust.db`` in the working directory."""
    return os.environ.get("MEDTRUST_DB", "sqlite:///medtrust.db")


def _masked(url: str) -> str:
    """``url`` with its password hidden, for error messages (SQLAlchemy's own rendering)."""
    try:
        parsed = make_url(url)
        return url if parsed.password is None else parsed.render_as_string(hide_password=True)
    except (ArgumentError, ValueError):
        return re.sub(r"(://[^:/@\s]*:)[^@\s]*@", r"\1***@", url)


def _why_unopenable(url: str) -> str | None:
    """Why SQLite said "unable to open database file", in the user's terms (None: unknown)."""
    try:
        database = make_url(url).database or ""
    except (ArgumentError, ValueError):
        return None
    if not database or database.startswith("file:") or database == ":memory:":
        return None
    path = Path(database)
    if path.is_dir():
        return f"{path} is a folder, not a SQLite database file"
    if not path.parent.is_dir():
        return f"folder {path.parent} does not exist"
    return None


def _aware(dt: datetime | None) -> datetime | None:
    """SQLite returns naive datetimes; everything we store is UTC."""
    if dt is not None and dt.tzinfo is None:
        return dt.replace(tzinfo=UTC)
    return dt


_LONG_DIGITS = re.compile(r"[0-9]{19}")


def _has_float(value: Any) -> bool:
    """Whether a decoded JSON value holds a float anywhere (iterative: no recursion limit)."""
    stack = [value]
    while stack:
        v = stack.pop()
        t = type(v)
        if t is float:
            return True
        if t is dict:
            stack.extend(v.values())
        elif t is list:
            stack.extend(v)
    return False


def json_loads(text: str | bytes) -> Any:
    """A JSON column's value as :func:`json.loads` reads it, through orjson (C; 1.5-6x faster
    on a run's cases and verdicts, which every summary reads). orjson reads an integer beyond
    64 bits as a float (found by Hypothesis, ``tests/store/test_json_columns.py``): a value
    with a float in it is read again by the standard library when its text has a run of 19
    digits. What orjson refuses but ``json.dumps`` writes (``NaN``, ``Infinity``, lone
    surrogates) goes to the standard library too. Checking the decoded value, not scanning the
    text first, matters: the scan cost 3x orjson's own time on a prompt."""
    if isinstance(text, bytes):
        text = text.decode("utf-8")
    try:
        value = orjson.loads(text)
    except orjson.JSONDecodeError:
        return json.loads(text)
    if _has_float(value) and _LONG_DIGITS.search(text) is not None:
        return json.loads(text)
    return value


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA busy_timeout=10000")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.close()


def _pid_alive(pid: int | None, host: str | None) -> bool:
    if pid is None or host != socket.gethostname():
        return True  # cannot tell: trust the stored status
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _create_schema(engine: Engine) -> None:
    """Create missing tables and indexes. Two processes opening one new database at once
    race between "does it exist" and "create": the loser sees "already exists" and checks
    again (then finds everything there)."""
    for attempt in range(3):
        try:
            schema.metadata.create_all(engine)
            schema.cases_by_seq.create(engine, checkfirst=True)  # older stores lack it
            return
        except DBAPIError as exc:
            if attempt == 2 or "already exists" not in str(exc.orig or exc):
                raise


class Store(
    AuditMixin, MemoMixin, CacheMixin, AccountsMixin, ReviewsMixin, ConcernsMixin,
    PairsMixin,
):
    """Runs, cases, replies, verdicts and the response cache in one SQL database; clinician
    reviews and the review app's accounts live alongside (``AccountsMixin``, ``ReviewsMixin``).

    ``audit=False`` skips the audit chain; it exists to measure the chain's overhead in
    ``bench/`` and is not meant for real runs (their verification would fail).
    """

    def __init__(self, url: str | None = None, *, audit: bool = True) -> None:
        """Open (and, for a new database, create) the store at ``url``.

        Raises :class:`MedtrustError`, one line with the URL's password masked, when the URL
        does not parse, its driver is not installed ("install medtrust[pg]"), or the database
        cannot be opened (unreachable server, a file that is not a database, a folder).
        """
        real = url or default_db_url()
        shown = _masked(real)
        self.url = shown  # for messages and banners: the password is never shown
        self._init_audit(audit)
        try:
            self.engine: Engine = create_engine(real, future=True, json_deserializer=json_loads)
        except ImportError as exc:
            extra = "pg" if (exc.name or "").startswith("psycopg") else None
            hint = f": install medtrust[{extra}] (pip install 'medtrust[{extra}]')" if extra else ""
            raise MedtrustError(f"--db {shown}: the {exc.name} driver is missing{hint}") from None
        except (ArgumentError, ValueError) as exc:
            raise MedtrustError(f"--db {shown}: not a database URL ({exc})") from None
        if self.engine.dialect.name == "sqlite":
            event.listen(self.engine, "connect", _sqlite_pragmas)
        try:
            _create_schema(self.engine)
            self._migrate_cache()
            head = schema.audit_head
            with self.engine.connect() as conn:
                missing = conn.execute(select(head.c.id).where(head.c.id == 1)).first() is None
            if missing:  # a new database: the empty chain (no write when merely reading a store)
                with self.engine.begin() as conn:
                    conn.execute(self._insert_ignore(head).values(id=1, seq=0, hash=GENESIS))
        except DBAPIError as exc:
            self.engine.dispose()
            cause = str(exc.orig or exc).strip().splitlines()
            text_ = " ".join(c.strip() for c in cause if c.strip())
            if "file is not a database" in text_:
                text_ = "not a SQLite database (file is not a database)"
            elif "unable to open database file" in text_:
                text_ = _why_unopenable(real) or text_
            raise MedtrustError(f"--db {shown}: cannot open database: {text_}") from None

    # -- helpers -------------------------------------------------------------------------
    def _insert_ignore(self, table: Table) -> Insert:
        """INSERT that silently skips rows whose primary key exists (idempotent resume)."""
        name = self.engine.dialect.name
        if name in ("sqlite", "postgresql"):
            stmt: Insert = self._dialect_insert(table).on_conflict_do_nothing()
            return stmt
        raise MedtrustError(
            f"--db: unsupported database dialect {name!r} (use sqlite or postgresql)"
        )

    def _dialect_insert(self, table: Table) -> Any:
        """The dialect's own INSERT (with ON CONFLICT); only the dialect in use is imported
        (the PostgreSQL one costs ~0.1 s of start-up on a SQLite run)."""
        if self.engine.dialect.name == "sqlite":
            from sqlalchemy.dialects import sqlite

            return sqlite.insert(table)
        from sqlalchemy.dialects import postgresql

        return postgresql.insert(table)

    def _upsert_stmt(self, table: Table, keys: Sequence[str], columns: Iterable[str]) -> Any:
        stmt: Any = self._dialect_insert(table)
        cols = {c: stmt.excluded[c] for c in columns if c not in keys}
        return stmt.on_conflict_do_update(index_elements=list(keys), set_=cols)

    def _upsert(self, table: Table, keys: Sequence[str], rows: list[dict[str, Any]]) -> None:
        with self.engine.begin() as conn:
            conn.execute(self._upsert_stmt(table, keys, rows[0]), rows)

    def begin(self) -> Any:
        """A transaction; audit appends join it so they are atomic with the write they record."""
        return self.engine.begin()

    # -- runs ----------------------------------------------------------------------------
    def create_run(
        self, run_id: str, *, suite: str, target: str, seed: int, config: dict[str, Any]
    ) -> None:
        """Record a new run as ``running``."""
        values: dict[str, Any] = {
            "id": run_id,
            "suite": suite,
            "target": target,
            "seed": seed,
            "status": "running",
            "created_at": now(),
            "pid": os.getpid(),
            "host": socket.gethostname(),
            "config": config,
        }
        with self._write(new_run=run_id) as (conn, tx):
            conn.execute(schema.runs.insert().values(**values))
            if tx:
                tx.append(
                    run_id,
                    [
                        ("run", run_id, run_content(values)),
                        ("status", run_id, status_content("running")),
                    ],
                )

    def running_here(self, run_id: str) -> int | None:
        """The pid of the live process on this machine that is running ``run_id`` (None: the
        run is not ``running``, its process is gone, or it runs on another machine)."""
        t = schema.runs
        with self.engine.connect() as conn:
            row = conn.execute(
                select(t.c.status, t.c.pid, t.c.host).where(t.c.id == run_id)
            ).first()
        if row is None or row.status != "running" or row.host != socket.gethostname():
            return None
        return int(row.pid) if row.pid is not None and _pid_alive(row.pid, row.host) else None

    def set_status(self, run_id: str, status: RunStatus) -> None:
        """Move a run to ``status``; finished runs get a finish time, resumed ones our pid.

        Leaving ``running`` seals the run: its Merkle root is signed as it stands.
        """
        values: dict[str, Any] = {"status": status}
        if status == "running":
            values.update(pid=os.getpid(), host=socket.gethostname(), finished_at=None)
        else:
            values["finished_at"] = now()
        with self._write() as (conn, tx):
            res = conn.execute(
                update(schema.runs).where(schema.runs.c.id == run_id).values(**values)
            )
            changed = bool(res.rowcount)
            if tx and changed:
                tx.append(run_id, [("status", run_id, status_content(status))])
        if changed and status != "running":
            self.seal(run_id)

    def _run_from_row(self, row: Any) -> RunInfo:
        status = row.status
        if status == "running" and not _pid_alive(row.pid, row.host):
            status = "interrupted"  # its process is gone (kill -9, power loss)
        return RunInfo(
            id=row.id,
            suite=row.suite,
            target=row.target,
            seed=row.seed,
            status=status,
            created_at=_aware(row.created_at) or now(),
            finished_at=_aware(row.finished_at),
            config=row.config,
        )

    def get_run(self, run_id: str) -> RunInfo:
        """The run called ``run_id`` (a unique prefix is enough)."""
        if not run_id or "\x00" in run_id:  # PostgreSQL rejects NUL in text: no such run
            raise NotFoundError(f"no run {run_id!r} in {self.url}")
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(schema.runs).where(schema.runs.c.id.startswith(run_id, autoescape=True))
            ).all()
        if not rows:
            raise NotFoundError(f"no run {run_id!r} in {self.url}")
        if len(rows) > 1:
            raise NotFoundError(f"run id prefix {run_id!r} is ambiguous in {self.url}")
        return self._run_from_row(rows[0])

    def list_runs(self) -> list[RunInfo]:
        """All runs, newest first."""
        with self.engine.connect() as conn:
            rows = conn.execute(select(schema.runs).order_by(schema.runs.c.created_at.desc())).all()
        return [self._run_from_row(r) for r in rows]

    def add_run_counts(self, run_id: str, counts: dict[str, int]) -> None:
        """Add to a run's named counters (e.g. ``lost_calls``: calls lost with a Ray replica
        and asked again), which the summary reports; zero counts are not stored."""
        rows: list[dict[str, Any]] = [
            {"run_id": run_id, "name": k, "value": v} for k, v in counts.items() if v
        ]
        if not rows:
            return
        t = schema.run_counts
        with self.engine.begin() as conn:
            for r in rows:
                q = select(t.c.value).where(t.c.run_id == run_id, t.c.name == r["name"])
                old = conn.execute(q).scalar()
                r["value"] += int(old or 0)
            conn.execute(self._upsert_stmt(t, ("run_id", "name"), rows[0]), rows)

    def run_counts(self, run_id: str) -> dict[str, int]:
        """A run's named counters (see :meth:`add_run_counts`); empty when none."""
        t = schema.run_counts
        with self.engine.connect() as conn:
            rows = conn.execute(select(t.c.name, t.c.value).where(t.c.run_id == run_id)).all()
        return {r.name: int(r.value) for r in sorted(rows)}

    def close(self) -> None:
        """Release connections."""
        self.engine.dispose()

