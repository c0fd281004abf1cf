"""Recompute the chain, the commitments and the signed roots; name the first broken event.

Checks, in order of what they catch:

* chain: sequence numbers run 1, 2, 3, ... with no gap (a deleted or inserted event), each
  ``prev_hash`` is the hash of the event before (reordering), each hash recomputes from its
  fields (an altered event); the head row matches the last event (truncation, appending).
* content: the latest event about each row (case, reply, verdict, run, status) commits to what
  the row holds now, every row has an event, deleted replies stay deleted, and the stored
  payloads of report/gate events match. Any changed byte of a reply or verdict shows here.
* roots: every signed root recomputes from the run's events and verifies under the owner's
  public key; a finished run and every report or gate decision is covered by a signed root.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

from medtrust.audit._hashing import GENESIS, commitment, derive_salt
from medtrust.audit._keys import public_key_hex, verify_root
from medtrust.audit._merkle import merkle_root
from medtrust.errors import MedtrustError, NotFoundError

if TYPE_CHECKING:
    from medtrust.store import Store
    from medtrust.store._ledger import AuditEvent, Seal

STATE_KINDS = frozenset({"run", "status", "case", "reply", "reply_deleted", "verdict", "seal"})
FAMILY = {"reply_deleted": "reply"}
SEALED_KINDS = frozenset({"report", "gate"})
TERMINAL = frozenset({"done", "interrupted", "failed"})


@dataclass(frozen=True)
class Break:
    """One problem, located at an event (``seq``) or, for a row with no event, at none."""

    seq: int | None
    kind: str
    ref: str
    run_id: str | None
    reason: str

    def line(self) -> str:
        """One human line naming the event."""
        where = f"event {self.seq}" if self.seq is not None else "no event"
        run = f", run {self.run_id}" if self.run_id else ""
        return f"{where} ({self.kind} {self.ref}{run}): {self.reason}"


@dataclass(frozen=True)
class VerifyReport:
    """Outcome of :func:`verify`: intact when ``breaks`` is empty."""

    events: int
    runs: list[str]
    seals: int
    breaks: list[Break] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when nothing is broken."""
        return not self.breaks

    @property
    def first(self) -> Break | None:
        """The first broken event in chain order (rows without events come last)."""
        return self.breaks[0] if self.breaks else None

    def to_json(self) -> dict[str, Any]:
        """The ``--json`` object."""
        return {
            "ok": self.ok,
            "events": self.events,
            "runs": self.runs,
            "roots": self.seals,
            "first_broken": asdict(self.first) if self.first else None,
            "broken": len(self.breaks),
        }


def resolve_run(store: Store, run_id: str) -> str:
    """A full run id from a unique prefix, among runs with a row or with events."""
    ids = store.audit_run_ids()
    if run_id in ids:
        return run_id
    hits = [r for r in ids if r.startswith(run_id)]
    if not hits:
        raise NotFoundError(f"no run {run_id!r} in {store.url}")
    if len(hits) > 1:
        raise NotFoundError(f"run id prefix {run_id!r} is ambiguous in {store.url}")
    return hits[0]


def _brk(e: AuditEvent, reason: str) -> Break:
    return Break(seq=e.seq, kind=e.kind, ref=e.ref, run_id=e.run_id, reason=reason)


def _chain(events: list[AuditEvent], head: tuple[int, str]) -> list[Break]:
    out: list[Break] = []
    expected, prev = 1, GENESIS
    for e in events:
        if e.seq != expected:
            out.append(_brk(e, f"sequence jumps from {expected - 1} to {e.seq} "
                               "(an event was deleted or inserted)"))  # fmt: skip
        elif e.prev_hash != prev:
            out.append(_brk(e, f"prev_hash is not the hash of event {e.seq - 1} "
                               "(events reordered, replaced or inserted)"))  # fmt: skip
        elif e.recomputed_hash() != e.hash:
            out.append(_brk(e, "hash does not match the event's fields (event altered)"))
        prev, expected = e.hash, e.seq + 1
    last_seq, last_hash = (events[-1].seq, events[-1].hash) if events else (0, GENESIS)
    if head != (last_seq, last_hash):
        reason = (
            f"chain head records event {head[0]} but the chain ends at event {last_seq} "
            "(events truncated, appended or altered)"
        )
        if events and head[0] == last_seq:
            out.append(_brk(events[-1], reason))
        else:
            out.append(Break(max(head[0], last_seq), "head", "chain", None, reason))
    return out


def _content(store: Store, run: str, events: list[AuditEvent]) -> tuple[list[Break], str | None]:
    """Breaks in the run's content, and the run's status as its row records it."""
    out: list[Break] = []
    latest: dict[tuple[str, str], AuditEvent] = {}
    for e in events:
        if e.kind in STATE_KINDS:
            latest[(FAMILY.get(e.kind, e.kind), e.ref)] = e
    cases = {ref: e.commitment for (fam, ref), e in latest.items() if fam == "case"}
    state = store.audit_state(run, cases)
    status = state.get(("status", run), {}).get("status")
    secret = store.audit_secret(run)
    if events and secret is None:
        missing = "the run's salt key is missing: commitments cannot be checked"
        return [_brk(events[0], missing)], status
    for key, e in latest.items():
        fam = key[0]
        if e.kind == "reply_deleted":
            if key in state:
                out.append(_brk(e, "reply row exists although its deletion was recorded"))
        elif key not in state:
            out.append(_brk(e, f"the {fam} row this event records is missing (deleted)"))
        elif secret is not None and commitment(derive_salt(secret, e.seq), state[key]) != (
            e.commitment
        ):
            out.append(_brk(e, f"the stored {fam} differs from what this event committed to"))
    for fam, ref in sorted(state.keys() - latest.keys()):
        out.append(Break(None, fam, ref, run, "row has no audit event (written around the trail)"))
    for e in events:
        if e.kind in STATE_KINDS:
            continue
        found, payload = store.audit_payload(e.seq)
        if not found:
            out.append(_brk(e, "the content of this event is missing"))
        elif secret is not None and commitment(derive_salt(secret, e.seq), payload) != (
            e.commitment
        ):
            out.append(_brk(e, "the stored content differs from what this event committed to"))
    return out, status


def _local_key() -> str | None:
    try:
        return public_key_hex(create=False)
    except MedtrustError:
        return None


def _roots(
    seals: list[Seal], run: str, events: list[AuditEvent], status: str | None, key: str | None
) -> list[Break]:
    out: list[Break] = []
    for s in seals:
        leaves = [e for e in events if e.seq <= s.upto_seq]
        where = Break(s.upto_seq, "root", f"{run}@{s.size}", run, "")
        problem = None
        if len(leaves) != s.size or (leaves and leaves[-1].seq != s.upto_seq):
            problem = f"signed root covers {s.size} events up to {s.upto_seq}; found {len(leaves)}"
        elif merkle_root([bytes.fromhex(e.hash) for e in leaves]) != s.root:
            problem = "Merkle root does not recompute from the run's events"
        elif key is not None and s.public_key != key:
            problem = "root signed with a key that is not this owner's audit key"
        elif not verify_root(run, s.size, s.root, s.signature, s.public_key):
            problem = "root signature is invalid"
        if problem:
            out.append(Break(where.seq, where.kind, where.ref, run, problem))
    must = [e for e in events if e.kind in SEALED_KINDS]
    last_status = next((e for e in reversed(events) if e.kind == "status"), None)
    covered = max((s.upto_seq for s in seals), default=0)
    if last_status is not None and status in TERMINAL:
        must.append(last_status)
    for e in must:
        if e.seq > covered:
            out.append(_brk(e, "no signed root covers this event (a root was deleted)"))
            break
    return out


def verify(store: Store, run_id: str | None = None) -> VerifyReport:
    """Verify the whole chain, and the content and roots of one run (or of every run)."""
    run = resolve_run(store, run_id) if run_id else None
    events = store.audit_events()
    breaks = _chain(events, store.audit_head())
    by_run: dict[str, list[AuditEvent]] = defaultdict(list)
    for e in events:
        by_run[e.run_id].append(e)
    runs = [run] if run else store.audit_run_ids()
    key = _local_key()
    seals = 0
    for r in runs:
        evs = by_run.get(r, [])
        found, status = _content(store, r, evs)
        run_seals = store.audit_seals(r)
        breaks += found + _roots(run_seals, r, evs, status, key)
        seals += len(run_seals)
    breaks.sort(key=lambda b: (b.seq is None, b.seq or 0))
    return VerifyReport(events=len(events), runs=runs, seals=seals, breaks=breaks)


def check_roots(store: Store, run_id: str) -> VerifyReport:
    """The run's signed roots recompute from its events' hashes and verify, and its finished
    work is covered by a root: O(run events) hashing, no content re-commitment.

    What a report can afford on every render. It proves the published root matches the
    events stored for the run; only :func:`verify` (``medtrust audit verify``) also re-hashes
    every stored row and walks the global chain.
    """
    run = resolve_run(store, run_id)
    events = store.audit_events(run)
    seals = store.audit_seals(run)
    breaks = _roots(seals, run, events, store.get_run(run).status, _local_key())
    if not seals:
        breaks.append(Break(None, "root", run, run, "no signed root for this run"))
    return VerifyReport(events=len(events), runs=[run], seals=len(seals), breaks=breaks)
