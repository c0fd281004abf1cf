"""Large ``--data`` files in flat memory: items read lazily, cases generated on iteration.

A run of a million items must not hold a million items and a million cases at once (about
2 KB and 3.4 KB each in Python). When a probe asks every item of the user's file (no
``--limit``, no ``--with-bundled``, no focus), it reads the file as it goes: :func:`iter_items`
validates each line exactly as the whole-file reader does (same messages, duplicate ids named
with both lines), and :class:`LazyCases` is a sequence whose iteration builds cases afresh, so
the engine can stream them through the store in windows.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import overload

from medtrust.errors import ConfigError, json_line
from medtrust.probes._base import ProbeContext
from medtrust.probes.robustness._items import (
    content_key,
    item_from_row,
    parsed_lines,
    same_content,
)
from medtrust.records import Case, MCItem

STREAM_FROM = 20_000
"""Files with at least this many lines are streamed; smaller ones are read whole as before."""


def streamable(ctx: ProbeContext) -> int | None:
    """The item count of a large user file the probe asks whole (so its items can be
    streamed), or None when they are not to be streamed (the file is read once to count)."""
    if ctx.data is None or ctx.limit is not None or ctx.focus is not None or ctx.with_bundled:
        return None
    if ctx.data.suffix.lower() not in {".jsonl", ".ndjson"}:
        return None
    n = count_items(ctx.data)
    return n if n >= STREAM_FROM else None


def count_items(path: Path) -> int:
    """Non-blank lines of a JSONL file (its items, when every line is valid)."""
    try:
        with path.open("rb") as fh:
            return sum(1 for line in fh if line.strip())
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror or exc}") from None


def iter_items(path: Path) -> Iterator[MCItem]:
    """Items of a MedQA-format JSONL file, one line at a time. Raises ``ConfigError`` naming
    ``file:line`` for invalid JSON, a bad row, a duplicate id or a repeated question (same
    question and options as an earlier line: see :func:`~._items.same_content`), and for a
    file with no item. Keeps two 64-bit hashes and line numbers per item (about 140 bytes),
    not the items."""
    ids: dict[int, int] = {}
    contents: dict[int, int] = {}
    n = 0
    for item, lineno in parsed_lines(path):
        h = hash(item.id)
        if h in ids and _item_at(path, ids[h]).id == item.id:  # else a hash collision
            raise ConfigError(
                f"{path}:{lineno}: duplicate id {item.id!r} (first at line {ids[h]})"
            )
        ids.setdefault(h, lineno)
        c = hash(content_key(item))
        if c in contents:
            first = _item_at(path, contents[c])
            if content_key(first) == content_key(item):
                raise ConfigError(same_content(f"{path}:{lineno}", item, contents[c], first))
        contents.setdefault(c, lineno)
        n += 1
        yield item
    if not n:
        raise ConfigError(f"{path}: no items")


def _item_at(path: Path, lineno: int) -> MCItem:
    """The item on line ``lineno`` (read again: only when two items share a hash)."""
    with path.open(encoding="utf-8") as fh:
        for k, line in enumerate(fh, 1):
            if k == lineno:
                where = f"{path}:{k}"
                return item_from_row(json_line(line, where), where=where, source=path.name)
    raise ConfigError(f"{path}:{lineno}: the file changed while it was read")


class LazyCases(Sequence[Case]):
    """Cases generated on each iteration by ``make()``; ``length`` is known up front (one case
    per item). Indexing walks the sequence: it exists for completeness, not for speed."""

    def __init__(self, make: Callable[[], Iterator[Case]], length: int) -> None:
        self._make, self._length = make, length

    def __iter__(self) -> Iterator[Case]:
        return self._make()

    def __len__(self) -> int:
        return self._length

    @overload
    def __getitem__(self, index: int) -> Case: ...

    @overload
    def __getitem__(self, index: slice) -> Sequence[Case]: ...

    def __getitem__(self, index: int | slice) -> Case | Sequence[Case]:
        if isinstance(index, slice):
            return list(self)[index]
        i = index + self._length if index < 0 else index
        for k, case in enumerate(self):
            if k == i:
                return case
        raise IndexError(index)
