"""One run's content, concern queue and signed roots, checked in one streaming pass over its
events (issue 15: flat memory whatever the run's size).

The pass keeps running state only: the run's Merkle frontier (:class:`RootsPass`), the latest
event of each row of the families that do not grow with the run (the run and its status, seals,
review accounts, assignments...), its first and latest ``concern`` event and two counters. The
families that do (cases, replies, verdicts) are paired with their latest events by the store
and streamed (:meth:`~medtrust.store.Store.iter_audit_row_checks`). The events that carry their
content owner-side (reports, gate decisions, reviews...) are opened one by one as they pass.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from medtrust.audit._concern_check import concern_breaks
from medtrust.audit._hashing import commitment, derive_salt
from medtrust.audit._roots_check import RootsPass
from medtrust.audit._verify import (
    DELETION_KINDS,
    FAMILY,
    MAY_VANISH,
    PAYLOAD_KINDS,
    ROW_FAMILIES,
    STATE_KINDS,
    TABLE_OF,
    Break,
    _brk,
    _table,
)

if TYPE_CHECKING:
    from medtrust.audit._log import AuditEvent, AuditLog

MISSING_SECRET = "the run's salt key (audit_secrets row) is missing: commitments cannot be checked"
ALL_FAIL = "every commitment of the run fails: its salt key (audit_secrets row) was altered"


@dataclass
class _Content:
    """Running state of one run's content check."""

    secret: bytes | None
    first: AuditEvent | None = None
    concern: AuditEvent | None = None
    latest: dict[tuple[str, str], AuditEvent] = field(default_factory=dict)
    payload_breaks: list[Break] = field(default_factory=list)
    checked: int = 0
    failed: int = 0

    def commits(self, e: AuditEvent, content: Any) -> bool:
        """Does ``content`` open ``e``'s commitment (counted for the all-fail hint)?"""
        assert self.secret is not None
        self.checked += 1
        ok = bool(commitment(derive_salt(self.secret, e.seq), content) == e.commitment)
        self.failed += not ok
        return ok


def _payload(store: AuditLog, st: _Content, e: AuditEvent) -> None:
    """An event whose content is kept owner-side: present, and opening its commitment."""
    found, payload = store.audit_payload(e.seq)
    table = "reviews" if e.kind == "review" else "audit_payloads"
    if not found:
        st.payload_breaks.append(_brk(e, f"the content of this event ({table} row) is missing"))
    elif not st.commits(e, payload):
        why = f"the stored {table} content differs from what this event committed to"
        st.payload_breaks.append(_brk(e, why))


def _small_families(
    state: dict[tuple[str, str], Any], st: _Content, orphans: list[tuple[str, str]]
) -> list[Break]:
    """Breaks of the rows that do not grow with the run (``state``: those rows' content)."""
    out: list[Break] = []
    for key, e in st.latest.items():
        fam, table = key[0], _table(e.kind)
        if e.kind in DELETION_KINDS:
            if key in state:
                out.append(_brk(e, f"{table} row exists although its deletion was recorded"))
        elif key not in state:
            if fam not in MAY_VANISH:
                out.append(_brk(e, f"the {table} row this event records is missing (deleted)"))
        elif not st.commits(e, state[key]):
            out.append(_brk(e, f"the {table} row differs from what this event committed to"))
    orphans += [k for k in state if k not in st.latest]
    return out


def _row_families(
    store: AuditLog, run: str, st: _Content, orphans: list[tuple[str, str]]
) -> list[Break]:
    """Breaks of the cases, replies and verdicts, streamed with their latest events."""
    out: list[Break] = []
    for fam in sorted(ROW_FAMILIES):
        table, live = TABLE_OF[fam], 0
        for rc in store.iter_audit_row_checks(run, fam):
            e = rc.event
            if e is None:
                orphans.append((fam, rc.ref))
            elif e.kind in DELETION_KINDS:
                out.append(_brk(e, f"{table} row exists although its deletion was recorded"))
            else:
                live += 1
                if not st.commits(e, rc.content):
                    out.append(_brk(e, f"the {table} row differs from what this event "
                                       "committed to"))  # fmt: skip
        if live != store.audit_live_refs(run, fam):  # an event whose row was deleted
            out += [_brk(e, f"the {table} row this event records is missing (deleted)")
                    for e in store.audit_rowless_events(run, fam)]  # fmt: skip
    return out


def _content(store: AuditLog, run: str, st: _Content) -> tuple[list[Break], str | None]:
    """The run's content breaks, in the order the global sort expects for ties (the all-fail
    hint, row breaks, rows without an event sorted by family and ref, content breaks), and the
    run's status as its row records it."""
    state = store.audit_state(run, {}, rows=False)
    status = state.get(("status", run), {}).get("status")
    if st.first is not None and st.secret is None:
        return [_brk(st.first, MISSING_SECRET)], status
    orphans: list[tuple[str, str]] = []
    out = _small_families(state, st, orphans)
    out += _row_families(store, run, st, orphans)
    out += [
        Break(None, fam, ref, run,
              f"{TABLE_OF.get(fam, fam)} row has no audit event (written around the trail)")
        for fam, ref in sorted(orphans)
    ]  # fmt: skip
    out += st.payload_breaks
    if st.checked > 1 and st.failed == st.checked and st.first is not None:
        out.insert(0, _brk(st.first, ALL_FAIL))
    return out, status


class RunPass:
    """One run's checks, fed its events in chain order by the verifier's single pass over the
    chain; :meth:`breaks` then gives (breaks, signed roots): content, concern queue, then
    roots, each group in the order of the whole-list check, for ``verify`` to sort."""

    def __init__(self, store: AuditLog, run: str) -> None:
        self.store, self.run = store, run
        self._st = _Content(secret=store.audit_secret(run))
        self._seals = store.audit_seals(run)
        self._roots = RootsPass(self._seals, run)

    def add(self, e: AuditEvent) -> None:
        """The run's next event."""
        st = self._st
        self._roots.add(e)
        st.first = st.first or e
        if e.kind == "concern":
            st.concern = e
        if e.kind in STATE_KINDS:
            fam = FAMILY.get(e.kind, e.kind)
            if fam not in ROW_FAMILIES:
                st.latest[(fam, e.ref)] = e
            if e.kind not in PAYLOAD_KINDS:
                return
        if st.secret is not None:  # without it, the run's only break is the missing secret
            _payload(self.store, st, e)

    def breaks(self, keys: frozenset[str]) -> tuple[list[Break], int]:
        """(breaks, signed roots), once every event of the run has been added."""
        out, status = _content(self.store, self.run, self._st)
        out += concern_breaks(self.store, self.run, self._st.concern)
        out += self._roots.breaks(status, keys)
        return out, len(self._seals)
