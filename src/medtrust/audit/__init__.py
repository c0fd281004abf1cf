"""Tamper-evident audit trail: a hash chain of salted commitments, signed Merkle roots per run,
inclusion proofs and single-event openings, all verifiable without seeing patient data.

The store appends events inside its own write transactions (``medtrust.store._ledger``) with
the primitives defined here (hashing, Merkle frontier, signing keys); this package verifies,
proves, exports and opens them through :class:`AuditLog`, the protocol the store implements, so
``audit`` sits below ``store`` and never imports it.

Names are imported from their private modules on first use (:mod:`medtrust._lazy`), so
that importing one of them does not import them all (start-up of ``medtrust run``)."""

from typing import TYPE_CHECKING

from medtrust._lazy import lazy_getattr

if TYPE_CHECKING:
    from medtrust.audit._export import (
        export_lines,
        open_event,
        verify_export,
        verify_opening,
        write_jsonl,
    )
    from medtrust.audit._hashing import (
        canonical,
        commitment,
        event_hash,
    )
    from medtrust.audit._keys import (
        key_path,
        load_public_key,
        medtrust_home,
        public_key_hex,
        public_key_pem,
        trusted_keys,
        verify_root,
    )
    from medtrust.audit._log import (
        AuditEvent,
        AuditLog,
        Seal,
    )
    from medtrust.audit._merkle import (
        MerkleTree,
        merkle_root,
        verify_inclusion,
    )
    from medtrust.audit._proof import (
        make_proof,
        verify_proof,
    )
    from medtrust.audit._record import (
        attestation,
        record_gate,
        record_report,
    )
    from medtrust.audit._roots_check import check_roots
    from medtrust.audit._verify import (
        UNAUDITED_COLUMNS,
        Break,
        VerifyReport,
        verify,
    )

_EXPORTS = {
    "export_lines": "_export",
    "open_event": "_export",
    "verify_export": "_export",
    "verify_opening": "_export",
    "write_jsonl": "_export",
    "canonical": "_hashing",
    "commitment": "_hashing",
    "event_hash": "_hashing",
    "key_path": "_keys",
    "load_public_key": "_keys",
    "medtrust_home": "_keys",
    "public_key_hex": "_keys",
    "public_key_pem": "_keys",
    "trusted_keys": "_keys",
    "verify_root": "_keys",
    "AuditEvent": "_log",
    "AuditLog": "_log",
    "Seal": "_log",
    "MerkleTree": "_merkle",
    "merkle_root": "_merkle",
    "verify_inclusion": "_merkle",
    "make_proof": "_proof",
    "verify_proof": "_proof",
    "attestation": "_record",
    "record_gate": "_record",
    "record_report": "_record",
    "UNAUDITED_COLUMNS": "_verify",
    "Break": "_verify",
    "VerifyReport": "_verify",
    "check_roots": "_roots_check",
    "verify": "_verify",
}

__getattr__ = lazy_getattr("medtrust.audit", _EXPORTS, globals())

__all__ = [
    "UNAUDITED_COLUMNS",
    "AuditEvent",
    "AuditLog",
    "Break",
    "MerkleTree",
    "Seal",
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
