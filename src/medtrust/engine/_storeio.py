"""A stage's store work in one thread beside the event loop (issue 15 item 7).

While calls are in flight the event loop must stay free to read replies and send the next
requests. Storing a window of cases (audit commitments, inserts), writing replies and judging a
window took 10-90 ms each on the loop; every such block delayed all 64 calls in flight, and a
1,000-call run through a 50 ms stub spent ~0.25 s of its ~1 s of calls in those blocks.
:class:`StoreWorker` runs that work in a single thread instead, in the order it was handed
over. The thread still shares the interpreter lock with the loop, but Python switches threads
at least every 5 ms (:func:`sys.getswitchinterval`), so the loop waits milliseconds, not a
whole window; SQLite and hashing release the lock while they work.

Safety: during a stage every store call of the engine goes through this one thread, so the
:class:`~medtrust.store.Store` (its audit chain head, its caches) is never used by two threads
at once, and audit events are appended in exactly the order the engine asked for them. A
database whose connections are per thread (SQLAlchemy's ``SingletonThreadPool``: an in-memory
SQLite database) would look empty from another thread; there the work runs inline, on the
loop, as before.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from typing import Any, TypeVar

from sqlalchemy.pool import SingletonThreadPool

from medtrust.store import Store
from medtrust.targets._threads import DaemonThreads

T = TypeVar("T")


class StoreWorker:
    """Runs store work in one thread, first in first out (inline for a per-thread database).

    :meth:`run` awaits a call's result; :meth:`soon` hands over a write whose result nobody
    waits for (replies as they arrive) and :meth:`drain` waits until every such write is done,
    raising the first error one of them met. :meth:`close` waits for what was handed over.
    """

    def __init__(self, store: Store) -> None:
        per_thread = isinstance(store.engine.pool, SingletonThreadPool)
        # a daemon thread: a job stuck past Ctrl-C (an LLM judge waiting for its model) cannot
        # keep the process alive (see :meth:`close`)
        self._pool = None if per_thread else DaemonThreads("medtrust-store", limit=1)
        self._last: Future[Any] | asyncio.Future[Any] | None = None
        self._error: BaseException | None = None
        self._stuck = False

    @property
    def threaded(self) -> bool:
        """Whether the work runs in the thread (False: inline on the caller's thread)."""
        return self._pool is not None

    async def run(self, fn: Callable[..., T], *args: Any) -> T:
        """``fn(*args)`` after the work handed over before it; its result or its exception."""
        if self._pool is None:
            return fn(*args)
        # shielded: a cancelled caller (Ctrl-C) does not drop work already handed over
        return await asyncio.shield(asyncio.wrap_future(self._pool.submit(fn, *args)))

    def soon(self, fn: Callable[..., Any], *args: Any) -> None:
        """Hand over ``fn(*args)`` without waiting (an error surfaces at :meth:`drain`)."""
        if self._pool is None:
            try:
                fn(*args)
            except BaseException as exc:
                self._note(exc)
            return
        self._last = self._pool.submit(fn, *args)
        self._last.add_done_callback(self._done)

    def _done(self, fut: Future[Any]) -> None:
        if not fut.cancelled() and (exc := fut.exception()) is not None:
            self._note(exc)

    def _note(self, exc: BaseException) -> None:
        if self._error is None:
            self._error = exc

    async def drain(self) -> None:
        """Until every write handed to :meth:`soon` is done; raises the first one's error."""
        last = self._last
        if last is not None and self._pool is not None:
            # one thread, in order: all before it are done; shielded as in :meth:`run`
            await asyncio.shield(asyncio.wrap_future(last))
        if self._error is not None:
            raise self._error

    def close(self, timeout_s: float | None = None) -> bool:
        """Wait until the work handed over is done (at most ``timeout_s`` seconds: None, for
        ever); False when it is not done by then. Callable again; the thread itself is a
        daemon that nothing needs to stop."""
        if self._pool is None:
            return True
        if self._stuck and timeout_s is not None:
            return False  # a bounded wait already gave up on it: do not wait again
        try:
            self._pool.submit(_nothing).result(timeout_s)  # first in, first out: all before
        except FutureTimeout:
            self._stuck = True
            return False
        return True

    def give_up(self) -> None:
        """A bounded wait for this worker expired elsewhere: later bounded waits return at
        once (the run is stopping; what is still queued is asked again on resume)."""
        self._stuck = True


def _nothing() -> None:
    return None
