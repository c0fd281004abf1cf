"""Shared fixtures: a real OpenAI-compatible HTTP stub on 127.0.0.1 that misbehaves on demand,
and a deterministic "oracle" Python target whose expected failure rates are known exactly."""

from __future__ import annotations

import asyncio
import json
import textwrap
import threading
import time
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web


@dataclass
class Stub:
    """Scripted server. ``plan[marker]`` is a list of actions consumed one per request whose
    last user message contains ``marker``; afterwards (and for unknown prompts) it answers
    ``default``. Actions: ("ok", text), ("status", code, headers), ("sleep", seconds),
    ("garbage",)."""

    base_url: str = ""
    plan: dict[str, list[tuple[Any, ...]]] = field(default_factory=dict)
    default: str = "A"
    hits: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    in_flight: int = 0
    max_in_flight: int = 0
    total: int = 0

    def count(self, marker: str) -> int:
        return len(self.hits[marker])


STUB_KEY: web.AppKey[Stub] = web.AppKey("stub", Stub)


async def _handle(request: web.Request) -> web.StreamResponse:
    stub: Stub = request.app[STUB_KEY]
    body = await request.json()
    content = str(body["messages"][-1]["content"])
    marker = next((m for m in stub.plan if m in content), content[:40])
    stub.hits[marker].append(time.monotonic())
    stub.total += 1
    stub.in_flight += 1
    stub.max_in_flight = max(stub.max_in_flight, stub.in_flight)
    try:
        actions = stub.plan.get(marker, [])
        action = actions.pop(0) if actions else ("ok", stub.default)
        if action[0] == "sleep":
            await asyncio.sleep(action[1])
            action = ("ok", stub.default)
        if action[0] == "status":
            return web.Response(
                status=action[1],
                headers=action[2] if len(action) > 2 else {},
                text='{"error": "injected"}',
            )
        if action[0] == "garbage":
            return web.Response(status=200, text="<html>not json", content_type="text/html")
        await asyncio.sleep(0.001)
        return web.json_response(
            {
                "id": "x",
                "object": "chat.completion",
                "model": body.get("model", "stub"),
                "choices": [
                    {
                        "index": 0,
                        "finish_reason": "stop",
                        "message": {"role": "assistant", "content": action[1]},
                    }
                ],
            }
        )
    finally:
        stub.in_flight -= 1


async def _models(request: web.Request) -> web.Response:
    return web.json_response({"object": "list", "data": [{"id": "stub", "object": "model"}]})


@pytest.fixture(autouse=True)
def _medtrust_home(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Audit keys and other per-user state go to a temporary home, never the real ~/.medtrust."""
    monkeypatch.setenv("MEDTRUST_HOME", str(tmp_path_factory.mktemp("medtrust-home")))
    monkeypatch.delenv("MEDTRUST_DB", raising=False)
    monkeypatch.delenv("MEDTRUST_POLICIES", raising=False)


@pytest.fixture
def stub() -> Iterator[Stub]:
    """A real aiohttp server on 127.0.0.1 in a background thread."""
    state = Stub()
    loop = asyncio.new_event_loop()
    ready = threading.Event()
    holder: dict[str, Any] = {}

    async def start() -> None:
        app = web.Application()
        app[STUB_KEY] = state
        app.router.add_post("/v1/chat/completions", _handle)
        app.router.add_get("/v1/models", _models)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        state.base_url = f"http://127.0.0.1:{port}/v1"
        holder["runner"] = runner

    def serve() -> None:
        asyncio.set_event_loop(loop)
        loop.run_until_complete(start())
        ready.set()
        loop.run_forever()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    assert ready.wait(10)
    yield state
    asyncio.run_coroutine_threadsafe(holder["runner"].cleanup(), loop).result(10)
    loop.call_soon_threadsafe(loop.stop)
    thread.join(10)


ORACLE = textwrap.dedent('''
    """A deterministic fake model: knows every bundled answer, but is fooled whenever the
    question names a wrong option (distraction, bias) and ignores negation and impossible
    findings. Expected per-operator failure rates are therefore known exactly."""
    import json, re
    from pathlib import Path
    import medtrust

    _ITEMS = [json.loads(l) for l in
              (Path(medtrust.__file__).parent / "data" / "mcq_seed.jsonl").read_text().splitlines()
              if l.strip()]
    CALLS = Path("oracle_calls.log")

    def _parse(content):
        body, _, _ = content.rpartition("\\n\\n")
        question, _, opts = body.rpartition("\\n\\n")
        options = dict(re.findall(r"^([A-Z])\\. (.*)$", opts, re.M))
        return question, options

    def answer(messages):
        with CALLS.open("a") as fh:
            fh.write("x\\n")
        question, options = _parse(messages[-1]["content"])
        for it in _ITEMS:
            key_text = it["options"][it["answer_idx"]]
            if it["question"][:60] in question or it["question"][-60:] in question:
                for letter, text in options.items():
                    if text != key_text and text in question:
                        return f"{letter}. {text}"
                for letter, text in options.items():
                    if text == key_text:
                        return f"{letter}. {text}"
                return it["answer_idx"]
        return "I do not know."

    async def answer_async(messages):
        return answer(messages)
''')


@pytest.fixture
def oracle_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A working directory with ``oracle.py`` importable as ``python:oracle:answer``."""
    (tmp_path / "oracle.py").write_text(ORACLE)
    monkeypatch.chdir(tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path))
    return tmp_path


def read_json(text: str) -> Any:
    """Parse the single JSON object a ``--json`` command prints."""
    return json.loads(text)
