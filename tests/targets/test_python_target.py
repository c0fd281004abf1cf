"""``python:`` targets with a synchronous callable: every call in flight gets a thread at once
(no wait for a free thread counted against ``--timeout``), and a call that never returns does
not keep the process alive after the run."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from pathlib import Path

from medtrust.api import make_config, run
from medtrust.store import Store
from medtrust.targets._threads import DaemonThreads

ITEM = (
    '{{"id": "q{i}", "question": "Which is {i}?", '
    '"options": {{"A": "x{i}", "B": "y{i}"}}, "answer_idx": "A"}}\n'
)
SUITE = (
    "name: flat\nprobes:\n  - name: robustness.das\n    params: {operators: [], bundled: false}\n"
)


def _flat(folder: Path, n: int) -> Path:
    (folder / "items.jsonl").write_text("".join(ITEM.format(i=i) for i in range(n)))
    (folder / "flat.yaml").write_text(SUITE)
    return folder / "items.jsonl"


def test_more_slow_calls_than_a_default_pool_all_finish_within_the_timeout(
    oracle_dir: Path,
) -> None:
    """24 calls of 0.5 s at concurrency 24 and a 1.5 s timeout: with the loop's default pool
    (6 threads on 2 cores) most of them waited for a thread and were reported timed out."""
    (oracle_dir / "slowsync.py").write_text(
        "import time\ndef answer(messages):\n    time.sleep(0.5)\n    return 'A'\n"
    )
    data = _flat(oracle_dir, 24)
    config = make_config("flat.yaml", target="python:slowsync:answer", data=str(data),
                         concurrency=24, timeout_s=1.5, max_retries=0)  # fmt: skip
    result = run(config, store=Store("sqlite:///slow.db"))
    assert result.stats is not None
    assert (result.stats.sent, result.stats.errors) == (24, 0)


def test_a_call_that_never_returns_does_not_keep_the_process_alive(oracle_dir: Path) -> None:
    (oracle_dir / "hang.py").write_text(
        "import time\ndef answer(messages):\n    time.sleep(3600)\n"
    )
    _flat(oracle_dir, 3)
    res = subprocess.run(
        [sys.executable, "-m", "medtrust", "run", "flat.yaml", "-t", "python:hang:answer",
         "--data", "items.jsonl", "--timeout", "0.5", "--retries", "0", "--db",
         "sqlite:///hang.db"],
        cwd=oracle_dir, capture_output=True, text=True, timeout=120,  # a guard, not a timing
    )  # fmt: skip
    assert res.returncode == 1, res.stderr  # nothing measured: every call timed out
    assert "3 of 3 target calls failed" in " ".join(res.stderr.split())


def test_daemon_threads_start_on_demand_and_hand_back_results_and_errors() -> None:
    threads = DaemonThreads("t", limit=3)
    gate = threading.Event()
    held = [threads.submit(gate.wait, 10) for _ in range(5)]  # 3 threads, 2 calls queued
    time.sleep(0.05)
    assert sum(t.name.startswith("t-") for t in threading.enumerate()) == 3
    assert all(t.daemon for t in threading.enumerate() if t.name.startswith("t-"))
    gate.set()
    assert [f.result(10) for f in held] == [True] * 5

    def boom() -> None:
        raise ValueError("from the callable")

    err = threads.submit(boom).exception(10)
    assert isinstance(err, ValueError) and str(err) == "from the callable"
