"""The pipelined scheduler: windows share one pool (it never drains between them), the first
call goes out before the next window is stored, every window's replies are stored when it is
done, and a dead target fails every open window. The post-run imports (``Prefetch``) run
only while the first stage waits for its last calls."""

from __future__ import annotations

import asyncio
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

from medtrust._prefetch import Prefetch
from medtrust.api import make_config, run
from medtrust.engine import RetryPolicy, _stages
from medtrust.engine._scheduler import Scheduler
from medtrust.errors import TargetUnreachableError
from medtrust.records import Case, SamplingParams
from medtrust.store import Store
from medtrust.targets import load_chat_target

from .test_scheduler import _cases as cases_of

SLOW = textwrap.dedent(
    """
    import asyncio
    STARTED = []
    GATE = []  # an asyncio.Event the test may hold the calls on

    async def answer(messages):
        STARTED.append(messages[-1]["content"])
        if GATE:
            await GATE[0].wait()
        await asyncio.sleep(0.001)
        return "A"
    """
)


def _cases(prefix: str, n: int) -> list[Case]:
    return cases_of(*(f"{prefix}{i}" for i in range(n)))  # "question a0", "question a1", ...


def _flat_items(folder: Path, n: int) -> Path:
    """``n`` two-option items in ``folder/items.jsonl`` and the suite ``flat.yaml`` asking
    each once (DAS, no operators); returns the items file."""
    item = (
        '{{"id": "q{i}", "question": "Which is {i}?", '
        '"options": {{"A": "x{i}", "B": "y{i}"}}, "answer_idx": "A"}}\n'
    )
    data = folder / "items.jsonl"
    data.write_text("".join(item.format(i=i) for i in range(n)))
    (folder / "flat.yaml").write_text(
        "name: flat\nprobes:\n  - name: robustness.das\n"
        "    params: {operators: [], bundled: false}\n"
    )
    return data


@pytest.fixture
def slow(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    (tmp_path / "slowtarget.py").write_text(SLOW)
    monkeypatch.chdir(tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path))
    sys.modules.pop("slowtarget", None)
    import slowtarget  # type: ignore[import-not-found]

    return slowtarget


def _pool(store: Store, target: Any, concurrency: int) -> Scheduler:
    return Scheduler(
        target=target, samples=1, params=SamplingParams(), store=store, run_id="r",
        concurrency=concurrency, timeout_s=5, retry=RetryPolicy(max_retries=0),
    )  # fmt: skip


def test_windows_share_one_pool_that_never_drains(slow: Any, tmp_path: Path) -> None:
    store = Store(f"sqlite:///{tmp_path / 'p.db'}")
    store.create_run("r", suite="t", target="x", seed=0, config={})
    first, second = _cases("a", 3), _cases("b", 6)
    store.add_cases("r", first + second)
    target = load_chat_target("python:slowtarget:answer")

    async def until_started(n: int) -> None:
        while len(slow.STARTED) < n:
            await asyncio.sleep(0.001)

    async def go() -> tuple[list[str], list[int]]:
        slow.GATE.append(asyncio.Event())
        async with _pool(store, target, 4) as pool:
            w1 = await pool.submit(first)
            w2 = await pool.submit(second)
            await asyncio.wait_for(until_started(4), 10)  # a guard, not a timing assertion
            held = list(slow.STARTED)  # what is in flight while the first window is unanswered
            slow.GATE[0].set()
            await pool.wait(w1)
            after_first = len(store.replies_for("r", (c.id for c in first)))
            await pool.wait(w2)
            assert pool.stats.sent == 9 and pool.stats.errors == 0
            return held, [after_first, len(store.replies_for("r", (c.id for c in second)))]

    held, stored = asyncio.run(go())
    assert stored == [3, 6]  # a finished window's replies are all stored
    # the pool is full while the first window (3 calls) is still being answered: its 4th
    # worker already asks the second window's first case (no drain at the boundary)
    assert sorted(held) == sorted([*(f"question a{i}" for i in range(3)), "question b0"])


def test_the_first_call_goes_out_before_the_second_window_is_stored(
    slow: Any, oracle_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (oracle_dir / "slowtarget.py").write_text(SLOW)
    data = _flat_items(oracle_dir, 40)
    store = Store("sqlite:///order.db")
    order: list[Any] = []
    add_cases = store.add_cases

    def spy(run_id: str, cases: Any) -> None:
        cases = list(cases)
        order.append(("store", len(cases)))
        add_cases(run_id, cases)

    monkeypatch.setattr(store, "add_cases", spy)
    monkeypatch.setattr(_stages, "WINDOW", 16)
    config = make_config(
        "flat.yaml", target="python:slowtarget:answer", data=str(data), concurrency=3,
        use_cache=False,
    )  # fmt: skip
    sys.modules.pop("slowtarget", None)
    import slowtarget

    real = slowtarget.answer

    async def answer(messages: Any) -> str:
        if not any(o == "call" for o in order):
            order.append("call")
        return await real(messages)

    monkeypatch.setattr(slowtarget, "answer", answer)
    result = run(config, store=store)
    assert result.stats is not None and result.stats.sent == 40
    # first window: 2 x concurrency cases; the first call before anything else is stored
    assert order[:3] == [("store", 6), "call", ("store", 16)]
    assert sum(n for o in order if o != "call" for n in [o[1]]) == 40
    assert len(store.verdicts(result.run.id)) == 40


def test_a_dead_target_fails_every_open_window(tmp_path: Path) -> None:
    store = Store(f"sqlite:///{tmp_path / 'd.db'}")
    store.create_run("r", suite="t", target="x", seed=0, config={})
    first, second = _cases("a", 12), _cases("b", 12)
    store.add_cases("r", first + second)
    target = load_chat_target("openai:m@http://127.0.0.1:9/v1")  # nothing listens on port 9

    async def go() -> None:
        try:
            async with _pool(store, target, 4) as pool:
                w1, w2 = await pool.submit(first), await pool.submit(second)
                with pytest.raises(TargetUnreachableError):
                    await pool.wait(w2)
                with pytest.raises(TargetUnreachableError):
                    await pool.wait(w1)
        finally:
            await target.aclose()

    asyncio.run(go())


class Recording(Prefetch):
    def __init__(self, log: list[str]) -> None:
        super().__init__(["json"])
        self.log = log

    def start(self) -> None:
        self.log.append("start")
        super().start()

    def join(self) -> None:
        self.log.append("join")
        super().join()


def test_prefetch_runs_only_while_the_last_calls_are_awaited(
    oracle_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import medtrust.api._run as api_run

    log: list[str] = []
    judge = _stages._judge_window

    async def judged(cases: Any, *args: Any) -> None:
        log.append(f"judge {len(cases)}")
        await judge(cases, *args)

    monkeypatch.setattr(_stages, "_judge_window", judged)
    monkeypatch.setattr(_stages, "WINDOW", 8)
    monkeypatch.setattr(api_run, "AFTER_RUN", Recording(log))
    (oracle_dir / "flat.yaml").write_text(
        "name: flat\nprobes:\n  - name: robustness.das\n    limit: 20\n"
        "    params: {operators: [distraction]}\n"
    )
    config = make_config("flat.yaml", target="python:oracle:answer", concurrency=2)
    run(config, store=Store("sqlite:///pf.db"))
    # stage 0 in windows 4, 8, 8: the thread starts once the last window is queued and is
    # joined before the judges run again; later stages do not start it again
    assert log[:5] == ["judge 4", "judge 8", "start", "join", "judge 8"]
    assert log.count("start") == 1


def test_prefetch_imports_in_a_thread_and_leaves_failures_to_the_caller() -> None:
    sys.modules.pop("colorsys", None)
    p = Prefetch(["colorsys", "medtrust_no_such_module", "medtrust.errors:nothing_here"])
    p.join()  # never started: returns at once
    p.start()
    p.start()  # once
    p.join()
    assert "colorsys" in sys.modules
    with pytest.raises(ModuleNotFoundError):
        __import__("medtrust_no_such_module")


def test_a_slow_judge_does_not_time_out_the_calls_in_flight(
    slow: Any, oracle_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Judging a window overlaps the next window's calls: a judge that blocks (as an LLM judge
    waiting for its model does) yields to the event loop between cases, so a reply that arrives
    meanwhile is read, not abandoned as a timeout."""
    import time

    from medtrust.judges.multiple_choice import MultipleChoiceJudge

    (oracle_dir / "slowtarget.py").write_text(SLOW.replace("0.001", "0.2"))
    sys.modules.pop("slowtarget", None)
    real = MultipleChoiceJudge.__call__

    def slow_judge(self: Any, case: Any, replies: Any) -> Any:
        time.sleep(0.1)  # a window of 8: 0.8 s of judging, longer than the 0.5 s timeout
        return real(self, case, replies)

    monkeypatch.setattr(MultipleChoiceJudge, "__call__", slow_judge)
    monkeypatch.setattr(_stages, "WINDOW", 8)
    data = _flat_items(oracle_dir, 16)
    config = make_config(
        "flat.yaml", target="python:slowtarget:answer", data=str(data), concurrency=4,
        use_cache=False, timeout_s=0.5, max_retries=0,
    )  # fmt: skip
    result = run(config, store=Store("sqlite:///slowjudge.db"))
    assert result.stats is not None
    assert (result.stats.sent, result.stats.errors) == (16, 0)


def test_a_target_raising_cancelled_error_is_an_error_reply_not_a_hang(
    oracle_dir: Path,
) -> None:
    """A target's own CancelledError is not the worker being cancelled: that call is an error
    reply (counted apart, the run goes on and finishes), never a wait for ever or a
    traceback."""
    (oracle_dir / "canceller.py").write_text(
        "import asyncio\n"
        "async def answer(messages):\n"
        "    if '3' in messages[-1]['content']:\n"
        "        raise asyncio.CancelledError\n"
        "    return 'A'\n"
    )
    data = _flat_items(oracle_dir, 12)
    config = make_config(
        "flat.yaml", target="python:canceller:answer", data=str(data), concurrency=4,
        max_retries=0,
    )  # fmt: skip
    store = Store("sqlite:///cancel.db")
    # the wait_for is a guard against the hang this test exists for, not a timing assertion
    result = asyncio.run(asyncio.wait_for(asyncio.to_thread(run, config, store=store), 60))
    assert result.run.status == "done" and result.stats is not None
    errors = [r for rs in store.replies(result.run.id).values() for r in rs if r.error]
    assert result.stats.errors == len(errors) == 1  # "Which is 3?", of 12 items
    assert {r.error for r in errors} == {"the target raised CancelledError"}
