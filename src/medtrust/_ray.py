"""Joining a Ray cluster, shared by the run's replica pool and partitioned cohort generation.

Ray is optional (``pip install 'medtrust[ray]'``): nothing imports it until :func:`connect` is
called. This module sits at the foundation layer so that ``cohort`` and ``engine`` both use it
without importing each other.
"""

from __future__ import annotations

from typing import Any

from medtrust.errors import MedtrustError

RAY_HINT = "install the ray extra (pip install 'medtrust[ray]')"
def import_ray() -> Any:
    """The ``ray`` module, or one clear line telling how to install it."""
    try:
        import ray
    except ImportError:
        raise MedtrustError(f"--ray: Ray is not installed; {RAY_HINT}") from None
    return ray


def connect(address: str | None, *, num_cpus: int | None = None) -> Any:
    """Join the Ray cluster at ``address`` (``"auto"``, ``ray://host:port``, ``host:port``) or
    start a local one (``None`` or ``"local"``); returns the ``ray`` module. Idempotent: an
    already connected driver is kept."""
    ray = import_ray()
    if ray.is_initialized():
        return ray
    kwargs: dict[str, Any] = {"log_to_driver": False}
    if address in (None, "local"):
        kwargs["num_cpus"] = num_cpus
        kwargs["include_dashboard"] = False
    else:
        kwargs["address"] = address
    try:
        ray.init(**kwargs)
    except (ConnectionError, RuntimeError, ValueError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        where = address or "local"
        raise MedtrustError(f"--ray {where}: cannot join the cluster: {first}") from None
    return ray
