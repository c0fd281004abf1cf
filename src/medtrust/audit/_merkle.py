"""RFC 6962 / RFC 9162 Merkle trees over event hashes: one root per run, audit paths as proofs.

Leaves are ``H(0x00 || event_hash)`` and nodes ``H(0x01 || left || right)``, so a node can never
pass for a leaf (no second-preimage trick). Building level by level and promoting an unpaired
last node unchanged gives exactly RFC 6962's left-balanced tree (tested against the recursive
definition).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

EMPTY_ROOT = hashlib.sha256(b"").hexdigest()
"""RFC 6962: the hash of an empty tree is the hash of the empty string."""


def leaf_hash(data: bytes) -> bytes:
    """``H(0x00 || data)``."""
    return hashlib.sha256(b"\x00" + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """``H(0x01 || left || right)``."""
    return hashlib.sha256(b"\x01" + left + right).digest()


def _levels(leaves: Sequence[bytes]) -> list[list[bytes]]:
    level = [leaf_hash(x) for x in leaves]
    out = [level]
    while len(level) > 1:
        nxt = [node_hash(level[i], level[i + 1]) for i in range(0, len(level) - 1, 2)]
        if len(level) % 2:
            nxt.append(level[-1])
        out.append(nxt)
        level = nxt
    return out


def merkle_root(leaves: Sequence[bytes]) -> str:
    """Hex root of the tree over ``leaves`` (raw event hashes, in sequence order)."""
    if not leaves:
        return EMPTY_ROOT
    return _levels(leaves)[-1][0].hex()


class MerkleTree:
    """All levels of one tree, to cut several audit paths without rebuilding it."""

    def __init__(self, leaves: Sequence[bytes]) -> None:
        self.size = len(leaves)
        self._levels = _levels(leaves) if leaves else [[]]

    @property
    def root(self) -> str:
        """Hex root."""
        return self._levels[-1][0].hex() if self.size else EMPTY_ROOT

    def path(self, index: int) -> list[str]:
        """RFC 6962 audit path (hex siblings, bottom up) for the leaf at ``index``."""
        if not 0 <= index < self.size:
            raise IndexError(f"leaf {index} outside a tree of size {self.size}")
        out: list[str] = []
        for level in self._levels[:-1]:
            sibling = index ^ 1
            if sibling < len(level):
                out.append(level[sibling].hex())
            index //= 2
        return out


def verify_inclusion(leaf: bytes, index: int, size: int, path: Sequence[str], root: str) -> bool:
    """RFC 9162 section 2.1.3.2: does ``leaf`` sit at ``index`` of the tree with ``root``?"""
    if not 0 <= index < size:
        return False
    try:
        siblings = [bytes.fromhex(p) for p in path]
    except ValueError:
        return False
    fn, sn, r = index, size - 1, leaf_hash(leaf)
    for p in siblings:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            if not fn & 1:
                while fn and not fn & 1:
                    fn >>= 1
                    sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    return sn == 0 and r.hex() == root.lower()


class MerkleFrontier:
    """An append-only RFC 6962 tree kept as its perfect subtrees (at most log2 n hashes).

    The store feeds it each committed event hash, so sealing a run of 100,000 events signs a
    root computed in microseconds instead of re-reading and re-hashing every event.
    """

    def __init__(self) -> None:
        self.size = 0
        self.last_seq = 0
        self._stack: list[tuple[int, bytes]] = []  # (height, subtree root), largest first

    def add(self, data: bytes, seq: int = 0) -> None:
        """Append one leaf (a raw event hash)."""
        h, height = leaf_hash(data), 0
        while self._stack and self._stack[-1][0] == height:
            h = node_hash(self._stack.pop()[1], h)
            height += 1
        self._stack.append((height, h))
        self.size += 1
        self.last_seq = seq

    @property
    def root(self) -> str:
        """Hex root, equal to :func:`merkle_root` over the same leaves."""
        if not self._stack:
            return EMPTY_ROOT
        h = self._stack[-1][1]
        for _, left in reversed(self._stack[:-1]):
            h = node_hash(left, h)
        return h.hex()
