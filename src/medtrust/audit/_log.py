"""What the audit logic reads: the published events and seals, and the log that holds them.

The store writes the chain (inside its own transactions, ``medtrust.store._ledger``) and
implements :class:`AuditLog`; this package verifies, proves and exports through that protocol,
so ``audit`` never imports ``store`` (the store sits above the audit primitives it uses).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any, Protocol

from medtrust.audit._hashing import event_hash
from medtrust.records import RunInfo


@dataclass(frozen=True, slots=True)
class AuditEvent:
    """One link of the chain, exactly as published (no content, only its commitment)."""

    seq: int
    run_id: str
    kind: str
    ref: str
    commitment: str
    prev_hash: str
    hash: str
    at: str

    def recomputed_hash(self) -> str:
        """The hash this event must have given its fields."""
        return event_hash(
            seq=self.seq,
            run=self.run_id,
            kind=self.kind,
            ref=self.ref,
            commitment=self.commitment,
            prev=self.prev_hash,
            at=self.at,
        )

    def to_json(self) -> dict[str, Any]:
        """Publishable form (the field names of the hashed header)."""
        return {
            "seq": self.seq,
            "run": self.run_id,
            "kind": self.kind,
            "ref": self.ref,
            "commitment": self.commitment,
            "prev": self.prev_hash,
            "at": self.at,
            "hash": self.hash,
        }


@dataclass(frozen=True, slots=True)
class Seal:
    """A signed Merkle root over a run's first ``size`` events (those up to ``upto_seq``)."""

    run_id: str
    size: int
    upto_seq: int
    root: str
    signature: str
    public_key: str
    at: str



@dataclass(frozen=True, kw_only=True)
class QueueDigest:
    """The size and digests of a run's concern queue (``medtrust.store._concerns``):
    ``ids_sha256`` over its sorted case ids, ``rows_sha256`` over its rows with their scores."""

    count: int
    ids_sha256: str
    rows_sha256: str


class RowCheck(Protocol):
    """A case, reply or verdict row with the latest event of its ref (``event`` None: none),
    ``content`` what that event must commit to (``medtrust.store._audit_rows.RowCheck``)."""

    @property
    def family(self) -> str: ...
    @property
    def ref(self) -> str: ...
    @property
    def event(self) -> AuditEvent | None: ...
    @property
    def content(self) -> Any: ...


class AuditLog(Protocol):
    """The reads and the one write that verification, proofs, export and decisions need
    (:class:`medtrust.store.Store` implements it)."""

    url: str
    """The database URL, password masked (for messages)."""

    def get_run(self, run_id: str) -> RunInfo:
        """The run; raises ``NotFoundError`` when absent."""
        ...

    def audit_events(self, run_id: str | None = None) -> list[AuditEvent]:
        """Events in chain order: all of them, or one run's."""
        ...

    def iter_audit_events(
        self, run_id: str | None = None, *, batch: int = ...
    ) -> Iterator[AuditEvent]:
        """One run's events (every event: ``run_id`` None) in chain order, read ``batch`` at a
        time."""
        ...

    def audit_run_extent(self, run_id: str) -> tuple[int, int, int]:
        """(events, last sequence number, last one that is not a ``seal``) of the run."""
        ...

    def audit_events_at(self, seqs: Iterable[int]) -> dict[int, AuditEvent]:
        """The events with these sequence numbers, by sequence number."""
        ...

    def audit_event_runs(self) -> set[str]:
        """Every run id that has at least one event."""
        ...

    def iter_audit_row_checks(self, run_id: str, family: str) -> Iterator[RowCheck]:
        """Each case, reply or verdict row of the run with the latest event of its ref."""
        ...

    def audit_live_refs(self, run_id: str, family: str) -> int:
        """How many case, reply or verdict refs of the run must have a row."""
        ...

    def audit_rowless_events(self, run_id: str, family: str) -> list[AuditEvent]:
        """Latest case, reply or verdict events whose row is missing, in chain order."""
        ...

    def audit_events_for(self, case_id: str, run_id: str | None = None) -> list[AuditEvent]:
        """The events of one case (its rows, replies and verdicts)."""
        ...

    def audit_head(self) -> tuple[int, str]:
        """The chain head: (last sequence number, its hash)."""
        ...

    def audit_seals(self, run_id: str) -> list[Seal]:
        """A run's signed roots, oldest first."""
        ...

    def audit_secret(self, run_id: str) -> bytes | None:
        """The run's commitment salt secret (owner side); None when absent."""
        ...

    def audit_payload(self, seq: int) -> tuple[bool, Any]:
        """(found, JSON content) of an event that has no row of its own."""
        ...

    def audit_run_ids(self) -> list[str]:
        """Every run id that has events."""
        ...

    def audit_state(
        self, run_id: str, case_commitments: dict[str, str], *, rows: bool = ...
    ) -> dict[tuple[str, str], Any]:
        """What the run's rows say now, keyed ``(family, ref)``."""
        ...

    def audit_cache_rows(self) -> list[dict[str, Any]]:
        """The reply cache's rows with the digests they were stored under."""
        ...

    def iter_audit_cache_rows(self, *, batch: int = ...) -> Iterator[list[dict[str, Any]]]:
        """The reply cache's rows, in key order, ``batch`` per list."""
        ...

    def concern_digest(self, run_id: str, *, batch: int = ...) -> QueueDigest:
        """The size and SHA-256 digests of the run's concern queue (``review_concerns``)."""
        ...

    def concern_runs(self) -> list[str]:
        """Every run id that has a concern queue."""
        ...

    def seal(self, run_id: str) -> Seal | None:
        """Sign the run's Merkle root as it stands (None: no events)."""
        ...

    def record_event(
        self, run_id: str, kind: str, ref: str, content: Any, *, seal: bool = False
    ) -> int | None:
        """Append an event with no row of its own; its sequence number (None: audit off)."""
        ...
