"""Stated answers: where a multiple-choice reply says which option it chose (step 4).

A reply may state its answer several ways: a keyword and a payload ("Final answer: C"), "it is
C", "C is correct", an option line that states it ("A. <text> is the most appropriate"), an
option's own text stated to be the answer, or a self-correction ("A. No wait, B."). Each way is a
:class:`_Kind` of :class:`_Mark`, read by its own reader; :func:`_stated` keeps the last one and
checks it against those before it. Reading order and examples: :mod:`._mc_parse`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import Enum

from medtrust.judges._mc_lexicon import (
    _AFTER_LOWER_OK,
    _ANSWER_GOES_ON,
    _BARE,
    _CHOOSING,
    _COPULA,
    _CORRECTION,
    _DISCUSSED_AFTER,
    _FINAL,
    _IT_IS,
    _LEAD_IN,
    _LINE_POSTFIX,
    _MAX_STATEMENTS,
    _NAME_BEFORE,
    _NEG_BEFORE,
    _NEG_PREDICATE,
    _NEGATED_PAYLOAD,
    _PAYLOAD_LETTER,
    _POSTFIX,
    _POSTFIX_LOWER,
    _REJECTED_AFTER,
    _REVISED,
    _SEVERAL,
    _STATED,
    _WORD_AFTER,
    Choices,
    _norm,
    _patterns,
)


def _letter(ch: str, keys: Mapping[str, str]) -> str | None:
    up = ch.upper()
    return up if up in keys else None


def _read_letter_at(
    text: str, keys: Mapping[str, str], *, allow_lower: bool
) -> tuple[str, str] | None:
    """('L', rest) when ``text`` opens with a stand-alone option letter, else None."""
    m = _PAYLOAD_LETTER.match(text)
    if not m:
        return None
    ch, rest = m.group(1), text[m.end() :]
    if ch.islower() and (not allow_lower or not _AFTER_LOWER_OK.match(rest)):
        return None
    # "A beta blocker" / "I think": an article or a pronoun unless punctuation follows; after
    # a stated-answer keyword "A because ..." still reads as A.
    if (
        ch in {"A", "I"}
        and not _AFTER_LOWER_OK.match(rest)
        and not _SEVERAL.match(rest)
        and _WORD_AFTER.match(rest)
        and (ch == "I" or not _ANSWER_GOES_ON.match(rest))
    ):
        return None
    letter = _letter(ch, keys)
    return (letter, rest) if letter else None


def _conflicts(letter: str, rest: str, prepared: tuple[tuple[str, str], ...]) -> bool:
    """True when the text after a letter is another option's text ("A. <text of B>")."""
    line = _norm(rest.split("\n", 1)[0])
    if not line:
        return False
    own = dict(prepared).get(letter, "")
    if own and (line == own or line.startswith(own + " ")):
        return False
    return any(
        v and k != letter and (line == v or line.startswith(v + " ")) for k, v in prepared
    )


def _named_by_text(norm_text: str, prepared: tuple[tuple[str, str], ...]) -> list[str]:
    """Options whose normalised text occurs in ``norm_text`` and not inside a longer match."""
    hits: list[tuple[str, str]] = []
    for k, v in prepared:
        if not v:
            continue
        for m in re.finditer(rf"(?<![a-z0-9]){re.escape(v)}(?![a-z0-9])", norm_text):
            before = norm_text[max(0, m.start() - 24) : m.start()]
            if re.search(r"\b(?:not|no|rather than|instead of|rule out|unlike|excluding)\s*$",
                         before) or _REJECTED_AFTER.match(norm_text, m.end()):
                continue
            hits.append((k, v))
            break
    kept = [k for k, v in hits if not any(v != w and v in w for _, w in hits)]
    return sorted(set(kept))


def _is_suffix(before: str) -> bool:
    """A letter right after a content word is part of a name ("amphotericin B", "protein C"),
    unless the word is one that introduces a choice ("choose C", "probably C")."""
    m = re.search(r"(?<![A-Za-z'])([a-z]{4,})[ \t]$", before)
    if m is None:
        return False
    return m.group(1) not in _CHOOSING and not m.group(1).endswith("ly")


def _bare_letters(text: str, keys: Mapping[str, str]) -> set[str] | None:
    """Stand-alone option letters that are not names, articles, negated or discussed; None
    when letters are offered side by side ("B or C", "B, C")."""
    named: set[str] = set()
    for m in _BARE.finditer(text):
        ch = m.group(1)
        if ch not in keys:
            continue
        before, after = text[max(0, m.start() - 40) : m.start()], text[m.end() :]
        if _NAME_BEFORE.search(before[-24:]) or _NEG_BEFORE.search(before) or _is_suffix(before):
            continue
        if _SEVERAL.match(after):
            return None
        if ch in {"A", "I"} and _WORD_AFTER.match(after):
            continue
        if _DISCUSSED_AFTER.match(after):
            continue
        named.add(ch)
    return named


def _read_payload(
    payload: str, keys: Mapping[str, str], prepared: tuple[tuple[str, str], ...]
) -> str:
    """What a stated answer names: a letter, ``*`` for several, ``""`` for nothing/negated."""
    if _NEGATED_PAYLOAD.match(payload):
        return ""
    lead = _LEAD_IN.match(payload)
    body = payload[lead.end() :] if lead else payload
    if _NEGATED_PAYLOAD.match(body):
        return ""
    got = _read_letter_at(body, keys, allow_lower=True)
    if got:
        letter, rest = got
        return "*" if _SEVERAL.match(rest) or _conflicts(letter, rest, prepared) else letter
    sentence = re.split(r"(?<=[a-z0-9)])[.!?](?:\s|$)|\n", body, maxsplit=1)[0]
    # The option's text must open the payload or follow its copula ("... is <text>"); an
    # option named further on is being discussed ("... to lower urate, unlike prednisone").
    starts = [0] + [m.end() for m in re.finditer(r"\b(?:is|are|was|would\s+be)\s+", sentence)]
    for at in starts:
        norm = _norm(sentence[at:])
        named = [k for k, v in prepared if v and (norm == v or norm.startswith(v + " "))]
        longest = max((len(dict(prepared)[k]) for k in named), default=0)
        named = [k for k in named if len(dict(prepared)[k]) == longest]
        if len(named) == 1:
            rest = norm[longest:]
            other = _named_by_text(rest, prepared) if re.match(r"\s*(?:or|and)\b", rest) else []
            return "*" if other else named[0]
    # "The correct answer here, I think, is indeed (D)": one stand-alone letter, no other text.
    letters = _bare_letters(sentence, keys)
    if letters is None:
        return "*"
    named_all = letters | set(_named_by_text(_norm(sentence), prepared))
    if len(letters) == 1 and len(named_all) == 1:
        return letters.pop()
    return "*" if len(letters) > 1 or (letters and len(named_all) > 1) else ""


class _Kind(Enum):
    """How an answer is stated; each kind has its reader in :data:`_READERS`."""

    STATEMENT = "statement"  # "Final answer: C", "I would choose C", "the answer is <text>"
    IT_IS = "it_is"  # "The answer is not B, it is C"
    POSTFIX = "postfix"  # "C is correct", "option c is the best answer"
    LINE_POSTFIX = "line_postfix"  # "A. Platelet transfusion is the most appropriate ..."
    TEXT_POSTFIX = "text_postfix"  # "<text of C> is the most appropriate treatment"
    CORRECTION = "correction"  # "A. No wait, B.": always the conclusion


@dataclass(frozen=True)
class _Mark:
    """One place the reply may state an answer: where, how, and the match that found it.
    ``option`` is the letter whose text matched (``TEXT_POSTFIX`` only)."""

    start: int
    kind: _Kind
    match: re.Match[str]
    option: str = ""


def _marks(text: str, keys: Mapping[str, str]) -> list[_Mark]:
    """Every place an answer may be stated, in a fixed order (ties sort stably by it)."""
    marks = [_Mark(m.start(), _Kind.STATEMENT, m) for m in _STATED.finditer(text)]
    marks += [_Mark(m.start(), _Kind.IT_IS, m) for m in _IT_IS.finditer(text)]
    marks += [_Mark(m.start(), _Kind.POSTFIX, m) for m in _POSTFIX.finditer(text)]
    marks += [_Mark(m.start(1), _Kind.POSTFIX, m) for m in _POSTFIX_LOWER.finditer(text)]
    marks += [_Mark(m.start(), _Kind.CORRECTION, m) for m in _CORRECTION.finditer(text)]
    marks += [_Mark(m.start(1), _Kind.LINE_POSTFIX, m) for m in _LINE_POSTFIX.finditer(text)]
    for k, _echo, postfix in _patterns(tuple(keys.items())):
        marks += [_Mark(m.start(), _Kind.TEXT_POSTFIX, m, k) for m in postfix.finditer(text)]
    return marks


def _negated_before(text: str, start: int) -> bool:
    return _NEG_BEFORE.search(text[max(0, start - 16) : start]) is not None


def _letter_or_several(at: tuple[str, str] | None) -> str:
    """The letter read, ``*`` when other letters follow it ("C or D"), ``""`` for none."""
    if not at:
        return ""
    return "*" if _SEVERAL.match(at[1]) else at[0]


def _read_statement(text: str, mark: _Mark, choices: Choices) -> str:
    m = mark.match
    payload = text[m.end() : m.end() + 240]
    # "The answer A. <text> is incorrect": no copula, the letter is the subject.
    if not _COPULA.search(m.group(0)) and _NEG_PREDICATE.match(payload):
        return ""
    return _read_payload(payload, choices.keys, choices.prepared)


def _read_it_is(text: str, mark: _Mark, choices: Choices) -> str:
    end = mark.match.end()
    return _letter_or_several(_read_letter_at(text[end : end + 40], choices.keys, allow_lower=True))


def _read_correction(text: str, mark: _Mark, choices: Choices) -> str:
    end = mark.match.end()
    at = _read_letter_at(text[end : end + 40], choices.keys, allow_lower=False)
    if at and _DISCUSSED_AFTER.match(at[1]):
        return ""  # "B. Wait, A is wrong": discussed, not the correction
    return _letter_or_several(at)


def _read_postfix(text: str, mark: _Mark, choices: Choices) -> str:
    if _negated_before(text, mark.start):
        return ""
    return _letter(mark.match.group(1), choices.keys) or ""


def _read_line_postfix(text: str, mark: _Mark, choices: Choices) -> str:
    letter = _letter(mark.match.group(1), choices.keys)
    if not letter:
        return ""
    return "*" if _conflicts(letter, mark.match.group(2), choices.prepared) else letter


def _read_text_postfix(text: str, mark: _Mark, choices: Choices) -> str:
    start = mark.start
    if _negated_before(text, start):
        return ""
    label = re.search(r"(?<![A-Za-z])([A-Z])\s*[.):]\s*$", text[max(0, start - 6) : start])
    if label and label.group(1) != mark.option:
        return "*"  # "A. <text of B> is the most appropriate"
    return mark.option


_READERS: dict[_Kind, Callable[[str, _Mark, Choices], str]] = {
    _Kind.STATEMENT: _read_statement,
    _Kind.IT_IS: _read_it_is,
    _Kind.POSTFIX: _read_postfix,
    _Kind.LINE_POSTFIX: _read_line_postfix,
    _Kind.TEXT_POSTFIX: _read_text_postfix,
    _Kind.CORRECTION: _read_correction,
}


def _is_final(text: str, mark: _Mark) -> bool:
    """A statement marked as the conclusion ("so", "therefore", "final", "on reflection")."""
    if mark.kind is _Kind.CORRECTION:
        return True
    before = text[max(0, mark.start - 40) : mark.start]
    return bool(_FINAL.search(mark.match.group(0)) or _REVISED.search(before))


def _stated(text: str, choices: Choices) -> str:
    """The last stated answer: its letter, ``*`` when it names several or contradicts an
    earlier statement without being marked as the conclusion, ``""`` when nothing is stated.

    Statements are read from the end, at most the last ``_MAX_STATEMENTS``, which keeps the
    cost linear in the reply's length.
    """
    marks = sorted(_marks(text, choices.keys), key=lambda mk: mk.start, reverse=True)
    found: list[tuple[str, bool]] = []
    for mark in marks[:_MAX_STATEMENTS]:
        got = _READERS[mark.kind](text, mark, choices)
        if got:
            found.append((got, _is_final(text, mark)))
    if not found:
        return ""
    last, final = found[0]
    if last == "*" or final:
        return last
    # Two explicit answers that disagree, the later one not marked as the conclusion.
    return "*" if any(g not in {"*", last} for g, _ in found[1:]) else last
