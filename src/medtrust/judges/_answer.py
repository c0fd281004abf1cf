"""What a free-text reply answers: its reasoning dropped, and whether anyone could read it.

Shared by every reader of replies: the multiple-choice reader (``_mc_parse``), the free-text
judges (``_base.free_text``: hallucination, rubric, note fidelity) and the PHI-leak judge
(``readable`` only: it judges the whole reply, see ``phi_leak``).
"""

from __future__ import annotations

import re

# --- reasoning blocks ------------------------------------------------------------------------
_REASON_TAGS = r"(?:think|thinking|reasoning|reflection|thought)"
# Whitespace inside a tag ("</think >", "< think>") is still the tag; Magistral writes its
# reasoning as "[THINK]...[/THINK]" (Mistral's reasoning format).
_OPEN = re.compile(rf"<\s*{_REASON_TAGS}\s*>|\[\s*think\s*\]", re.I)
_CLOSE = re.compile(rf"<\s*/\s*{_REASON_TAGS}\s*>|\[\s*/\s*think\s*\]", re.I)
_FINAL_LINE = re.compile(r"(?i)^[\s*_#>]*final\s+answer\s*[:=-]\s*\S.*$")


# gpt-oss's harmony format (OpenAI, "OpenAI Harmony Response Format", 2025): a message is
# "<|channel|>NAME<|message|>TEXT" ended by <|end|>, <|return|> or <|call|>; the channel
# "analysis" is reasoning, "commentary" tool talk, "final" the answer.
_HARMONY_CHANNEL = re.compile(r"<\|channel\|>", re.I)
_HARMONY_FINAL = re.compile(r"<\|channel\|>\s*final\s*(?:<\|constrain\|>[^<]*)?<\|message\|>", re.I)
_HARMONY_STOP = re.compile(r"<\|(?:end|return|call|start)\|>", re.I)
# The same reply decoded with its special tokens skipped: "analysisWe need...assistantfinalX".
_HARMONY_BARE = re.compile(r"\A\s*analysis.*assistantfinal", re.I | re.S)


def _cut_off(text: str, start: int, end: int) -> str:
    """The answer of a reply cut off in a reasoning block opened at ``text[start:end]``: the
    text before it, plus the block's last line when it is an explicit "Final answer: X"."""
    last = text[end:].strip().rsplit("\n", 1)[-1]
    final = _FINAL_LINE.match(last)
    return text[:start] + ("\n" + final.group(0) if final else "")


def _harmony(text: str) -> str:
    """The final channel of a harmony reply (the last one); ``text`` itself when it is not one."""
    finals = list(_HARMONY_FINAL.finditer(text))
    if finals:
        return _HARMONY_STOP.split(text[finals[-1].end() :], maxsplit=1)[0]
    if (m := _HARMONY_CHANNEL.search(text)) is not None:
        # channels but no final one: cut off while analysing; "<|start|>assistant" is no answer
        return _cut_off(text, 0, m.end())
    if (bare := _HARMONY_BARE.match(text)) is not None:
        return text[bare.end() :]
    return text


def strip_reasoning(text: str) -> str:
    """``text`` without its reasoning: what a reader is meant to take as the answer.

    Reasoning formats read: ``<think>``/``<thinking>``/``<reasoning>``/``<reflection>``/
    ``<thought>`` tags (whitespace inside a tag allowed: ``</think >``), Magistral's
    ``[THINK]...[/THINK]``, and gpt-oss's harmony channels (only the last ``final`` channel
    is the answer, up to its ``<|end|>``/``<|return|>``; also when the special tokens were
    decoded away: ``analysis...assistantfinalANSWER``). Text inside tag blocks is dropped
    (everything up to the last closing tag: models put reasoning first). A block that is never
    closed, or a harmony reply with no final channel (the reply was cut off while reasoning),
    leaves only the text before it, plus its last line when that line is an explicit
    "Final answer: X". Never raises; text without reasoning markup is returned as is.
    """
    text = _harmony(text)
    closes = list(_CLOSE.finditer(text))
    if closes:
        text = text[closes[-1].end() :]
    m = _OPEN.search(text)
    # A cut-off block still states its answer when its last line is "Final answer: X".
    return text if not m else _cut_off(text, m.start(), m.end())


def readable(text: str) -> bool:
    """Whether a reply holds anything a reader could read: at least one letter or digit in any
    script (``str.isalnum``). Blank text, punctuation, zero-width or replacement characters
    (U+200B, U+FFFD) or control bytes say nothing, so they can be neither an answer, a refusal
    nor a leak: an error."""
    return any(ch.isalnum() for ch in text)
