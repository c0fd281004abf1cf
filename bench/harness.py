"""Shared plumbing for the harness-throughput benchmark (issue 2).

Every tool (medtrust, Inspect AI, garak, the raw asyncio baseline) is measured the same way:

* the tool is one subprocess (its own session / process group) pointed at a stub started by
  :class:`StubProcess`;
* wall time is measured around the subprocess, from spawn to exit;
* requests served, and the first-request / last-response instants, come from the stub's
  ``GET /stats`` (CLOCK_MONOTONIC, comparable with this process's ``time.monotonic()``);
* memory: :class:`TreeSampler` walks ``/proc`` every 50 ms and sums the RSS of the tool's
  whole process tree (PSS every 1 s, which does not double-count pages shared after fork);
  ``ru_maxrss`` from ``wait4`` (the largest single process) is recorded too;
* CPU: user + system time of the tree from ``wait4`` rusage; the sampler also traces the tree's
  CPU over time, so the CPU spent before the first request (start-up, imports) can be taken out;
* noise: CPU used by every other process on the machine during the run (``/proc/stat``).

Stdlib only: this runs under the system ``python3``; the tools run in their own venvs.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

BENCH_DIR = Path(__file__).resolve().parent
REPO_ROOT = BENCH_DIR.parent
VENVS = BENCH_DIR / ".venvs"
DEFAULT_DATA = BENCH_DIR / "data" / "mcq_1000.jsonl"
PAGE = os.sysconf("SC_PAGE_SIZE")
TICK = os.sysconf("SC_CLK_TCK")
MIB = 1024 * 1024


# -- data ----------------------------------------------------------------------------------
def load_items(path: Path, n: int, strict: bool = True) -> list[dict[str, Any]]:
    """The first ``n`` items of a JSONL file (fewer only if ``strict`` is false)."""
    items: list[dict[str, Any]] = []
    with path.open(encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                items.append(json.loads(line))
            if len(items) >= n:
                break
    if strict and len(items) < n:
        raise ValueError(f"{path} has only {len(items)} items, {n} requested")
    return items


def format_mcq(item: dict[str, Any]) -> str:
    """Plain-text rendering of one item, for tools that take raw prompt strings."""
    options = "\n".join(f"{k}. {v}" for k, v in sorted(item["options"].items()))
    return (
        f"{item['question']}\n\n{options}\n\n"
        "Reply with the single letter of the correct option.\nAnswer:"
    )


# -- stub ----------------------------------------------------------------------------------
class StubProcess:
    """``bench/stub_server.py`` in a subprocess on a free loopback port."""

    def __init__(self, latency_ms: float, python: str = sys.executable) -> None:
        self.latency_ms = latency_ms
        cmd = [python, str(BENCH_DIR / "stub_server.py"), "--port", "0"]
        cmd += ["--latency-ms", str(latency_ms)]
        self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True)
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        if not line.strip().isdigit():
            self.proc.kill()
            raise RuntimeError(f"stub did not report a port: {line!r}")
        self.port = int(line)
        self.base_url = f"http://127.0.0.1:{self.port}/v1"

    def stats(self, reset: bool = False) -> dict[str, Any]:
        url = f"http://127.0.0.1:{self.port}/stats" + ("?reset=1" if reset else "")
        with urllib.request.urlopen(url, timeout=10) as resp:
            data: dict[str, Any] = json.load(resp)
        return data

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def __enter__(self) -> StubProcess:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


# -- process-tree memory -------------------------------------------------------------------
def _children_map() -> dict[int, list[int]]:
    children: dict[int, list[int]] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat", "rb") as fh:
                stat = fh.read()
        except OSError:
            continue
        # comm may contain spaces/parens: ppid is the 2nd field after the last ')'.
        ppid = int(stat[stat.rindex(b")") + 2 :].split(b" ", 2)[1])
        children.setdefault(ppid, []).append(int(entry.name))
    return children


def process_tree(root: int) -> list[int]:
    children = _children_map()
    tree, stack = [], [root]
    while stack:
        pid = stack.pop()
        tree.append(pid)
        stack.extend(children.get(pid, ()))
    return tree


def _rss_bytes(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/statm", "rb") as fh:
            return int(fh.read().split()[1]) * PAGE
    except (OSError, IndexError, ValueError):
        return 0


def _pss_bytes(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/smaps_rollup", "rb") as fh:
            for line in fh:
                if line.startswith(b"Pss:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError):
        pass
    return 0


def system_busy_s() -> float:
    """Machine-wide busy CPU seconds so far (all cores), from ``/proc/stat``."""
    with open("/proc/stat", "rb") as fh:
        fields = [int(x) for x in fh.readline().split()[1:]]
    idle = fields[3] + fields[4]  # idle + iowait
    guest = sum(fields[8:10]) if len(fields) >= 10 else 0  # already counted in user/nice
    return (sum(fields) - idle - guest) / TICK


def process_cpu_s(pid: int, with_reaped_children: bool = False) -> float:
    """User + system CPU seconds of one live process (0 if gone), optionally plus that of
    the children it has already reaped (``cutime`` + ``cstime``)."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as fh:
            stat = fh.read()
    except OSError:
        return 0.0
    rest = stat[stat.rindex(b")") + 2 :].split()
    ticks = int(rest[11]) + int(rest[12])
    if with_reaped_children:
        ticks += int(rest[13]) + int(rest[14])
    return ticks / TICK


class TreeSampler(threading.Thread):
    """Polls the process tree under ``root`` until :meth:`stop`; keeps the peaks."""

    def __init__(self, root: int, interval_s: float = 0.05, pss_every: int = 20) -> None:
        super().__init__(daemon=True)
        self.root = root
        self.interval_s = interval_s
        self.pss_every = pss_every
        self.peak_rss = 0
        self.peak_pss = 0
        self.peak_procs = 0
        self.samples = 0
        self.cpu_trace: list[tuple[float, float]] = []  # (monotonic time, tree CPU seconds)
        self._halt = threading.Event()

    def sample(self) -> None:
        pids = process_tree(self.root)
        now = time.monotonic()
        self.cpu_trace.append((now, sum(process_cpu_s(p, True) for p in pids)))
        self.peak_procs = max(self.peak_procs, len(pids))
        self.peak_rss = max(self.peak_rss, sum(_rss_bytes(p) for p in pids))
        if self.samples % self.pss_every == 0:
            self.peak_pss = max(self.peak_pss, sum(_pss_bytes(p) for p in pids))
        self.samples += 1

    def run(self) -> None:
        while not self._halt.wait(self.interval_s):
            self.sample()

    def stop(self) -> None:
        self._halt.set()
        self.join()

    def cpu_at(self, when: float) -> float | None:
        """Tree CPU seconds at the last sample taken at or before ``when``."""
        before = [cpu for t, cpu in self.cpu_trace if t <= when]
        return before[-1] if before else None


# -- one measured run ----------------------------------------------------------------------
@dataclass
class Invocation:
    """What a driver wants run: the command, extra environment, working directory."""

    cmd: list[str]
    env: dict[str, str] = field(default_factory=dict)
    cwd: Path = REPO_ROOT
    note: str = ""


@dataclass
class RunContext:
    """Everything a driver needs to build its invocation for one run."""

    tool: str
    port: int
    base_url: str
    latency_ms: float
    concurrency: int
    n: int
    data: Path  # JSONL with exactly n items
    workdir: Path  # empty, private to this run


@dataclass
class RunResult:
    tool: str
    latency_ms: float
    concurrency: int
    n: int
    returncode: int | None
    timed_out: bool
    wall_s: float
    requests: int
    other_requests: int
    max_inflight: int
    max_open_connections: int
    startup_s: float | None  # spawn -> first chat request reached the stub
    window_s: float | None  # first chat request -> last chat response
    tail_s: float | None  # last chat response -> process exit
    req_per_s_e2e: float
    req_per_s_steady: float | None
    peak_rss_mib: float
    peak_pss_mib: float
    max_single_rss_mib: float
    peak_procs: int
    cpu_s: float
    cpu_ms_per_request: float | None
    # CPU from the first chat request to exit, per request: harness cost without the
    # interpreter start-up and imports (includes scoring and writing results).
    cpu_ms_per_request_after_start: float | None
    stub_cpu_s: float  # the stub's CPU during the run
    other_cpu_s: float  # CPU used by anything else on the machine during the run (noise)
    loadavg_1m_before: float
    cmd: list[str]
    note: str = ""
    log_tail: str = ""

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _kill_group(pgid: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, signal.SIGKILL)


def _self_cpu_s() -> float:
    t = os.times()
    return t.user + t.system


def _tail(path: Path, limit: int = 2000) -> str:
    try:
        data = path.read_bytes()
    except OSError:
        return ""
    return data[-limit:].decode("utf-8", "replace")


def run_measured(
    ctx: RunContext, inv: Invocation, stub: StubProcess, timeout_s: float = 900.0
) -> RunResult:
    """Run one tool invocation against ``stub`` and measure it (see module docstring)."""
    stub.stats(reset=True)
    env = os.environ.copy()
    env.update(inv.env)
    env.setdefault("PYTHONUNBUFFERED", "1")
    log_path = ctx.workdir / "tool.log"
    load_before = os.getloadavg()[0]
    busy0, stub0, self0 = system_busy_s(), process_cpu_s(stub.proc.pid), _self_cpu_s()
    with log_path.open("wb") as log:
        t0 = time.monotonic()
        proc = subprocess.Popen(
            inv.cmd,
            cwd=inv.cwd,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        sampler = TreeSampler(proc.pid)
        sampler.sample()
        sampler.start()
        fired = threading.Event()

        def on_timeout() -> None:
            fired.set()
            _kill_group(proc.pid)

        killer = threading.Timer(timeout_s, on_timeout)
        killer.daemon = True
        killer.start()
        try:
            _, status, usage = os.wait4(proc.pid, 0)  # blocks; the sampler keeps polling
        except BaseException:  # interrupted: leave nothing running behind
            _kill_group(proc.pid)
            sampler.stop()
            raise
        t1 = time.monotonic()
        killer.cancel()
        timed_out = fired.is_set()
        busy1, stub1 = system_busy_s(), process_cpu_s(stub.proc.pid)
        sampler.stop()
        proc.returncode = os.waitstatus_to_exitcode(status)
    _kill_group(proc.pid)  # make sure no stray grandchild keeps hammering the stub
    stats = stub.stats(reset=True)
    first, last = stats["first_request_mono"], stats["last_response_mono"]
    requests = int(stats["chat_requests"])
    wall = t1 - t0
    window = (last - first) if first is not None and last is not None else None
    cpu = usage.ru_utime + usage.ru_stime
    stub_cpu = stub1 - stub0
    other_cpu = (busy1 - busy0) - cpu - stub_cpu - (_self_cpu_s() - self0)
    maxrss_kib = usage.ru_maxrss
    cpu_start = sampler.cpu_at(first) if first is not None else None
    return RunResult(
        tool=ctx.tool,
        latency_ms=ctx.latency_ms,
        concurrency=ctx.concurrency,
        n=ctx.n,
        returncode=proc.returncode,
        timed_out=timed_out,
        wall_s=round(wall, 3),
        requests=requests,
        other_requests=int(stats["other_requests"]),
        max_inflight=int(stats["max_inflight"]),
        max_open_connections=int(stats["max_open_connections"]),
        startup_s=round(first - t0, 3) if first is not None else None,
        window_s=round(window, 3) if window is not None else None,
        tail_s=round(t1 - last, 3) if last is not None else None,
        req_per_s_e2e=round(requests / wall, 1) if wall > 0 else 0.0,
        req_per_s_steady=round(requests / window, 1) if window else None,
        peak_rss_mib=round(sampler.peak_rss / MIB, 1),
        peak_pss_mib=round(sampler.peak_pss / MIB, 1),
        max_single_rss_mib=round(maxrss_kib / 1024, 1),
        peak_procs=sampler.peak_procs,
        cpu_s=round(cpu, 2),
        cpu_ms_per_request=round(cpu * 1000 / requests, 2) if requests else None,
        cpu_ms_per_request_after_start=(
            round((cpu - cpu_start) * 1000 / requests, 2)
            if requests and cpu_start is not None
            else None
        ),
        stub_cpu_s=round(stub_cpu, 2),
        other_cpu_s=round(max(other_cpu, 0.0), 2),
        loadavg_1m_before=round(load_before, 2),
        cmd=inv.cmd,
        note=inv.note,
        log_tail=_tail(log_path) if proc.returncode != 0 or timed_out else "",
    )


@contextlib.contextmanager
def run_dir(keep: Path | None, name: str) -> Iterator[Path]:
    """A private working directory for one run (kept under ``keep`` if given)."""
    if keep is not None:
        path = keep / name
        path.mkdir(parents=True, exist_ok=True)
        yield path
        return
    with tempfile.TemporaryDirectory(prefix=f"bench-{name}-") as tmp:
        yield Path(tmp)


def write_subset(items: list[dict[str, Any]], path: Path) -> Path:
    with path.open("w", encoding="utf-8") as fh:
        for item in items:
            fh.write(json.dumps(item, ensure_ascii=False) + "\n")
    return path


def venv_bin(venv: str, exe: str) -> Path:
    return VENVS / venv / "bin" / exe


def dist_version(python: Path | str, dist: str) -> str | None:
    """Version of ``dist`` as installed for interpreter ``python`` (None if absent)."""
    code = f"import importlib.metadata as m; print(m.version({dist!r}))"
    try:
        out = subprocess.run(
            [str(python), "-c", code], capture_output=True, text=True, timeout=60, check=True
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() or None
