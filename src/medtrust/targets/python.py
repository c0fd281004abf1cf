"""``python:MODULE:ATTR``: a callable taking OpenAI-style messages and returning the reply text."""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Callable
from typing import Any

from medtrust.errors import TargetSpecError
from medtrust.records import Message, SamplingParams
from medtrust.targets._base import ChatTarget, TargetCallError, targets
from medtrust.targets._importing import import_attr


class CallableTarget(ChatTarget):
    """Wraps a sync or async callable. Sync callables run in a worker thread."""

    def __init__(self, *, spec: str, fn: Callable[..., Any]) -> None:
        self.spec = spec
        self.fn = fn
        # A callable declares image support with an attribute: ``answer.accepts_images = True``.
        self.accepts_images = bool(getattr(fn, "accepts_images", False))
        self._is_async = inspect.iscoroutinefunction(fn) or inspect.iscoroutinefunction(
            getattr(fn, "__call__", None)  # noqa: B004 - callable objects with async __call__
        )

    async def complete(self, messages: list[Message], params: SamplingParams) -> str:
        try:
            if self._is_async:
                out = await self.fn(messages)
            else:
                out = await asyncio.to_thread(self.fn, messages)
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
    fn = import_attr(spec, rest)
    if not callable(fn):
        raise TargetSpecError(f"target {spec!r}: {rest!r} is not callable")
    return CallableTarget(spec=spec, fn=fn)
