"""The async scheduler: sends (case, sample) requests to a chat target with a concurrency limit,
retries, per-call timeouts and a response cache, and persists replies as they arrive."""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from medtrust.engine._retry import ReplicaLostError, RetryPolicy
from medtrust.errors import TargetUnreachableError
from medtrust.records import Case, Reply, SamplingParams, content_hash
from medtrust.store import Store
from medtrust.targets import ChatTarget, TargetCallError

ProgressFn = Callable[[int], None]

FLUSH_EVERY = 64
FLUSH_INTERVAL_S = 0.2
DEAD_AFTER = 8
"""Consecutive connection failures, with no success yet, after which the target is called dead."""


def request_key(target: str, case: Case, sample: int, params: SamplingParams) -> str:
    """Cache key for one request. ``target`` is the target's
    :meth:`~medtrust.targets.ChatTarget.cache_identity` (its spec plus the hash of its code or
    weights), so an edited ``python:`` module or a replaced GGUF file gets new keys. Greedy
    decoding is deterministic, so at temperature 0 all samples share one key; with sampling
    each sample index is its own request."""
    return content_hash(
        {
            "target": target,
            "messages": case.messages,
            "params": params.model_dump(),
            "sample": sample if params.temperature > 0 else 0,
        },
        length=64,
    )


def case_samples(case: Case, samples: int) -> int:
    """Samples to ask for ``case``: the run's ``samples``, or more when the probe asks for more
    attempts per case in ``case.meta["samples"]`` (e.g. the privacy probe's ``attempts``, where
    the judge fails a case when any attempt leaks)."""
    want = case.meta.get("samples")
    return max(samples, want) if isinstance(want, int) and not isinstance(want, bool) else samples


@dataclass(kw_only=True)
class ExecStats:
    """What one execution did, for logs and benchmarks."""

    sent: int = 0
    cached: int = 0
    cache_rejected: int = 0
    """Cache entries found but not reused: their text no longer matched the stored or audited
    SHA-256 digest, so the target was asked again."""
    errors: int = 0
    retries: int = 0
    lost_calls: int = 0
    """Calls lost with a Ray replica (its worker process or node died); each is asked again
    while the retry budget lasts, and counted in ``retries`` when it is."""
    elapsed_s: float = 0.0
    error_kinds: dict[str, int] = field(default_factory=dict)

    @property
    def replies(self) -> int:
        """Replies this execution stored: from the target, from the cache, and errors."""
        return self.sent + self.cached + self.errors

    def merge(self, other: ExecStats) -> None:
        """Add another execution's counts (one run executes once per attack stage)."""
        self.sent += other.sent
        self.cached += other.cached
        self.cache_rejected += other.cache_rejected
        self.errors += other.errors
        self.retries += other.retries
        self.lost_calls += other.lost_calls
        self.elapsed_s += other.elapsed_s
        for k, v in other.error_kinds.items():
            self.error_kinds[k] = self.error_kinds.get(k, 0) + v


class _Writer:
    """Buffers replies and writes them in small transactions (every 64 or 0.2 s)."""

    def __init__(self, store: Store, run_id: str, target: str, use_cache: bool) -> None:
        self.store, self.run_id, self.target, self.use_cache = store, run_id, target, use_cache
        self.replies: list[Reply] = []
        self.cache: list[tuple[str, str, str]] = []
        self.last = time.monotonic()

    def add(self, reply: Reply, key: str | None) -> None:
        self.replies.append(reply)
        if key is not None and reply.ok and self.use_cache and reply.text is not None:
            self.cache.append((key, self.target, reply.text))
        if len(self.replies) >= FLUSH_EVERY or time.monotonic() - self.last > FLUSH_INTERVAL_S:
            self.flush()

    def flush(self) -> None:
        if self.cache:
            self.store.cache_put(self.cache, run_id=self.run_id)
            self.cache = []
        if self.replies:
            self.store.add_replies(self.run_id, self.replies)
            self.replies = []
        self.last = time.monotonic()


async def execute(
    *,
    target: ChatTarget,
    cases: Sequence[Case],
    samples: int,
    params: SamplingParams,
    store: Store,
    run_id: str,
    concurrency: int,
    timeout_s: float,
    retry: RetryPolicy,
    use_cache: bool = True,
    done: set[tuple[str, int]] | None = None,
    progress: ProgressFn | None = None,
    seed: int = 0,
) -> ExecStats:
    """Get ``samples`` replies for every case not already answered in ``done``.

    Replies, errors included, are written to the store as they arrive; a target that never
    answered a single call and keeps refusing connections raises ``TargetUnreachableError``.
    """
    stats = ExecStats()
    started = time.monotonic()
    done = done or set()
    todo = [(c, s) for c in cases for s in range(case_samples(c, samples)) if (c.id, s) not in done]
    writer = _Writer(store, run_id, target.spec, use_cache)
    identity = target.cache_identity() if use_cache and todo else target.spec
    keys = {(c.id, s): request_key(identity, c, s, params) for c, s in todo}
    hits: dict[str, str] = {}
    if use_cache:
        hits, rejected = store.cache_lookup(sorted(set(keys.values())))
        stats.cache_rejected = sum(1 for k in keys.values() if k in rejected)
    pending: list[tuple[Case, int]] = []
    for c, s in todo:
        text = hits.get(keys[(c.id, s)])
        if text is not None:
            writer.add(Reply(case_id=c.id, sample=s, text=text, cached=True), None)
            stats.cached += 1
            if progress:
                progress(1)
        else:
            pending.append((c, s))
    writer.flush()

    rng = random.Random(seed)
    succeeded = 0
    consecutive_conn_failures = 0
    dead: list[str] = []
    queue: asyncio.Queue[tuple[Case, int]] = asyncio.Queue()
    for item in pending:
        queue.put_nowait(item)
    limit = min(concurrency, target.max_parallel or concurrency)

    async def call(case: Case, sample: int) -> Reply:
        nonlocal succeeded, consecutive_conn_failures
        t0 = time.monotonic()
        last_error = "no attempt"
        for attempt in range(retry.max_retries + 1):
            retry_after: float | None = None
            try:
                text = await asyncio.wait_for(target.complete(case.messages, params), timeout_s)
            except TimeoutError:
                last_error, retryable = f"timeout after {timeout_s:g} s", True
                consecutive_conn_failures = 0
            except TargetCallError as exc:
                last_error, retryable, retry_after = str(exc), exc.retryable, exc.retry_after
                stats.lost_calls += isinstance(exc, ReplicaLostError)
                if exc.connection:
                    consecutive_conn_failures += 1
                    if succeeded == 0 and consecutive_conn_failures >= DEAD_AFTER:
                        dead.append(last_error)
                        raise TargetUnreachableError(
                            f"target {target.spec!r} is unreachable: {last_error}"
                        ) from None
                else:
                    consecutive_conn_failures = 0
            else:
                succeeded += 1
                consecutive_conn_failures = 0
                stats.sent += 1
                return Reply(
                    case_id=case.id, sample=sample, text=text, latency_s=time.monotonic() - t0
                )
            if not retryable or attempt == retry.max_retries:
                break
            stats.retries += 1
            await asyncio.sleep(retry.delay(attempt, retry_after, rng))
        stats.errors += 1
        kind = last_error.split(":", 1)[0][:60]
        stats.error_kinds[kind] = stats.error_kinds.get(kind, 0) + 1
        return Reply(
            case_id=case.id, sample=sample, error=last_error, latency_s=time.monotonic() - t0
        )

    async def worker() -> None:
        while True:
            try:
                case, sample = queue.get_nowait()
            except asyncio.QueueEmpty:
                return
            reply = await call(case, sample)
            writer.add(reply, keys[(case.id, sample)])
            if progress:
                progress(1)

    workers = [asyncio.create_task(worker()) for _ in range(min(limit, len(pending)))]
    try:
        await asyncio.gather(*workers)
    finally:
        for w in workers:
            w.cancel()
        await asyncio.gather(*workers, return_exceptions=True)
        writer.flush()  # whatever arrived is kept, even when interrupted
    stats.elapsed_s = time.monotonic() - started
    return stats
