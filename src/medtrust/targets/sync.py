"""Call a chat target synchronously from code that may run inside the engine's event loop.

Used by probes (an attacker model writing adaptive attacks) and judges (an LLM judge); it lives
with the targets so both can use it without importing each other or ``attack``.

Probes' ``followups`` and judges are plain functions, but the engine calls them from inside its
running loop, where ``asyncio.run`` is forbidden. An attacker or judge model therefore runs on
one private event loop in a daemon thread; callers block on the result. One loop per target
keeps connection pools (httpx) and model handles (llama.cpp) bound to a single loop.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Coroutine
from typing import Any, TypeVar, cast

from medtrust.records import Message, SamplingParams
from medtrust.targets._base import ChatTarget, load_chat_target

T = TypeVar("T")


class SyncChat:
    """A chat target (any ``--target`` spec) with a blocking ``complete``."""

    def __init__(self, spec: str, *, params: SamplingParams | None = None) -> None:
        self.spec = spec
        self.params = params or SamplingParams(temperature=0.0, max_tokens=256)
        self.target: ChatTarget = load_chat_target(spec)
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(
            target=self._loop.run_forever, name=f"medtrust-sync:{spec}", daemon=True
        )
        self._thread.start()
        self.calls = 0

    def _run(self, coro: Coroutine[Any, Any, T], timeout_s: float) -> T:
        return asyncio.run_coroutine_threadsafe(coro, self._loop).result(timeout_s)

    def complete(
        self,
        messages: list[Message],
        *,
        params: SamplingParams | None = None,
        timeout_s: float = 300.0,
        grammar: str | None = None,
    ) -> str:
        """The reply text; raises whatever the target raises (callers fall back on error).

        ``grammar`` (GBNF) constrains the output of targets that can honour it (those with
        ``accepts_grammar = True``: local llama.cpp models); other targets ignore it, so callers
        must still read the reply strictly.
        """
        self.calls += 1
        p = params or self.params
        if grammar is not None and self.accepts_grammar:
            # ChatTarget.complete has no grammar parameter; targets that declare
            # ``accepts_grammar`` take it as an extra keyword (see targets.local)
            coro = cast(Any, self.target).complete(messages, p, grammar=grammar)
        else:
            coro = self.target.complete(messages, p)
        return cast(str, self._run(coro, timeout_s))

    @property
    def accepts_grammar(self) -> bool:
        """Whether the target enforces a GBNF grammar on its output."""
        return bool(getattr(self.target, "accepts_grammar", False))

    def close(self) -> None:
        """Release the target and stop the private loop."""
        try:
            self._run(self.target.aclose(), 30.0)
        finally:
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(5)


_SHARED: dict[str, SyncChat] = {}
_LOCK = threading.Lock()


def shared_chat(spec: str) -> SyncChat:
    """One :class:`SyncChat` per spec per process (loading a model twice is slow)."""
    with _LOCK:
        if spec not in _SHARED:
            _SHARED[spec] = SyncChat(spec)
        return _SHARED[spec]
