"""The response cache: an optimisation, not evidence. A cached reply becomes a run's reply, so
each batch of cache entries records the SHA-256 of every text in one audit event, and a hit whose
text no longer matches its digest (or the audited one) is never reused."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, Engine, inspect, select, text
from sqlalchemy.sql.schema import Table

from medtrust.store import schema
from medtrust.store._results import now

if TYPE_CHECKING:
    from medtrust.store._ledger import AuditTx


def sha256(value: str) -> str:
    """Hex SHA-256 of a text's UTF-8 bytes."""
    return hashlib.sha256(value.encode("utf-8")).hexdigest()


class CacheMixin:
    """Cache methods of :class:`~medtrust.store.Store`."""

    engine: Engine
    audit: bool

    if TYPE_CHECKING:  # provided by the Store and its AuditMixin

        def _write(
            self, *, new_run: str | None = None
        ) -> AbstractContextManager[tuple[Connection, AuditTx | None]]: ...

        def _upsert_stmt(
            self, table: Table, keys: Sequence[str], columns: Iterable[str]
        ) -> Any: ...

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
            ok = r.digest is not None and sha256(r.text) == r.digest
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
                "created_at": now(),
                "digest": sha256(tx),
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
