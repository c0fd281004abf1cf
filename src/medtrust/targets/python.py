"""``python:MODULE:ATTR``: a callable taking OpenAI-style messages and returning the reply text."""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from medtrust.errors import TargetSpecError
from medtrust.records import Message, SamplingParams
from medtrust.targets._base import ChatTarget, TargetCallError, file_sha256, targets
from medtrust.targets._importing import import_module_attr, source_files
from medtrust.targets._threads import DaemonThreads


class CallableTarget(ChatTarget):
    """Wraps a sync or async callable. Sync callables run in daemon threads, one per call in
    flight (:class:`~medtrust.targets._threads.DaemonThreads`)."""

    def __init__(self, *, spec: str, fn: Callable[..., Any], sources: Sequence[Path] = ()) -> None:
        self.spec = spec
        self.fn = fn
        # hashed now: the identity is that of the code just loaded, even if edited mid-run
        self._identity = self.spec
        if digests := [f"{p.name}={file_sha256(p)}" for p in sources]:
            self._identity = f"{self.spec}#" + ",".join(digests)
        # A callable declares image support with an attribute: ``answer.accepts_images = True``.
        self.accepts_images = bool(getattr(fn, "accepts_images", False))
        self._threads = DaemonThreads("medtrust-target")
        self._is_async = inspect.iscoroutinefunction(fn) or inspect.iscoroutinefunction(
            getattr(fn, "__call__", None)  # noqa: B004 - callable objects with async __call__
        )

    def cache_identity(self) -> str:
        """The spec plus the SHA-256 of every source file that decides the callable's replies
        (its module's file, and the file defining it when that is another module), so that an
        edited module never gets the old module's cached replies."""
        return self._identity

    async def complete(self, messages: list[Message], params: SamplingParams) -> str:
        try:
            if self._is_async:
                out = await self.fn(messages)
            else:  # a thread of its own at once: see ``_threads`` (no wait, no hang at exit)
                out = await asyncio.wrap_future(self._threads.submit(self.fn, messages))
                if inspect.isawaitable(out):
                    out = await out
        except TargetCallError:
            raise
        except Exception as exc:
            raise TargetCallError(f"{type(exc).__name__}: {exc}", retryable=False) from None
        if not isinstance(out, str):
            raise TargetCallError(
                f"callable returned {type(out).__name__}, expected str", retryable=False
            )
        return out


@targets.register("python")
def _python(spec: str, rest: str) -> CallableTarget:
    module, fn = import_module_attr(spec, rest)
    if not callable(fn):
        raise TargetSpecError(f"target {spec!r}: {rest!r} is not callable")
    return CallableTarget(spec=spec, fn=fn, sources=source_files(module, fn))
