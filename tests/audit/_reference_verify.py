"""The whole-list verifier as it was before issue 15 made ``verify`` stream: every event and
every row of a run in memory. Kept here as the oracle the streamed verifier must equal, break
for break, on intact and tampered stores."""

# ruff: noqa
# mypy: ignore-errors
from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from medtrust.audit._hashing import GENESIS, commitment, derive_salt, sha256_hex
from medtrust.audit._keys import verify_root
from medtrust.audit._merkle import merkle_root
from medtrust.audit._verify import (
    DELETION_KINDS, FAMILY, MAY_VANISH, NO_TRUSTED_KEY, PAYLOAD_KINDS, SEALED_KINDS,
    STATE_KINDS, TABLE_OF, TERMINAL, Break, VerifyReport, resolve_run, trusted,
)

AuditEvent = Any
AuditLog = Any
Seal = Any


def _old_concern_breaks(store, run_id, events):
    latest = next((e for e in reversed(events) if e.kind == "concern"), None)
    digest = store.concern_digest(run_id)
    if latest is None:
        if not digest.count:
            return []
        why = f"review_concerns holds {digest.count} rows but no concern event records them"
        return [Break(None, "concern", run_id, run_id, why + " (written around the trail)")]
    found, content = store.audit_payload(latest.seq)
    if not found or not isinstance(content, dict) or not isinstance(content.get("digest"), dict):
        return []
    want = (content.get("triggered"), content["digest"].get("ids"), content["digest"].get("rows"))
    got = (digest.count, digest.ids_sha256, digest.rows_sha256)
    what = [n for n, a, b in zip(("count", "ids digest", "rows digest"), want, got, strict=True)
            if a != b]
    if not what:
        return []
    return [_brk(latest, f"the review_concerns rows differ from this event ({', '.join(what)})")]


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


def reference_verify(
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

    if run is None:
        runs += [r for r in store.concern_runs() if r not in by_run]
    seals = 0
    for r in runs:
        evs = by_run.get(r, [])
        found, status = _content(store, r, evs)
        found += _old_concern_breaks(store, r, evs)
        run_seals = store.audit_seals(r)
        breaks += found + _roots(run_seals, r, evs, status, key)
        seals += len(run_seals)
    breaks.sort(key=lambda b: (b.seq is None, b.seq or 0))
    return VerifyReport(events=len(events), runs=runs, seals=seals, breaks=breaks)

