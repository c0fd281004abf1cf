"""Calls the target: async scheduling, retries, cache, resume."""

from medtrust.engine._retry import RetryPolicy
from medtrust.engine._scheduler import ExecStats, case_samples, execute, request_key

__all__ = ["ExecStats", "RetryPolicy", "case_samples", "execute", "request_key"]
