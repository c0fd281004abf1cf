"""Recompute the chain, the commitments and the signed roots; name the first broken event.

Checks, in order of what they catch:

* chain: sequence numbers run 1, 2, 3, ... with no gap (a deleted or inserted event), each
  ``prev_hash`` is the hash of the event before (reordering), each hash recomputes from its
  fields (an altered event); the head row matches the last event (truncation, appending).
* content: the latest event about each row (case, reply, verdict, run, status; review
  accounts, API tokens, sessions, run assignments and redaction switches) commits to what the
  row holds now, every row has an event, deleted replies and assignments stay deleted, and the
  stored payloads of report/gate/review/cache events match. Every response-cache entry's text
  hashes to its digest, and that digest is the one its ``cache`` event committed to. Any
  changed byte of a result- or access-carrying column shows here; the columns deliberately
  left out are listed, with why, in :data:`UNAUDITED_COLUMNS`.
* roots: every signed root recomputes from the run's events and verifies under a TRUSTED
  public key (the keys given with ``--public-key``, listed in ``$MEDTRUST_TRUSTED_KEYS``, and
  this machine's own audit key): a trail re-signed with any other key fails, as does one with
  no trusted key to check it against. A finished run, every report or gate decision and every
  access change (account, token, session, assignment, redaction, lockout) is covered by a
  signed root.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

from medtrust.audit._hashing import GENESIS, sha256_hex
from medtrust.audit._keys import public_key_hex, trusted_keys
from medtrust.errors import MedtrustError, NotFoundError

if TYPE_CHECKING:
    from medtrust.audit._log import AuditEvent, AuditLog
    from medtrust.audit._run_check import RunPass

STATE_KINDS = frozenset(
    {
        "run", "status", "case", "reply", "reply_deleted", "verdict", "seal",
        "account", "token", "session", "assignment", "assignment_deleted", "redaction",
    }
)  # fmt: skip
"""Events that commit to a row of their own, compared with the row as it stands."""
FAMILY = {"reply_deleted": "reply", "assignment_deleted": "assignment"}
DELETION_KINDS = frozenset({"reply_deleted", "assignment_deleted"})
PAYLOAD_KINDS = frozenset({"assignment_deleted"})
"""State events whose content (who took the run back) is also kept owner-side, to be opened."""
MAY_VANISH = frozenset({"session"})
"""Families whose rows may be deleted without an event: ending a session (logout, expiry,
deactivation) only ever takes access away."""
SEALED_KINDS = frozenset(
    {
        "report", "gate", "account", "token", "session", "assignment", "assignment_deleted",
        "redaction", "account_locked", "account_unlock",
    }
)  # fmt: skip
"""Events the writer re-signs at once, so that each must be covered by a signed root."""
TERMINAL = frozenset({"done", "interrupted", "failed"})
ROW_FAMILIES = frozenset({"case", "reply", "verdict"})
"""Families with a row per case (or more), paired with their events by the store in a stream."""
BATCH = 5000
"""Events (or cache entries) read per query."""
TABLE_OF = {
    "run": "runs", "status": "runs", "case": "cases", "reply": "replies",
    "verdict": "verdicts", "seal": "audit_seals", "review": "reviews",
    "account": "review_users", "token": "review_tokens", "session": "review_sessions",
    "assignment": "review_assignments", "redaction": "review_runs", "cache": "cache",
}  # fmt: skip
"""The table each kind of event (or row family) commits to; ``audit_payloads`` otherwise."""

UNAUDITED_COLUMNS: dict[tuple[str, str], str] = {
    ("runs", "finished_at"): "bookkeeping: when the writer stopped; the status event records "
    "the outcome",
    ("runs", "pid"): "bookkeeping: the writing process, to tell a crashed run from a live one",
    ("runs", "host"): "bookkeeping: the writing machine, to tell a crashed run from a live one",
    ("replies", "created_at"): "timing only; the event's own timestamp is on the chain",
    ("cache", "target"): "informational; the key (a hash of target and request) is what a hit "
    "is found by, and the text is checked against its audited digest",
    ("cache", "created_at"): "timing only",
    ("run_counts", "run_id"): "engine diagnostics (calls lost with a Ray replica and asked "
    "again): they change no result; every reply and verdict they led to is on the chain",
    ("run_counts", "name"): "engine diagnostics; see run_id",
    ("run_counts", "value"): "engine diagnostics; see run_id",
    ("audit_seals", "at"): "timing only; the signature covers run, size and root",
    ("review_lockouts", "user"): "throttling state written on every failed login: editing it "
    "can lift or impose a lockout (availability), never grant access without the password; "
    "locking and unlocking are events (account_locked, account_unlock)",
    ("review_lockouts", "failures"): "throttling state (see review_lockouts.user)",
    ("review_lockouts", "locked_until"): "throttling state (see review_lockouts.user)",
}
"""Columns ``medtrust audit verify`` deliberately does not check, with why. Every other column
of every table is checked: a single changed value in it makes verification fail (the property
test in ``tests/audit/test_coverage.py`` mutates each one and asserts both halves)."""


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


def resolve_run(store: AuditLog, run_id: str) -> str:
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


def _chain(store: AuditLog, batch: int, passes: Mapping[str, RunPass]) -> tuple[int, list[Break]]:
    """(events, breaks) of the whole chain, read ``batch`` events per query: only the
    previous event is kept. Each event is also fed to its run's pass, if it has one."""
    out: list[Break] = []
    expected, prev, n, last = 1, GENESIS, 0, None
    for e in store.iter_audit_events(None, batch=batch):
        if (p := passes.get(e.run_id)) is not None:
            p.add(e)
        if e.seq != expected:
            out.append(_brk(e, f"sequence jumps from {expected - 1} to {e.seq} "
                               "(an audit_events row was deleted or inserted)"))  # fmt: skip
        elif e.prev_hash != prev:
            out.append(_brk(e, f"prev_hash is not the hash of event {e.seq - 1} "
                               "(audit_events rows reordered, replaced or inserted)"))  # fmt: skip
        elif e.recomputed_hash() != e.hash:
            out.append(_brk(e, "hash does not match the event's fields (audit_events row altered)"))
        prev, expected, n, last = e.hash, e.seq + 1, n + 1, e
    head = store.audit_head()
    last_seq, last_hash = (last.seq, last.hash) if last else (0, GENESIS)
    if head != (last_seq, last_hash):
        reason = (
            f"chain head (audit_head) records event {head[0]} but the chain ends at event "
            f"{last_seq} (events truncated, appended or altered)"
        )
        if last is not None and head[0] == last_seq:
            out.append(_brk(last, reason))
        else:
            out.append(Break(max(head[0], last_seq), "head", "chain", None, reason))
    return n, out


def _table(kind: str) -> str:
    return TABLE_OF.get(FAMILY.get(kind, kind), "audit_payloads")


def _cache(store: AuditLog, batch: int) -> list[Break]:
    """Each cache entry's text hashes to its digest, and the digest is the one its ``cache``
    event committed to (the event's payload itself is checked with the run's content). The
    entries are read ``batch`` at a time, each batch with the events it cites."""
    out: list[Break] = []
    for rows in store.iter_audit_cache_rows(batch=batch):
        cited = store.audit_events_at(int(r["audit_seq"]) for r in rows
                                      if r.get("audit_seq") is not None)  # fmt: skip
        payloads: dict[int, tuple[bool, Any]] = {}
        for row in rows:
            out += _cache_row(store, row, cited, payloads)
    return out


def _cache_row(
    store: AuditLog,
    row: dict[str, Any],
    cited: dict[int, AuditEvent],
    payloads: dict[int, tuple[bool, Any]],
) -> list[Break]:
    key, seq = str(row["key"]), row.get("audit_seq")
    if seq is None:
        if row.get("digest") is not None:  # reusable, yet no event audited its digest
            return [Break(None, "cache", key, None, f"cache row {key} has a digest but "
                          "no audit event (written around the trail)")]  # fmt: skip
        return []  # no digest at all (an entry from before digests): never reused
    e = cited.get(int(seq))
    if e is None or e.kind != "cache":
        return [Break(None, "cache", key, None, f"cache row {key} cites event {seq}, "
                                                "which is not a cache event")]  # fmt: skip
    if e.seq not in payloads:
        payloads[e.seq] = store.audit_payload(e.seq)
    found, payload = payloads[e.seq]
    audited = payload.get("digests", {}).get(key) if found and isinstance(payload, dict) else None
    if row.get("digest") != audited:
        return [_brk(e, f"cache row {key}: its digest is not the one this event audited")]
    if sha256_hex(str(row["text"]).encode("utf-8")) != row.get("digest"):
        return [_brk(e, f"cache row {key}: its text does not match its audited digest")]
    return []


def _local_key() -> str | None:
    try:
        return public_key_hex(create=False)
    except MedtrustError:
        return None


def trusted(public_keys: Sequence[str] = ()) -> frozenset[str]:
    """The keys roots must be signed with: ``public_keys`` (hex, PEM or files of keys),
    ``$MEDTRUST_TRUSTED_KEYS`` and this machine's own audit key, if it has one. Never the
    keys recorded in the store: whoever rewrites the store can record their own."""
    keys = set(trusted_keys(public_keys))
    local = _local_key()
    if local is not None:
        keys.add(local)
    return frozenset(keys)


NO_TRUSTED_KEY = (
    "no trusted public key to check this root against: pass --public-key FILE "
    "or list the signers' keys in $MEDTRUST_TRUSTED_KEYS"
)


def verify(
    store: AuditLog,
    run_id: str | None = None,
    *,
    public_keys: Sequence[str] = (),
    batch: int = BATCH,
) -> VerifyReport:
    """Verify the whole chain, and the content and roots of one run (or of every run and the
    response cache).

    ``public_keys``: signers to trust besides ``$MEDTRUST_TRUSTED_KEYS`` and the local key
    (hex, PEM or files; see :func:`trusted`). Raises ``NotFoundError`` for an unknown run and
    ``MedtrustError`` for an unreadable key file.

    Memory is flat in the store's size (issue 15): events and cache entries are read ``batch``
    per query (keyset on their keys), the rows that grow with a run (cases, replies, verdicts)
    are paired with their latest events by the database and streamed, and only running state
    is kept (the previous event; per run its Merkle frontier, its few other rows' latest
    events, counters) plus the breaks found. The breaks, and their order, are those of the
    whole-list check this replaced (``tests/audit/_reference_verify.py``).
    """
    from medtrust.audit._run_check import RunPass  # imports this module

    run = resolve_run(store, run_id) if run_id else None
    key = trusted(public_keys)
    runs = [run] if run else store.audit_run_ids()
    if run is None:
        with_events = store.audit_event_runs()
        runs += [r for r in store.concern_runs() if r not in with_events]
    passes = {r: RunPass(store, r) for r in runs}
    n, breaks = _chain(store, batch, passes)
    if run is None:
        breaks += _cache(store, batch)
    seals = 0
    for r in runs:
        found, run_seals = passes[r].breaks(key)
        breaks += found
        seals += run_seals
    breaks.sort(key=lambda b: (b.seq is None, b.seq or 0))
    return VerifyReport(events=n, runs=runs, seals=seals, breaks=breaks)
