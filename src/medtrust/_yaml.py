"""YAML files whose errors name the file and line (suites, policy packs, gate files, probe data).

Low-level (below every package that reads YAML): ``load_yaml`` keeps the composed node tree so a
pydantic error's location can be walked back to a 1-based line (:func:`line_of`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from medtrust.errors import ConfigError, read_text


def line_of(node: yaml.Node | None, loc: tuple[int | str, ...]) -> int | None:
    """Walk a composed YAML node along a pydantic error location; return a 1-based line."""
    line = node.start_mark.line + 1 if node is not None else None
    for key in loc:
        if isinstance(node, yaml.MappingNode):
            for k, v in node.value:
                if k.value == key:
                    node, line = v, k.start_mark.line + 1
                    break
            else:
                return line
        elif isinstance(node, yaml.SequenceNode) and isinstance(key, int):
            if key >= len(node.value):
                return line
            node = node.value[key]
            line = node.start_mark.line + 1
        else:
            return line
    return line


_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
"""libyaml's safe loader where PyYAML has it (several times faster), else the pure-Python one."""


def load_yaml(path: Path) -> tuple[Any, yaml.Node | None]:
    """Parse a YAML file, raising :class:`ConfigError` with ``file:line`` on syntax errors,
    binary or non-UTF-8 content, or a path that cannot be read (a folder, a missing file)."""
    text = read_text(path)  # binary or non-UTF-8 content: ConfigError naming file and line
    try:
        return yaml.load(text, Loader=_LOADER), yaml.compose(text, Loader=_LOADER)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f"{path}:{mark.line + 1}" if mark else str(path)
        raise ConfigError(f"{where}: invalid YAML: {exc.problem or exc.context}") from None
    except yaml.reader.ReaderError as exc:  # a control character: a position, no mark
        line = text.count("\n", 0, exc.position) + 1
        raise ConfigError(f"{path}:{line}: invalid YAML: {exc.reason}") from None


def validation_message(path: Path, node: yaml.Node | None, exc: ValidationError) -> str:
    """The first pydantic error as ``file:line: field: message``."""
    err = exc.errors()[0]
    loc = tuple(err["loc"])
    line = line_of(node, loc)
    field = ".".join(str(p) for p in loc) or "(top level)"
    where = f"{path}:{line}" if line else str(path)
    return f"{where}: {field}: {err['msg']}"
