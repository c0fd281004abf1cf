"""Errors the CLI turns into one clear line and exit code 2."""

from __future__ import annotations

import difflib
from collections.abc import Iterable


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


class UnknownComponentError(MedtrustError, LookupError):
    """A registry (probes, judges, targets) has no component of the requested name; the message
    suggests near names. Also a ``LookupError``, so ``except LookupError`` keeps working."""


class ComponentError(MedtrustError):
    """A component is malformed (unknown axis, a name that disagrees with its class), or a
    built-in module of a component package fails to import; the message names the module."""


def did_you_mean(name: str, known: Iterable[str], *, what: str = "known") -> str:
    """``"; did you mean 'x'? (known: a, b, c)"``: the near names of ``name`` among ``known``
    (``difflib.get_close_matches``, ratio >= 0.6, at most three, as lm-evaluation-harness's
    registry suggests tasks) and the full sorted list, for the tail of an "unknown NAME"
    message. Every unknown-name message (components, suites, axes, suite parameters, target
    attributes) ends with it."""
    names = sorted(dict.fromkeys(known))
    near = difflib.get_close_matches(name, names, n=3, cutoff=0.6)
    hint = f"; did you mean {' or '.join(repr(n) for n in near)}?" if near else ""
    return f"{hint} ({what}: {', '.join(names) or 'none'})"


def not_utf8(path: object, data: bytes, exc: UnicodeDecodeError) -> str:
    """``FILE:LINE: not UTF-8 text (...)`` for bytes of ``path`` that failed to decode.

    The line and column are 1-based and count the bytes before the first undecodable one.
    """
    start = max(0, min(exc.start, len(data)))
    line = data.count(b"\n", 0, start) + 1
    column = start - (data.rfind(b"\n", 0, start) + 1) + 1
    kind = "binary content" if b"\x00" in data[:8192] else "not UTF-8 text"
    bad = data[start : start + 1].hex() or "??"
    return (
        f"{path}:{line}: {kind} (byte 0x{bad} at column {column}); medtrust reads UTF-8 text"
    )


def read_text(path: object) -> str:
    """The UTF-8 text of ``path`` (a :class:`pathlib.Path` or str).

    Raises :class:`ConfigError` with one line naming the file (and the line of the first byte
    that is not UTF-8) for binary or non-UTF-8 content, a folder, a missing or unreadable file.
    """
    from pathlib import Path

    p = Path(str(path))
    try:
        data = p.read_bytes()
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror or exc}") from None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError(not_utf8(path, data, exc)) from None


def json_line(line: str, where: str) -> object:
    """The JSON value of one line of a JSONL file; ``where`` is ``file:line``.

    Raises :class:`ConfigError` naming ``where`` for invalid JSON, and for a value nested so
    deeply that the standard parser overflows its recursion limit (``RecursionError``; the
    limit is CPython's, about a thousand levels), which is bad input too, never a traceback.
    """
    import json

    try:
        return json.loads(line)
    except json.JSONDecodeError as exc:
        raise ConfigError(f"{where}: invalid JSON: {exc.msg}") from None
    except RecursionError:
        raise ConfigError(f"{where}: invalid JSON: nested too deeply") from None
