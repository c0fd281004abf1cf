"""Import ``MODULE:ATTR`` from the working directory, with errors a user can act on.

A module whose file changed since this process imported it is reloaded, so that a long-lived
process (a notebook, a test session) never answers with the old code under the new code's
cache identity (see :func:`source_files`).
"""

from __future__ import annotations

import importlib
import importlib.machinery
import inspect
import os
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

from medtrust.errors import TargetSpecError, did_you_mean
from medtrust.targets._base import file_sha256

_IMPORTED: dict[str, str] = {}
"""Module name -> SHA-256 of its file when this process last (re)loaded it through here."""


def _module_file(module: ModuleType) -> Path | None:
    """The file a module was loaded from (a package's ``__init__.py``); None for built-ins."""
    name = getattr(module, "__file__", None)
    return Path(name) if isinstance(name, str) and Path(name).is_file() else None


def _origin_now(module_name: str) -> Path | None:
    """The file ``module_name`` would be imported from now (sys.path may have changed since it
    was imported, e.g. another working directory); None when that cannot be told."""
    parent, _, leaf = module_name.rpartition(".")
    search = sys.path if not parent else getattr(sys.modules.get(parent), "__path__", None)
    if search is None:
        return None
    found = importlib.machinery.PathFinder.find_spec(leaf, list(search))
    origin = found.origin if found is not None else None
    return Path(origin).resolve() if origin and Path(origin).is_file() else None


def _fresh(spec: str, module_name: str, module: ModuleType) -> ModuleType:
    """``module``, reloaded when its file's content changed since we last loaded it, or
    re-imported when the name now resolves to another file than the one loaded."""
    path = _module_file(module)
    if path is None:
        return module
    now = _origin_now(module_name)
    try:
        if now is not None and now != path.resolve():
            del sys.modules[module_name]
            module = importlib.import_module(module_name)
            path = _module_file(module) or path
        elif (known := _IMPORTED.get(module_name)) is not None and known != file_sha256(path):
            module = importlib.reload(module)
    except Exception as exc:  # the edited module raises while importing
        raise TargetSpecError(
            f"target {spec!r}: re-importing {module_name!r} raised {type(exc).__name__}: {exc}"
        ) from None
    _IMPORTED[module_name] = file_sha256(path)
    return module


def import_module_attr(spec: str, rest: str) -> tuple[ModuleType, Any]:
    """Resolve ``MODULE:ATTR`` (ATTR may be dotted) to (module, object); MODULE is importable
    from the cwd. Raises :class:`TargetSpecError` naming the spec on any failure."""
    module_name, sep, attr = rest.partition(":")
    if not sep or not module_name or not attr:
        raise TargetSpecError(f"target {spec!r}: expected SCHEME:MODULE:ATTR")
    cwd = os.getcwd()
    if cwd not in sys.path:
        sys.path.insert(0, cwd)
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise TargetSpecError(f"target {spec!r}: cannot import {module_name!r}: {exc}") from None
    except Exception as exc:  # the user's module raised while importing
        raise TargetSpecError(
            f"target {spec!r}: importing {module_name!r} raised {type(exc).__name__}: {exc}"
        ) from None
    module = _fresh(spec, module_name, module)
    obj: Any = module
    for part in attr.split("."):
        try:
            obj = getattr(obj, part)
        except AttributeError:
            public = [
                n for n in dir(obj) if not n.startswith("_") and callable(getattr(obj, n, None))
            ]
            raise TargetSpecError(
                f"target {spec!r}: {module_name!r} has no attribute {attr!r}"
                + did_you_mean(part, public, what="it has")
            ) from None
    return module, obj


def import_attr(spec: str, rest: str) -> Any:
    """Resolve ``MODULE:ATTR`` (ATTR may be dotted); MODULE is importable from the cwd."""
    return import_module_attr(spec, rest)[1]


def source_files(module: ModuleType, obj: Any) -> list[Path]:
    """The files whose content decides what ``obj`` does: the module's own file (a package's
    ``__init__.py``) and, when ``obj`` is defined in another module, that module's file."""
    files: list[Path] = []
    if (own := _module_file(module)) is not None:
        files.append(own.resolve())
    target = obj if inspect.isroutine(obj) or inspect.isclass(obj) else type(obj)
    try:
        where = inspect.getsourcefile(target)
    except TypeError:  # built-ins have no source file
        where = None
    if where is not None and Path(where).is_file():
        resolved = Path(where).resolve()
        if resolved not in files:
            files.append(resolved)
    return files
