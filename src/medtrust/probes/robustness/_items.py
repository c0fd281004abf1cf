"""Multiple-choice seed items: the bundled set and the user's MedQA-format JSONL."""

from __future__ import annotations

import re
from collections.abc import Iterator
from importlib import resources
from pathlib import Path
from typing import Any

from medtrust.errors import ConfigError, json_line
from medtrust.records import MCItem, content_hash

_LETTER = re.compile(r"^[A-Z]$")


def item_from_row(row: Any, *, where: str, source: str) -> MCItem:
    """Validate one MedQA-style row (``question``, ``options`` {letter: text}, ``answer_idx``)."""
    if not isinstance(row, dict):
        raise ConfigError(f"{where}: expected a JSON object, got {type(row).__name__}")
    question, options, answer = row.get("question"), row.get("options"), row.get("answer_idx")
    if not isinstance(question, str) or not question.strip():
        raise ConfigError(f"{where}: 'question' must be a non-empty string")
    if not isinstance(options, dict) or len(options) < 2:
        raise ConfigError(f"{where}: 'options' must be an object of at least two {{letter: text}}")
    for key, text in options.items():
        if not _LETTER.match(str(key)):
            raise ConfigError(f"{where}: option key {key!r} is not a single capital letter")
        if not isinstance(text, str) or not text.strip():
            raise ConfigError(f"{where}: option {key!r} must be non-empty text")
    if not isinstance(answer, str) or answer not in options:
        raise ConfigError(f"{where}: 'answer_idx' {answer!r} is not one of the option letters")
    ident = row.get("id")
    if ident is None:
        ident = "q-" + content_hash({"q": question, "o": options, "a": answer}, 12)
    topic = row.get("topic") or row.get("meta_info")
    return MCItem(
        id=str(ident),
        question=question.strip(),
        options={k: v.strip() for k, v in sorted(options.items())},
        answer=answer,
        source=source,
        topic=topic if isinstance(topic, str) else None,
    )


def parsed_lines(path: Path, *, source: str | None = None) -> Iterator[tuple[MCItem, int]]:
    """(item, 1-based line number) for each non-blank line of a MedQA-format JSONL file, read
    one line at a time; duplicates are the caller's to check. Raises ``ConfigError`` naming
    ``file:line`` for an unreadable file, invalid JSON or a bad row."""
    try:
        fh = path.open(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror or exc}") from None
    with fh:
        for lineno, line in enumerate(fh, 1):
            if not line.strip():
                continue
            row = json_line(line, f"{path}:{lineno}")
            yield item_from_row(row, where=f"{path}:{lineno}", source=source or path.name), lineno


def content_key(item: MCItem) -> tuple[str, tuple[tuple[str, str], ...]]:
    """What makes two items the same question: the question and its options (the answer is
    not part of it: one question with two answers is a contradiction, not two items)."""
    return item.question, tuple(sorted(item.options.items()))


def same_content(where: str, item: MCItem, first_line: int | str, first: MCItem) -> str:
    """The one-line error for ``item`` at ``where`` repeating ``first`` (at ``first_line``:
    a line number of the same file, or ``file:line``) under another id. Its cases would get
    the same ids (a case id hashes what is asked, not the item id), so the two would
    silently count as one."""
    at = f"line {first_line}" if isinstance(first_line, int) else first_line
    return (
        f"{where}: item {item.id!r} repeats the question and options of item {first.id!r} "
        f"({at}); remove one of them"
    )


def load_jsonl_lines(path: Path, *, source: str | None = None) -> list[tuple[MCItem, int]]:
    """Read MedQA-format JSONL as (item, 1-based line number) pairs.

    Raises ``ConfigError`` naming ``file:line`` for an unreadable file, invalid JSON, a bad row,
    a duplicate id (``FILE:LINE: duplicate id 'x' (first at line K)``: an item without an
    ``id`` gets a content hash, so an exact repeat is a duplicate too), the same question and
    options under another id (:func:`same_content`), and for an empty file.
    """
    items: list[tuple[MCItem, int]] = []
    first: dict[str, int] = {}
    seen: dict[tuple[str, tuple[tuple[str, str], ...]], tuple[MCItem, int]] = {}
    for item, lineno in parsed_lines(path, source=source):
        if item.id in first:
            raise ConfigError(
                f"{path}:{lineno}: duplicate id {item.id!r} (first at line {first[item.id]})"
            )
        first[item.id] = lineno
        if (prev := seen.get(content_key(item))) is not None:
            raise ConfigError(same_content(f"{path}:{lineno}", item, prev[1], prev[0]))
        seen[content_key(item)] = (item, lineno)
        items.append((item, lineno))
    if not items:
        raise ConfigError(f"{path}: no items")
    return items


def load_jsonl(path: Path, *, source: str | None = None) -> list[MCItem]:
    """Read MedQA-format JSONL; a bad line raises ``ConfigError`` naming ``file:line``."""
    return [item for item, _ in load_jsonl_lines(path, source=source)]


def bundled_path() -> Path:
    """Where the bundled seed items live (``medtrust/data/mcq_seed.jsonl``)."""
    return Path(str(resources.files("medtrust") / "data" / "mcq_seed.jsonl"))


def bundled_items() -> list[MCItem]:
    """The seed set written for medtrust (``medtrust/data/mcq_seed.jsonl``)."""
    return load_jsonl(bundled_path(), source="bundled")


def seed_items(data: Path | None, *, with_bundled: bool, bundled: bool = True) -> list[MCItem]:
    """The multiple-choice seed items a run asks, in order.

    Without ``data``: the bundled items (none when a probe sets ``bundled: false``). With
    ``data`` (``run --data FILE``): only the user's items, which *replace* the bundled ones;
    ``with_bundled`` (``--with-bundled``) puts the bundled items first and the user's after.
    A user id equal to a bundled id is an error naming both lines. Raises ``ConfigError``.
    """
    if data is None:
        return bundled_items() if bundled else []
    if data.suffix.lower() not in {".jsonl", ".ndjson"}:
        raise ConfigError(f"{data}: multiple-choice seed items must be MedQA-format .jsonl")
    mine = load_jsonl_lines(data)
    if not (with_bundled and bundled):
        return [it for it, _ in mine]
    base = bundled_path()
    theirs = load_jsonl_lines(base, source="bundled")
    at = {it.id: line for it, line in theirs}
    same = {content_key(it): (it, line) for it, line in theirs}
    for it, line in mine:
        if it.id in at:
            raise ConfigError(
                f"{data}:{line}: id {it.id!r} is also a bundled item's id ({base}:{at[it.id]}); "
                "rename it, or drop --with-bundled"
            )
        if (prev := same.get(content_key(it))) is not None:
            raise ConfigError(same_content(f"{data}:{line}", it, f"{base}:{prev[1]}", prev[0]))
    return [it for it, _ in theirs] + [it for it, _ in mine]
