"""The publishable chain of a run (JSONL) and single-event openings.

An export holds what a regulator may see: event headers (commitments, never content), the
signed roots and the public key. :func:`verify_export` checks it with nothing else. An opening
discloses one event: its salt and content, checkable against the published commitment.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from itertools import chain, takewhile
from pathlib import Path
from typing import TYPE_CHECKING, Any

from medtrust._atomic import write_jsonl_atomic
from medtrust.audit._hashing import commitment, derive_salt, event_hash
from medtrust.audit._keys import load_public_key, public_key_pem, verify_root
from medtrust.audit._merkle import merkle_root
from medtrust.audit._proof import covering_seal
from medtrust.audit._verify import FAMILY, PAYLOAD_KINDS, STATE_KINDS, resolve_run
from medtrust.errors import MedtrustError, NotFoundError

if TYPE_CHECKING:
    from medtrust.audit._log import AuditLog

EXPORT_FORMAT = "medtrust.audit.export/v1"
OPENING_TYPE = "medtrust.audit.opening/v1"


def export_lines(store: AuditLog, run_id: str) -> list[dict[str, Any]]:
    """Header, events in chain order, then signed roots (the newest covers every event).

    The whole export in memory; :func:`iter_export_lines` gives the same lines as a stream."""
    return list(iter_export_lines(store, run_id))


def iter_export_lines(
    store: AuditLog, run_id: str, *, batch: int = 5000
) -> Iterator[dict[str, Any]]:
    """The lines of :func:`export_lines`, streamed: the run's events are read ``batch`` per
    query (issue 15: flat memory), so only the header and the run's signed roots are held.

    The header, and a fresh signed root when none covers the run's events yet, are made before
    this returns: an unknown run (``NotFoundError``) or one without events (``MedtrustError``)
    raises here, before any line is written. The event lines are the events as they stood
    before that root was signed (its own ``seal`` event is not among them)."""
    run = resolve_run(store, run_id)
    n, last, last_unsealed = store.audit_run_extent(run)
    if not n:
        raise MedtrustError(f"run {run} has no audit events (recorded with auditing off?)")
    latest = covering_seal(store, run, last_unsealed)
    header = {
        "type": "header",
        "format": EXPORT_FORMAT,
        "run_id": run,
        "public_key": latest.public_key,
        "public_key_pem": public_key_pem(),
        "root": latest.root,
        "tree_size": latest.size,
        "signature": latest.signature,
        "scheme": "event hash = SHA-256(RFC 8785 JSON of the header); Merkle tree RFC 6962; "
        "root signature Ed25519 over RFC 8785 JSON {root, run, size, type}",
    }
    roots = [
        {
            "type": "root",
            "run": s.run_id,
            "size": s.size,
            "upto_seq": s.upto_seq,
            "root": s.root,
            "signature": s.signature,
            "public_key": s.public_key,
            "at": s.at,
        }
        for s in store.audit_seals(run)
    ]
    events = (
        {"type": "event", **e.to_json()}
        for e in takewhile(lambda e: e.seq <= last, store.iter_audit_events(run, batch=batch))
    )
    return chain([header], events, roots)


def write_jsonl(path: Path, rows: Iterable[dict[str, Any]]) -> None:
    """One JSON object per line, in the export's own key order; never half-written."""
    write_jsonl_atomic(path, rows, sort_keys=False)


def verify_export(lines: list[dict[str, Any]], *, public_key: str) -> list[str]:
    """Problems with an export, checked with the owner's public key alone (empty: it holds)."""
    key = load_public_key(public_key)
    events = [x for x in lines if x.get("type") == "event"]
    roots = [x for x in lines if x.get("type") == "root"]
    problems: list[str] = []
    try:
        by_seq: dict[int, dict[str, Any]] = {}
        for e in events:
            fields = {k: e[k] for k in ("run", "kind", "ref", "commitment", "prev", "at")}
            if event_hash(seq=e["seq"], **fields) != e["hash"]:
                problems.append(f"event {e['seq']}: hash does not match its fields")
            prev = by_seq.get(e["seq"] - 1)
            if prev is not None and e["prev"] != prev["hash"]:
                problems.append(f"event {e['seq']}: prev is not the hash of event {e['seq'] - 1}")
            by_seq[e["seq"]] = e
        if not roots:
            problems.append("no signed root")
        for r in roots:
            leaves = [bytes.fromhex(e["hash"]) for e in events if e["seq"] <= r["upto_seq"]]
            if len(leaves) != r["size"] or merkle_root(leaves) != r["root"]:
                problems.append(f"root over {r['size']} events does not recompute")
            elif not verify_root(r["run"], r["size"], r["root"], r["signature"], key):
                problems.append(f"root over {r['size']} events: signature invalid under the key")
    except (KeyError, TypeError, ValueError) as exc:
        raise MedtrustError(f"export: malformed line ({exc})") from None
    return problems


def open_event(store: AuditLog, seq: int) -> dict[str, Any]:
    """Disclose one event: its header, salt and content (the salt opens this event only)."""
    event = store.audit_events_at([seq]).get(seq)  # not the whole chain
    if event is None:
        raise NotFoundError(f"no audit event {seq} in {store.url}")
    secret = store.audit_secret(event.run_id)
    if secret is None:
        raise MedtrustError(f"run {event.run_id}: salt key missing; cannot open event {seq}")
    if event.kind in STATE_KINDS and event.kind not in PAYLOAD_KINDS:
        run_events = store.audit_events(event.run_id)
        family = FAMILY.get(event.kind, event.kind)
        newer = [e for e in run_events if e.seq > seq and e.ref == event.ref
                 and FAMILY.get(e.kind, e.kind) == family]  # fmt: skip
        if newer:
            raise MedtrustError(
                f"event {seq} was superseded by event {newer[-1].seq}; "
                "only the current content of a row is stored"
            )
        cases = {e.ref: e.commitment for e in run_events if e.kind == "case"}
        if event.kind == "reply_deleted":
            case_id, _, sample = event.ref.rpartition("/")
            content: Any = {"case_id": case_id, "sample": int(sample), "deleted": True}
        else:
            content = store.audit_state(event.run_id, cases).get((family, event.ref))
    else:
        _, content = store.audit_payload(seq)
    salt = derive_salt(secret, seq)
    if commitment(salt, content) != event.commitment:
        raise MedtrustError(f"event {seq}: stored content no longer matches; run audit verify")
    return {"type": OPENING_TYPE, "event": event.to_json(), "salt": salt.hex(), "content": content}


def verify_opening(opening: Any) -> bool:
    """Does the disclosed content match the event's published commitment and hash?"""
    try:
        ev = opening["event"]
        fields = {k: ev[k] for k in ("run", "kind", "ref", "commitment", "prev", "at")}
        if event_hash(seq=ev["seq"], **fields) != ev["hash"]:
            return False
        salt = bytes.fromhex(opening["salt"])
        return bool(commitment(salt, opening["content"]) == ev["commitment"])
    except (KeyError, TypeError, ValueError):
        return False
