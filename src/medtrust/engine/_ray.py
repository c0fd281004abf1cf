"""Scale-out on Ray: a pool of replica actors, each holding its own target instance.

The driver keeps the stage loop, the store and the audit chain; :class:`RayReplicaPool` stands
in for the target, so the scheduler's code path (concurrency, timeouts, retries, cache) is the
same as a single-process run. Each replica is a Ray actor that builds its target once
(``load_chat_target(spec)`` inside the actor: a GGUF model loaded once per actor, an HTTP client
pool, an imported python callable) and serves at most ``in_flight`` calls at a time; the pool
sends each call to the replica with the fewest calls in flight and never more than
``replicas * in_flight`` at once (backpressure: the scheduler waits for a free slot).

A replica whose worker process or node dies loses its calls in flight: the pool raises
:class:`~medtrust.engine._retry.ReplicaLostError` (retryable), the scheduler asks again within
the run's retry budget and counts it in ``ExecStats.lost_calls``; Ray restarts the actor
(``max_restarts=-1``) on any node with room. Replies are written by the driver only, keyed by
(case, sample), so a call asked twice is stored once.

Ray is optional (``pip install 'medtrust[ray]'``): nothing here imports it until a pool starts.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import os
import socket
import sys
import time
from typing import Any

from medtrust._ray import connect, import_ray
from medtrust.engine._retry import ReplicaLostError
from medtrust.errors import ConfigError, MedtrustError
from medtrust.records import Message, SamplingParams
from medtrust.targets import ChatTarget, TargetCallError, load_chat_target

SUSPECT_S = 2.0
"""Seconds a replica that just lost a call is avoided while others are free (Ray restarts it)."""


def _driver_env() -> dict[str, Any]:
    """The replicas' runtime environment: the driver's ``sys.path`` as ``PYTHONPATH``, so that a
    ``python:MODULE:ATTR`` target imports on every node of a same-host cluster (on a real
    cluster the module must be in the nodes' image, or shipped with Ray's ``working_dir``)."""
    paths = [os.getcwd()] + [p for p in sys.path if p and os.path.isdir(p)]
    return {"env_vars": {"PYTHONPATH": os.pathsep.join(dict.fromkeys(paths))}}


def _local_addresses(ray: Any) -> set[str]:
    names = {"127.0.0.1", "localhost", socket.gethostname(), ray.util.get_node_ip_address()}
    with contextlib.suppress(OSError):
        names |= {str(i[4][0]) for i in socket.getaddrinfo(socket.gethostname(), None)}
    return names


def cluster_is_local(ray: Any) -> bool:
    """Whether every live node of the cluster runs on this machine (a SQLite store is only
    reachable here, and a resumed run must find it)."""
    local = _local_addresses(ray)
    for node in ray.nodes():
        if not node.get("Alive"):
            continue
        ip = str(node.get("NodeManagerAddress", ""))
        try:
            loopback = ipaddress.ip_address(ip).is_loopback
        except ValueError:
            loopback = False
        if not loopback and ip not in local:
            return False
    return True


def check_store(ray: Any, address: str | None, dialect: str) -> None:
    """Refuse SQLite on a multi-machine cluster (``ConfigError``): use PostgreSQL there."""
    if dialect == "sqlite" and address not in (None, "local") and not cluster_is_local(ray):
        raise ConfigError(
            f"--ray {address}: a SQLite store is allowed with a local Ray only; "
            "use --db postgresql+psycopg://... on a cluster"
        )


class _Replica:
    """The actor: one target instance, built once, serving ``complete`` calls."""

    def __init__(self, spec: str) -> None:
        self.target = load_chat_target(spec)

    async def ready(self) -> tuple[int, str]:
        """(worker pid, node id) once the target answers ``preflight``."""
        import ray

        await self.target.preflight()
        return os.getpid(), ray.get_runtime_context().get_node_id()

    async def complete(
        self, messages: list[Message], params: SamplingParams
    ) -> tuple[str | None, tuple[str, bool, float | None, bool] | None]:
        """(text, None) or (None, (message, retryable, retry_after, connection)): errors travel
        as values so that only a lost worker raises on the driver."""
        try:
            return await self.target.complete(messages, params), None
        except TargetCallError as exc:
            return None, (str(exc), exc.retryable, exc.retry_after, exc.connection)


class RayReplicaPool(ChatTarget):
    """A :class:`ChatTarget` that spreads calls over ``replicas`` Ray actors.

    ``in_flight`` bounds the calls per replica (default: the target's own ``max_parallel``,
    e.g. 1 for a GGUF model, else ``ceil(concurrency / replicas)``); ``max_parallel`` is then
    ``replicas * in_flight``, which the scheduler honours. ``lost_calls`` counts calls lost
    with a replica. Raises ``MedtrustError`` when Ray is missing or the cluster cannot place
    the replicas.
    """

    def __init__(
        self,
        spec: str,
        *,
        replicas: int,
        cpus: float = 1.0,
        gpus: float = 0.0,
        in_flight: int | None = None,
        concurrency: int = 8,
        resources: dict[str, float] | None = None,
        ready_timeout_s: float = 300.0,
    ) -> None:
        local = load_chat_target(spec)  # never called: its identity, limits and image support
        self.spec = spec
        self.accepts_images = local.accepts_images
        self._identity = local.cache_identity()
        self._local = local
        per = in_flight or local.max_parallel or max(1, -(-concurrency // replicas))
        self.in_flight = per
        self.max_parallel = replicas * per
        self.replicas = replicas
        self._opts: dict[str, Any] = {
            "num_cpus": cpus,
            "num_gpus": gpus,
            "max_restarts": -1,  # Ray brings a dead replica back, on any node with room
            "max_task_retries": 0,  # the scheduler asks again, and counts it
            "max_concurrency": per,
            "scheduling_strategy": "SPREAD",
        }
        if resources:
            self._opts["resources"] = dict(resources)
        self._ready_timeout_s = ready_timeout_s
        self._actors: list[Any] = []
        self._busy: list[int] = []
        self._suspect: list[float] = []
        self._slots: asyncio.Semaphore | None = None
        self.lost_calls = 0

    def cache_identity(self) -> str:
        """The wrapped target's identity: a replica gives the same replies as one process."""
        return self._identity

    async def preflight(self) -> None:
        """Start the replicas and wait until each has built its target and passed preflight."""
        ray = import_ray()
        await self._local.aclose()
        if not ray.is_initialized():
            connect(None)
        actor = ray.remote(_Replica).options(**self._opts, runtime_env=_driver_env())
        self._actors = [actor.remote(self.spec) for _ in range(self.replicas)]
        self._busy = [0] * self.replicas
        self._suspect = [0.0] * self.replicas
        self._slots = asyncio.Semaphore(self.replicas * self.in_flight)
        refs = [a.ready.remote() for a in self._actors]
        try:
            await asyncio.wait_for(asyncio.gather(*refs), self._ready_timeout_s)
        except TimeoutError:
            raise MedtrustError(
                f"--ray: {self.replicas} replicas of {self.spec!r} not ready after "
                f"{self._ready_timeout_s:g} s (does the cluster have "
                f"{self._opts['num_cpus']:g} CPU / {self._opts['num_gpus']:g} GPU each free?)"
            ) from None
        except ray.exceptions.RayError as exc:
            first = str(exc).strip().splitlines()[-1] if str(exc).strip() else type(exc).__name__
            raise MedtrustError(f"--ray: a replica of {self.spec!r} failed: {first}") from None

    def replica_pids(self) -> list[tuple[int, str]]:
        """(worker pid, node id) of every replica, as they are now (for fault tests)."""
        ray = import_ray()
        return list(ray.get([a.ready.remote() for a in self._actors]))

    def _pick(self) -> int:
        now = time.monotonic()
        return min(
            range(len(self._actors)),
            key=lambda i: (self._suspect[i] > now, self._busy[i], i),
        )

    async def complete(self, messages: list[Message], params: SamplingParams) -> str:
        if self._slots is None:
            raise MedtrustError("RayReplicaPool.complete before preflight")
        ray = import_ray()
        async with self._slots:
            i = self._pick()
            self._busy[i] += 1
            try:
                text, err = await self._actors[i].complete.remote(messages, params)
            except (ray.exceptions.RayActorError, ray.exceptions.WorkerCrashedError,
                    ray.exceptions.ObjectLostError, ray.exceptions.NodeDiedError) as exc:
                self.lost_calls += 1
                self._suspect[i] = time.monotonic() + SUSPECT_S
                raise ReplicaLostError(f"replica lost: {type(exc).__name__}") from None
            except asyncio.CancelledError:  # the call timed out: this replica may be gone
                self._suspect[i] = time.monotonic() + SUSPECT_S
                raise
            finally:
                self._busy[i] -= 1
        if err is not None:
            message, retryable, retry_after, connection = err
            raise TargetCallError(
                message, retryable=retryable, retry_after=retry_after, connection=connection
            )
        return str(text)

    async def aclose(self) -> None:
        """Stop the replicas (the cluster stays up)."""
        if not self._actors:
            return
        ray = import_ray()
        for a in self._actors:
            ray.kill(a, no_restart=True)
        self._actors = []


def open_target(config: Any, *, dialect: str = "sqlite") -> ChatTarget:
    """The run's target: the target itself, or with ``config.ray`` set a
    :class:`RayReplicaPool` of ``config.replicas`` replicas on the cluster at ``config.ray``.
    ``dialect`` is the store's SQL dialect (SQLite is refused on a multi-machine cluster).
    Without ``config.ray`` Ray is never imported."""
    if config.ray is None:
        return load_chat_target(config.target)
    ray = connect(config.ray)
    check_store(ray, config.ray, dialect)
    return RayReplicaPool(
        config.target,
        replicas=config.replicas,
        cpus=config.replica_cpus,
        gpus=config.replica_gpus,
        concurrency=config.concurrency,
    )
