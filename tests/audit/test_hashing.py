"""The byte-level contract: the fast canonical JSON is RFC 8785 (checked against the reference
``rfc8785`` package), and event headers hash the canonical JSON of their fields."""

from __future__ import annotations

import hashlib
from typing import Any

import rfc8785
from hypothesis import given
from hypothesis import strategies as st

from medtrust.audit import canonical, commitment, event_hash
from medtrust.audit._hashing import derive_salt, event_header

scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**53) + 1, max_value=2**53 - 1)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text()
)
json_values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=20,
)


def _no_lone_surrogates(obj: Any) -> bool:
    try:
        rfc8785.dumps(obj)
    except rfc8785.CanonicalizationError:
        return False
    return True


@given(json_values)
def test_canonical_is_rfc8785(obj: Any) -> None:
    if _no_lone_surrogates(obj):
        assert canonical(obj) == rfc8785.dumps(obj)


def test_canonical_edge_numbers_and_keys() -> None:
    obj = {
        "b": [1.0, 1e-07, 1e21, 0.1, -0.0, 5e-324, 2.0**53, 1e-4, 1e16 - 2],
        "a": {"\U0001f600": 1, "\ue000": 2},
    }
    assert canonical(obj) == rfc8785.dumps(obj)
    # values RFC 8785 cannot express are committed as text, never an error
    assert (
        canonical({"big": 2**60, "nan": float("nan")})
        == b'{"big":"1152921504606846976","nan":"nan"}'
    )


@given(
    st.integers(min_value=0, max_value=2**53 - 1),
    st.text(),
    st.text(),
    st.text(),
    st.text(alphabet="0123456789abcdef", min_size=64, max_size=64),
    st.text(),
)
def test_event_header_is_canonical_json(
    seq: int, run: str, kind: str, ref: str, prev: str, at: str
) -> None:
    fields = dict(run=run, kind=kind, ref=ref, commitment="ab" * 32, prev=prev, at=at)
    try:
        expected = rfc8785.dumps({**fields, "seq": seq, "v": 1})
    except rfc8785.CanonicalizationError:
        return
    assert event_header(seq=seq, **fields) == expected
    assert event_hash(seq=seq, **fields) == hashlib.sha256(expected).hexdigest()


def test_commitments_hide_and_bind() -> None:
    salt_a, salt_b = derive_salt(b"k" * 32, 1), derive_salt(b"k" * 32, 2)
    assert salt_a != salt_b and len(salt_a) == 32
    assert commitment(salt_a, {"text": "A"}) != commitment(salt_b, {"text": "A"})
    assert commitment(salt_a, {"text": "A"}) != commitment(salt_a, {"text": "B"})
    assert commitment(salt_a, {"x": 1, "y": 2}) == commitment(salt_a, {"y": 2, "x": 1.0})
