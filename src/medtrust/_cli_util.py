"""Shared CLI plumbing: user errors become one line on stderr and exit code 2."""

from __future__ import annotations

import functools
import json
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Annotated, Any, ParamSpec, TypeVar

import typer
from rich.console import Console

from medtrust.errors import MedtrustError

if TYPE_CHECKING:
    from medtrust.store import Store

DbOpt = Annotated[
    str | None,
    typer.Option(
        "--db", help="SQLAlchemy URL of the store [default: $MEDTRUST_DB or sqlite:///medtrust.db]"
    ),
]
"""The ``--db`` option every command that touches results shares."""
JsonOpt = Annotated[
    bool, typer.Option("--json", help="Print one machine-readable JSON object on stdout.")
]
"""The ``--json`` option: one JSON object on stdout, tables and progress on stderr."""


def open_store(db: str | None) -> Store:
    """The store at ``--db``, else ``$MEDTRUST_DB``, else ``./medtrust.db``."""
    from medtrust.store import Store, default_db_url

    return Store(db or default_db_url())

P = ParamSpec("P")
R = TypeVar("R")

console = Console(stderr=True)
"""Progress, tables and messages go to stderr so that ``--json`` keeps stdout clean."""

EXIT_BAD_INPUT = 2


def fail(message: str) -> typer.Exit:
    """Print ``error: message`` on one line and return the exit to raise (code 2)."""
    console.print(f"[bold red]error:[/] {message}", markup=True, highlight=False, soft_wrap=True)
    return typer.Exit(EXIT_BAD_INPUT)


def handle_errors(fn: Callable[P, R]) -> Callable[P, R]:
    """Decorator for commands: turn :class:`MedtrustError` into one line and exit 2."""

    @functools.wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return fn(*args, **kwargs)
        except MedtrustError as exc:
            raise fail(str(exc)) from None

    return wrapper


def print_json(obj: Any) -> None:
    """One machine-readable JSON object on stdout."""
    sys.stdout.write(json.dumps(obj, indent=2, default=str) + "\n")
    sys.stdout.flush()
