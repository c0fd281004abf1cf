"""The Store: every stage reads and writes results through here, in small transactions, so a
killed run loses at most the batch in flight and never writes a duplicate.

Each write also appends its audit events (see ``_ledger``) inside the same transaction. The
response cache is an optimisation, not evidence, but a cached reply becomes a run's reply, so
each batch of cache entries records the SHA-256 of every text in one audit event, and a hit
whose text no longer matches its digest (or the audited one) is never reused.
"""

from __future__ import annotations

import hashlib
import os
import re
import socket
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, func, inspect, make_url, select, text, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import ArgumentError, DBAPIError
from sqlalchemy.sql.dml import Insert
from sqlalchemy.sql.schema import Table

from medtrust.audit._hashing import GENESIS
from medtrust.errors import MedtrustError, NotFoundError
from medtrust.records import Case, Reply, RunInfo, RunStatus, Verdict
from medtrust.store import schema
from medtrust.store._accounts import AccountsMixin
from medtrust.store._audit import AuditMixin
from medtrust.store._ledger import (
    case_content,
    reply_content,
    reply_deleted_content,
    reply_ref,
    run_content,
    status_content,
    verdict_content,
    verdict_ref,
)
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


def _now() -> datetime:
    return datetime.now(UTC)


def _aware(dt: datetime | None) -> datetime | None:
    """SQLite returns naive datetimes; everything we store is UTC."""
    if dt is not None and dt.tzinfo is None:
        return dt.replace(tzinfo=UTC)
    return dt


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA busy_timeout=10000")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.close()


def _first_of(
    rows: list[dict[str, Any]], inserted: set[Any], key: Callable[[dict[str, Any]], Any]
) -> list[dict[str, Any]]:
    """The rows an INSERT ... ON CONFLICT DO NOTHING really added (first of duplicates)."""
    out = []
    for r in rows:
        k = key(r)
        if k in inserted:
            inserted.discard(k)
            out.append(r)
    return out


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


class Store(AuditMixin, AccountsMixin, ReviewsMixin):
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
            self.engine: Engine = create_engine(real, future=True)
        except ImportError as exc:
            extra = "pg" if (exc.name or "").startswith("psycopg") else None
            hint = f": install medtrust[{extra}] (pip install 'medtrust[{extra}]')" if extra else ""
            raise MedtrustError(f"--db {shown}: the {exc.name} driver is missing{hint}") from None
        except (ArgumentError, ValueError) as exc:
            raise MedtrustError(f"--db {shown}: not a database URL ({exc})") from None
        if self.engine.dialect.name == "sqlite":
            event.listen(self.engine, "connect", _sqlite_pragmas)
        try:
            schema.metadata.create_all(self.engine)
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
        if name == "sqlite":
            return sqlite.insert(table).on_conflict_do_nothing()
        if name == "postgresql":
            return postgresql.insert(table).on_conflict_do_nothing()
        raise MedtrustError(
            f"--db: unsupported database dialect {name!r} (use sqlite or postgresql)"
        )

    def _upsert_stmt(self, table: Table, keys: Sequence[str], columns: Iterable[str]) -> Any:
        name = self.engine.dialect.name
        stmt: Any = sqlite.insert(table) if name == "sqlite" else postgresql.insert(table)
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
            "created_at": _now(),
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

    def set_status(self, run_id: str, status: RunStatus) -> None:
        """Move a run to ``status``; finished runs get a finish time, resumed ones our pid.

        Leaving ``running`` seals the run: its Merkle root is signed as it stands.
        """
        values: dict[str, Any] = {"status": status}
        if status == "running":
            values.update(pid=os.getpid(), host=socket.gethostname(), finished_at=None)
        else:
            values["finished_at"] = _now()
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
            created_at=_aware(row.created_at) or _now(),
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

    # -- cases ---------------------------------------------------------------------------
    def add_cases(self, run_id: str, cases: Iterable[Case]) -> None:
        """Store cases for a run (idempotent: a case already stored is kept as is)."""
        cases = list(cases)
        if not cases:
            return
        with self._write() as (conn, tx):
            start = conn.execute(
                select(func.count())
                .select_from(schema.cases)
                .where(schema.cases.c.run_id == run_id)
            ).scalar_one()
            rows: list[dict[str, Any]] = [
                {
                    "run_id": run_id,
                    "case_id": c.id,
                    "seq": start + i,
                    "axis": c.axis,
                    "probe": c.probe,
                    "operator": c.operator,
                    "role": c.role,
                    "parent_id": c.parent_id,
                    "item_id": c.item_id,
                    "stage": c.stage,
                    "messages": c.messages,
                    "gold": c.gold,
                    "meta": c.meta,
                }
                for i, c in enumerate(cases)
            ]
            if tx is None:
                conn.execute(self._insert_ignore(schema.cases), rows)
                return
            t = schema.cases
            stmt = self._insert_ignore(t).returning(t.c.case_id)
            inserted = set(conn.execute(stmt, rows).scalars())  # an event per row really added
            added = _first_of(rows, inserted, lambda r: r["case_id"])
            tx.append(run_id, [("case", r["case_id"], case_content(r)) for r in added])

    def cases(self, run_id: str) -> list[Case]:
        """All cases of a run in generation order."""
        t = schema.cases
        with self.engine.connect() as conn:
            rows = conn.execute(select(t).where(t.c.run_id == run_id).order_by(t.c.seq)).all()
        return [
            Case(
                id=r.case_id,
                axis=r.axis,
                probe=r.probe,
                operator=r.operator,
                role=r.role,
                parent_id=r.parent_id,
                item_id=r.item_id,
                stage=r.stage,
                messages=r.messages,
                gold=r.gold,
                meta=r.meta,
            )
            for r in rows
        ]

    # -- replies -------------------------------------------------------------------------
    def add_replies(self, run_id: str, replies: Iterable[Reply]) -> None:
        """Persist replies as they arrive; a (case, sample) already stored is never duplicated."""
        rows: list[dict[str, Any]] = [
            {
                "run_id": run_id,
                "case_id": r.case_id,
                "sample": r.sample,
                "text": r.text,
                "error": r.error,
                "latency_s": r.latency_s,
                "cached": r.cached,
                "created_at": _now(),
            }
            for r in replies
        ]
        if not rows:
            return
        with self._write() as (conn, tx):
            if tx is None:
                conn.execute(self._insert_ignore(schema.replies), rows)
                return
            t = schema.replies
            stmt = self._insert_ignore(t).returning(t.c.case_id, t.c.sample)
            inserted = {(r.case_id, r.sample) for r in conn.execute(stmt, rows)}
            rows = _first_of(rows, inserted, lambda r: (r["case_id"], r["sample"]))
            if not rows:
                return
            commits = self._case_commitments(tx, run_id, [r["case_id"] for r in rows])
            sampling = self._run_sampling(conn, run_id)
            tx.append(
                run_id,
                [
                    (
                        "reply",
                        reply_ref(r["case_id"], r["sample"]),
                        reply_content(r, commits.get(r["case_id"]), sampling),
                    )
                    for r in rows
                ],
            )

    def replies(self, run_id: str) -> dict[str, list[Reply]]:
        """Replies of a run grouped by case id, samples in order."""
        t = schema.replies
        out: dict[str, list[Reply]] = {}
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(t).where(t.c.run_id == run_id).order_by(t.c.case_id, t.c.sample)
            ).all()
        for r in rows:
            out.setdefault(r.case_id, []).append(
                Reply(
                    case_id=r.case_id,
                    sample=r.sample,
                    text=r.text,
                    error=r.error,
                    latency_s=r.latency_s,
                    cached=r.cached,
                )
            )
        return out

    def delete_error_replies(self, run_id: str) -> int:
        """Drop errored replies so that ``--resume`` retries them; returns how many."""
        t = schema.replies
        where = (t.c.run_id == run_id, t.c.error.is_not(None))
        with self._write() as (conn, tx):
            gone = conn.execute(select(t.c.case_id, t.c.sample).where(*where)).all() if tx else []
            res = conn.execute(t.delete().where(*where))
            if tx:
                tx.append(
                    run_id,
                    [
                        ("reply_deleted", reply_ref(c, s), reply_deleted_content(c, s))
                        for c, s in gone
                    ],
                )
        return int(res.rowcount or 0)

    # -- verdicts ------------------------------------------------------------------------
    def put_verdicts(self, run_id: str, verdicts: Iterable[Verdict]) -> None:
        """Store verdicts, replacing an earlier verdict of the same judge on the same case."""
        rows: list[dict[str, Any]] = [
            {
                "run_id": run_id,
                "case_id": v.case_id,
                "judge": v.judge,
                "outcome": v.outcome,
                "score": v.score,
                "answer": v.answer,
                "detail": v.detail,
            }
            for v in verdicts
        ]
        if not rows:
            return
        with self._write() as (conn, tx):
            keys = ("run_id", "case_id", "judge")
            conn.execute(self._upsert_stmt(schema.verdicts, keys, rows[0]), rows)
            if tx:  # a re-judge replaces the row and is recorded as a new event
                tx.append(
                    run_id,
                    [
                        ("verdict", verdict_ref(r["case_id"], r["judge"]), verdict_content(r))
                        for r in rows
                    ],
                )

    def verdicts(self, run_id: str) -> dict[str, Verdict]:
        """Verdicts of a run by case id (one judge per case in this version)."""
        t = schema.verdicts
        with self.engine.connect() as conn:
            rows = conn.execute(select(t).where(t.c.run_id == run_id)).all()
        return {
            r.case_id: Verdict(
                case_id=r.case_id,
                judge=r.judge,
                outcome=r.outcome,
                score=r.score,
                answer=r.answer,
                detail=r.detail,
            )
            for r in rows
        }

    # -- cache ---------------------------------------------------------------------------
    def _migrate_cache(self) -> None:
        """Add the digest columns to a cache table made by an older medtrust (its rows, with
        no digest, are then never reused)."""
        cols = {c["name"] for c in inspect(self.engine).get_columns("cache")}
        missing = [c for c in ("digest", "audit_seq") if c not in cols]
        if missing:
            types = {"digest": "VARCHAR(64)", "audit_seq": "INTEGER"}
            with self.engine.begin() as conn:
                for c in missing:
                    conn.execute(text(f"ALTER TABLE cache ADD COLUMN {c} {types[c]}"))

    def cache_lookup(self, keys: Sequence[str]) -> tuple[dict[str, str], set[str]]:
        """(verified hits, rejected keys) for the given request keys.

        A hit is reused only when the SHA-256 of its text equals the digest stored with it and,
        when the entry was audited, the digest its audit event committed to. Anything else
        (edited text, edited digest, a missing event, a pre-digest entry) is rejected: the
        caller asks the target again, and the fresh reply replaces the entry.
        """
        if not keys:
            return {}, set()
        t = schema.cache
        rows: list[Any] = []
        with self.engine.connect() as conn:
            for i in range(0, len(keys), 500):
                chunk = list(keys[i : i + 500])
                q = select(t.c.key, t.c.text, t.c.digest, t.c.audit_seq).where(t.c.key.in_(chunk))
                rows += conn.execute(q).all()
            seqs = sorted({r.audit_seq for r in rows if r.audit_seq is not None})
            audited: dict[int, Any] = {}
            p = schema.audit_payloads
            for i in range(0, len(seqs), 500):
                q2 = select(p.c.seq, p.c.content).where(p.c.seq.in_(seqs[i : i + 500]))
                audited.update({r.seq: r.content for r in conn.execute(q2)})
        hits: dict[str, str] = {}
        rejected: set[str] = set()
        for r in rows:
            ok = r.digest is not None and _sha256(r.text) == r.digest
            if ok and r.audit_seq is not None:
                entries = audited.get(r.audit_seq)
                ok = isinstance(entries, dict) and (entries.get("digests") or {}).get(
                    r.key
                ) == r.digest
            if ok:
                hits[r.key] = r.text
            else:
                rejected.add(r.key)
        return hits, rejected

    def cache_get(self, keys: Sequence[str]) -> dict[str, str]:
        """Cached reply texts for the given request keys (verified hits only; see
        :meth:`cache_lookup`)."""
        return self.cache_lookup(keys)[0]

    def cache_put(
        self, items: Iterable[tuple[str, str, str]], *, run_id: str | None = None
    ) -> None:
        """Remember successful replies: (key, target, text), each with the SHA-256 of its text.

        With auditing on and a ``run_id``, the batch's digests are committed to in one
        ``cache`` audit event of that run (one event per batch keeps the chain cheap). A key
        already stored is replaced: after a rejected hit the fresh reply takes its place.
        """
        rows: list[dict[str, Any]] = [
            {
                "key": k,
                "target": tg,
                "text": tx,
                "created_at": _now(),
                "digest": _sha256(tx),
                "audit_seq": None,
            }
            for k, tg, tx in dict((it[0], it) for it in items).values()
        ]
        if not rows:
            return
        if run_id is None or not self.audit:
            with self.engine.begin() as conn:
                conn.execute(self._upsert_stmt(schema.cache, ("key",), rows[0]), rows)
            return
        with self._write() as (conn, tx):
            if tx is not None:
                content = {"digests": {r["key"]: r["digest"] for r in rows}}
                ref = f"cache/{str(rows[0]['key'])[:16]}+{len(rows) - 1}"
                (event_row,) = tx.append(run_id, [("cache", ref, content)], payload=True)
                for r in rows:
                    r["audit_seq"] = event_row["seq"]
            conn.execute(self._upsert_stmt(schema.cache, ("key",), rows[0]), rows)

    def close(self) -> None:
        """Release connections."""
        self.engine.dispose()


def _sha256(value: str) -> str:
    return hashlib.sha256(value.encode("utf-8")).hexdigest()
