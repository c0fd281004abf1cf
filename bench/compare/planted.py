"""Python targets of planted, independent static accuracy and robustness (issue 14).

Configured by ``planted.json`` beside this file (or ``$PLANTED_CONFIG``)::

    {"items": "PATH.jsonl" | "bundled", "salt": "s0",
     "targets": {"t01": {"static": 0.9, "fool": 0.1}, ...}}

``python:planted:t01`` answers a multiple-choice prompt as a clinician-free oracle would, with
two independent, deterministic coins (SHA-256 of the target, the salt and the prompt):

- unperturbed (the prompt is an item exactly as written): correct with probability ``static``;
- perturbed (anything else made from an item): fooled with probability ``fool`` per prompt,
  answering the wrong option the prompt names (distraction, bias), else the first wrong one.

Optional per target: ``"error": P`` raises on a share P of prompts (an error, never scored);
``"stop_if": "FILE"`` raises KeyboardInterrupt on the first perturbed prompt while FILE exists
(tests use it to interrupt one member of a comparison and resume it); ``"model": M`` draws
the coins of model M instead of the target's own (two versions of one model: raising ``fool``
makes exactly the prompts with ``old fool <= coin < new fool`` regress).

So target ``t``'s expected static accuracy is ``static`` and the share of its attacked items
that some of ``k`` mutations fool is ``1 - (1 - fool) ** k``. The two are drawn independently,
so the static and the dynamic rankings differ by design. Only operators that keep the key
option's text as the right answer suit it (distraction, bias, extra_options, add_nota).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from functools import cache
from pathlib import Path
from typing import Any

import medtrust


def _conf_path() -> Path:
    return Path(os.environ.get("PLANTED_CONFIG") or Path(__file__).with_name("planted.json"))


@cache
def _read(path: str, _mtime_ns: int) -> dict[str, Any]:
    return dict(json.loads(Path(path).read_text()))


def _conf() -> dict[str, Any]:
    # keyed by path and mtime: tests import this module once but point it at several configs
    path = _conf_path()
    return _read(str(path), path.stat().st_mtime_ns)


def _items() -> tuple[list[dict[str, Any]], dict[str, list[int]]]:
    src = _conf()["items"]
    path = (
        Path(medtrust.__file__).parent / "data" / "mcq_seed.jsonl"
        if src == "bundled"
        else (_conf_path().parent / src)
    )
    return _load_items(str(path))


@cache
def _load_items(path: str) -> tuple[list[dict[str, Any]], dict[str, list[int]]]:
    items = [json.loads(line) for line in Path(path).read_text().splitlines() if line.strip()]
    by_key: dict[str, list[int]] = {}
    for i, it in enumerate(items):
        by_key.setdefault(it["options"][it["answer_idx"]], []).append(i)
    return items, by_key


def _coin(*parts: str) -> float:
    digest = hashlib.sha256("\x1f".join(parts).encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def _parse(content: str) -> tuple[str, dict[str, str]]:
    body, _, _ = content.rpartition("\n\n")
    question, _, opts = body.rpartition("\n\n")
    return question, dict(re.findall(r"^([A-Z])\. (.*)$", opts, re.M))


def _affinity(a: str, b: str) -> int:
    """Characters the two strings share at their start plus at their end."""
    n = min(len(a), len(b))
    pre = next((i for i in range(n) if a[i] != b[i]), n)
    suf = next((i for i in range(n) if a[-1 - i] != b[-1 - i]), n)
    return pre + suf


def _find(question: str, options: dict[str, str]) -> dict[str, Any] | None:
    items, by_key = _items()
    shown = set(options.values())
    cands = [
        items[i]
        for text in shown
        for i in by_key.get(text, [])
        if set(items[i]["options"].values()) <= shown
    ]
    return max(cands, key=lambda it: _affinity(it["question"], question), default=None)


def _answer(name: str, messages: list[dict[str, Any]]) -> str:
    spec, salt = _conf()["targets"][name], str(_conf().get("salt", ""))
    who = str(spec.get("model", name))  # versions of one model share its coins
    question, options = _parse(str(messages[-1]["content"]))
    it = _find(question, options)
    if it is None:
        return "I do not know."
    key = it["options"][it["answer_idx"]]
    right = next(k for k, v in options.items() if v == key)
    unperturbed = question == it["question"] and options == it["options"]
    if _coin(who, salt, "error", json.dumps([question, options])) < spec.get("error", 0.0):
        raise RuntimeError("planted error")
    if not unperturbed and spec.get("stop_if") and Path(spec["stop_if"]).exists():
        raise KeyboardInterrupt
    if unperturbed:
        correct = _coin(who, salt, "static", it["id"]) < spec["static"]
    else:
        correct = _coin(who, salt, "dynamic", json.dumps([question, options])) >= spec["fool"]
    if correct:
        return f"{right}. {key}"
    wrong = [k for k, v in options.items() if v != key]
    pushed = [k for k in wrong if options[k] in question]
    pick = (pushed or wrong)[0]
    return f"{pick}. {options[pick]}"


def __getattr__(name: str) -> Any:
    """``python:planted:NAME`` for every NAME in the configuration's targets."""
    if name.startswith("__") or name not in _conf()["targets"]:
        raise AttributeError(name)

    def target(messages: list[dict[str, Any]]) -> str:
        return _answer(name, messages)

    target.__name__ = name
    return target
