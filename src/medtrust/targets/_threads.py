"""Threads for blocking target code (a synchronous ``python:`` callable) that never keep the
process alive and never make a call wait for a free thread.

``asyncio.to_thread`` uses the event loop's default executor: at most ``min(32, cores + 4)``
threads (6 on a 2-core machine), so with ``--concurrency 32`` most calls waited for a thread
and that wait counted against ``--timeout`` (24 of 30 calls of 1.5 s "timed out" at 2 s). Its
threads are also joined when the loop closes and again at the interpreter's exit, so one call
that never returned kept ``medtrust run`` alive after the run, even after Ctrl-C. Here every
call gets a thread at once (one is started whenever none is idle, up to ``limit``), and the
threads are daemons that nothing joins: a call abandoned after its timeout runs on, unseen,
until the process ends.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any, TypeVar

T = TypeVar("T")

_Job = tuple[Future[Any], Callable[..., Any], tuple[Any, ...]]


class DaemonThreads:
    """Run blocking calls in daemon threads, started on demand (at most ``limit``)."""

    def __init__(self, name: str, limit: int = 1024) -> None:
        self._name, self._limit = name, limit
        self._jobs: queue.SimpleQueue[_Job] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._threads = 0
        self._idle = 0

    def submit(self, fn: Callable[..., T], *args: Any) -> Future[T]:
        """``fn(*args)`` in a thread; its result or exception in the returned future (a
        future cancelled before its call started is skipped)."""
        fut: Future[T] = Future()
        self._jobs.put((fut, fn, args))
        with self._lock:
            start = self._idle < self._jobs.qsize() and self._threads < self._limit
            if start:
                self._threads += 1
        if start:
            name = f"{self._name}-{self._threads}"
            threading.Thread(target=self._work, name=name, daemon=True).start()
        return fut

    def _work(self) -> None:
        while True:
            with self._lock:
                self._idle += 1
            fut, fn, args = self._jobs.get()
            with self._lock:
                self._idle -= 1
            if not fut.set_running_or_notify_cancel():
                continue
            try:
                fut.set_result(fn(*args))
            except BaseException as exc:  # handed to the caller, as an executor does
                fut.set_exception(exc)
