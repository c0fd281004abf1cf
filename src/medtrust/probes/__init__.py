"""Probes, one module (or package) per axis; each turns seeds into cases and mutations."""

from medtrust.probes._base import Probe, ProbeContext, ProbeParams, ProbeSummary, probes

__all__ = ["Probe", "ProbeContext", "ProbeParams", "ProbeSummary", "probes"]
