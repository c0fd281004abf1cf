"""Errors the CLI turns into one clear line and exit code 2."""

from __future__ import annotations


class MedtrustError(Exception):
    """Bad input or an unusable environment: the user can fix it; no traceback is shown."""


class ConfigError(MedtrustError):
    """A suite, config or data file is malformed; the message names the file and line."""


class TargetSpecError(MedtrustError):
    """A ``--target`` spec cannot be parsed or loaded."""


class TargetUnreachableError(MedtrustError):
    """The system under test cannot be reached at all (not a transient per-call error)."""


class NotFoundError(MedtrustError):
    """A run, case or file named by the user does not exist."""
