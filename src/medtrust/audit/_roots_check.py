"""Checking a run's signed roots in one streaming pass over its events (issue 15).

:func:`check_roots` is what every report affords: the run's events are read in batches and
each root recomputed with an append-only :class:`~medtrust.audit._merkle.MerkleFrontier`
(O(log n) hashes), so a run of millions of events is checked in bounded memory. It reports the
same breaks as ``_verify._roots`` over the whole list of events.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from medtrust.audit._keys import verify_root
from medtrust.audit._merkle import MerkleFrontier
from medtrust.audit._verify import (
    NO_TRUSTED_KEY,
    SEALED_KINDS,
    TERMINAL,
    Break,
    VerifyReport,
    _brk,
    resolve_run,
    trusted,
)

if TYPE_CHECKING:
    from medtrust.audit._log import AuditEvent, AuditLog, Seal


def check_roots(store: AuditLog, run_id: str) -> VerifyReport:
    """The run's signed roots recompute from its events' hashes and verify, and its finished
    work is covered by a root: O(run events) hashing, no content re-commitment.

    What a report can afford on every render. It proves the published root matches the
    events stored for the run; only :func:`verify` (``medtrust audit verify``) also re-hashes
    every stored row and walks the global chain.
    """
    run = resolve_run(store, run_id)
    seals = store.audit_seals(run)
    keys = trusted()
    n, breaks = _stream_roots(store, seals, run, store.get_run(run).status, keys or None)
    if not seals:
        breaks.append(Break(None, "root", run, run, "no signed root for this run"))
    return VerifyReport(events=n, runs=[run], seals=len(seals), breaks=breaks)


def _stream_roots(
    store: AuditLog, seals: list[Seal], run: str, status: str | None,
    keys: frozenset[str] | None,
) -> tuple[int, list[Break]]:
    """:func:`_roots` over the run's events read in batches (issue 15: a 1,000,000-case run
    has millions of events): each root is recomputed with an append-only
    :class:`MerkleFrontier` (O(log n) hashes) at the point its ``upto_seq`` is passed.
    Returns (events read, breaks), the breaks exactly those of :func:`_roots`."""
    frontier, n, bad_hex = MerkleFrontier(), 0, False
    pending = sorted(seals, key=lambda s: s.upto_seq)
    found: dict[int, tuple[int, int, str | None, bool]] = {}  # id(seal) -> state under it
    covered = max((s.upto_seq for s in seals), default=0)
    first_unsealed: AuditEvent | None = None
    last_status: AuditEvent | None = None

    def close(upto: int | None) -> None:
        while pending and (upto is None or pending[0].upto_seq < upto):
            s = pending.pop(0)
            root = None if bad_hex else frontier.root
            found[id(s)] = (frontier.size, frontier.last_seq, root, bad_hex)

    for e in store.iter_audit_events(run):
        close(e.seq)
        n += 1
        try:
            frontier.add(bytes.fromhex(e.hash), e.seq)
        except ValueError:
            bad_hex = True
            frontier.size, frontier.last_seq = frontier.size + 1, e.seq
        if e.kind in SEALED_KINDS and e.seq > covered and first_unsealed is None:
            first_unsealed = e
        if e.kind == "status":
            last_status = e
    close(None)
    out = [b for s in seals if (b := _root_break(s, run, found[id(s)], keys)) is not None]
    if first_unsealed is not None:
        out.append(_brk(first_unsealed, "no signed root covers this event (a root was deleted)"))
    elif last_status is not None and status in TERMINAL and last_status.seq > covered:
        out.append(_brk(last_status, "no signed root covers this event (a root was deleted)"))
    return n, out


def _root_break(
    s: Seal, run: str, state: tuple[int, int, str | None, bool], keys: frozenset[str] | None
) -> Break | None:
    """The break of one signed root given the tree under it: (leaves, last leaf's sequence
    number, recomputed root, whether an event hash under it is not hex); as in :func:`_roots`."""
    size, last_seq, root, bad_hex = state
    problem = None
    if bad_hex:
        problem = "an event hash under this root is not hex (audit_events row altered)"
    elif size != s.size or (size and last_seq != s.upto_seq):
        problem = f"signed root covers {s.size} events up to {s.upto_seq}; found {size}"
    elif root != s.root:
        problem = "Merkle root does not recompute from the run's events"
    elif keys is not None and not keys:
        problem = NO_TRUSTED_KEY
    elif keys is not None and s.public_key not in keys:
        problem = f"root signed with key {s.public_key[:16]}..., which is not a trusted key"
    elif not verify_root(run, s.size, s.root, s.signature, s.public_key):
        problem = "root signature is invalid"
    return None if problem is None else Break(s.upto_seq, "root", f"{run}@{s.size}", run, problem)
