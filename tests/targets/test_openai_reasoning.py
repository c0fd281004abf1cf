"""An OpenAI-style ``reasoning_content`` beside ``content`` is never the reply (issue 12)."""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from medtrust.judges import parse_choice
from medtrust.records import SamplingParams
from medtrust.targets import TargetCallError, load_chat_target

OPTIONS = {"A": "Gout", "B": "Septic arthritis", "C": "Pseudogout", "D": "Cellulitis"}


class _Server(ThreadingHTTPServer):
    message: dict[str, Any]


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def do_GET(self) -> None:
        self._send({"object": "list", "data": []})

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers["Content-Length"]))
        self._send({"choices": [{"index": 0, "finish_reason": "stop",
                                 "message": self.server.message}]})

    def _send(self, body: dict[str, Any]) -> None:
        raw = json.dumps(body).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(raw)))
        self.end_headers()
        self.wfile.write(raw)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def server() -> Iterator[_Server]:
    srv = _Server(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    yield srv
    srv.shutdown()
    srv.server_close()
    thread.join(10)


def _ask(srv: _Server) -> str:
    target = load_chat_target(f"openai:m@http://127.0.0.1:{srv.server_address[1]}/v1")

    async def go() -> str:
        try:
            return await target.complete(
                [{"role": "user", "content": "Which diagnosis?"}], SamplingParams(temperature=0)
            )
        finally:
            await target.aclose()

    return asyncio.run(go())


def test_the_reply_is_content_not_reasoning_content(server: _Server) -> None:
    server.message = {
        "role": "assistant",
        "reasoning_content": "A is classic for the big toe. The answer is A. Hmm, but fever...",
        "content": "C",
    }
    reply = _ask(server)
    assert reply == "C"
    assert parse_choice(reply, OPTIONS) == "C"


def test_reasoning_without_content_is_a_call_error_not_an_answer(server: _Server) -> None:
    server.message = {"role": "assistant", "reasoning_content": "The answer is B", "content": None}
    with pytest.raises(TargetCallError, match="reasoning only") as err:
        _ask(server)
    assert not err.value.retryable
