"""YAML files whose errors name the file and line (suites, policy packs, gate files, probe data).

Low-level (below every package that reads YAML): ``load_yaml`` keeps the composed node tree so a
pydantic error's location can be walked back to a 1-based line (:func:`line_of`).
"""

from __future__ import annotations

from pathlib import Path
from types import UnionType
from typing import Any, TypeVar, Union

import yaml
from pydantic import BaseModel, ValidationError

from medtrust.errors import ConfigError, did_you_mean, read_text


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


def _fields_at(model: Any, loc: tuple[int | str, ...]) -> list[str] | None:
    """The field names of the pydantic model at ``loc`` inside ``model`` (through optional,
    list and dict fields), or None when ``loc`` does not lead to a model."""
    from typing import get_args, get_origin

    def strip(ann: Any) -> Any:  # ``X | None`` -> X
        args = [a for a in get_args(ann) if a is not type(None)]
        return args[0] if get_origin(ann) in (Union, UnionType) and len(args) == 1 else ann

    ann = model
    for part in loc:
        ann = strip(ann)
        fields = getattr(ann, "model_fields", None) if isinstance(ann, type) else None
        if fields is not None:
            if part not in fields:
                return None
            ann = fields[part].annotation
        elif get_origin(ann) in (list, tuple, set, frozenset) and get_args(ann):
            ann = get_args(ann)[0]
        elif get_origin(ann) is dict and len(get_args(ann)) == 2:
            ann = get_args(ann)[1]
        else:
            return None
    ann = strip(ann)
    fields = getattr(ann, "model_fields", None) if isinstance(ann, type) else None
    return list(fields) if fields is not None else None


def validation_message(
    path: Path, node: yaml.Node | None, exc: ValidationError, model: Any = None
) -> str:
    """The first pydantic error as ``file:line: field: message``. Given the validated
    ``model`` (a pydantic class), a key it does not know also gets the near names and the keys
    it knows (:func:`medtrust.errors.did_you_mean`)."""
    err = exc.errors()[0]
    loc = tuple(err["loc"])
    line = line_of(node, loc)
    field = ".".join(str(p) for p in loc) or "(top level)"
    where = f"{path}:{line}" if line else str(path)
    msg = err["msg"]
    if err["type"] == "extra_forbidden" and model is not None and loc:
        known = _fields_at(model, loc[:-1])
        if known is not None:
            msg += did_you_mean(str(loc[-1]), known, what="known keys")
    return f"{where}: {field}: {msg}"


M = TypeVar("M", bound=BaseModel)


def load_model(path: Path, model: type[M], *, what: str, empty_ok: bool = False) -> M:
    """Read the YAML mapping at ``path`` and validate it as ``model``.

    ``what`` names the file's kind for the message of a file that is not a mapping (e.g. "a
    policy pack"); with ``empty_ok`` an empty file validates as ``{}``. Raises ``ConfigError``
    as ``file:line: field: message`` (:func:`validation_message`), and the errors of
    :func:`load_yaml` for an unreadable or malformed file.
    """
    data, node = load_yaml(path)
    if data is None and empty_ok:
        data = {}
    if not isinstance(data, dict):
        raise ConfigError(f"{path}:1: {what} must be a YAML mapping")
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(validation_message(path, node, exc, model)) from None

