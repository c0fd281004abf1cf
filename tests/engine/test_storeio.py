"""The stage's store work runs in one thread beside the event loop (``engine._storeio``): every
store call of the engine is made there, in order; a failed write stops the run with its error
(never a hang); work handed over is done even when its caller is cancelled; an in-memory
database (connections per thread) runs the same work inline."""

from __future__ import annotations

import asyncio
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from medtrust.api import make_config, run
from medtrust.engine import _stages
from medtrust.engine._storeio import StoreWorker
from medtrust.store import Store

from .test_pipeline import _flat_items

SPIED = ("add_cases", "answered", "cache_lookup", "cache_put", "add_replies", "put_verdicts",
         "replies_for")  # fmt: skip


def _spy(store: Store, monkeypatch: pytest.MonkeyPatch) -> dict[str, set[str]]:
    """The names of the threads each store method was called on."""
    threads: dict[str, set[str]] = {}
    for name in SPIED:
        real = getattr(store, name)

        def spy(*args: Any, _real: Any = real, _name: str = name, **kw: Any) -> Any:
            threads.setdefault(_name, set()).add(threading.current_thread().name)
            return _real(*args, **kw)

        monkeypatch.setattr(store, name, spy)
    return threads


def test_the_engine_uses_the_store_from_one_thread_beside_the_loop(
    oracle_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = _flat_items(oracle_dir, 30)
    monkeypatch.setattr(_stages, "WINDOW", 8)
    store = Store("sqlite:///thr.db")
    threads = _spy(store, monkeypatch)
    config = make_config("flat.yaml", target="python:oracle:answer", data=str(data),
                         concurrency=3)  # fmt: skip
    result = run(config, store=store)
    assert result.stats is not None and result.stats.sent == 30
    assert len(store.verdicts(result.run.id)) == 30
    # the stages' store calls all came from one thread, the store thread (the summary, after
    # the run, reads replies on the main thread: only where the judges read them is checked)
    (store_thread,) = threads["add_cases"]
    assert store_thread.startswith("medtrust-store")
    for name in SPIED:
        expected = {store_thread} if name != "replies_for" else {store_thread, "MainThread"}
        assert threads[name] <= expected and store_thread in threads[name], name


def test_an_in_memory_store_runs_the_same_work_inline(
    oracle_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = _flat_items(oracle_dir, 20)
    monkeypatch.setattr(_stages, "WINDOW", 8)
    store = Store("sqlite://")  # one connection per thread: another thread would see no run
    assert not StoreWorker(store).threaded
    threads = _spy(store, monkeypatch)
    config = make_config("flat.yaml", target="python:oracle:answer", data=str(data),
                         concurrency=3)  # fmt: skip
    result = run(config, store=store)
    assert len(store.verdicts(result.run.id)) == 20
    assert set().union(*threads.values()) == {threading.main_thread().name}


def test_a_failed_write_stops_the_run_with_its_error(
    oracle_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = _flat_items(oracle_dir, 40)
    store = Store("sqlite:///fail.db")
    real = store.add_replies
    calls: list[int] = []

    def failing(run_id: str, replies: Any) -> None:
        calls.append(1)
        if len(calls) == 2:
            raise OSError("disk full")
        real(run_id, replies)

    monkeypatch.setattr(store, "add_replies", failing)
    config = make_config("flat.yaml", target="python:oracle:answer", data=str(data),
                         concurrency=2, use_cache=False)  # fmt: skip
    monkeypatch.setattr("medtrust.engine._scheduler.FLUSH_EVERY", 4)

    def go() -> None:
        run(config, store=store)

    with pytest.raises(OSError, match="disk full"):
        # a guard against the hang this test exists for, not a timing assertion
        asyncio.run(asyncio.wait_for(asyncio.to_thread(go), 120))
    (info,) = store.list_runs()
    assert info.status == "failed"


def test_work_handed_over_is_done_when_its_caller_is_cancelled(tmp_path: Path) -> None:
    store = Store(f"sqlite:///{tmp_path / 'c.db'}")
    io = StoreWorker(store)
    done: list[str] = []
    gate = threading.Event()

    def slow_write(tag: str) -> str:
        gate.wait(10)
        time.sleep(0.01)
        done.append(tag)
        return tag

    async def go() -> None:
        io.soon(slow_write, "soon")
        waiting = asyncio.ensure_future(io.run(slow_write, "run"))
        draining = asyncio.ensure_future(io.drain())
        await asyncio.sleep(0.01)
        waiting.cancel()
        draining.cancel()
        with pytest.raises(asyncio.CancelledError):
            await waiting
        with pytest.raises(asyncio.CancelledError):
            await draining
        gate.set()

    asyncio.run(go())
    io.close()  # waits for the thread
    assert done == ["soon", "run"]  # in the order handed over, neither dropped
    io.close()  # idempotent


def test_drain_raises_the_first_error_of_a_write_nobody_awaited(tmp_path: Path) -> None:
    io = StoreWorker(Store(f"sqlite:///{tmp_path / 'e.db'}"))

    def boom(msg: str) -> None:
        raise ValueError(msg)

    async def go() -> None:
        io.soon(boom, "first")
        io.soon(boom, "second")
        io.soon(lambda: None)
        with pytest.raises(ValueError, match="first"):
            await io.drain()

    try:
        asyncio.run(go())
    finally:
        io.close()


def test_a_reply_no_store_can_hold_is_an_error_reply(oracle_dir: Path) -> None:
    """A lone surrogate (what a JSON ``"\\ud800"`` escape decodes to) cannot be written as
    UTF-8: it used to fail the store's write and the whole run, again on every resume."""
    (oracle_dir / "surrogate.py").write_text(
        "def answer(messages):\n"
        "    return 'A \\ud800' if '3' in messages[-1]['content'] else 'A'\n"
    )
    data = _flat_items(oracle_dir, 12)
    config = make_config("flat.yaml", target="python:surrogate:answer", data=str(data),
                         concurrency=4, max_retries=0)  # fmt: skip
    store = Store("sqlite:///sur.db")
    result = run(config, store=store)
    assert result.run.status == "done" and result.stats is not None
    errors = [r.error for rs in store.replies(result.run.id).values() for r in rs if r.error]
    assert errors == ["reply is not valid Unicode text (U+D800 at character 2)"]
    assert result.stats.errors == 1 and result.stats.sent == 11


def test_ctrl_c_while_an_llm_judge_hangs_stops_the_run(oracle_dir: Path) -> None:
    """The store thread sits in a judge waiting for its model (up to 300 s): a Ctrl-C still
    ends the run in seconds (bounded waits for the store, a daemon thread), resumable."""
    import json
    import signal
    import subprocess
    import sys

    (oracle_dir / "hangjudge.py").write_text(
        "import asyncio\nfrom pathlib import Path\n"
        "async def answer(messages):\n"
        "    Path('judging').touch()\n"
        "    await asyncio.sleep(3600)\n"
    )
    (oracle_dir / "dose.py").write_text("def answer(messages):\n    return 'The dose is 5 mg.'\n")
    child = subprocess.Popen(
        [sys.executable, "-m", "medtrust", "run", "hallucination", "--limit", "3", "-t",
         "python:dose:answer", "--judge", "python:hangjudge:answer", "--db", "sqlite:///h.db"],
        cwd=oracle_dir, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 120  # guards against a hang, not timing assertions
        while not (oracle_dir / "judging").exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert (oracle_dir / "judging").exists(), "the judge was never asked"
        child.send_signal(signal.SIGINT)
        _, err = child.communicate(timeout=60)
    finally:
        child.kill()
    assert child.returncode == 130, err
    assert "Traceback" not in err
    listed = subprocess.run(
        [sys.executable, "-m", "medtrust", "runs", "--json", "--db", "sqlite:///h.db"],
        cwd=oracle_dir, capture_output=True, text=True, check=True,
    )  # fmt: skip
    assert [r["status"] for r in json.loads(listed.stdout)["runs"]] == ["interrupted"]
