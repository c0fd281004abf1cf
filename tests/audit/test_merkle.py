"""RFC 6962 trees: the level-by-level build and the append-only frontier equal the recursive
definition, every member's audit path verifies, and nothing else does."""

from __future__ import annotations

import hashlib

from hypothesis import given
from hypothesis import strategies as st

from medtrust.audit import MerkleTree, merkle_root, verify_inclusion
from medtrust.audit._merkle import MerkleFrontier


def mth(leaves: list[bytes]) -> bytes:
    """RFC 6962 section 2.1, verbatim."""
    if not leaves:
        return hashlib.sha256(b"").digest()
    if len(leaves) == 1:
        return hashlib.sha256(b"\x00" + leaves[0]).digest()
    k = 1
    while k * 2 < len(leaves):
        k *= 2
    return hashlib.sha256(b"\x01" + mth(leaves[:k]) + mth(leaves[k:])).digest()


leaf_lists = st.lists(st.binary(min_size=32, max_size=32), max_size=70)


@given(leaf_lists)
def test_roots_match_rfc6962(leaves: list[bytes]) -> None:
    f = MerkleFrontier()
    for x in leaves:
        f.add(x)
    assert merkle_root(leaves) == MerkleTree(leaves).root == f.root == mth(leaves).hex()


@given(leaf_lists.filter(bool), st.data())
def test_members_verify_and_nothing_else(leaves: list[bytes], data: st.DataObject) -> None:
    tree = MerkleTree(leaves)
    i = data.draw(st.integers(0, len(leaves) - 1))
    path = tree.path(i)
    n = len(leaves)
    assert verify_inclusion(leaves[i], i, n, path, tree.root)
    outsider = hashlib.sha256(b"not a member" + leaves[i]).digest()
    assert not verify_inclusion(outsider, i, n, path, tree.root)  # non-member
    assert not verify_inclusion(leaves[i], i, n, path, "00" * 32)  # wrong root
    if n > 1:
        j = (i + 1) % n
        if leaves[j] != leaves[i]:
            assert not verify_inclusion(leaves[i], j, n, path, tree.root)  # wrong position
    assert not verify_inclusion(leaves[i], n, n, path, tree.root)  # index out of range


def test_a_node_is_never_accepted_as_a_leaf() -> None:
    """Second preimage: present an inner node's children as a leaf of a smaller tree."""
    leaves = [bytes([i]) * 32 for i in range(4)]
    tree = MerkleTree(leaves)
    lh = [hashlib.sha256(b"\x00" + x).digest() for x in leaves]
    fake_leaf = lh[0] + lh[1]  # the preimage of inner node (0, 1) without its 0x01 prefix
    right = hashlib.sha256(b"\x01" + lh[2] + lh[3]).hexdigest()
    assert not verify_inclusion(fake_leaf, 0, 2, [right], tree.root)
