"""Read which option a free-text multiple-choice reply chose, as a clinician would read it.

This is the one reader behind every multiple-choice axis (robustness, cognitive bias, fairness,
multi-modal consistency): the ``multiple_choice`` judge calls it on every reply. Its agreement
with hand-labelled gold on ``tests/data/mc_reader/corpus.jsonl`` (real SmolLM2 replies plus
written variants of each kind) is recorded in ``bench/README.md``.

Reading order, most explicit first (each step only runs when the ones before it found nothing):

1. Reasoning is dropped: text inside ``<think>``/``<thinking>``/``<reasoning>`` blocks; a block
   that is never closed leaves only the text before it, plus its last line when that line is
   an explicit "Final answer: X". A reply that is exactly one option's text reads as that
   option, even when the text sounds like a hedge ("None of the options are correct").
2. The whole reply is one letter in markup: ``C``, ``c.``, ``(C)``, ``**C**``, ``[C]``, ``$C$``,
   ``C)``, ``\\boxed{C}``.
3. An echo of the option list (two or more ``L. text`` lines) is removed; what is left is read.
   A reply that ends on an empty "Answer:" was cut off before its answer.
4. The last stated answer wins ("Final answer: C", "the answer is c", ``{"answer": "C"}``,
   "C is correct", "I would choose C", "<text of C> is the most appropriate"), so a conclusion
   beats options discussed before it. A statement naming several options ("A or C"), a letter
   with another option's text ("D. <text of C>"), or two explicit answers that disagree where
   the later is not marked as the conclusion ("so", "therefore", "final", "on reflection")
   choose nothing; a negated one ("not A", "the answer A ... is incorrect") is skipped. A
   self-correction ("A. No wait, B.", "Actually, B") is the conclusion.
5. A letter leading the reply ("B. text", "(B)", "B\\n..."), unless its text is another
   option's or is rejected ("A. Aspirin alone is not recommended"), or several option lines
   are given without a choice.
6. Otherwise the reply must name exactly one option, by its text (normalised: case,
   punctuation, articles) or by a stand-alone capital letter that is not discussed ("A would
   be too late"), negated ("not A"), an article ("A patient"), the pronoun ("I think") or part
   of a name ("vitamin K", "amphotericin B"). Hedges ("not sure", "either", "cannot
   determine") and refusals name nothing.

Finally, a letter read by any step is dropped when another option is held open after its last
mention ("A, maybe B", "I'd go with A, but B is also possible"); a refused option ("I cannot
recommend A", "I won't pick A") is never named.

Anything else is ``None``: unreadable, which the judge counts as an error, never as a vote.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from medtrust.judges._answer import strip_reasoning as _strip_reasoning
from medtrust.judges._mc_lexicon import (
    _ALT_AFTER,
    _ALT_BEFORE,
    _BARE,
    _CUT_BEFORE_ANSWER,
    _DISCUSSED_AFTER,
    _FOLD,
    _HEDGE,
    _LEADING,
    _LINE_LETTER,
    _LIST_LABEL,
    _NEG_PREDICATE,
    _ONLY,
    _SEVERAL,
    Choices,
    _norm,
    _patterns,
)
from medtrust.judges._mc_stated import (
    _bare_letters,
    _conflicts,
    _letter,
    _named_by_text,
    _stated,
)


def _drop_echo(text: str, options: Mapping[str, str]) -> tuple[str, set[str]]:
    """Remove a repeated option list (two or more ``L. text`` entries); keep a single one.

    An entry counts as part of a list only where it opens a line (or follows another entry)
    and ends it (or another entry follows), so "The correct answer is B. text" is kept, and so
    is an option repeated after the list (the answer). Returns the text and the echoed letters.
    """
    spans: list[tuple[int, int, str]] = []
    for k, echo, _postfix in _patterns(tuple(options.items())):
        spans.extend((*m.span(), k) for m in echo.finditer(text))
    spans.sort()

    def gap(a: int, b: int) -> bool:
        return re.fullmatch(r"[\s,;]*", text[a:b]) is not None

    kept: list[tuple[int, int, str]] = []
    for i, (start, end, k) in enumerate(spans):
        line_start = text.rfind("\n", 0, start) + 1
        opens_line = re.fullmatch(r"[\s\-*\u2022>#]*", text[line_start:start]) is not None
        follows = bool(kept) and gap(kept[-1][1], start)
        ends_line = re.match(r"[ \t]*(?:\n|$)", text[end:]) is not None
        precedes = i + 1 < len(spans) and gap(end, spans[i + 1][0])
        repeated = any(k == seen for _, _, seen in kept)
        if (opens_line or follows) and (ends_line or precedes) and not repeated:
            kept.append((start, end, k))
    if len(kept) < 2:
        return text, set()
    for start, end, _ in reversed(kept):
        text = text[:start] + " " + text[end:]
    return text, {k for _, _, k in kept}


def _held_open(text: str, chosen: str, keys: Mapping[str, str]) -> bool:
    """True when another option is held open after the last mention of ``chosen``
    ("A, maybe B", "I'd go with A, but B is also possible")."""
    for m in _BARE.finditer(text):
        ch = m.group(1)
        if ch not in keys or ch == chosen:
            continue
        before, after = text[max(0, m.start() - 24) : m.start()], text[m.end() :]
        if not (_ALT_BEFORE.search(before) or _ALT_AFTER.match(after)):
            continue
        if not re.search(rf"(?<![A-Za-z0-9'\-]){chosen}(?![A-Za-z0-9'\-])", after):
            return True
    return False


def parse_choice(reply: str, options: Mapping[str, str]) -> str | None:
    """The option letter a reply chose, or ``None`` when a clinician could not read one.

    Args:
        reply: the reply text (an OpenAI-style ``content``; reasoning kept in
            ``reasoning_content`` must not be passed here).
        options: ``{letter: option text}`` as shown in the prompt, letters ``A``-``Z``.

    Returns:
        A key of ``options``, or ``None`` for a reply that names no option, several options
        without choosing ("A or C", "A, maybe B"), refuses an option ("I cannot recommend A"),
        only repeats the option list, hedges, refuses or ends inside an unclosed reasoning
        block (unless its last line is "Final answer: X"). A self-correction ("A. No wait, B.")
        reads as the corrected letter. Never raises on any text.

    The reading order is given in the module docstring; its agreement with hand-labelled gold
    is measured by ``bench/mc_reader/agreement.py`` and recorded in ``bench/README.md``.
    """
    got = _parse(reply, options)
    if got is None:
        return None
    text = _strip_reasoning(reply.translate(_FOLD))
    return None if _held_open(text, got, options) else got


@dataclass(frozen=True)
class _Decided:
    """A step's final reading: ``letter``, or ``None`` for unreadable."""

    letter: str | None


def _upper_keys(options: Mapping[str, str]) -> dict[str, str]:
    """The options whose key is one upper-case letter; others cannot be named by a reply."""
    return {k: v for k, v in options.items() if isinstance(k, str) and len(k) == 1 and k.isupper()}


def _flat(text: str) -> str:
    return " ".join(re.sub(r"[^a-z0-9]+", " ", text.lower()).split())


def _exact_text(text: str, keys: Mapping[str, str]) -> str | None:
    """The one option whose whole text the reply is, even one that reads as a hedge or names
    letters ("None of the options are correct", "Both A and B"). Compared without dropping
    articles, so "A. Lung cancer" is not the text "Lung cancer". An option whose text is
    another option's letter ("C") is left to the letter readers: "C. /" reads as C, not A."""
    exact = [
        k for k, v in keys.items()
        if _flat(v) and _flat(v).upper() not in keys and _flat(text) == _flat(v)
    ]
    return exact[0] if len(exact) == 1 else None


def _option_lines(text: str, keys: Mapping[str, str]) -> set[str]:
    """Letters that open a line as an option label ("B. ...", "(C)") or are a whole line."""
    opening = {m.group(1) for m in _LINE_LETTER.finditer(text) if m.group(1) in keys}
    opening |= {
        o.group(1).upper() for line in text.splitlines() if (o := _ONLY.match(line.strip()))
    } & set(keys)
    return opening


def _leading(text: str, choices: Choices, echoed: set[str]) -> _Decided | str:
    """Step 5: a letter leading the reply. Returns the decision, or the text still to read
    (the whole reply, or what follows a rejected leading option)."""
    lead = _LEADING.match(text)
    if not lead:
        return text
    ch = lead.group(2)
    rest = text[lead.end() :]
    letter = _letter(ch, choices.keys)
    lower_ok = (
        ch.isupper()
        or re.match(r"[.):\]]", text[lead.start(2) + 1 :].lstrip())
        or (lead.group(1) and not rest.strip())  # "Choice c"
    )
    if echoed and letter not in echoed:
        return _Decided(None)  # the option list goes on (garbled), it does not choose
    if not (letter and lower_ok) or _SEVERAL.match(rest) or _DISCUSSED_AFTER.match(rest):
        return text
    # "A. <text of B>" contradicts itself: nobody can tell which was meant.
    if _conflicts(letter, rest, choices.prepared):
        return _Decided(None)
    # "A. Aspirin alone is not recommended ...": the option is rejected, not chosen.
    if not _NEG_PREDICATE.match(rest.split("\n", 1)[0]):
        return _Decided(letter)
    return rest


def _hedged(text: str, keys: Mapping[str, str]) -> bool:
    """A hedge ("not sure", "either", "cannot determine") outside the options' own text."""
    unhedged = text
    for v in keys.values():
        if v.strip():
            # whole words only: a one-letter option text ("h") must not cut "either" apart
            word = rf"(?<!\w){re.escape(v.strip())}(?!\w)"
            unhedged = re.sub(word, " ", unhedged, flags=re.I)
    return _HEDGE.search(unhedged) is not None


def _after_echo(text: str, choices: Choices) -> str | None:
    """After a repeated option list only an answer line counts: reasoning that mentions an
    option without choosing it is not a choice."""
    rest = _LIST_LABEL.sub(" ", text).strip()
    only = _ONLY.match(rest)
    if only:
        return _letter(only.group(1), choices.keys)
    norm = _norm(rest)
    return next((k for k, v in choices.prepared if v and norm == v), None)


def _named_once(text: str, choices: Choices) -> str | None:
    """Step 6: the one option named by a stand-alone letter or by its text, else None."""
    named = _bare_letters(text, choices.keys)
    if named is None:
        return None
    named |= set(_named_by_text(_norm(text), choices.prepared))
    return named.pop() if len(named) == 1 else None


def _parse(reply: str, options: Mapping[str, str]) -> str | None:
    """The reading before the held-open check of :func:`parse_choice`, step by step."""
    keys = _upper_keys(options)
    if not keys:
        return None
    text = _strip_reasoning(reply.translate(_FOLD)).strip()
    if not text:
        return None
    only = _ONLY.match(text)
    if only:
        return _letter(only.group(1), keys)
    choices = Choices.of(keys)
    exact = _exact_text(text, keys)
    if exact is not None:
        return exact
    text, echoed = _drop_echo(text, keys)
    text = text.strip()
    if not re.search(r"\w", text) or _CUT_BEFORE_ANSWER.search(text):
        return None  # nothing left, or "... So, answer:" cut off before its own answer
    stated = _stated(text, choices)
    if stated:
        return None if stated == "*" else stated
    if len(_option_lines(text, keys)) > 1:
        return None  # several option lines and no stated answer: a list, not a choice
    lead = _leading(text, choices, echoed)
    if isinstance(lead, _Decided):
        return lead.letter
    if _hedged(lead, keys):
        return None
    return _after_echo(lead, choices) if echoed else _named_once(lead, choices)
