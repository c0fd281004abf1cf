#!/usr/bin/env python3
"""Minimal, fast OpenAI-compatible chat-completions stub for throughput benchmarks.

A raw ``asyncio.Protocol`` HTTP/1.1 server (keep-alive, Content-Length and chunked request
bodies, pipelining-safe) on the stdlib event loop, with no dependencies beyond the standard
library.  A raw protocol is about twice as cheap per request as ``aiohttp.web`` (see
``bench/README.md``), which matters on a 2-core box where the stub shares the CPU with the
harness under test.

Endpoints::

    POST /v1/chat/completions   -> chat.completion whose content is a single letter
    GET  /v1/models             -> model list with one model ("stub")
    GET  /stats                 -> counters (JSON); ``GET /stats?reset=1`` returns and resets
    GET  /health                -> "ok"

The reply letter is the first ``A``-``E`` found after the last ``Answer`` in the request body,
else ``"A"``.  With ``--latency-ms N`` every chat completion is answered N ms after its request
was fully read (a timer, not a busy wait), so the ideal throughput at concurrency ``c`` is
``c / latency``.

Run ``python bench/stub_server.py --port 0``: the first stdout line is the bound port.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import signal
import sys
import time
from typing import Any, cast

_ANSWER_RE = re.compile(rb"Answer[^A-Za-z]{0,8}([A-E])\b")
_CRLF2 = b"\r\n\r\n"
_MAX_HEADER = 64 * 1024


class Stats:
    """Counters shared by all connections of one server."""

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        self.chat_requests = 0
        self.other_requests = 0
        self.inflight = 0
        self.max_inflight = 0
        self.connections_opened = 0
        self.open_connections = 0
        self.max_open_connections = 0
        self.first_request_mono: float | None = None
        self.last_response_mono: float | None = None
        self.prompt_bytes = 0
        self.models_seen: dict[str, int] = {}

    def snapshot(self) -> dict[str, Any]:
        window = None
        if self.first_request_mono is not None and self.last_response_mono is not None:
            window = self.last_response_mono - self.first_request_mono
        return {
            "chat_requests": self.chat_requests,
            "other_requests": self.other_requests,
            "inflight": self.inflight,
            "max_inflight": self.max_inflight,
            "connections_opened": self.connections_opened,
            "open_connections": self.open_connections,
            "max_open_connections": self.max_open_connections,
            # time.monotonic() is CLOCK_MONOTONIC: comparable across processes on one host.
            "first_request_mono": self.first_request_mono,
            "last_response_mono": self.last_response_mono,
            "window_s": window,
            "prompt_bytes": self.prompt_bytes,
            "models_seen": dict(self.models_seen),
        }


def _json_response(status: str, payload: Any, keep_alive: bool) -> bytes:
    body = json.dumps(payload, separators=(",", ":")).encode()
    conn = b"keep-alive" if keep_alive else b"close"
    head = (
        b"HTTP/1.1 " + status.encode() + b"\r\nContent-Type: application/json\r\n"
        b"Content-Length: " + str(len(body)).encode() + b"\r\nConnection: " + conn + b"\r\n\r\n"
    )
    return head + body


class StubProtocol(asyncio.Protocol):
    """One HTTP/1.1 connection. Responses are written strictly in request order."""

    def __init__(self, server: StubServer) -> None:
        self.server = server
        self.stats = server.stats
        self.buf = bytearray()
        self.transport: asyncio.Transport | None = None
        # Pending responses, in request order; None = not ready yet (latency timer running).
        self.queue: list[list[bytes | None]] = []
        self.closing = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)
        st = self.stats
        st.connections_opened += 1
        st.open_connections += 1
        st.max_open_connections = max(st.max_open_connections, st.open_connections)

    def connection_lost(self, exc: Exception | None) -> None:
        self.stats.open_connections -= 1
        self.transport = None

    def data_received(self, data: bytes) -> None:
        self.buf += data
        while not self.closing:
            consumed = self._parse_one()
            if consumed is None:
                break

    # -- parsing -------------------------------------------------------------------------
    def _parse_one(self) -> int | None:
        buf = self.buf
        end = buf.find(_CRLF2)
        if end < 0:
            if len(buf) > _MAX_HEADER:
                self._fail(b"431 Request Header Fields Too Large")
            return None
        head = bytes(buf[:end]).decode("latin-1")
        lines = head.split("\r\n")
        try:
            method, target, version = lines[0].split(" ", 2)
        except ValueError:
            self._fail(b"400 Bad Request")
            return None
        headers: dict[str, str] = {}
        for line in lines[1:]:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        body_start = end + 4
        if headers.get("transfer-encoding", "").lower() == "chunked":
            parsed = _parse_chunked(buf, body_start)
            if parsed is None:
                return None
            body, total_end = parsed
        else:
            length = int(headers.get("content-length", "0") or 0)
            total_end = body_start + length
            if len(buf) < total_end:
                return None
            body = bytes(buf[body_start:total_end])
        del buf[:total_end]
        conn_hdr = headers.get("connection", "").lower()
        keep_alive = conn_hdr != "close" and (version != "HTTP/1.0" or conn_hdr == "keep-alive")
        self._dispatch(method, target, body, keep_alive)
        if not keep_alive:
            self.closing = True
        return total_end

    def _fail(self, status: bytes) -> None:
        if self.transport is not None:
            self.transport.write(b"HTTP/1.1 " + status + b"\r\nContent-Length: 0\r\n\r\n")
            self.transport.close()
        self.closing = True

    # -- routing -------------------------------------------------------------------------
    def _dispatch(self, method: str, target: str, body: bytes, keep_alive: bool) -> None:
        path, _, query = target.partition("?")
        path = path.rstrip("/")
        if method == "POST" and path.endswith("/chat/completions"):
            self._chat(body, keep_alive)
            return
        st = self.stats
        if path.endswith("/models"):
            st.other_requests += 1
            payload: Any = {
                "object": "list",
                "data": [{"id": "stub", "object": "model", "created": 0, "owned_by": "bench"}],
            }
            self._push(_json_response("200 OK", payload, keep_alive))
        elif path == "/stats":
            payload = st.snapshot()
            if "reset=1" in query:
                st.reset()
                st.open_connections = payload["open_connections"]
            self._push(_json_response("200 OK", payload, keep_alive))
        elif path == "/health":
            self._push(_json_response("200 OK", "ok", keep_alive))
        else:
            st.other_requests += 1
            err = {"error": {"message": f"no route {method} {path}", "type": "not_found"}}
            self._push(_json_response("404 Not Found", err, keep_alive))

    def _chat(self, body: bytes, keep_alive: bool) -> None:
        st = self.stats
        now = time.monotonic()
        if st.first_request_mono is None:
            st.first_request_mono = now
        st.chat_requests += 1
        st.prompt_bytes += len(body)
        st.inflight += 1
        st.max_inflight = max(st.max_inflight, st.inflight)
        try:
            req = json.loads(body) if body else {}
        except ValueError:
            req = {}
        model = str(req.get("model", "stub")) if isinstance(req, dict) else "stub"
        st.models_seen[model] = st.models_seen.get(model, 0) + 1
        n = req.get("n", 1) if isinstance(req, dict) else 1
        n = n if isinstance(n, int) and 1 <= n <= 128 else 1
        found = list(_ANSWER_RE.finditer(body))
        letter = found[-1].group(1).decode() if found else "A"
        self.server.seq += 1
        payload = {
            "id": f"chatcmpl-stub{self.server.seq}",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": model,
            "choices": [
                {
                    "index": i,
                    "message": {"role": "assistant", "content": letter},
                    "logprobs": None,
                    "finish_reason": "stop",
                }
                for i in range(n)
            ],
            "usage": {
                "prompt_tokens": max(1, len(body) // 4),
                "completion_tokens": n,
                "total_tokens": max(1, len(body) // 4) + n,
            },
        }
        resp = _json_response("200 OK", payload, keep_alive)
        latency = self.server.latency_s
        if latency <= 0:
            self._push(resp, chat=True)
            return
        slot: list[bytes | None] = [None]
        self.queue.append(slot)
        asyncio.get_running_loop().call_later(latency, self._ready, slot, resp)

    def _ready(self, slot: list[bytes | None], resp: bytes) -> None:
        slot[0] = resp
        self._flush(chat_done=1)

    def _push(self, resp: bytes, chat: bool = False) -> None:
        self.queue.append([resp])
        self._flush(chat_done=1 if chat else 0)

    def _flush(self, chat_done: int) -> None:
        st = self.stats
        if chat_done:
            st.inflight -= chat_done
            st.last_response_mono = time.monotonic()
        out: list[bytes] = []
        while self.queue and self.queue[0][0] is not None:
            data = self.queue.pop(0)[0]
            assert data is not None
            out.append(data)
        if out and self.transport is not None:
            self.transport.write(b"".join(out))
            if self.closing and not self.queue:
                self.transport.close()


def _parse_chunked(buf: bytearray, pos: int) -> tuple[bytes, int] | None:
    """Decode a chunked body starting at ``pos``; None if incomplete."""
    parts: list[bytes] = []
    while True:
        eol = buf.find(b"\r\n", pos)
        if eol < 0:
            return None
        size = int(bytes(buf[pos:eol]).split(b";", 1)[0], 16)
        pos = eol + 2
        if size == 0:
            trailer_end = buf.find(b"\r\n", pos)
            while trailer_end >= 0 and trailer_end != pos:  # skip trailer headers
                pos = trailer_end + 2
                trailer_end = buf.find(b"\r\n", pos)
            if trailer_end < 0:
                return None
            return b"".join(parts), pos + 2
        if len(buf) < pos + size + 2:
            return None
        parts.append(bytes(buf[pos : pos + size]))
        pos += size + 2


class StubServer:
    """Holds the settings and counters shared by all connections."""

    def __init__(self, latency_ms: float) -> None:
        self.latency_s = latency_ms / 1000.0
        self.stats = Stats()
        self.seq = 0

    def protocol(self) -> StubProtocol:
        return StubProtocol(self)


async def serve(host: str, port: int, latency_ms: float) -> None:
    stub = StubServer(latency_ms)
    loop = asyncio.get_running_loop()
    server = await loop.create_server(stub.protocol, host, port, backlog=4096, reuse_address=True)
    bound = server.sockets[0].getsockname()[1]
    sys.stdout.write(f"{bound}\n")
    sys.stdout.write(f"stub listening on http://{host}:{bound}/v1 latency={latency_ms}ms\n")
    sys.stdout.flush()
    stop = asyncio.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    async with server:
        await stop.wait()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=0, help="0 = pick a free port (printed first)")
    ap.add_argument("--latency-ms", type=float, default=0.0, help="delay per chat completion")
    args = ap.parse_args(argv)
    asyncio.run(serve(args.host, args.port, args.latency_ms))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
