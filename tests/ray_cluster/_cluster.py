"""A real two-node Ray cluster on this machine for the whole session (fixture ``ray_cluster``).

``.ci/run`` starts one and exports its address as ``MEDTRUST_TEST_RAY_ADDRESS``; otherwise the
fixture starts a head node (custom resource ``node_a``) and a second node joined with
``ray start --address`` (``node_b``), each in its own process group, and stops both at the end
(only the processes it started). Without Ray the tests skip, unless ``CI=true``.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

os.environ.setdefault("RAY_AUTH_MODE", "disabled")
os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")

# Faster detection of a dead node (default: 5 missed checks of 3 s).
SYSTEM_CONFIG = '{"health_check_period_ms": 500, "health_check_failure_threshold": 4}'


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Cluster:
    address: str
    temp_dir: str
    groups: dict[str, int] = field(default_factory=dict)
    """Process group of each node this fixture started (``head``, ``b``)."""

    def start_b(self) -> None:
        """Join the second node (again after a node-kill test)."""
        self.groups["b"] = _ray_start(
            "--address", self.address, "--num-cpus", "1", "--resources", '{"node_b": 1}',
            "--object-store-memory", str(80 * 2**20), "--dashboard-agent-listen-port", "0",
        )
        _wait_nodes(2)

    def kill_b(self) -> None:
        """SIGKILL every process of the second node: a machine lost mid-run."""
        os.killpg(self.groups.pop("b"), signal.SIGKILL)

    def stop(self) -> None:
        for pgid in self.groups.values():
            for sig in (signal.SIGTERM, signal.SIGKILL):
                try:
                    os.killpg(pgid, sig)
                except ProcessLookupError:
                    break
                time.sleep(1.0)
        self.groups.clear()


def _ray_start(*args: str) -> int:
    proc = subprocess.Popen(
        ["ray", "start", "--disable-usage-stats", "--node-ip-address", "127.0.0.1", *args],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True, text=True,
    )
    out, _ = proc.communicate(timeout=180)
    if proc.returncode != 0:
        raise RuntimeError(f"ray start failed:\n{out[-3000:]}")
    return proc.pid  # the session leader's pid is the group id of every daemon it started


def _wait_nodes(n: int, timeout: float = 60.0) -> None:
    import ray

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if ray.is_initialized() and sum(1 for x in ray.nodes() if x["Alive"]) >= n:
            return
        if not ray.is_initialized():
            return
        time.sleep(0.5)
    raise RuntimeError(f"the cluster did not reach {n} live nodes")


@pytest.fixture(scope="session")
def ray_cluster() -> Iterator[Cluster]:
    """The session's cluster, with this test process connected to it as the driver."""
    if os.environ.get("CI", "").lower() != "true":
        pytest.importorskip("ray")
    from medtrust.engine._ray import connect

    given = os.environ.get("MEDTRUST_TEST_RAY_ADDRESS")
    if given:
        cluster = Cluster(address=given, temp_dir="")
    else:
        port = _free_port()
        cluster = Cluster(address=f"127.0.0.1:{port}", temp_dir=tempfile.mkdtemp(prefix="mtray"))
        cluster.groups["head"] = _ray_start(
            "--head", "--port", str(port), "--num-cpus", "1", "--resources", '{"node_a": 1}',
            "--include-dashboard", "false", "--temp-dir", cluster.temp_dir,
            "--object-store-memory", str(80 * 2**20), "--ray-client-server-port",
            str(_free_port()), "--system-config", SYSTEM_CONFIG,
        )
    try:
        ray = connect(cluster.address)
        if not given:
            cluster.start_b()
        yield cluster
    finally:
        import ray

        ray.shutdown()
        cluster.stop()


def replica_pids() -> list[int]:
    """Worker processes now serving a replica actor (their title is ``ray::_Replica...``)."""
    out = []
    for d in Path("/proc").iterdir():
        if d.name.isdigit():
            try:
                cmd = (d / "cmdline").read_bytes()
            except OSError:
                continue
            if cmd.startswith(b"ray::_Replica"):
                out.append(int(d.name))
    return out


def parent_of(pid: int) -> int:
    """The parent process id (a worker's parent is its node's raylet)."""
    stat = Path(f"/proc/{pid}/stat").read_text()
    return int(stat.rsplit(")", 1)[1].split()[1])
