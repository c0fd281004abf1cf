"""Open-ended seed items: clinical conversations with a rubric, bundled or from ``--data``.

Two row shapes are read, one JSON object per line:

- HealthBench's public shape (Arora et al. 2025, github.com/openai/simple-evals
  ``healthbench_eval.py``): ``prompt`` (a list of chat messages), ``rubrics`` (a list of
  ``{"criterion": str, "points": number, "tags": [str]}``; negative points mark harms),
  optionally ``prompt_id`` and ``example_tags``. Other HealthBench keys are ignored.
- medtrust's simpler shape: ``messages`` and ``rubric`` (same criterion objects), optionally
  ``id``.

medtrust extensions, valid in both: ``topic``, ``wrong`` (a plausible wrong idea that the
distraction and bias attacks push) and, per criterion, ``keywords`` (regular expressions the
deterministic stand-in judge looks for). The last message must be the user's: the target
answers it and the attacks rewrite it. Every rubric needs a criterion with positive points
(HealthBench's score divides by them). Any fault raises ``ConfigError`` naming ``file:line``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from medtrust.errors import ConfigError, json_line, read_text
from medtrust.judges.rubric import ROLES, chat_text, check_points
from medtrust.records import Message, content_hash


@dataclass(frozen=True, kw_only=True)
class Conversation:
    """One open-ended item: the chat so far (ending with the user's turn) and its rubric.

    ``rubric`` holds plain dicts (``id``, ``criterion``, ``points``, ``tags``, ``keywords``)
    because they travel as a case's gold to the judge, which reads them without this module.
    """

    id: str
    messages: tuple[Message, ...]
    rubric: tuple[dict[str, Any], ...]
    source: str
    topic: str | None = None
    wrong: str | None = None
    tags: tuple[str, ...] = ()
    where: str = ""
    """``file:line`` the conversation was read from ("" when built in code), for errors."""


def _messages(value: Any, where: str, key: str) -> tuple[Message, ...]:
    if not isinstance(value, list) or not value:
        raise ConfigError(f"{where}: {key!r} must be a non-empty list of chat messages")
    out: list[Message] = []
    for i, m in enumerate(value, 1):
        if not isinstance(m, dict):
            raise ConfigError(f"{where}: {key}[{i}] must be an object with 'role' and 'content'")
        role, content = m.get("role"), m.get("content")
        if role not in ROLES:
            raise ConfigError(
                f"{where}: {key}[{i}].role {role!r} is not one of {', '.join(sorted(ROLES))}"
            )
        content = chat_text(content, f"{where}: {key}[{i}]")  # text, or OpenAI text parts
        if not content.strip():
            raise ConfigError(f"{where}: {key}[{i}].content must be non-empty text")
        out.append({"role": role, "content": content})
    if out[-1]["role"] != "user":
        raise ConfigError(f"{where}: the last message of {key!r} must be the user's")
    return tuple(out)


def _strings(value: Any, where: str, what: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(t, str) and t.strip() for t in value):
        raise ConfigError(f"{where}: {what} must be a list of non-empty strings")
    return tuple(value)


def _criterion(value: Any, where: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise ConfigError(f"{where}: expected an object with 'criterion' and 'points'")
    text, points = value.get("criterion"), value.get("points")
    if not isinstance(text, str) or not text.strip():
        raise ConfigError(f"{where}: 'criterion' must be non-empty text")
    check_points(points, where)
    keywords = _strings(value.get("keywords"), where, "'keywords'")
    for k in keywords:
        try:
            re.compile(k)
        except re.error as exc:
            raise ConfigError(f"{where}: keyword {k!r} is not a regular expression: {exc}") from (
                None
            )
    return {
        "criterion": text.strip(),
        "points": points,
        "tags": list(_strings(value.get("tags"), where, "'tags'")),
        "keywords": list(keywords),
    }


def _rubric(value: Any, where: str, key: str) -> tuple[dict[str, Any], ...]:
    if not isinstance(value, list) or not value:
        raise ConfigError(f"{where}: {key!r} must be a non-empty list of criteria")
    out = []
    for i, c in enumerate(value, 1):
        crit = _criterion(c, f"{where}: {key}[{i}]")
        out.append({"id": f"c{i}", **crit})
    if not any(c["points"] > 0 for c in out):
        raise ConfigError(f"{where}: {key!r} has no criterion with positive points")
    return tuple(out)


def conversation_from_row(row: Any, *, where: str, source: str) -> Conversation:
    """Validate one row of either shape (see the module docstring); raises ``ConfigError``."""
    if not isinstance(row, dict):
        raise ConfigError(f"{where}: expected a JSON object, got {type(row).__name__}")
    if "prompt" in row or "rubrics" in row:
        mkey, rkey, ident = "prompt", "rubrics", row.get("prompt_id", row.get("id"))
    elif "messages" in row or "rubric" in row:
        mkey, rkey, ident = "messages", "rubric", row.get("id")
    else:
        raise ConfigError(
            f"{where}: expected 'prompt' and 'rubrics' (HealthBench) or 'messages' and 'rubric'"
        )
    messages = _messages(row.get(mkey), where, mkey)
    rubric = _rubric(row.get(rkey), where, rkey)
    if ident is not None and (not isinstance(ident, str | int) or isinstance(ident, bool)):
        raise ConfigError(f"{where}: the id must be a string, got {ident!r}")
    if ident is None:
        ident = "oe-" + content_hash({"m": messages, "r": rubric}, 12)
    topic, wrong = row.get("topic"), row.get("wrong")
    for name, v in (("topic", topic), ("wrong", wrong)):
        if v is not None and (not isinstance(v, str) or not v.strip()):
            raise ConfigError(f"{where}: {name!r} must be non-empty text")
    return Conversation(
        id=str(ident),
        messages=messages,
        rubric=rubric,
        source=source,
        topic=topic,
        wrong=wrong,
        tags=_strings(row.get("example_tags", row.get("tags")), where, "'example_tags'"),
        where=where,
    )


def content_key(conv: Conversation) -> str:
    """What makes two conversations the same case: their messages and rubric (a case id hashes
    what is asked and graded, not the item id)."""
    return content_hash({"m": conv.messages, "r": conv.rubric}, 16)


def same_content(where: str, conv: Conversation, at: str, first: Conversation) -> str:
    """The one-line error for ``conv`` at ``where`` repeating ``first`` (at ``at``) under
    another id: their cases would get the same ids, so the two would silently count as one."""
    return (
        f"{where}: conversation {conv.id!r} repeats the messages and rubric of {first.id!r} "
        f"({at}); remove one of them"
    )


def load_conversations(path: Path, *, source: str | None = None) -> list[Conversation]:
    """Every conversation in a JSONL file, in order.

    Raises ``ConfigError`` naming ``file:line`` for unreadable or non-UTF-8 files, invalid
    JSON, a bad row, a duplicate id (``duplicate id 'x' (first at line K)``), the same
    messages and rubric under another id (:func:`same_content`), or no rows.
    """
    out: list[Conversation] = []
    first: dict[str, int] = {}
    seen: dict[str, tuple[Conversation, int]] = {}
    for lineno, line in enumerate(read_text(path).splitlines(), 1):
        if not line.strip():
            continue
        where = f"{path}:{lineno}"
        row = json_line(line, where)
        conv = conversation_from_row(row, where=where, source=source or path.name)
        if conv.id in first:
            raise ConfigError(f"{where}: duplicate id {conv.id!r} (first at line {first[conv.id]})")
        first[conv.id] = lineno
        if (prev := seen.get(content_key(conv))) is not None:
            raise ConfigError(same_content(where, conv, f"line {prev[1]}", prev[0]))
        seen[content_key(conv)] = (conv, lineno)
        out.append(conv)
    if not out:
        raise ConfigError(f"{path}: no conversations")
    return out


def bundled_path() -> Path:
    """Where the bundled open-ended cases live (``medtrust/data/open_ended.jsonl``)."""
    return Path(str(resources.files("medtrust") / "data" / "open_ended.jsonl"))


def bundled_conversations() -> list[Conversation]:
    """The open-ended cases written for medtrust."""
    return load_conversations(bundled_path(), source="bundled")


def seed_conversations(
    data: Path | None, *, with_bundled: bool, bundled: bool = True
) -> list[Conversation]:
    """The conversations a run asks: the bundled set, or ``data`` instead of it (``--data``),
    or both (``--with-bundled``, bundled first). A user id equal to a bundled one is an error.
    Raises ``ConfigError``."""
    if data is None:
        return bundled_conversations() if bundled else []
    if data.suffix.lower() not in {".jsonl", ".ndjson"}:
        raise ConfigError(f"{data}: open-ended conversations must be .jsonl")
    mine = load_conversations(data)
    if not (with_bundled and bundled):
        return mine
    theirs = bundled_conversations()
    ids = {c.id for c in theirs}
    same = {content_key(c): c for c in theirs}
    for c in mine:
        if c.id in ids:
            raise ConfigError(f"{data}: id {c.id!r} is also a bundled case's id; rename it")
        if (prev := same.get(content_key(c))) is not None:
            raise ConfigError(same_content(str(data), c, f"{bundled_path()}", prev))
    return theirs + mine
