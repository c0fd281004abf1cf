"""Read which option letter a free-text reply chose."""

from __future__ import annotations

import re
from collections.abc import Mapping

_LEAD = re.compile(r"^\W{0,3}\(?\s*([A-Z])\s*(?:[\.\):\]]|$|\s*-\s|\s*\n)")
# Keywords match in any case; the letter itself must be a capital ("the answer is a ..." is an
# article, not option A).
_STATED = re.compile(
    r"(?i:answer|option|choice)\s*(?i:is|would be|:|=)?\s*(?i:option\s*)?"
    r"[\(\[\*]*\s*([A-Z])\b(?![a-z'])"
)
_BARE = re.compile(r"(?<![A-Za-z'])\(?([A-Z])[\.\)]?(?![A-Za-z'])")
# "A" and "I" followed by a word are an article and a pronoun, not options.
_WORD_AFTER = re.compile(r"\s+[a-z0-9]")


def _norm(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", " ", text.lower()).strip()


def parse_choice(reply: str, options: Mapping[str, str]) -> str | None:
    """The option letter a reply chose, or None when it names none or several.

    Tried in order: a letter leading the reply ("B.", "(B)", "B"), a stated answer
    ("the answer is B"), the exact text of exactly one option, then a single distinct
    stand-alone option letter anywhere in the reply.
    """
    valid = set(options)
    text = reply.strip().strip("*`\"' ")
    if not text:
        return None
    m = _LEAD.match(text)
    if m and m.group(1) in valid:
        return str(m.group(1))
    stated = [g.upper() for g in _STATED.findall(text) if g.upper() in valid]
    if stated and len(set(stated)) == 1:
        return str(stated[0])
    norm = _norm(text)
    named = [
        k for k, v in options.items() if _norm(v) and re.search(rf"\b{re.escape(_norm(v))}\b", norm)
    ]
    if len(named) == 1:
        return named[0]
    bare: set[str] = set()
    if len(text) < 400:
        for m in _BARE.finditer(text):
            letter = m.group(1)
            if letter not in valid:
                continue
            if letter in {"A", "I"} and _WORD_AFTER.match(text, m.end()):
                continue
            bare.add(letter)
    if len(bare) == 1:
        return str(bare.pop())
    return None
