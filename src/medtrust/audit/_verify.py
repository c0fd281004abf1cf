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

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

from medtrust.audit._hashing import GENESIS, commitment, derive_salt, sha256_hex
from medtrust.audit._keys import public_key_hex, trusted_keys, verify_root
from medtrust.audit._merkle import merkle_root
from medtrust.errors import MedtrustError, NotFoundError

if TYPE_CHECKING:
    from medtrust.audit._log import AuditEvent, AuditLog, Seal

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


def _chain(events: list[AuditEvent], head: tuple[int, str]) -> list[Break]:
    out: list[Break] = []
    expected, prev = 1, GENESIS
    for e in events:
        if e.seq != expected:
            out.append(_brk(e, f"sequence jumps from {expected - 1} to {e.seq} "
                               "(an audit_events row was deleted or inserted)"))  # fmt: skip
        elif e.prev_hash != prev:
            out.append(_brk(e, f"prev_hash is not the hash of event {e.seq - 1} "
                               "(audit_events rows reordered, replaced or inserted)"))  # fmt: skip
        elif e.recomputed_hash() != e.hash:
            out.append(_brk(e, "hash does not match the event's fields (audit_events row altered)"))
        prev, expected = e.hash, e.seq + 1
    last_seq, last_hash = (events[-1].seq, events[-1].hash) if events else (0, GENESIS)
    if head != (last_seq, last_hash):
        reason = (
            f"chain head (audit_head) records event {head[0]} but the chain ends at event "
            f"{last_seq} (events truncated, appended or altered)"
        )
        if events and head[0] == last_seq:
            out.append(_brk(events[-1], reason))
        else:
            out.append(Break(max(head[0], last_seq), "head", "chain", None, reason))
    return out


def _table(kind: str) -> str:
    return TABLE_OF.get(FAMILY.get(kind, kind), "audit_payloads")


def _content(store: AuditLog, run: str, events: list[AuditEvent]) -> tuple[list[Break], str | None]:
    """Breaks in the run's content, and the run's status as its row records it."""
    out: list[Break] = []
    checked = failed = 0
    latest: dict[tuple[str, str], AuditEvent] = {}
    for e in events:
        if e.kind in STATE_KINDS:
            latest[(FAMILY.get(e.kind, e.kind), e.ref)] = e
    cases = {ref: e.commitment for (fam, ref), e in latest.items() if fam == "case"}
    state = store.audit_state(run, cases)
    status = state.get(("status", run), {}).get("status")
    secret = store.audit_secret(run)
    if events and secret is None:
        missing = "the run's salt key (audit_secrets row) is missing: commitments cannot be checked"
        return [_brk(events[0], missing)], status
    for key, e in latest.items():
        fam, table = key[0], _table(e.kind)
        if e.kind in DELETION_KINDS:
            if key in state:
                out.append(_brk(e, f"{table} row exists although its deletion was recorded"))
        elif key not in state:
            if fam not in MAY_VANISH:
                out.append(_brk(e, f"the {table} row this event records is missing (deleted)"))
        elif secret is not None:
            checked += 1
            if commitment(derive_salt(secret, e.seq), state[key]) != e.commitment:
                failed += 1
                out.append(_brk(e, f"the {table} row differs from what this event committed to"))
    for fam, ref in sorted(state.keys() - latest.keys()):
        table = TABLE_OF.get(fam, fam)
        out.append(
            Break(None, fam, ref, run, f"{table} row has no audit event (written around the trail)")
        )
    for e in events:
        if e.kind in STATE_KINDS and e.kind not in PAYLOAD_KINDS:
            continue
        found, payload = store.audit_payload(e.seq)
        table = "reviews" if e.kind == "review" else "audit_payloads"
        if not found:
            out.append(_brk(e, f"the content of this event ({table} row) is missing"))
        elif secret is not None:
            checked += 1
            if commitment(derive_salt(secret, e.seq), payload) != e.commitment:
                failed += 1
                out.append(
                    _brk(e, f"the stored {table} content differs from what this event committed to")
                )
    if checked > 1 and failed == checked:
        hint = "every commitment of the run fails: its salt key (audit_secrets row) was altered"
        out.insert(0, _brk(events[0], hint))
    return out, status


def _cache(store: AuditLog, events: list[AuditEvent]) -> list[Break]:
    """Each cache entry's text hashes to its digest, and the digest is the one its ``cache``
    event committed to (the event's payload itself is checked with the run's content)."""
    by_seq = {e.seq: e for e in events}
    out: list[Break] = []
    for row in store.audit_cache_rows():
        key, seq = str(row["key"]), row.get("audit_seq")
        if seq is None:
            if row.get("digest") is not None:  # reusable, yet no event audited its digest
                out.append(Break(None, "cache", key, None, f"cache row {key} has a digest but "
                                 "no audit event (written around the trail)"))  # fmt: skip
            continue  # no digest at all (an entry from before digests): never reused
        e = by_seq.get(int(seq))
        if e is None or e.kind != "cache":
            out.append(Break(None, "cache", key, None, f"cache row {key} cites event {seq}, "
                                                       "which is not a cache event"))  # fmt: skip
            continue
        found, payload = store.audit_payload(e.seq)
        audited = (
            payload.get("digests", {}).get(key) if found and isinstance(payload, dict) else None
        )
        if row.get("digest") != audited:
            out.append(_brk(e, f"cache row {key}: its digest is not the one this event audited"))
        elif sha256_hex(str(row["text"]).encode("utf-8")) != row.get("digest"):
            out.append(_brk(e, f"cache row {key}: its text does not match its audited digest"))
    return out


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


def _roots(
    seals: list[Seal],
    run: str,
    events: list[AuditEvent],
    status: str | None,
    keys: frozenset[str] | None,
) -> list[Break]:
    """``keys``: the trusted signers (empty: none known, every root fails); ``None`` accepts
    the key each root names (:func:`check_roots` without configured keys)."""
    out: list[Break] = []
    for s in seals:
        leaves = [e for e in events if e.seq <= s.upto_seq]
        where = Break(s.upto_seq, "root", f"{run}@{s.size}", run, "")
        problem = None
        try:
            hashes = [bytes.fromhex(e.hash) for e in leaves]
        except ValueError:
            hashes = []
            problem = "an event hash under this root is not hex (audit_events row altered)"
        if problem:
            pass
        elif len(leaves) != s.size or (leaves and leaves[-1].seq != s.upto_seq):
            problem = f"signed root covers {s.size} events up to {s.upto_seq}; found {len(leaves)}"
        elif merkle_root(hashes) != s.root:
            problem = "Merkle root does not recompute from the run's events"
        elif keys is not None and not keys:
            problem = NO_TRUSTED_KEY
        elif keys is not None and s.public_key not in keys:
            problem = f"root signed with key {s.public_key[:16]}..., which is not a trusted key"
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


def verify(
    store: AuditLog, run_id: str | None = None, *, public_keys: Sequence[str] = ()
) -> VerifyReport:
    """Verify the whole chain, and the content and roots of one run (or of every run and the
    response cache).

    ``public_keys``: signers to trust besides ``$MEDTRUST_TRUSTED_KEYS`` and the local key
    (hex, PEM or files; see :func:`trusted`). Raises ``NotFoundError`` for an unknown run and
    ``MedtrustError`` for an unreadable key file.
    """
    run = resolve_run(store, run_id) if run_id else None
    key = trusted(public_keys)
    events = store.audit_events()
    breaks = _chain(events, store.audit_head())
    by_run: dict[str, list[AuditEvent]] = defaultdict(list)
    for e in events:
        by_run[e.run_id].append(e)
    runs = [run] if run else store.audit_run_ids()
    if run is None:
        breaks += _cache(store, events)
    from medtrust.audit._concern_check import concern_breaks  # the concern queue vs its event

    if run is None:
        runs += [r for r in store.concern_runs() if r not in by_run]
    seals = 0
    for r in runs:
        evs = by_run.get(r, [])
        found, status = _content(store, r, evs)
        found += concern_breaks(store, r, evs)
        run_seals = store.audit_seals(r)
        breaks += found + _roots(run_seals, r, evs, status, key)
        seals += len(run_seals)
    breaks.sort(key=lambda b: (b.seq is None, b.seq or 0))
    return VerifyReport(events=len(events), runs=runs, seals=seals, breaks=breaks)

