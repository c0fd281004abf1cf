"""The lean HTTP/1.1 client against real sockets on 127.0.0.1: framing (Content-Length,
chunked, close-delimited), keep-alive reuse, a server that drops idle connections, and garbage."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from medtrust.targets._http11 import Http11Pool, HttpError

Handler = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


async def _read_request(reader: asyncio.StreamReader) -> tuple[str, bytes]:
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    length = next(
        (int(h.split(":", 1)[1]) for h in lines if h.lower().startswith("content-length")), 0
    )
    return lines[0], await reader.readexactly(length)


async def _serve(handler: Handler, fn: Callable[[Http11Pool], Awaitable[object]]) -> object:
    server = await asyncio.start_server(handler, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    pool = Http11Pool("127.0.0.1", port, {"Authorization": "Bearer k"})
    try:
        return await fn(pool)
    finally:
        await pool.aclose()
        server.close()
        await server.wait_closed()


def _chunked(body: bytes, cuts: list[int]) -> bytes:
    out, pos = b"", 0
    for cut in sorted({c % (len(body) + 1) for c in cuts} | {len(body)}):
        if cut > pos:
            out += f"{cut - pos:x}\r\n".encode() + body[pos:cut] + b"\r\n"
            pos = cut
    return out + b"0\r\n\r\n"


@settings(max_examples=40, deadline=None)
@given(body=st.binary(max_size=3000), cuts=st.lists(st.integers(0, 3000), max_size=8),
       chunked=st.booleans())  # fmt: skip
def test_bodies_arrive_whole_under_any_framing(body: bytes, cuts: list[int], chunked: bool) -> None:
    seen: list[tuple[str, bytes]] = []

    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        for _ in range(2):  # two requests on one keep-alive connection
            seen.append(await _read_request(reader))
            if chunked:
                writer.write(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n")
                writer.write(_chunked(body, cuts))
            else:
                writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % len(body) + body)
            await writer.drain()
        writer.close()

    async def go(pool: Http11Pool) -> object:
        a = await pool.request("POST", "/v1/chat/completions", b'{"x": 1}')
        b = await pool.request("GET", "/v1/models")
        return a, b

    a, b = asyncio.run(_serve(handler, go))  # type: ignore[misc]
    assert a.status == b.status == 200 and a.body == b.body == body
    assert seen[0] == ("POST /v1/chat/completions HTTP/1.1", b'{"x": 1}')
    assert seen[1][0] == "GET /v1/models HTTP/1.1"


def test_a_connection_the_server_dropped_while_idle_is_replaced() -> None:
    connections = 0

    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        nonlocal connections
        connections += 1
        await _read_request(reader)
        # keep-alive promised, then the server closes anyway (an idle timeout, say)
        writer.write(b"HTTP/1.1 429 Too Many\r\nRetry-After: 3\r\nContent-Length: 2\r\n\r\nno")
        await writer.drain()
        writer.close()

    async def go(pool: Http11Pool) -> object:
        first = await pool.request("POST", "/c", b"{}")
        await asyncio.sleep(0.05)
        second = await pool.request("POST", "/c", b"{}")
        return first, second

    first, second = asyncio.run(_serve(handler, go))  # type: ignore[misc]
    assert first.status == second.status == 429 and first.headers["retry-after"] == "3"
    assert second.text == "no" and connections == 2


def test_close_delimited_http10_body() -> None:
    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await _read_request(reader)
        writer.write(b"HTTP/1.0 200 OK\r\nContent-Type: application/json\r\n\r\n{\"ok\": true}")
        await writer.drain()
        writer.close()

    resp = asyncio.run(_serve(handler, lambda p: p.request("GET", "/m")))
    assert resp.body == b'{"ok": true}'  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    "reply",
    [b"garbage\r\n\r\n", b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort", b"",
     b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n"],
)  # fmt: skip
def test_garbage_and_truncation_are_errors_not_hangs(reply: bytes) -> None:
    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await _read_request(reader)
        writer.write(reply)
        await writer.drain()
        writer.close()

    with pytest.raises(HttpError) as err:
        asyncio.run(_serve(handler, lambda p: p.request("POST", "/c", b"{}")))
    assert not err.value.connect


def test_refused_connection_is_a_connect_error() -> None:
    async def go() -> None:
        pool = Http11Pool("127.0.0.1", 9, {})
        await pool.request("GET", "/")

    with pytest.raises(HttpError) as err:
        asyncio.run(go())
    assert err.value.connect and "127.0.0.1:9" in str(err.value)
