"""The async scheduler: sends (case, sample) requests to a chat target with a concurrency limit,
retries, per-call timeouts and a response cache, and persists replies as they arrive."""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from medtrust.engine._retry import ReplicaLostError, RetryPolicy
from medtrust.engine._storeio import StoreWorker
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
    return _key(target, case, sample, params.model_dump())


def _key(target: str, case: Case, sample: int, params: dict[str, Any]) -> str:
    """:func:`request_key` with the parameters already dumped (once per window, not per case)."""
    return content_hash(
        {
            "target": target,
            "messages": case.messages,
            "params": params,
            "sample": sample if params["temperature"] > 0 else 0,
        },
        length=64,
    )


def _check_text(text: str) -> None:
    """Raise a (non-retryable) :class:`TargetCallError` for a reply no store can hold: text
    with a lone surrogate (a JSON ``"\\ud800"`` escape, a Python string built from one) cannot
    be encoded as UTF-8, and writing it stopped the whole run."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        bad = f"U+{ord(text[exc.start]):04X}"
        raise TargetCallError(
            f"reply is not valid Unicode text ({bad} at character {exc.start})", retryable=False
        ) from None


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
    """Buffers replies and hands them to the store thread in small batches (every 64 or
    0.2 s); :meth:`flush` waits until everything handed over is stored."""

    def __init__(
        self, store: Store, run_id: str, target: str, use_cache: bool, io: StoreWorker
    ) -> None:
        self.store, self.run_id, self.target, self.use_cache = store, run_id, target, use_cache
        self.io = io
        self.replies: list[Reply] = []
        self.cache: list[tuple[str, str, str]] = []
        self.last = time.monotonic()

    def add(self, reply: Reply, key: str | None) -> None:
        self.replies.append(reply)
        if key is not None and reply.ok and self.use_cache and reply.text is not None:
            self.cache.append((key, self.target, reply.text))
        if len(self.replies) >= FLUSH_EVERY or time.monotonic() - self.last > FLUSH_INTERVAL_S:
            self.send()

    def send(self) -> None:
        """Hand the buffered replies to the store thread (not waiting for them)."""
        if self.replies or self.cache:
            self.io.soon(self._put, self.replies, self.cache)
            self.replies, self.cache = [], []
        self.last = time.monotonic()

    def _put(self, replies: list[Reply], cache: list[tuple[str, str, str]]) -> None:
        if cache:
            self.store.cache_put(cache, run_id=self.run_id)
        if replies:
            self.store.add_replies(self.run_id, replies)

    async def flush(self) -> None:
        """Until every reply added so far is stored (raises what a write met)."""
        self.send()
        await self.io.drain()


class Window:
    """One batch of cases handed to :meth:`Scheduler.submit`: done when every request of its
    cases has a stored reply (an error included)."""

    def __init__(self, remaining: int) -> None:
        self.remaining = remaining
        self.answering = asyncio.Event()
        """Set at its first reply: its calls are on the wire."""
        self.finished = asyncio.Event()

    def _finish(self) -> None:
        self.answering.set()
        self.finished.set()


class Scheduler:
    """A pool of workers that sends ``(case, sample)`` requests to ``target`` for one stage,
    window after window, with a concurrency limit, retries, per-call timeouts and the response
    cache, and stores replies as they arrive (every 64 or 0.2 s, and when a window is done).

    Windows are pipelined: the requests of a window submitted while another is still being
    answered wait in one queue behind it, so the pool does not drain at a window's end and the
    caller can store the next window, or judge the last one, while calls are in flight. A target
    that never answered a single call and keeps refusing connections fails every window not
    yet done with :class:`~medtrust.errors.TargetUnreachableError` (raised by :meth:`wait`).
    Use as ``async with``: leaving cancels the workers and stores whatever arrived.
    """

    def __init__(
        self,
        *,
        target: ChatTarget,
        samples: int,
        params: SamplingParams,
        store: Store,
        run_id: str,
        concurrency: int,
        timeout_s: float,
        retry: RetryPolicy,
        use_cache: bool = True,
        progress: ProgressFn | None = None,
        seed: int = 0,
        io: StoreWorker | None = None,
    ) -> None:
        self.stats = ExecStats()
        self._target, self._samples, self._params = target, samples, params
        self._store, self._timeout_s, self._retry = store, timeout_s, retry
        self._use_cache, self._progress = use_cache, progress
        self._own_io = io is None
        self._io = io if io is not None else StoreWorker(store)
        self._writer = _Writer(store, run_id, target.spec, use_cache, self._io)
        self._identity: str | None = None
        self._rng = random.Random(seed)
        self._limit = min(concurrency, target.max_parallel or concurrency)
        self._queue: asyncio.Queue[tuple[Case, int, str, Window]] = asyncio.Queue()
        self._workers: list[asyncio.Task[None]] = []
        self._open: list[Window] = []
        self._error: BaseException | None = None
        self._succeeded = 0
        self._conn_failures = 0
        self._started = time.monotonic()

    async def __aenter__(self) -> Scheduler:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def submit(
        self, cases: Sequence[Case], done: set[tuple[str, int]] | None = None
    ) -> Window:
        """Queue ``samples`` requests for every case not already answered in ``done``; replies
        found in the cache are stored at once. Returns the window, for :meth:`wait`."""
        done = done or set()
        todo = [
            (c, s) for c in cases for s in range(case_samples(c, self._samples))
            if (c.id, s) not in done
        ]  # fmt: skip
        if self._identity is None and todo:
            use = self._use_cache
            self._identity = self._target.cache_identity() if use else self._target.spec
        dumped, identity = self._params.model_dump(), self._identity or ""
        keys = {(c.id, s): _key(identity, c, s, dumped) for c, s in todo}
        hits: dict[str, str] = {}
        if self._use_cache and keys:
            lookup = self._store.cache_lookup
            hits, rejected = await self._io.run(lookup, sorted(set(keys.values())))
            self.stats.cache_rejected += sum(1 for k in keys.values() if k in rejected)
        pending: list[tuple[Case, int]] = []
        for c, s in todo:
            text = hits.get(keys[(c.id, s)])
            if text is None:
                pending.append((c, s))
                continue
            self._writer.add(Reply(case_id=c.id, sample=s, text=text, cached=True), None)
            self.stats.cached += 1
            if self._progress:
                self._progress(1)
        window = Window(len(pending))
        if not pending or self._error is not None:
            await self._writer.flush()
            window._finish()
            return window
        self._open.append(window)
        for c, s in pending:
            self._queue.put_nowait((c, s, keys[(c.id, s)], window))
        while len(self._workers) < min(self._limit, self._queue.qsize() + len(self._workers)):
            self._workers.append(asyncio.create_task(self._worker()))
        return window

    async def answering(self, window: Window) -> None:
        """Until ``window`` has its first reply (its calls are on the wire: the next window can
        be stored meanwhile) or is done."""
        await window.answering.wait()

    async def wait(self, window: Window) -> None:
        """Until every request of ``window`` has a stored reply; raises what stopped the pool
        (an unreachable target) instead."""
        await window.finished.wait()
        if self._error is not None:
            raise self._error

    async def aclose(self, wait_s: float | None = None) -> None:
        """Cancel the workers (a call in flight is abandoned) and store what arrived, waiting
        at most ``wait_s`` seconds for the store (None: until it is stored; a stopped run
        passes a bound, so that a store thread stuck in a slow judge cannot hold it up)."""
        for w in self._workers:
            w.cancel()
        await asyncio.gather(*self._workers, return_exceptions=True)
        self._workers = []
        try:
            async with asyncio.timeout(wait_s):
                await self._writer.flush()  # whatever arrived is kept, even when interrupted
        except TimeoutError:  # still queued behind a stuck job: a resume asks those calls again
            self._io.give_up()
        finally:
            if self._own_io:
                self._io.close(wait_s)
            self.stats.elapsed_s = time.monotonic() - self._started

    def _fail(self, exc: BaseException) -> None:
        self._error = exc
        for window in self._open:
            window._finish()
        self._open = []

    async def _worker(self) -> None:
        while self._error is None:
            case, sample, key, window = await self._queue.get()
            try:
                reply = await self._call(case, sample)
            except asyncio.CancelledError:
                raise  # this worker is being cancelled (``_call`` keeps a target's own)
            except BaseException as exc:  # an unreachable target, a KeyboardInterrupt raised
                self._fail(exc)  # by a python: target: every open window's wait raises it
                return
            self._writer.add(reply, key)
            if self._progress:
                self._progress(1)
            window.answering.set()
            window.remaining -= 1
            if window.remaining == 0 and self._error is None:
                try:
                    await self._writer.flush()  # a finished window is judged from the store
                except BaseException as exc:  # a write failed: no window can finish
                    self._fail(exc)
                    return
                window._finish()
                self._open.remove(window)

    async def _call(self, case: Case, sample: int) -> Reply:
        target, retry, stats = self._target, self._retry, self.stats
        t0 = time.monotonic()
        last_error = "no attempt"
        for attempt in range(retry.max_retries + 1):
            retry_after: float | None = None
            try:
                # asyncio.timeout, not wait_for: no task per call, and Python 3.11's wait_for
                # can swallow the cancellation Ctrl-C sends (the run then waited for ever)
                async with asyncio.timeout(self._timeout_s):
                    text = await target.complete(case.messages, self._params)
                if not text.isascii():
                    _check_text(text)
            except TimeoutError:
                last_error, retryable = f"timeout after {self._timeout_s:g} s", True
                self._conn_failures = 0
            except asyncio.CancelledError:
                task = asyncio.current_task()
                if task is not None and task.cancelling():
                    raise  # this worker is being cancelled (aclose, Ctrl-C)
                # the target's own CancelledError (an async callable's bug): an error reply
                last_error, retryable = "the target raised CancelledError", False
            except TargetCallError as exc:
                last_error, retryable, retry_after = str(exc), exc.retryable, exc.retry_after
                stats.lost_calls += isinstance(exc, ReplicaLostError)
                if exc.connection:
                    self._conn_failures += 1
                    if self._succeeded == 0 and self._conn_failures >= DEAD_AFTER:
                        raise TargetUnreachableError(
                            f"target {target.spec!r} is unreachable: {last_error}"
                        ) from None
                else:
                    self._conn_failures = 0
            else:
                self._succeeded += 1
                self._conn_failures = 0
                stats.sent += 1
                return Reply(
                    case_id=case.id, sample=sample, text=text, latency_s=time.monotonic() - t0
                )
            if not retryable or attempt == retry.max_retries:
                break
            stats.retries += 1
            await asyncio.sleep(retry.delay(attempt, retry_after, self._rng))
        stats.errors += 1
        kind = last_error.split(":", 1)[0][:60]
        stats.error_kinds[kind] = stats.error_kinds.get(kind, 0) + 1
        return Reply(
            case_id=case.id, sample=sample, error=last_error, latency_s=time.monotonic() - t0
        )


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
    """Get ``samples`` replies for every case not already answered in ``done`` (one window of
    a :class:`Scheduler`).

    Replies, errors included, are written to the store as they arrive; a target that never
    answered a single call and keeps refusing connections raises ``TargetUnreachableError``.
    """
    async with Scheduler(
        target=target, samples=samples, params=params, store=store, run_id=run_id,
        concurrency=concurrency, timeout_s=timeout_s, retry=retry, use_cache=use_cache,
        progress=progress, seed=seed,
    ) as pool:  # fmt: skip
        await pool.wait(await pool.submit(cases, done))
    return pool.stats
