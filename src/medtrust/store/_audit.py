"""The store's audit write side: one context manager for every audited transaction, caches
that are updated only after commit, free-standing events and seals.

``medtrust.audit`` holds the logic (verify, proofs, export) and reaches the tables only through
the store's methods, so it never imports the store at run time.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, Engine, func, select
from sqlalchemy.sql.dml import Insert
from sqlalchemy.sql.schema import Table

from medtrust.audit._merkle import MerkleFrontier
from medtrust.store import schema
from medtrust.store._audit_reads import AuditReadsMixin
from medtrust.store._ledger import AuditTx, Seal, sampling_of, seal_content

CASE_COMMITS_KEPT = 16384
"""Case commitments kept in memory (the latest added): far more than the windows in flight
(``engine.WINDOW`` cases each), and a few MB whatever the run's size (issue 15: flat memory)."""


def _keep_last(known: OrderedDict[str, str]) -> None:
    """Drop the oldest entries (insertion order) beyond :data:`CASE_COMMITS_KEPT` (O(1) each:
    a plain dict's first key is found by skipping the slots of the keys deleted before it)."""
    for _ in range(len(known) - CASE_COMMITS_KEPT):
        known.popitem(last=False)

class AuditMixin(AuditReadsMixin):
    """Audit methods of :class:`~medtrust.store.Store`."""

    engine: Engine
    audit: bool

    def _init_audit(self, audit: bool) -> None:
        self.audit = audit
        self._secrets: dict[str, bytes] = {}
        self._sampling: dict[str, Any] = {}
        self._case_commits: dict[str, OrderedDict[str, str]] = {}  # the current run's only
        self._frontiers: dict[str, MerkleFrontier] = {}

    def _insert_ignore(self, table: Table) -> Insert:  # pragma: no cover - Store overrides
        raise NotImplementedError

    @contextmanager
    def _write(self, *, new_run: str | None = None) -> Iterator[tuple[Connection, AuditTx | None]]:
        """A write transaction whose first statement locks the chain head (when auditing).

        Caches learn what was appended only after the commit. ``new_run`` starts an in-memory
        Merkle frontier for a run known to have no earlier events.
        """
        with self.engine.begin() as conn:
            tx = AuditTx(conn, self._secrets) if self.audit else None
            yield conn, tx
        if tx is None:
            return
        self._secrets.update(tx.new_secrets)
        if new_run is not None:
            self._frontiers[new_run] = MerkleFrontier()
        for e in tx.written:
            run = e["run_id"]
            if run in self._frontiers:
                self._frontiers[run].add(bytes.fromhex(e["hash"]), e["seq"])
            if e["kind"] == "case":
                known = self._case_commits.get(run)
                if known is None:  # a new current run: the previous one's are dropped
                    self._case_commits = {run: (known := OrderedDict())}
                known[e["ref"]] = e["commitment"]
        for known in self._case_commits.values():
            _keep_last(known)

    def _case_commitments(self, tx: AuditTx, run_id: str, ids: Sequence[str]) -> dict[str, str]:
        """Case commitments for replies: the cases this store added last are in memory (the
        windows in flight); the others (a resumed run, cases added through another Store
        object) are read for these ids only."""
        known = self._case_commits.get(run_id)
        if known is None:
            self._case_commits = {run_id: (known := OrderedDict())}
        missing = sorted({i for i in ids if i not in known})
        found = tx.case_commitments(run_id, missing) if missing else {}
        out = {i: c for i in ids if (c := known.get(i) or found.get(i)) is not None}
        known.update(found)
        _keep_last(known)  # after ``out`` is taken: a batch larger than the cap is answered whole
        return out

    def _run_sampling(self, conn: Connection, run_id: str) -> Any:
        if run_id not in self._sampling:
            config = conn.execute(
                select(schema.runs.c.config).where(schema.runs.c.id == run_id)
            ).scalar()
            self._sampling[run_id] = sampling_of(config)
        return self._sampling[run_id]

    def record_event(
        self, run_id: str, kind: str, ref: str, content: Any, *, seal: bool = False
    ) -> int | None:
        """Append an event that has no row of its own (report issued, gate decision, review).

        Its content (JSON) is kept owner-side in ``audit_payloads`` so it can be opened later;
        ``seal`` re-signs the run's root afterwards, and is implied for ``report`` and ``gate``
        (verification expects a signed root over every such decision). Returns the event's
        sequence number (``None`` when auditing is off).
        """
        if not self.audit:
            return None
        with self._write() as (_, tx):
            assert tx is not None
            (row,) = tx.append(run_id, [(kind, ref, content)], payload=True)
        if seal or kind in ("report", "gate"):
            self.seal(run_id)
        return int(row["seq"])

    def _frontier(self, run_id: str) -> MerkleFrontier | None:
        """The run's in-memory tree if it still matches the database, else one rebuilt from it."""
        t = schema.audit_events
        with self.engine.connect() as conn:
            n, last = conn.execute(
                select(func.count(), func.max(t.c.seq)).where(t.c.run_id == run_id)
            ).one()
            if not n:
                return None
            f = self._frontiers.get(run_id)
            if f is not None and (f.size, f.last_seq) == (n, last):
                return f
            f = MerkleFrontier()  # resumed run or another writer: read the run's events once
            q = select(t.c.seq, t.c.hash).where(t.c.run_id == run_id).order_by(t.c.seq)
            for r in conn.execute(q):
                f.add(bytes.fromhex(r.hash), r.seq)
        self._frontiers[run_id] = f
        return f

    def seal(self, run_id: str) -> Seal | None:
        """Sign the Merkle root over the run's events as they stand (``None``: no events).

        The seal is itself recorded as a ``seal`` event, so deleting or editing a signed root
        breaks the chain like any other row. Sealing again with nothing new but seal events
        returns the newest seal instead of growing the chain.
        """
        if not self.audit:
            return None
        seals = self.audit_seals(run_id)
        t = schema.audit_events
        if seals:
            with self.engine.connect() as conn:
                newer = conn.execute(
                    select(func.count()).where(
                        t.c.run_id == run_id, t.c.seq > seals[-1].upto_seq, t.c.kind != "seal"
                    )
                ).scalar_one()
            if not newer:
                return seals[-1]
        f = self._frontier(run_id)
        if f is None:
            return None
        # Here, not at the top: cryptography is ~20 ms of every command's start-up, and only a
        # seal (a run's end) signs.
        from medtrust.audit._keys import public_key_hex, sign_root

        root = f.root
        seal = Seal(
            run_id=run_id,
            size=f.size,
            upto_seq=f.last_seq,
            root=root,
            signature=sign_root(run_id, f.size, root),
            public_key=public_key_hex(),
            at=datetime.now(UTC).isoformat(),
        )
        with self._write() as (conn, tx):
            st = schema.audit_seals
            added = conn.execute(
                self._insert_ignore(st).values(**asdict(seal)).returning(st.c.size)
            ).first()
            if added is None:  # another writer sealed this very tree first
                return next(s for s in self.audit_seals(run_id) if s.size == f.size)
            if tx is not None:
                tx.append(run_id, [("seal", str(seal.size), seal_content(asdict(seal)))])
        return seal
