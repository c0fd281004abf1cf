"""Inclusion proofs verify with the published root and public key alone; they fail for
non-members, for a wrong root and for a wrong key. Exports and openings verify the same way."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from medtrust.audit import (
    attestation,
    export_lines,
    make_proof,
    open_event,
    public_key_hex,
    verify_export,
    verify_opening,
    verify_proof,
)
from medtrust.errors import MedtrustError, NotFoundError
from medtrust.records import Case
from medtrust.store import Store

from ._fixtures import populate


@pytest.fixture
def store(tmp_path: Path) -> Store:
    s = Store(f"sqlite:///{tmp_path / 'p.db'}")
    s.cases_by_run = populate(s)  # type: ignore[attr-defined]
    return s


def _cases(store: Store, run: str) -> list[Case]:
    return store.cases_by_run[run]  # type: ignore[attr-defined,no-any-return]


def other_key() -> str:
    return (
        Ed25519PrivateKey.generate()
        .public_key()
        .public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        .hex()
    )


def test_a_members_proof_verifies_with_root_and_key_alone(store: Store) -> None:
    case = _cases(store, "run-a")[0]
    proof = make_proof(store, case.id)
    kinds = [e["kind"] for e in proof["events"]]
    assert kinds == ["case", "reply", "verdict", "verdict"]  # generated, answered, re-judged
    published = attestation(store, "run-a")
    assert published is not None and proof["root"] == published["root"]
    assert verify_proof(proof, root=published["root"], public_key=public_key_hex()) == []


def test_wrong_root_wrong_key_and_non_members_fail(store: Store) -> None:
    proof = make_proof(store, _cases(store, "run-a")[1].id)
    key, root = public_key_hex(), proof["root"]
    assert verify_proof(proof, root="00" * 32, public_key=key)  # wrong root
    assert verify_proof(proof, root=root, public_key=other_key())  # wrong key
    forged: dict[str, Any] = copy.deepcopy(proof)
    forged["events"][1]["commitment"] = "ab" * 32  # a different reply claimed as a member
    assert verify_proof(forged, root=root, public_key=key)
    outsider = make_proof(store, _cases(store, "run-b")[1].id)  # an event of another run
    mixed = copy.deepcopy(proof)
    mixed["events"] = outsider["events"]
    assert verify_proof(mixed, root=root, public_key=key)
    moved = copy.deepcopy(proof)
    moved["events"][0]["leaf_index"] += 1
    assert verify_proof(moved, root=root, public_key=key)
    resigned = copy.deepcopy(proof)  # a root re-signed by someone else does not pass either
    resigned["signature"] = "00" * 64
    assert verify_proof(resigned, root=root, public_key=key)


def test_malformed_proofs_and_unknown_cases_are_bad_input(store: Store) -> None:
    with pytest.raises(MedtrustError):
        verify_proof({"type": "nope"}, root="00", public_key=public_key_hex())
    with pytest.raises(MedtrustError):
        verify_proof(make_proof(store, _cases(store, "run-a")[0].id), root="0", public_key="zz")
    with pytest.raises(NotFoundError):
        make_proof(store, "0" * 16)


def test_export_verifies_with_the_key_alone_and_carries_no_content(store: Store) -> None:
    lines = export_lines(store, "run-a")
    assert lines[0]["type"] == "header" and lines[0]["public_key"] == public_key_hex()
    assert verify_export(lines, public_key=public_key_hex()) == []
    assert verify_export(lines, public_key=other_key())
    text = repr(lines)
    assert "chest pain" not in text and "A. MI" not in text and "timeout" not in text
    tampered = copy.deepcopy(lines)
    tampered[3]["commitment"] = "ab" * 32
    assert verify_export(tampered, public_key=public_key_hex())
    assert len(export_lines(store, "run-a")) == len(lines)  # exporting again adds nothing


def test_opening_discloses_exactly_one_event(store: Store) -> None:
    reply = next(e for e in store.audit_events("run-b") if e.kind == "reply")
    opening = open_event(store, reply.seq)
    assert opening["content"]["text"] == "A. MI" and verify_opening(opening)
    assert "chest pain" not in repr(opening)  # the request cites the case by commitment
    other = next(e for e in store.audit_events("run-b") if e.kind == "reply" and e != reply)
    forged = copy.deepcopy(opening)
    forged["event"] = other.to_json()  # the same salt does not open another event
    assert not verify_opening(forged)
    changed = copy.deepcopy(opening)
    changed["content"]["text"] = "B"
    assert not verify_opening(changed)
    first_verdict = next(e for e in store.audit_events("run-a") if e.kind == "verdict")
    with pytest.raises(MedtrustError, match="superseded"):
        open_event(store, first_verdict.seq)
    gate = next(e for e in store.audit_events("run-a") if e.kind == "gate")
    assert verify_opening(open_event(store, gate.seq))
