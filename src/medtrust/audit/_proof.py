"""Inclusion proofs: show a third party that a case's events are in a run's signed root.

A proof carries the events' published headers (commitments, never content), each with its
RFC 6962 audit path, and the signed root. :func:`verify_proof` needs nothing else but the root
the owner published and the owner's public key: the signature is checked under *that* key
(never the one the proof claims), each event hash is recomputed from its header, and each path
must lead to the root.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from medtrust.audit._hashing import event_hash
from medtrust.audit._keys import load_public_key, verify_root
from medtrust.audit._merkle import MerkleTree, verify_inclusion
from medtrust.errors import MedtrustError, NotFoundError

if TYPE_CHECKING:
    from medtrust.audit._log import AuditEvent, AuditLog, Seal

PROOF_TYPE = "medtrust.audit.proof/v1"


def covering_seal(store: AuditLog, run_id: str, upto_seq: int) -> Seal:
    """The newest signed root of the run if it covers ``upto_seq``, else a fresh one."""
    seals = store.audit_seals(run_id)
    if seals and seals[-1].upto_seq >= upto_seq:
        return seals[-1]
    seal = store.seal(run_id)
    if seal is None:
        raise MedtrustError(f"run {run_id} has no audit events (auditing was off?)")
    return seal


def tree_for(store: AuditLog, seal: Seal) -> tuple[list[AuditEvent], MerkleTree]:
    """The run's events under ``seal`` and their tree, refusing a tree that no longer matches."""
    leaves = [e for e in store.audit_events(seal.run_id) if e.seq <= seal.upto_seq]
    tree = MerkleTree([bytes.fromhex(e.hash) for e in leaves])
    if tree.size != seal.size or tree.root != seal.root:
        raise MedtrustError(
            f"run {seal.run_id}: the stored events no longer match their signed root; "
            "run `medtrust audit verify`"
        )
    return leaves, tree


def make_proof(store: AuditLog, case_id: str, run_id: str | None = None) -> dict[str, Any]:
    """A proof that every event about ``case_id`` (in its latest run) is in the signed root."""
    events = store.audit_events_for(case_id, run_id)
    if not events:
        where = f" in run {run_id}" if run_id else ""
        raise NotFoundError(f"no audit events for case {case_id!r}{where} in {store.url}")
    run = events[-1].run_id
    events = [e for e in events if e.run_id == run]
    seal = covering_seal(store, run, events[-1].seq)
    leaves, tree = tree_for(store, seal)
    index = {e.seq: i for i, e in enumerate(leaves)}
    return {
        "type": PROOF_TYPE,
        "run_id": run,
        "case_id": case_id,
        "tree_size": seal.size,
        "root": seal.root,
        "signature": seal.signature,
        "public_key": seal.public_key,
        "events": [
            {**e.to_json(), "leaf_index": index[e.seq], "path": tree.path(index[e.seq])}
            for e in events
        ],
    }


def _field(obj: dict[str, Any], name: str, kind: type | tuple[type, ...]) -> Any:
    value = obj.get(name)
    if not isinstance(value, kind) or (isinstance(value, bool) and kind is int):
        raise MedtrustError(f"proof: field {name!r} is missing or malformed")
    return value


def verify_proof(proof: Any, *, root: str, public_key: str) -> list[str]:
    """Problems with ``proof`` against the published ``root`` and key (empty: it holds).

    Raises :class:`MedtrustError` when the proof or key is malformed (not merely wrong).
    """
    if not isinstance(proof, dict) or proof.get("type") != PROOF_TYPE:
        raise MedtrustError(f"proof: not a {PROOF_TYPE} object")
    key = load_public_key(public_key)
    run = _field(proof, "run_id", str)
    size = _field(proof, "tree_size", int)
    signature = _field(proof, "signature", str)
    events = _field(proof, "events", list)
    root = root.strip().lower()
    problems: list[str] = []
    if _field(proof, "root", str).lower() != root:
        problems.append(f"the proof is for root {proof['root']}, not the published root {root}")
    if not verify_root(run, size, root, signature, key):
        problems.append("the root's signature does not verify under the given public key")
    if not events:
        problems.append("the proof contains no events")
    for ev in events:
        if not isinstance(ev, dict):
            raise MedtrustError("proof: an event is not an object")
        seq = _field(ev, "seq", int)
        header = {k: _field(ev, k, str) for k in ("run", "kind", "ref", "commitment", "prev", "at")}
        claimed = _field(ev, "hash", str)
        if header["run"] != run:
            problems.append(f"event {seq} belongs to run {header['run']}, not {run}")
        if event_hash(seq=seq, **header) != claimed:
            problems.append(f"event {seq}: hash does not match its fields")
            continue
        path = _field(ev, "path", list)
        if not verify_inclusion(
            bytes.fromhex(claimed), _field(ev, "leaf_index", int), size, path, root
        ):
            problems.append(f"event {seq} ({header['kind']} {header['ref']}) is not in the tree")
    return problems
