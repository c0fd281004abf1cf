"""Calls the target: async scheduling, retries, cache, resume, and the run's stage loop."""

from medtrust.engine._ray import RayReplicaPool, open_target
from medtrust.engine._retry import ReplicaLostError, RetryPolicy
from medtrust.engine._scheduler import ExecStats, case_samples, execute, request_key
from medtrust.engine._stages import MAX_STAGES, WINDOW, StageHook, judge_cases, run_stages
from medtrust.engine._views import probe_views, run_views

__all__ = [
    "MAX_STAGES",
    "WINDOW",
    "ExecStats",
    "RayReplicaPool",
    "ReplicaLostError",
    "RetryPolicy",
    "StageHook",
    "case_samples",
    "execute",
    "judge_cases",
    "open_target",
    "probe_views",
    "request_key",
    "run_stages",
    "run_views",
]
