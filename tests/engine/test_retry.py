"""Backoff with full jitter, capped, and Retry-After as a floor."""

from __future__ import annotations

import random

from hypothesis import given
from hypothesis import strategies as st

from medtrust.engine import RetryPolicy
from medtrust.targets.openai import parse_retry_after


@given(st.integers(0, 30), st.integers(0, 2**32))
def test_backoff_is_bounded_by_exponential_cap(attempt: int, seed: int) -> None:
    p = RetryPolicy(base_s=0.5, cap_s=10.0)
    d = p.delay(attempt, None, random.Random(seed))
    assert 0.0 <= d <= min(10.0, 0.5 * 2**attempt)


@given(st.integers(0, 10), st.floats(0, 120), st.integers(0, 2**32))
def test_retry_after_is_a_floor(attempt: int, after: float, seed: int) -> None:
    p = RetryPolicy(base_s=0.5)
    d = p.delay(attempt, after, random.Random(seed))
    assert after <= d <= after + 0.5


def test_jitter_spreads_clients() -> None:
    p = RetryPolicy(base_s=1.0)
    delays = {round(p.delay(3, None, random.Random(s)), 3) for s in range(50)}
    assert len(delays) > 40


def test_parse_retry_after_formats() -> None:
    assert parse_retry_after("2") == 2.0
    assert parse_retry_after(" 1.5 ") == 1.5
    assert parse_retry_after(None) is None
    assert parse_retry_after("soon") is None
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT") == 0.0  # a date in the past
