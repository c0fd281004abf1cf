"""Canonical JSON, salted commitments and event hashes: the byte-level contract of the chain.

Everything a third party recomputes goes through here, so the rules are few and explicit:

* content is serialised with RFC 8785 (JSON Canonicalization Scheme). ``json.dumps`` already
  produces RFC 8785 output for the common case (ASCII keys, no float Python prints in exponent
  form, integral floats printed as ints, integers below 2**53); anything else goes through the
  ``rfc8785`` package (which cannot express non-finite floats or integers from 2**53: those are
  committed as their text). The fast path matters: a 100,000-event run canonicalises 100,000
  contents, and hypothesis checks that both paths agree.
* a commitment is ``SHA-256(salt || canonical(content))`` with a 32-byte salt derived per event
  as ``HMAC-SHA256(run_secret, "salt:" || seq)``; revealing one salt reveals nothing about the
  others, so opening one commitment discloses exactly one event.
* an event hash is SHA-256 over the canonical JSON of its header, which includes the previous
  event's hash, its sequence number and its commitment (never the content).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import math
from typing import Any

GENESIS = "0" * 64
"""``prev`` of the first event of the chain."""

EVENT_VERSION = 1

_dumps = json.JSONEncoder(
    sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
).encode
_str = json.encoder.encode_basestring  # type: ignore[attr-defined]
_EXACT = 2**53


class _Slow(Exception):
    """A value on which ``json.dumps`` and RFC 8785 may differ: use the reference package."""


def _scalar(v: Any) -> Any:
    t = type(v)
    if t is float:
        if v.is_integer():
            if -_EXACT < v < _EXACT:
                return int(v)
            raise _Slow
        if not 1e-4 <= abs(v) < 1e16:
            raise _Slow
    elif t is int and not -_EXACT < v < _EXACT:
        raise _Slow
    return v


def _norm(obj: Any) -> Any:
    """Make ``obj`` print identically under ``json.dumps`` and RFC 8785, or raise ``_Slow``.

    Integral floats below 2**53 become ints (RFC 8785 prints ``1.0`` as ``1``); floats that
    Python prints in exponent form (below 1e-4 or from 1e16), non-finite floats, integers from
    2**53 and non-ASCII keys (UTF-16 vs code point order) raise. Returns ``obj`` itself when
    nothing changes, so the common case allocates nothing; strings are never visited.
    """
    t = type(obj)
    if t is dict:
        out: Any = None
        for k, v in obj.items():
            if type(k) is not str or not k.isascii():
                raise _Slow
            tv = type(v)
            if tv is str or v is None or tv is bool:
                continue
            n = _norm(v) if tv is dict or tv is list or tv is tuple else _scalar(v)
            if n is not v:
                if out is None:
                    out = dict(obj)
                out[k] = n
        return obj if out is None else out
    if t is list or t is tuple:
        items: Any = None if t is list else list(obj)
        for i, v in enumerate(obj):
            tv = type(v)
            if tv is str or v is None or tv is bool:
                continue
            n = _norm(v) if tv is dict or tv is list or tv is tuple else _scalar(v)
            if n is not v:
                if items is None:
                    items = list(obj)
                items[i] = n
        return obj if items is None else items
    return _scalar(obj)


def canonical(obj: Any) -> bytes:
    """RFC 8785 canonical JSON of ``obj`` as UTF-8 bytes."""
    try:
        return _dumps(_norm(obj)).encode()
    except (_Slow, UnicodeEncodeError):
        pass
    except (TypeError, ValueError) as exc:
        raise ValueError(f"cannot canonicalise audit content: {exc}") from None
    return _slow(obj)


def _as_text(obj: Any) -> Any:
    """Values RFC 8785 cannot express (non-finite floats, integers from 2**53) as strings."""
    if isinstance(obj, dict):
        return {k: _as_text(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_as_text(v) for v in obj]
    if isinstance(obj, float) and not math.isfinite(obj):
        return repr(obj)
    if type(obj) is int and not -_EXACT < obj < _EXACT:
        return str(obj)
    return obj


def _slow(obj: Any) -> bytes:
    import rfc8785

    try:  # the JSON round trip turns tuples into lists and keeps every number exact
        plain = _as_text(json.loads(json.dumps(obj)))
    except (TypeError, ValueError) as exc:
        raise ValueError(f"cannot canonicalise audit content: {exc}") from None
    try:
        return bytes(rfc8785.dumps(plain))
    except rfc8785.CanonicalizationError:  # lone surrogates: escape them, deterministically
        return json.dumps(plain, sort_keys=True, separators=(",", ":")).encode()


def sha256_hex(data: bytes) -> str:
    """Hex SHA-256."""
    return hashlib.sha256(data).hexdigest()


def derive_salt(secret: bytes, seq: int) -> bytes:
    """The salt of event ``seq``: a PRF of the run's secret, so only the owner can open it."""
    return hmac.digest(secret, b"salt:%d" % seq, "sha256")


def commitment(salt: bytes, content: Any) -> str:
    """Hiding, binding commitment to ``content``: hex ``SHA-256(salt || canonical(content))``."""
    return hashlib.sha256(salt + canonical(content)).hexdigest()


def event_header(
    *, seq: int, run: str, kind: str, ref: str, commitment: str, prev: str, at: str
) -> bytes:
    """Canonical JSON of an event's header (keys in RFC 8785 order, built directly for speed)."""
    return (
        f'{{"at":{_str(at)},"commitment":{_str(commitment)},"kind":{_str(kind)},'
        f'"prev":{_str(prev)},"ref":{_str(ref)},"run":{_str(run)},"seq":{int(seq)},'
        f'"v":{EVENT_VERSION}}}'
    ).encode()


def event_hash(
    *, seq: int, run: str, kind: str, ref: str, commitment: str, prev: str, at: str
) -> str:
    """Hex SHA-256 of the event header: what the next event chains to and the Merkle leaf."""
    return hashlib.sha256(
        event_header(seq=seq, run=run, kind=kind, ref=ref, commitment=commitment, prev=prev, at=at)
    ).hexdigest()


def float_text(x: float | None) -> str | None:
    """Float columns are committed as their shortest round-trip text (exact, locale-free)."""
    return None if x is None else repr(float(x))
