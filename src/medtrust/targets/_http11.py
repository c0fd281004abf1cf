"""A lean HTTP/1.1 keep-alive client for plain ``http://`` OpenAI-compatible servers.

Why: a local vLLM / llama.cpp server answers in milliseconds, and there the harness's own cost per
call decides throughput. httpx spends about 1.5 ms of CPU per request in its pool bookkeeping
(a scan of every connection with a socket poll on each assignment), which capped medtrust at
~65-72% of a 50 ms stub's limit at concurrency 64 (bench/README.md). This client does only what
a JSON POST to one host needs: a LIFO stack of idle keep-alive connections, ``Content-Length``
and chunked bodies, one retry on a fresh connection when a reused one turns out to be closed.
HTTPS and proxies stay with httpx (:mod:`medtrust.targets.openai` decides).
"""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass

_MAX_LINE = 64 * 1024
_MAX_BODY = 64 * 1024 * 1024


class HttpError(Exception):
    """The exchange failed below HTTP: ``connect`` tells whether no connection could be made."""

    def __init__(self, message: str, *, connect: bool = False) -> None:
        super().__init__(message)
        self.connect = connect


@dataclass(frozen=True, slots=True)
class HttpResponse:
    """Status, lower-cased headers and the whole body."""

    status: int
    headers: dict[str, str]
    body: bytes

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", errors="replace")


class _Stale(Exception):
    """A reused keep-alive connection was closed by the server before it answered."""


class Http11Pool:
    """Keep-alive connections to one ``host:port``; safe for any number of concurrent tasks
    on one event loop (each request holds its connection exclusively)."""

    def __init__(self, host: str, port: int, headers: dict[str, str]) -> None:
        self.host, self.port = host, port
        name = f"[{host}]" if ":" in host else host  # an IPv6 literal keeps its brackets
        host_header = name if port == 80 else f"{name}:{port}"
        extra = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
        self._head = f"Host: {host_header}\r\nUser-Agent: medtrust\r\nAccept: */*\r\n{extra}"
        self._idle: list[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = []

    async def request(self, method: str, path: str, body: bytes | None = None) -> HttpResponse:
        """Send one request (``body``: JSON bytes) and read its whole response."""
        data = body or b""
        head = f"{method} {path} HTTP/1.1\r\n{self._head}"
        if body is not None:
            head += f"Content-Type: application/json\r\nContent-Length: {len(data)}\r\n"
        payload = (head + "\r\n").encode("latin-1") + data
        while self._idle:
            conn = self._idle.pop()
            try:
                return await self._exchange(conn, payload, reused=True)
            except _Stale:
                continue  # the server closed it while idle: try the next one, or a new one
        conn = await self._connect()
        try:
            return await self._exchange(conn, payload, reused=False)
        except _Stale:
            raise HttpError("server closed the connection without a response") from None

    async def _connect(self) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        try:
            return await asyncio.open_connection(self.host, self.port, limit=_MAX_LINE)
        except OSError as exc:
            where = f"{self.host}:{self.port}"
            raise HttpError(f"cannot connect to {where}: {exc}", connect=True) from None

    async def _exchange(
        self,
        conn: tuple[asyncio.StreamReader, asyncio.StreamWriter],
        payload: bytes,
        *,
        reused: bool,
    ) -> HttpResponse:
        reader, writer = conn
        keep = False
        try:
            try:
                writer.write(payload)
                await writer.drain()
                status_line = await reader.readline()
            except (ConnectionError, OSError) as exc:
                if reused:
                    raise _Stale from None
                raise HttpError(f"{type(exc).__name__}: {exc}") from None
            if not status_line:
                if reused:
                    raise _Stale
                raise HttpError("server closed the connection without a response")
            resp, keep = await self._read_response(reader, status_line)
            return resp
        except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, ValueError) as exc:
            raise HttpError(f"malformed HTTP response: {type(exc).__name__}: {exc}") from None
        except (ConnectionError, OSError) as exc:
            raise HttpError(f"{type(exc).__name__}: {exc}") from None
        finally:
            # a cancelled or failed exchange leaves the stream in an unknown state: never reuse
            if keep:
                self._idle.append(conn)
            else:
                writer.close()

    @staticmethod
    async def _read_response(
        reader: asyncio.StreamReader, status_line: bytes
    ) -> tuple[HttpResponse, bool]:
        parts = status_line.decode("latin-1").split(None, 2)
        if len(parts) < 2 or not parts[0].startswith("HTTP/1."):
            raise ValueError(f"bad status line {status_line[:80]!r}")
        version, status = parts[0], int(parts[1])
        headers: dict[str, str] = {}
        while True:
            line = await reader.readline()
            if line in (b"\r\n", b"\n"):
                break
            if not line:
                raise asyncio.IncompleteReadError(b"", None)
            name, sep, value = line.decode("latin-1").partition(":")
            if not sep:
                raise ValueError(f"bad header line {line[:80]!r}")
            headers[name.strip().lower()] = value.strip()
        conn_hdr = headers.get("connection", "").lower()
        keep = conn_hdr != "close" and (version != "HTTP/1.0" or conn_hdr == "keep-alive")
        if status in (204, 304) or 100 <= status < 200:
            return HttpResponse(status, headers, b""), keep
        if "chunked" in headers.get("transfer-encoding", "").lower():
            body = await _read_chunked(reader)
        elif "content-length" in headers:
            n = int(headers["content-length"])
            if not 0 <= n <= _MAX_BODY:
                raise ValueError(f"content-length {n} out of range")
            body = await reader.readexactly(n)
        else:  # delimited by the server closing the connection
            body = await reader.read(_MAX_BODY)
            keep = False
        return HttpResponse(status, headers, body), keep

    async def aclose(self) -> None:
        """Close every idle connection."""
        idle, self._idle = self._idle, []
        for _, writer in idle:
            writer.close()
            with contextlib.suppress(Exception):
                await writer.wait_closed()


async def _read_chunked(reader: asyncio.StreamReader) -> bytes:
    parts: list[bytes] = []
    total = 0
    while True:
        size_line = await reader.readline()
        if not size_line:
            raise asyncio.IncompleteReadError(b"", None)
        size = int(size_line.split(b";", 1)[0].strip(), 16)
        if size == 0:
            while (await reader.readline()) not in (b"\r\n", b"\n", b""):
                pass  # trailers
            return b"".join(parts)
        total += size
        if total > _MAX_BODY:
            raise ValueError("chunked body too large")
        parts.append(await reader.readexactly(size))
        await reader.readexactly(2)  # CRLF after each chunk
