"""The session's real two-node Ray cluster (see ``_cluster``). The folder is not called ``ray``:
tests/ is on ``sys.path``, and a ``ray`` package there would shadow Ray itself."""

from ray_cluster._cluster import ray_cluster

__all__ = ["ray_cluster"]
