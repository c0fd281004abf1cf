"""What a free-text reply answers: its reasoning dropped, and whether anyone could read it.

Shared by every reader of replies: the multiple-choice reader (``_mc_parse``), the free-text
judges (``_base.free_text``: hallucination, rubric, note fidelity) and the PHI-leak judge
(``readable`` only: it judges the whole reply, see ``phi_leak``).
"""

from __future__ import annotations

from medtrust.judges._mc_lexicon import _CLOSE, _FINAL_LINE, _OPEN


def strip_reasoning(text: str) -> str:
    """``text`` without its reasoning: what a reader is meant to take as the answer.

    Text inside ``<think>``/``<thinking>``/``<reasoning>`` blocks is dropped (everything up to
    the last closing tag: models put reasoning first). A block that is never closed (the reply
    was cut off while reasoning) leaves only the text before it, plus its last line when that
    line is an explicit "Final answer: X". Never raises; text without tags is returned as is.
    """
    closes = list(_CLOSE.finditer(text))
    if closes:
        text = text[closes[-1].end() :]
    m = _OPEN.search(text)
    if not m:
        return text
    # A cut-off block still states its answer when its last line is "Final answer: X".
    last = text[m.end() :].strip().rsplit("\n", 1)[-1]
    final = _FINAL_LINE.match(last)
    return text[: m.start()] + ("\n" + final.group(0) if final else "")


def readable(text: str) -> bool:
    """Whether a reply holds anything a reader could read: at least one letter or digit in any
    script (``str.isalnum``). Blank text, punctuation, zero-width or replacement characters
    (U+200B, U+FFFD) or control bytes say nothing, so they can be neither an answer, a refusal
    nor a leak: an error."""
    return any(ch.isalnum() for ch in text)
