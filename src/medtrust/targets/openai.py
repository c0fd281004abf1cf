"""``openai:MODEL@BASE_URL``: any OpenAI-compatible chat-completions server, over httpx."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urlparse

import httpx

from medtrust.errors import TargetSpecError, TargetUnreachableError
from medtrust.records import Message, SamplingParams
from medtrust.targets._base import ChatTarget, TargetCallError, targets

CONNECTIONS_PER_CLIENT = 8
RETRY_STATUS = {408, 409, 425, 429, 500, 502, 503, 504}


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


class OpenAITarget(ChatTarget):
    """Async httpx client for one base URL, with pooled keep-alive connections."""

    def __init__(self, *, spec: str, model: str, base_url: str, api_key: str | None) -> None:
        self.spec = spec
        self.model = model
        self.base_url = base_url.rstrip("/")
        self._headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self._clients: list[httpx.AsyncClient] = []
        self._free: list[httpx.AsyncClient] = []  # one entry per idle connection slot

    def _acquire(self) -> httpx.AsyncClient:
        """A client with a free connection slot, creating one when all are busy.

        httpcore's pool scans every queued request against every connection, so one client
        with 64 connections tops out near 120 req/s on 2 cores; small clients of 8 connections
        each (grown on demand up to the engine's concurrency) reach the server's limit.
        """
        if not self._free:
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
        if resp.status_code != 200:
            retryable = resp.status_code in RETRY_STATUS
            raise TargetCallError(
                f"HTTP {resp.status_code}: {resp.text[:200]}",
                retryable=retryable,
                retry_after=parse_retry_after(resp.headers.get("retry-after")),
            )
        try:
            data = resp.json()
            content = data["choices"][0]["message"]["content"]
        except (ValueError, KeyError, IndexError, TypeError):
            raise TargetCallError(f"malformed reply: {resp.text[:200]!r}", retryable=True) from None
        if not isinstance(content, str):
            raise TargetCallError(f"reply content is not text: {content!r:.200}", retryable=False)
        return content

    async def aclose(self) -> None:
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
