"""What every chat target implements, and the errors the engine retries or records."""

from __future__ import annotations

import hashlib
import threading
from abc import ABC, abstractmethod
from collections.abc import Callable
from pathlib import Path

from medtrust.errors import TargetSpecError
from medtrust.records import Message, SamplingParams
from medtrust.registry import Registry


class TargetCallError(Exception):
    """One call failed. ``retryable`` calls are retried with backoff; others are recorded."""

    def __init__(
        self,
        message: str,
        *,
        retryable: bool,
        retry_after: float | None = None,
        connection: bool = False,
    ) -> None:
        super().__init__(message)
        self.retryable = retryable
        self.retry_after = retry_after
        self.connection = connection


class ChatTarget(ABC):
    """A system under test that answers OpenAI-style chat messages with text."""

    spec: str
    #: How many calls the target can usefully serve at once (None: no limit of its own).
    max_parallel: int | None = None
    #: Whether it understands OpenAI-style ``image_url`` content parts (multimodal probes).
    accepts_images: bool = False

    @abstractmethod
    async def complete(self, messages: list[Message], params: SamplingParams) -> str:
        """Return the reply text, or raise :class:`TargetCallError`."""

    def cache_identity(self) -> str:
        """What the response cache keys this target by: the spec, plus whatever else decides
        its replies (a python module's source, a GGUF file's bytes). Two targets with the same
        identity must give the same reply to the same request; a changed target must not."""
        return self.spec

    async def preflight(self) -> None:  # noqa: B027 - optional hook
        """Fail fast (``TargetUnreachableError``) when the target cannot work at all."""

    async def aclose(self) -> None:  # noqa: B027 - optional hook
        """Release connections, models, threads."""


_HASHES: dict[tuple[str, int, int], str] = {}
_HASH_LOCK = threading.Lock()


def file_sha256(path: Path) -> str:
    """SHA-256 (hex) of a file's bytes, computed once per process per (resolved path, size,
    mtime): a 100 MB GGUF is hashed once, and an edited file (new size or mtime) is re-hashed.

    Raises ``OSError`` when the file cannot be read."""
    resolved = path.resolve()
    st = resolved.stat()
    key = (str(resolved), st.st_size, st.st_mtime_ns)
    with _HASH_LOCK:
        known = _HASHES.get(key)
    if known is not None:
        return known
    h = hashlib.sha256()
    with resolved.open("rb") as fh:
        while chunk := fh.read(1 << 20):
            h.update(chunk)
    digest = h.hexdigest()
    with _HASH_LOCK:
        _HASHES[key] = digest
    return digest


TargetFactory = Callable[[str, str], object]
"""``factory(full_spec, rest_after_scheme)`` -> a ChatTarget or TabularTarget."""

targets: Registry[TargetFactory] = Registry(
    "target", group="medtrust.targets", package="medtrust.targets"
)
"""Every ``--target`` scheme: factories in the public modules of ``medtrust.targets`` (walked on
first lookup) and the ``medtrust.targets`` entry points."""


def split_spec(spec: str) -> tuple[str, str]:
    """``scheme:rest`` -> (scheme, rest), with a clear error for a spec without a scheme."""
    scheme, sep, rest = spec.partition(":")
    if not sep or not scheme or not rest:
        raise TargetSpecError(
            f"bad target spec {spec!r}: expected SCHEME:..., e.g. local:smollm2, "
            "openai:MODEL@BASE_URL, python:MODULE:ATTR, tabular:MODULE:ATTR"
        )
    return scheme, rest


def load_target(spec: str) -> object:
    """Build the target a spec names (see DESIGN's public contract for the schemes).

    Raises :class:`TargetSpecError` for a malformed spec or an unknown scheme (with near
    names), and ``ComponentError`` (one line naming the distribution) when a third-party
    pack's factory crashes; a built-in factory's own error is a bug and propagates."""
    scheme, rest = split_spec(spec)
    try:
        factory = targets.get(scheme)
    except LookupError as exc:
        raise TargetSpecError(f"bad target spec {spec!r}: {exc}") from None
    with targets.building(scheme, f"building {spec!r}"):
        return factory(spec, rest)


def load_chat_target(spec: str) -> ChatTarget:
    """Like :func:`load_target`, but the target must answer chat messages."""
    target = load_target(spec)
    if not isinstance(target, ChatTarget):
        raise TargetSpecError(
            f"target {spec!r} is not a chat target; LLM suites need openai:, local: or python:"
        )
    return target
