"""Import ``MODULE:ATTR`` from the working directory, with errors a user can act on."""

from __future__ import annotations

import importlib
import os
import sys
from typing import Any

from medtrust.errors import TargetSpecError


def import_attr(spec: str, rest: str) -> Any:
    """Resolve ``MODULE:ATTR`` (ATTR may be dotted); MODULE is importable from the cwd."""
    module_name, sep, attr = rest.partition(":")
    if not sep or not module_name or not attr:
        raise TargetSpecError(f"target {spec!r}: expected SCHEME:MODULE:ATTR")
    cwd = os.getcwd()
    if cwd not in sys.path:
        sys.path.insert(0, cwd)
    try:
        obj: Any = importlib.import_module(module_name)
    except ImportError as exc:
        raise TargetSpecError(f"target {spec!r}: cannot import {module_name!r}: {exc}") from None
    except Exception as exc:  # the user's module raised while importing
        raise TargetSpecError(
            f"target {spec!r}: importing {module_name!r} raised {type(exc).__name__}: {exc}"
        ) from None
    for part in attr.split("."):
        try:
            obj = getattr(obj, part)
        except AttributeError:
            raise TargetSpecError(
                f"target {spec!r}: {module_name!r} has no attribute {attr!r}"
            ) from None
    return obj
