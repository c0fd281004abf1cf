"""Checking a run's signed roots in one streaming pass over its events (issue 15).

:func:`check_roots` is what every report affords: the run's events are read in batches and
each root recomputed with an append-only :class:`~medtrust.audit._merkle.MerkleFrontier`
(O(log n) hashes), so a run of millions of events is checked in bounded memory. It reports the
same breaks as the whole-list check (``tests/audit/_reference_verify.py``).
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
    store: AuditLog,
    seals: list[Seal],
    run: str,
    status: str | None,
    keys: frozenset[str] | None,
) -> tuple[int, list[Break]]:
    """The whole-list roots check over the run's events read in batches (issue 15: a
    1,000,000-case run has millions of events). Returns (events read, breaks)."""
    roots = RootsPass(seals, run)
    for e in store.iter_audit_events(run):
        roots.add(e)
    return roots.n, roots.breaks(status, keys)


class RootsPass:
    """A run's signed roots checked as its events stream by, in chain order: each root is
    recomputed with an append-only :class:`MerkleFrontier` (O(log n) hashes) at the point its
    ``upto_seq`` is passed. Memory: the frontier and the run's seals, whatever the run's size.

    Its breaks are exactly those of the whole-list check (the test oracle
    ``tests/audit/_reference_verify.py``): per seal, smallest tree first, a root that does not
    recompute, cover its count or verify under a trusted key; then the first event that must be
    covered (a report, gate or access change; the final status of a finished run) but is not.
    """

    def __init__(self, seals: list[Seal], run: str) -> None:
        self.run, self.seals, self.n = run, seals, 0
        self._frontier, self._bad_hex = MerkleFrontier(), False
        self._pending = sorted(seals, key=lambda s: s.upto_seq)
        self._found: dict[int, tuple[int, int, str | None, bool]] = {}  # id(seal) -> tree
        self._covered = max((s.upto_seq for s in seals), default=0)
        self._first_unsealed: AuditEvent | None = None
        self._last_status: AuditEvent | None = None

    def _close(self, upto: int | None) -> None:
        while self._pending and (upto is None or self._pending[0].upto_seq < upto):
            s, f = self._pending.pop(0), self._frontier
            self._found[id(s)] = (f.size, f.last_seq, None if self._bad_hex else f.root,
                                  self._bad_hex)  # fmt: skip

    def add(self, e: AuditEvent) -> None:
        """The run's next event (in chain order)."""
        self._close(e.seq)
        self.n += 1
        try:
            self._frontier.add(bytes.fromhex(e.hash), e.seq)
        except ValueError:
            self._bad_hex = True
            self._frontier.size, self._frontier.last_seq = self._frontier.size + 1, e.seq
        if e.kind in SEALED_KINDS and e.seq > self._covered and self._first_unsealed is None:
            self._first_unsealed = e
        if e.kind == "status":
            self._last_status = e

    def breaks(self, status: str | None, keys: frozenset[str] | None) -> list[Break]:
        """The breaks, once every event has been added. ``status``: the run's status as its row
        records it; ``keys``: the trusted signers (None: the key each root names)."""
        self._close(None)
        run, found = self.run, self._found
        out = [b for s in self.seals if (b := _root_break(s, run, found[id(s)], keys)) is not None]
        last = self._last_status
        if self._first_unsealed is not None:
            out.append(_brk(self._first_unsealed, UNSEALED))
        elif last is not None and status in TERMINAL and last.seq > self._covered:
            out.append(_brk(last, UNSEALED))
        return out


UNSEALED = "no signed root covers this event (a root was deleted)"


def _root_break(
    s: Seal, run: str, state: tuple[int, int, str | None, bool], keys: frozenset[str] | None
) -> Break | None:
    """The break of one signed root given the tree under it: (leaves, last leaf's sequence
    number, recomputed root, whether an event hash under it is not hex)."""
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
