"""The engine against a real HTTP server on 127.0.0.1 that injects 429s, 5xx, timeouts and
garbage: errors are recorded apart, Retry-After is honoured, the cache and concurrency hold."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from medtrust.engine import RetryPolicy, execute
from medtrust.errors import TargetUnreachableError
from medtrust.records import Case, SamplingParams
from medtrust.store import Store
from medtrust.targets import load_chat_target

Stub = Any

FAST = RetryPolicy(max_retries=3, base_s=0.01, cap_s=0.05)


def _cases(*markers: str) -> list[Case]:
    return [
        Case.make(
            axis="robustness",
            probe="t",
            operator="baseline",
            role="control",
            messages=[{"role": "user", "content": f"question {m}"}],
            gold={},
        )
        for m in markers
    ]


def _run(
    stub: Stub,
    store: Store,
    cases: list[Case],
    *,
    run_id: str = "r1",
    concurrency: int = 4,
    timeout_s: float = 5.0,
    retry: RetryPolicy = FAST,
    use_cache: bool = True,
):  # type: ignore[no-untyped-def]
    store.create_run(run_id, suite="t", target="x", seed=0, config={}) if run_id not in {
        r.id for r in store.list_runs()
    } else None
    target = load_chat_target(f"openai:stub@{stub.base_url}")

    async def go():  # type: ignore[no-untyped-def]
        try:
            return await execute(
                target=target,
                cases=cases,
                samples=1,
                params=SamplingParams(),
                store=store,
                run_id=run_id,
                concurrency=concurrency,
                timeout_s=timeout_s,
                retry=retry,
                use_cache=use_cache,
            )
        finally:
            await target.aclose()

    return asyncio.run(go())


@pytest.fixture(params=["http11", "httpx"], autouse=True)
def transport(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Every test runs on both transports: plain http:// uses the lean HTTP/1.1 pool unless a
    proxy is configured, which hands the call to httpx (NO_PROXY keeps it off the proxy)."""
    if request.param == "httpx":
        monkeypatch.setenv("HTTP_PROXY", "http://127.0.0.1:9")
        monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    target = load_chat_target("openai:m@http://127.0.0.1:9/v1")
    assert (target._fast is None) == (request.param == "httpx")  # type: ignore[attr-defined]
    return str(request.param)


@pytest.fixture
def store(tmp_path: Path) -> Store:
    return Store(f"sqlite:///{tmp_path / 'm.db'}")


def test_429_with_retry_after_is_honoured(stub: Stub, store: Store) -> None:
    stub.plan["q429"] = [
        ("status", 429, {"Retry-After": "0.3"}),
        ("status", 503, {"Retry-After": "0.2"}),
    ]
    stats = _run(stub, store, _cases("q429"))
    reply = store.replies("r1")[_cases("q429")[0].id][0]
    assert reply.ok and reply.text == "A"
    assert stats.retries == 2 and stats.errors == 0
    t = stub.hits["q429"]
    assert len(t) == 3
    assert t[1] - t[0] >= 0.3 and t[2] - t[1] >= 0.2  # waited at least what the server asked


def test_persistent_500_becomes_an_error_after_all_retries(stub: Stub, store: Store) -> None:
    stub.plan["q500"] = [("status", 500)] * 10
    stats = _run(stub, store, _cases("q500", "qok"))
    replies = store.replies("r1")
    bad, good = (replies[c.id][0] for c in _cases("q500", "qok"))
    assert bad.error is not None and "HTTP 500" in bad.error and bad.text is None
    assert good.ok
    assert stub.count("q500") == FAST.max_retries + 1
    assert stats.errors == 1


def test_client_error_is_not_retried(stub: Stub, store: Store) -> None:
    stub.plan["q400"] = [("status", 400)] * 5
    _run(stub, store, _cases("q400"))
    assert stub.count("q400") == 1
    assert "HTTP 400" in (store.replies("r1")[_cases("q400")[0].id][0].error or "")


def test_timeout_is_recorded_as_error(stub: Stub, store: Store) -> None:
    stub.plan["qslow"] = [("sleep", 2.0)] * 5
    # 0.5 s (not less): on a loaded machine the retry must reach the stub before it times out
    _run(stub, store, _cases("qslow"), timeout_s=0.5, retry=RetryPolicy(max_retries=1, base_s=0.01))
    reply = store.replies("r1")[_cases("qslow")[0].id][0]
    assert reply.error is not None and reply.error.startswith("timeout")
    assert stub.count("qslow") == 2


def test_garbage_reply_is_retried_then_recorded(stub: Stub, store: Store) -> None:
    stub.plan["junk_one"] = [("garbage",)]
    stub.plan["junk_two"] = [("garbage",)] * 10
    _run(stub, store, _cases("junk_one", "junk_two"))
    r1, r2 = (store.replies("r1")[c.id][0] for c in _cases("junk_one", "junk_two"))
    assert r1.ok  # second attempt succeeded
    assert r2.error is not None and "malformed reply" in r2.error


def test_cache_avoids_calling_target_again(stub: Stub, store: Store) -> None:
    cases = _cases(*[f"c{i}" for i in range(20)])
    _run(stub, store, cases)
    served = stub.total
    stats = _run(stub, store, cases, run_id="r2")
    assert stub.total == served
    assert stats.cached == 20
    assert all(r[0].cached for r in store.replies("r2").values())
    _run(stub, store, cases, run_id="r3", use_cache=False)
    assert stub.total == served + 20


def test_concurrency_limit_is_respected(stub: Stub, store: Store) -> None:
    for i in range(40):
        stub.plan[f"p{i:02d}x"] = [("sleep", 0.05)]
    _run(stub, store, _cases(*[f"p{i:02d}x" for i in range(40)]), concurrency=5)
    assert stub.max_in_flight <= 5
    assert stub.max_in_flight >= 2  # it did run in parallel


def test_dead_server_fails_preflight() -> None:
    target = load_chat_target("openai:m@http://127.0.0.1:9/v1")
    with pytest.raises(TargetUnreachableError, match="cannot reach"):
        asyncio.run(target.preflight())


def test_dead_server_mid_run_is_fatal_not_a_wall_of_errors(store: Store) -> None:
    target = load_chat_target("openai:m@http://127.0.0.1:9/v1")
    store.create_run("r1", suite="t", target="x", seed=0, config={})
    with pytest.raises(TargetUnreachableError, match="unreachable"):
        asyncio.run(
            execute(
                target=target,
                cases=_cases(*map(str, range(30))),
                samples=1,
                params=SamplingParams(),
                store=store,
                run_id="r1",
                concurrency=2,
                timeout_s=2,
                retry=RetryPolicy(max_retries=1, base_s=0.001),
            )
        )
