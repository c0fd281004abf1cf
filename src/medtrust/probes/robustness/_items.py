"""Multiple-choice seed items: the bundled set and the user's MedQA-format JSONL."""

from __future__ import annotations

import json
import re
from importlib import resources
from pathlib import Path
from typing import Any

from medtrust.errors import ConfigError
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


def load_jsonl(path: Path, *, source: str | None = None) -> list[MCItem]:
    """Read MedQA-format JSONL; a bad line raises ``ConfigError`` naming ``file:line``."""
    items: list[MCItem] = []
    seen: set[str] = set()
    try:
        fh = path.open(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror or exc}") from None
    with fh:
        for lineno, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as exc:
                raise ConfigError(f"{path}:{lineno}: invalid JSON: {exc.msg}") from None
            item = item_from_row(row, where=f"{path}:{lineno}", source=source or path.name)
            if item.id in seen:
                raise ConfigError(f"{path}:{lineno}: duplicate id {item.id!r}")
            seen.add(item.id)
            items.append(item)
    if not items:
        raise ConfigError(f"{path}: no items")
    return items


def bundled_items() -> list[MCItem]:
    """The seed set written for medtrust (``medtrust/data/mcq_seed.jsonl``)."""
    path = resources.files("medtrust") / "data" / "mcq_seed.jsonl"
    return load_jsonl(Path(str(path)), source="bundled")
