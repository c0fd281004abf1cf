"""Retry policy: exponential backoff with full jitter that honours ``Retry-After``."""

from __future__ import annotations

import random
from dataclasses import dataclass

from medtrust.targets import TargetCallError


class ReplicaLostError(TargetCallError):
    """A call lost with the replica serving it (its worker process or node died): asked again
    within the retry budget, and counted apart (``ExecStats.lost_calls``)."""

    def __init__(self, message: str) -> None:
        super().__init__(message, retryable=True)


@dataclass(frozen=True, kw_only=True)
class RetryPolicy:
    """How often and how long to wait before calling a failing target again."""

    max_retries: int = 5
    base_s: float = 0.25
    cap_s: float = 30.0

    def delay(self, attempt: int, retry_after: float | None, rng: random.Random) -> float:
        """Seconds to wait before retry number ``attempt`` (0-based).

        Full jitter spreads a burst of clients hitting a 429 at once; a server's
        ``Retry-After`` is a floor, never shortened by jitter (a little is added on top so that
        clients told the same instant do not return together).
        """
        backoff = rng.uniform(0.0, min(self.cap_s, self.base_s * (2**attempt)))
        if retry_after is not None:
            return min(max(retry_after, 0.0), 300.0) + rng.uniform(0.0, self.base_s)
        return backoff
