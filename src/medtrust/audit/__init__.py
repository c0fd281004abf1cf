"""Tamper-evident audit trail: a hash chain of salted commitments, signed Merkle roots per run,
inclusion proofs and single-event openings, all verifiable without seeing patient data.

The store appends events inside its own write transactions (``medtrust.store._ledger``); this
package verifies, proves, exports and opens them.
"""

from medtrust.audit._export import (
    export_lines,
    open_event,
    verify_export,
    verify_opening,
    write_jsonl,
)
from medtrust.audit._hashing import canonical, commitment, event_hash
from medtrust.audit._keys import (
    key_path,
    load_public_key,
    medtrust_home,
    public_key_hex,
    public_key_pem,
    trusted_keys,
    verify_root,
)
from medtrust.audit._merkle import MerkleTree, merkle_root, verify_inclusion
from medtrust.audit._proof import make_proof, verify_proof
from medtrust.audit._record import attestation, record_gate, record_report
from medtrust.audit._verify import UNAUDITED_COLUMNS, Break, VerifyReport, check_roots, verify

__all__ = [
    "UNAUDITED_COLUMNS",
    "Break",
    "MerkleTree",
    "VerifyReport",
    "attestation",
    "canonical",
    "check_roots",
    "commitment",
    "event_hash",
    "export_lines",
    "key_path",
    "load_public_key",
    "make_proof",
    "medtrust_home",
    "merkle_root",
    "open_event",
    "public_key_hex",
    "public_key_pem",
    "record_gate",
    "record_report",
    "trusted_keys",
    "verify",
    "verify_export",
    "verify_inclusion",
    "verify_opening",
    "verify_proof",
    "verify_root",
    "write_jsonl",
]
