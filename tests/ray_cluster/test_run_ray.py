"""``run --ray``: replicas on a real two-node cluster give the single-process run's cases and
verdicts, lose nothing when a replica's worker or a whole node dies, and a killed driver's run
finishes with ``--resume``."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from medtrust.api import make_config, resume, run
from medtrust.config import RunConfig
from medtrust.errors import ConfigError
from medtrust.store import Store
from ray_cluster._cluster import Cluster, _ray_start, parent_of, replica_pids

SUITE = """\
name: tiny
probes:
  - name: robustness.das
    limit: {limit}
    params:
      operators: [distraction, bias]
"""

SLOW = textwrap.dedent('''
    """The oracle, at a fixed 40 ms per call: a run long enough to kill something mid-way."""
    import time
    from oracle import answer as _answer

    def answer(messages):
        time.sleep(0.04)
        return _answer(messages)
''')


@pytest.fixture
def suite(oracle_dir: Path) -> Path:
    (oracle_dir / "tiny.yaml").write_text(SUITE.format(limit=8))
    (oracle_dir / "big.yaml").write_text(SUITE.format(limit=40))
    (oracle_dir / "slow.py").write_text(SLOW)
    return oracle_dir


def table(store: Store, run_id: str) -> dict[str, tuple[Any, ...]]:
    """The verdict table: case id -> (operator, stage, outcome, score, answer)."""
    cases = {c.id: c for c in store.cases(run_id)}
    return {
        cid: (cases[cid].operator, cases[cid].stage, v.outcome, v.score, v.answer)
        for cid, v in store.verdicts(run_id).items()
    }


def on_ray(config: RunConfig, cluster: Cluster, replicas: int = 2, **extra: Any) -> RunConfig:
    return config.model_copy(
        update={"ray": cluster.address, "replicas": replicas, "replica_cpus": 0.25, **extra}
    )


def test_same_seed_gives_identical_cases_and_verdicts(suite: Path, ray_cluster: Cluster) -> None:
    config = make_config("tiny.yaml", target="python:oracle:answer", seed=7)
    plain_store, ray_store = Store("sqlite:///plain.db"), Store("sqlite:///ray.db")
    plain = run(config, store=plain_store)
    rayed = run(on_ray(config, ray_cluster), store=ray_store)
    assert [c.id for c in ray_store.cases(rayed.run.id)] == [
        c.id for c in plain_store.cases(plain.run.id)
    ]
    expected = table(plain_store, plain.run.id)
    assert len(expected) > 8  # the baseline and a stage of attacks
    assert table(ray_store, rayed.run.id) == expected
    assert rayed.stats is not None and plain.stats is not None
    assert (rayed.stats.sent, rayed.stats.errors, rayed.stats.lost_calls) == (
        plain.stats.sent, 0, 0,
    )


def test_cluster_run_on_postgresql_matches_single_process(
    suite: Path, ray_cluster: Cluster, tmp_path: Path
) -> None:
    """PostgreSQL is the store for clusters: the same verdict table as a local SQLite run."""
    from store._pg import database_url

    config = make_config("tiny.yaml", target="python:oracle:answer", seed=3)
    plain_store = Store("sqlite:///plain.db")
    plain = run(config, store=plain_store)
    urls = database_url("postgresql", tmp_path)
    pg = Store(next(urls))
    try:
        rayed = run(on_ray(config, ray_cluster), store=pg)
        assert table(pg, rayed.run.id) == table(plain_store, plain.run.id)
    finally:
        pg.close()
        next(urls, None)  # drops the test's schema


def _kill_when(store_url: str, run_id_of: list[str], at: int, action: Any) -> threading.Thread:
    """Call ``action()`` once the run has stored ``at`` replies."""

    def watch() -> None:
        store = Store(store_url)
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            runs = store.list_runs()
            if runs and sum(len(r) for r in store.replies(runs[0].id).values()) >= at:
                run_id_of.append(runs[0].id)
                action()
                return
            time.sleep(0.05)

    t = threading.Thread(target=watch, daemon=True)
    t.start()
    return t


def _assert_complete(store: Store, run_id: str, expected_calls: int) -> None:
    rows = [(cid, r.sample, r.error) for cid, rs in store.replies(run_id).items() for r in rs]
    assert len(rows) == expected_calls  # nothing lost
    assert len({(c, s) for c, s, _ in rows}) == len(rows)  # nothing duplicated
    assert [e for _, _, e in rows if e] == []  # every lost call was asked again


def test_killed_replica_worker_loses_and_duplicates_nothing(
    suite: Path, ray_cluster: Cluster
) -> None:
    config = make_config("big.yaml", target="python:slow:answer", max_retries=10, use_cache=False)
    plain = run(config, store=Store("sqlite:///plain.db"))
    assert plain.stats is not None
    killed: list[int] = []

    def kill_one() -> None:
        pids = replica_pids()
        assert pids, "no replica worker found"
        os.kill(pids[0], signal.SIGKILL)
        killed.append(pids[0])

    rid: list[str] = []
    store = Store("sqlite:///ray.db")
    watcher = _kill_when("sqlite:///ray.db", rid, 10, kill_one)
    rayed = run(on_ray(config, ray_cluster), store=store)
    watcher.join(5)
    assert killed and rid == [rayed.run.id]
    assert rayed.run.status == "done"
    _assert_complete(store, rayed.run.id, plain.stats.replies)
    assert rayed.stats is not None and rayed.stats.lost_calls >= 1
    assert table(store, rayed.run.id) == table(Store("sqlite:///plain.db"), plain.run.id)
    assert any("lost" in w for w in rayed.summary.warnings)


def test_killed_node_loses_and_duplicates_nothing(suite: Path, ray_cluster: Cluster) -> None:
    """A third node joins, takes a replica, and dies with SIGKILL to all its processes."""
    pgid = _ray_start(
        "--address", ray_cluster.address, "--num-cpus", "1", "--resources", '{"node_c": 1}',
        "--object-store-memory", str(80 * 2**20), "--dashboard-agent-listen-port", "0",
    )
    config = make_config("big.yaml", target="python:slow:answer", max_retries=12, use_cache=False)
    plain = run(config, store=Store("sqlite:///plain.db"))
    assert plain.stats is not None
    on_c: list[int] = []

    def kill_node() -> None:
        # workers run in process groups of their own: the node's are its raylet's children
        on_c.extend(p for p in replica_pids() if os.getpgid(parent_of(p)) == pgid)
        os.killpg(pgid, signal.SIGKILL)
        for p in on_c:
            os.kill(p, signal.SIGKILL)

    rid: list[str] = []
    store = Store("sqlite:///ray.db")
    watcher = _kill_when("sqlite:///ray.db", rid, 10, kill_node)
    try:
        rayed = run(on_ray(config, ray_cluster, replicas=3), store=store)
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pgid, signal.SIGKILL)
    watcher.join(5)
    assert on_c, "no replica was placed on the killed node"
    _assert_complete(store, rayed.run.id, plain.stats.replies)
    assert rayed.stats is not None and rayed.stats.lost_calls >= 1


DRIVER = textwrap.dedent('''
    import sys
    from medtrust.api import make_config, resume, run
    from medtrust.store import Store
    config = make_config("big.yaml", target="python:slow:answer", use_cache=False)
    config = config.model_copy(update={"ray": sys.argv[1], "replicas": 2, "replica_cpus": 0.25})
    run(config, store=Store("sqlite:///ray.db"))
''')


def test_killed_driver_run_finishes_with_resume(suite: Path, ray_cluster: Cluster) -> None:
    plain = run(
        make_config("big.yaml", target="python:slow:answer", use_cache=False),
        store=Store("sqlite:///plain.db"),
    )
    assert plain.stats is not None
    (suite / "driver.py").write_text(DRIVER)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(suite), *sys.path])}
    Store("sqlite:///ray.db")
    driver = subprocess.Popen([sys.executable, "driver.py", ray_cluster.address], env=env)
    rid: list[str] = []
    watcher = _kill_when("sqlite:///ray.db", rid, 10, lambda: driver.send_signal(signal.SIGKILL))
    driver.wait(180)
    watcher.join(5)
    assert rid and driver.returncode == -signal.SIGKILL
    store = Store("sqlite:///ray.db")
    assert store.get_run(rid[0]).status == "interrupted"
    done = resume(rid[0], store=store)
    assert done.run.status == "done"
    _assert_complete(store, rid[0], plain.stats.replies)
    assert table(store, rid[0]) == table(Store("sqlite:///plain.db"), plain.run.id)


def test_sqlite_is_refused_on_a_multi_machine_cluster(
    suite: Path, ray_cluster: Cluster, monkeypatch: pytest.MonkeyPatch
) -> None:
    import ray

    real = ray.nodes
    remote = [{"Alive": True, "NodeManagerAddress": "203.0.113.9"}]
    monkeypatch.setattr(ray, "nodes", lambda: real() + remote)
    config = on_ray(make_config("tiny.yaml", target="python:oracle:answer"), ray_cluster)
    with pytest.raises(ConfigError, match="SQLite store is allowed with a local Ray only"):
        run(config, store=Store("sqlite:///ray.db"))
    assert Store("sqlite:///ray.db").list_runs() == []  # nothing written
