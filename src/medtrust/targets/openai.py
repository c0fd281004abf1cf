"""``openai:MODEL@BASE_URL``: any OpenAI-compatible chat-completions server, over httpx."""

from __future__ import annotations

import asyncio
import json
import os
from collections.abc import Mapping
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import urlparse

from medtrust.errors import TargetSpecError, TargetUnreachableError
from medtrust.records import Message, SamplingParams
from medtrust.targets._base import ChatTarget, TargetCallError, targets
from medtrust.targets._http11 import Http11Pool, HttpError

if TYPE_CHECKING:  # httpx serves https:// and proxies only: imported when first needed
    import httpx

CONNECTIONS_PER_CLIENT = 8
RETRY_STATUS = {408, 409, 425, 429, 500, 502, 503, 504}
PROXY_VARS = ("HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy")


def parse_retry_after(value: str | None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (delta-seconds or an HTTP date)."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


def _snippet(raw: bytes) -> str:
    """The first 200 characters of a body, for one-line error messages."""
    return raw[:400].decode("utf-8", errors="replace")[:200]


class OpenAITarget(ChatTarget):
    """Async client for one base URL, with pooled keep-alive connections.

    ``https://`` (and any URL when a proxy is configured) goes through httpx; plain ``http://``
    (a local or in-cluster inference server, where harness overhead decides throughput) goes
    through the lean :class:`~medtrust.targets._http11.Http11Pool`.
    """

    def __init__(self, *, spec: str, model: str, base_url: str, api_key: str | None) -> None:
        self.spec = spec
        self.model = model
        self.base_url = base_url.rstrip("/")
        self._headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self._clients: list[httpx.AsyncClient] = []
        self._free: list[httpx.AsyncClient] = []  # one entry per idle connection slot
        url = urlparse(self.base_url)
        self._fast: Http11Pool | None = None
        if url.scheme == "http" and url.hostname and not any(os.environ.get(v) for v in PROXY_VARS):
            self._fast = Http11Pool(url.hostname, url.port or 80, self._headers)
            self._prefix = url.path.rstrip("/")

    def _acquire(self) -> httpx.AsyncClient:
        """A client with a free connection slot, creating one when all are busy.

        httpcore's pool scans every queued request against every connection, so one client
        with 64 connections tops out near 120 req/s on 2 cores; small clients of 8 connections
        each (grown on demand up to the engine's concurrency) reach the server's limit.
        """
        if not self._free:
            import httpx

            client = httpx.AsyncClient(
                base_url=self.base_url,
                headers=self._headers,
                timeout=httpx.Timeout(None),  # the engine owns the per-call timeout
                limits=httpx.Limits(
                    max_connections=CONNECTIONS_PER_CLIENT,
                    max_keepalive_connections=CONNECTIONS_PER_CLIENT,
                ),
            )
            self._clients.append(client)
            self._free.extend([client] * CONNECTIONS_PER_CLIENT)
        return self._free.pop()

    async def preflight(self) -> None:
        """One GET to the server: any HTTP answer proves it is up; no answer is fatal."""
        if self._fast is not None:
            try:
                await asyncio.wait_for(self._fast.request("GET", f"{self._prefix}/models"), 10.0)
            except (HttpError, TimeoutError) as exc:
                raise TargetUnreachableError(
                    f"target {self.spec!r}: cannot reach {self.base_url}: "
                    f"{type(exc).__name__}: {exc}"
                ) from None
            return
        import httpx

        client = self._acquire()
        try:
            await client.get("/models", timeout=10.0)
        except httpx.HTTPError as exc:
            raise TargetUnreachableError(
                f"target {self.spec!r}: cannot reach {self.base_url}: {type(exc).__name__}: {exc}"
            ) from None
        finally:
            self._free.append(client)

    async def complete(self, messages: list[Message], params: SamplingParams) -> str:
        body: dict[str, Any] = {
            "model": self.model,
            "messages": messages,
            "temperature": params.temperature,
            "max_tokens": params.max_tokens,
            "top_p": params.top_p,
        }
        if params.seed is not None:
            body["seed"] = params.seed
        if self._fast is not None:
            status, headers, raw = await self._post_fast(body)
        else:
            status, headers, raw = await self._post_httpx(body)
        if status != 200:
            raise TargetCallError(
                f"HTTP {status}: {_snippet(raw)}",
                retryable=status in RETRY_STATUS,
                retry_after=parse_retry_after(headers.get("retry-after")),
            )
        try:
            data = json.loads(raw)
            message = data["choices"][0]["message"]
            # The reply is ``content`` only: a reasoning model's ``reasoning_content`` (vLLM,
            # DeepSeek, llama.cpp server) is its scratchpad, never the answer (issue 12).
            content = message.get("content")
        except (ValueError, KeyError, IndexError, TypeError, AttributeError):
            raise TargetCallError(f"malformed reply: {_snippet(raw)!r}", retryable=True) from None
        if not isinstance(content, str):
            why = " (reasoning only: cut off before the answer?)" if message.get(
                "reasoning_content") else ""
            raise TargetCallError(
                f"reply content is not text: {content!r:.200}{why}", retryable=False
            )
        return content

    async def _post_fast(self, body: dict[str, Any]) -> tuple[int, Mapping[str, str], bytes]:
        assert self._fast is not None
        payload = json.dumps(body, ensure_ascii=False).encode()
        try:
            resp = await self._fast.request("POST", f"{self._prefix}/chat/completions", payload)
        except HttpError as exc:
            if exc.connect:
                raise TargetCallError(
                    f"connection failed: {exc}", retryable=True, connection=True
                ) from None
            raise TargetCallError(f"{type(exc).__name__}: {exc}", retryable=True) from None
        return resp.status, resp.headers, resp.body

    async def _post_httpx(self, body: dict[str, Any]) -> tuple[int, Mapping[str, str], bytes]:
        import httpx

        client = self._acquire()
        try:
            resp = await client.post("/chat/completions", json=body)
        except (httpx.ConnectError, httpx.ConnectTimeout) as exc:
            raise TargetCallError(
                f"connection failed: {exc}", retryable=True, connection=True
            ) from None
        except httpx.HTTPError as exc:
            raise TargetCallError(f"{type(exc).__name__}: {exc}", retryable=True) from None
        finally:
            self._free.append(client)
        return resp.status_code, resp.headers, resp.content

    async def aclose(self) -> None:
        if self._fast is not None:
            await self._fast.aclose()
        for client in self._clients:
            await client.aclose()
        self._clients, self._free = [], []


@targets.register("openai")
def _openai(spec: str, rest: str) -> OpenAITarget:
    rest, _, flags = rest.partition("#")
    if flags and flags != "images":
        raise TargetSpecError(f"target {spec!r}: unknown flag #{flags} (known: #images)")
    model, sep, base = rest.partition("@")
    if not sep:
        base = os.environ.get("OPENAI_BASE_URL", "")
        if not base:
            raise TargetSpecError(
                f"target {spec!r}: no base URL; use openai:MODEL@BASE_URL or set OPENAI_BASE_URL"
            )
    parsed = urlparse(base)
    if parsed.scheme not in {"http", "https"} or not parsed.netloc:
        raise TargetSpecError(
            f"target {spec!r}: base URL {base!r} must be http(s)://host[:port]/..."
        )
    if not model:
        raise TargetSpecError(f"target {spec!r}: empty model name")
    target = OpenAITarget(
        spec=spec, model=model, base_url=base, api_key=os.environ.get("OPENAI_API_KEY")
    )
    target.accepts_images = flags == "images"
    return target
