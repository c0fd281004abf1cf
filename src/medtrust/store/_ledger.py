"""Appending audit events inside the store's own write transactions.

Every audited write opens its transaction by locking the chain head (an ``UPDATE`` of the head
row on SQLite, which takes the write lock at once like ``BEGIN IMMEDIATE``; ``SELECT ... FOR
UPDATE`` elsewhere), writes its rows, then appends one event per row written and moves the
head, all before commit. A crash therefore never leaves a row without its event or an event
without its row, and two writers on one database never fork the chain.

What each event commits to is defined here once (``*_content``) and used both when writing and
when verifying, so the two cannot drift apart.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, select, update

from medtrust.audit._hashing import commitment, derive_salt, event_hash, float_text
from medtrust.audit._log import AuditEvent as AuditEvent
from medtrust.audit._log import Seal as Seal
from medtrust.store import schema

CASE_FIELDS = (
    "case_id", "seq", "axis", "probe", "operator", "role", "parent_id", "item_id", "stage",
    "messages", "gold", "meta",
)  # fmt: skip


# -- what each event commits to --------------------------------------------------------------
def run_content(row: Mapping[Any, Any]) -> dict[str, Any]:
    created = row["created_at"]
    if created.tzinfo is None:
        created = created.replace(tzinfo=UTC)
    return {
        "id": row["id"],
        "suite": row["suite"],
        "target": row["target"],
        "seed": row["seed"],
        "config": row["config"],
        "created_at": created.astimezone(UTC).isoformat(),
    }


def status_content(status: str) -> dict[str, Any]:
    return {"status": status}


def case_content(row: Mapping[Any, Any]) -> dict[str, Any]:
    return {k: row[k] for k in CASE_FIELDS}


def reply_content(
    row: Mapping[Any, Any], case_commitment: str | None, sampling: Any
) -> dict[str, Any]:
    """Request sent and reply received, as one event: requests are persisted only when
    answered. The request is the case (by its commitment: opening a reply does not disclose the
    prompt) sent with the run's sampling parameters."""
    return {
        "request": {
            "case_id": row["case_id"],
            "sample": row["sample"],
            "case_commitment": case_commitment,
            "sampling": sampling,
        },
        "text": row["text"],
        "error": row["error"],
        "latency_s": float_text(row["latency_s"]),
        "cached": bool(row["cached"]),
    }


def reply_deleted_content(case_id: str, sample: int) -> dict[str, Any]:
    return {"case_id": case_id, "sample": sample, "deleted": True}


def verdict_content(row: Mapping[Any, Any]) -> dict[str, Any]:
    return {
        "case_id": row["case_id"],
        "judge": row["judge"],
        "outcome": row["outcome"],
        "score": float_text(row["score"]),
        "answer": row["answer"],
        "detail": row["detail"],
    }


def seal_content(row: Mapping[Any, Any]) -> dict[str, Any]:
    return {k: row[k] for k in ("run_id", "size", "upto_seq", "root", "signature", "public_key")}


def reply_ref(case_id: str, sample: int) -> str:
    return f"{case_id}/{sample}"


def verdict_ref(case_id: str, judge: str) -> str:
    return f"{case_id}/{judge}"


def sampling_of(config: Any) -> Any:
    """The sampling parameters inside a stored run configuration (``None`` when absent)."""
    suite = config.get("suite") if isinstance(config, dict) else None
    return suite.get("sampling") if isinstance(suite, dict) else None


# -- appending -------------------------------------------------------------------------------
_EVENT_COLS = ("seq", "run_id", "kind", "ref", "commitment", "prev_hash", "hash", "at")


class AuditTx:
    """The audit side of one write transaction: holds the head lock, appends events.

    ``written`` keeps what was appended so the store can update its caches once the
    transaction has committed (never before: a rollback must leave no trace in memory).
    """

    def __init__(self, conn: Connection, secrets_cache: Mapping[str, bytes]) -> None:
        self.conn = conn
        self._secrets = secrets_cache
        self.new_secrets: dict[str, bytes] = {}
        self.written: list[dict[str, Any]] = []
        # The first statement writes the head row: SQLite takes its write lock at once (as
        # BEGIN IMMEDIATE does), PostgreSQL locks the row (as SELECT ... FOR UPDATE does), so
        # the head read here cannot move until we commit. RETURNING needs SQLite >= 3.35.
        # Plain SQL through the driver: these run once per batch and Core's overhead shows.
        row = conn.exec_driver_sql(
            "UPDATE audit_head SET seq = seq WHERE id = 1 RETURNING seq, hash"
        ).one()
        self.seq, self.hash = int(row[0]), str(row[1])
        style = conn.dialect.paramstyle
        self._mark = "?" if style == "qmark" else "%s" if style in ("format", "pyformat") else None

    def _secret(self, run_id: str) -> bytes:
        known = self._secrets.get(run_id) or self.new_secrets.get(run_id)
        if known is not None:
            return known
        t = schema.audit_secrets
        hexed = self.conn.execute(select(t.c.secret).where(t.c.run_id == run_id)).scalar()
        if hexed is None:
            secret = secrets.token_bytes(32)
            self.conn.execute(t.insert().values(run_id=run_id, secret=secret.hex()))
        else:
            secret = bytes.fromhex(hexed)
        self.new_secrets[run_id] = secret
        return secret

    def case_commitments(self, run_id: str, ids: Sequence[str]) -> dict[str, str]:
        """Commitments of the ``case`` events of these cases of the run (what a reply's request
        cites), 500 ids per query."""
        t = schema.audit_events
        out: dict[str, str] = {}
        for i in range(0, len(ids), 500):
            q = select(t.c.ref, t.c.commitment).where(
                t.c.run_id == run_id, t.c.kind == "case", t.c.ref.in_(ids[i : i + 500])
            )
            out.update({r.ref: r.commitment for r in self.conn.execute(q)})
        return out

    def append(
        self,
        run_id: str,
        items: Sequence[tuple[str, str, Any]],
        *,
        payload: bool = False,
    ) -> list[dict[str, Any]]:
        """Append one event per ``(kind, ref, content)``; returns the event rows written.

        ``payload`` keeps the content itself (owner-side) for events with no row of their own.
        """
        if not items:
            return []
        secret = self._secret(run_id)
        at = datetime.now(UTC).isoformat()
        seq, prev = self.seq, self.hash
        rows: list[dict[str, Any]] = []
        for kind, ref, content in items:
            seq += 1
            c = commitment(derive_salt(secret, seq), content)
            h = event_hash(seq=seq, run=run_id, kind=kind, ref=ref, commitment=c, prev=prev, at=at)
            rows.append(
                {
                    "seq": seq,
                    "run_id": run_id,
                    "kind": kind,
                    "ref": ref,
                    "commitment": c,
                    "prev_hash": prev,
                    "hash": h,
                    "at": at,
                }
            )
            prev = h
        m = self._mark
        if m:  # the driver's executemany: a third of Core's per-row cost
            self.conn.exec_driver_sql(
                f"INSERT INTO audit_events ({', '.join(_EVENT_COLS)}) VALUES "
                f"({', '.join([m] * len(_EVENT_COLS))})",
                [tuple(r[k] for k in _EVENT_COLS) for r in rows],
            )
        else:  # pragma: no cover - drivers with other parameter styles
            self.conn.execute(schema.audit_events.insert(), rows)
        if payload:
            self.conn.execute(
                schema.audit_payloads.insert(),
                [{"seq": r["seq"], "content": it[2]} for r, it in zip(rows, items, strict=True)],
            )
        if m:
            self.conn.exec_driver_sql(
                f"UPDATE audit_head SET seq = {m}, hash = {m} WHERE id = 1", (seq, prev)
            )
        else:  # pragma: no cover
            head = schema.audit_head
            self.conn.execute(update(head).where(head.c.id == 1).values(seq=seq, hash=prev))
        self.seq, self.hash = seq, prev
        self.written += rows
        return rows
