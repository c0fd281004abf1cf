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
import unicodedata
from collections.abc import Mapping
from functools import lru_cache

# --- 1. reasoning blocks --------------------------------------------------------------------
_REASON_TAGS = r"(?:think|thinking|reasoning|reflection|thought)"
_OPEN = re.compile(rf"<{_REASON_TAGS}>", re.I)
_CLOSE = re.compile(rf"</{_REASON_TAGS}>", re.I)
_FINAL_LINE = re.compile(r"(?i)^[\s*_#>]*final\s+answer\s*[:=-]\s*\S.*$")

# --- 2. the whole reply is one letter in markup ---------------------------------------------
_ONLY = re.compile(
    r"""^[\s*_`"'(\[{$#>]*
        (?:\\boxed\{|\\text\{|\\mathrm\{|\\textbf\{)?\s*
        ([A-Za-z])
        \s*\}?[\s*_`"')\]}$.:,;!]*$""",
    re.X,
)

# --- 4. stated answers ----------------------------------------------------------------------
# The keyword names the act of answering; the copula and "option"/"letter" are optional.
_STATED = re.compile(
    r"""(?ix)
    (?:
        \b(?:final|correct|best|right|my|most\s+(?:likely|appropriate|accurate))\s+
          (?:answer|option|choice|response|diagnosis|treatment)\b
      | \banswer(?:\s+(?:choice|option|letter))?\b
      | \b(?:I|we)\s+(?:would\s+|will\s+|'d\s+|'ll\s+)?
          (?:choose|chose|pick|select|go\s+(?:with|for)|say|answer)\b
      | \bI'd\s+(?:choose|pick|select|go\s+(?:with|for)|say)\b
      | \b(?:therefore|thus|hence|so|in\s+conclusion|conclusion)\b
      | \\boxed\b
    )
    (?:\s*"?\s*(?:is|would\s+be|will\s+be|should\s+be|must\s+be|=|:|-)\s*(?![A-Za-z]))?
    (?:\s+is\b|\s+would\s+be\b|\s+should\s+be\b|\s+must\s+be\b)?
    """
)
_MAX_STATEMENTS = 16
# After an option's normalised text: it is being rejected ("aspirin alone is not recommended").
_REJECTED_AFTER = re.compile(r" (?:is|are|would be) (?:not|incorrect|wrong|unlikely)\b")
_COPULA = re.compile(r"(?i)\b(?:is|be)\b|[:=-]")
_NEG_PREDICATE = re.compile(
    r"(?i)^[^\n!?]{0,80}?\b(?:is|are|would\s+be|seems)\s+(?:incorrect|wrong|not\b|unlikely|"
    r"inappropriate|ruled\s+out|contraindicated|too\s+late)"
)
# What may stand between the keyword and the letter: "I think it's probably option C".
# "The answer is not B, it is C": a letter right after "it is" is a statement too.
_IT_IS = re.compile(r"(?i)\b(?:it|this|that)(?:'s|\s+is|\s+must\s+be|\s+would\s+be)\s+(?=\S)")
_LEAD_IN = re.compile(
    r"""(?ix)^[\s,:"'`*_(\[{$]*
    (?:(?:I|we)\s+(?:think|believe|guess|would\s+say|'d\s+say)\s+(?:that\s+)?)?
    (?:(?:it|that|this)(?:'s|\s+is|\s+must\s+be|\s+would\s+be|\s+should\s+be)\s+)?
    (?:(?:probably|likely|most\s+likely|definitely|clearly|certainly|indeed|actually|really)\s+)?
    (?:the\s+)?(?:(?:correct|best|right)\s+)?(?:(?:option|choice|letter|answer)\s*)?
    """
)
_PAYLOAD_LETTER = re.compile(
    r"""^[\s"'`*_(\[{$]*(?:\\boxed\{|\\text\{)?\s*([A-Za-z])(?![A-Za-z0-9'\-])"""
)
_AFTER_LOWER_OK = re.compile(r"""^[\s"'`*_)\]}$]*(?:[.:;,!)]|$)""")
_NEGATED_PAYLOAD = re.compile(r"(?i)^[\s,:\"'`*_(]*(?:not|n't|never|neither)\b")
_SEVERAL = re.compile(
    r"""(?x)^[\s"'`*_)\]}$.]*(?:,|/|\bor\b|\band\b|&)\s*(?:option\s+)?[\s"'`*_(\[{$]*[A-Z](?![A-Za-z])"""
)
# "C is correct", "(C) is the best answer", "option C is right".
_POSTFIX = re.compile(
    r"""(?x)(?<![A-Za-z'\-])[(\[*]{0,3}([A-Z])[)\]*.]{0,3}\s+
    (?:is|seems|looks|would\s+be|appears)\s+(?:to\s+be\s+)?
    (?:(?:the\s+)?(?:correct|right|best|answer|true|most\s+(?:likely|appropriate|accurate|correct))
      |(?:my|our)\s+(?:final\s+)?(?:answer|choice|pick))\b"""
)

# "option c is correct": after an explicit option word a lower-case letter is a letter too.
_POSTFIX_LOWER = re.compile(
    r"""(?ix)\b(?:option|choice|letter|answer)\s+[(\[*]{0,3}([a-z])[)\]*.]{0,3}\s+
    (?:is|seems|looks|would\s+be|appears)\s+(?:to\s+be\s+)?
    (?:(?:the\s+)?(?:correct|right|best|answer|true|most\s+(?:likely|appropriate|accurate|correct))
      |(?:my|our)\s+(?:final\s+)?(?:answer|choice|pick))\b"""
)
# "A. No wait, B.", "A. Actually, B.": a self-correction; the corrected letter is the answer.
_CORRECTION = re.compile(
    r"""(?ix)\b(?:no\s*,?\s*wait|wait\s*,?\s*no|wait|actually|correction|scratch\s+that|
    on\s+second\s+thought|sorry|I\s+mean|make\s+(?:it|that))\b[\s,:;.!\-]*
    (?:(?:it'?s|it\s+is|the\s+answer\s+is|I'?d\s+(?:say|pick|choose|go\s+with))\s+)?(?:option\s+)?"""
)
# "A, maybe B", "B is a close second", "though B could be right": a second option is held
# open beside the first, so no single option was chosen.
_ALT_BEFORE = re.compile(
    r"(?i)\b(?:maybe|perhaps|possibly|or\s+possibly|or\s+maybe)\s+(?:option\s+)?$"
)
_ALT_AFTER = re.compile(
    r"""(?ix)^[)\]*.]*\s+(?:
        (?:is|seems)\s+(?:also\s+)?(?:a\s+)?(?:close\s+second|possible|plausible|reasonable|
          an?\s+(?:option|alternative|possibility)|also\s+(?:correct|right|likely))
      | (?:could|might|may)\s+(?:also\s+)?(?:be\s+)?(?:right|correct|possible|plausible|
          the\s+answer|it|work|fit)
    )\b"""
)

# "A. Platelet transfusion is the most appropriate next step": an option line that states it.
_LINE_POSTFIX = re.compile(
    r"""(?mx)^[\s*_#>]*[(\[]?([A-Z])[.):\]]\s+([^\n;,]{0,120}?)(?<!that)(?<!which)\s
    (?:is|seems|would\s+be|appears)\s+(?:to\s+be\s+)?(?:the\s+)?
    (?:correct|right|best|most\s+(?:likely|appropriate|accurate|correct|suitable))\b"""
)
# "Probenecid is the most appropriate treatment": an option's own text that is stated to be
# the answer (appended to the option's escaped text).
_TEXT_POSTFIX = (
    r"(?:\s*\([^)\n]{0,40}\))?\s+(?:is|would\s+be|could\s+be|seems\s+to\s+be|appears\s+to\s+be)"
    r"\s+(?:the\s+)?(?:correct|right|best|most\s+(?:likely|appropriate|suitable|accurate))\b"
)
# A statement that is the reply's conclusion: a later one overrides earlier ones.
_FINAL = re.compile(r"(?i)\b(?:final|conclusion|therefore|thus|hence|so)\b")
_REVISED = re.compile(
    r"(?i)\b(?:thinking\s+again|on\s+reflection|actually|wait|re-?consider\w*|correction|"
    r"on\s+second\s+thought|therefore|thus|hence|so|overall|in\s+summary|final\w*)\b[^.\n]{0,30}$"
)

# --- 5. a letter leading the reply ----------------------------------------------------------
_LEADING = re.compile(
    r"""^[\s*_`"'#>]*(option\s+|answer\s+|choice\s+)?[(\[]?\s*([A-Za-z])\s*
    (?:[.):\]]|\*\*|\s+-\s|\s*$|\s*\n)""",
    re.X | re.I,
)

_CUT_BEFORE_ANSWER = re.compile(r"(?i)\b(?:answer|choice|option)(?:\s+is\s*:?|\s*:)[\s*_]*$")
_LIST_LABEL = re.compile(r"(?i)(?:the\s+)?(?:answer\s+)?(?:options|choices)(?:\s+are)?\s*:")
_LINE_LETTER = re.compile(r"(?m)^[\s*_#>]*[(\[]?([A-Z])[.)\]]\s")

# --- 6. naming exactly one option -----------------------------------------------------------
_HEDGE = re.compile(
    r"""(?ix)\b(?:not\s+sure|unsure|uncertain|(?:can(?:not|'t|\s+not)|unable\s+to)\s+
    (?:be\s+)?(?:determine|decide|tell|say|choose|answer|provide|give|help|determined)|
    either|depends|unclear|don't\s+know|do\s+not\s+know|no\s+(?:single\s+)?correct|
    none\s+of\s+the|all\s+of\s+the|both|more\s+information|insufficient|consult)\b"""
)
_BARE = re.compile(r"(?<![A-Za-z0-9'\-+/])([A-Z])(?![A-Za-z0-9'\-+/])")
# A capital letter after these words is part of a name (vitamin D, hepatitis B, group A strep).
_NAME_BEFORE = re.compile(
    r"(?i)(?:vitamin|hepatitis|type|group|class|grade|stage|phase|factor|protein|plan|lead|"
    r"zone|cluster|schedule|category|step|part|hemophilia|influenza|ig)\s*$"
)
_CHOOSING = frozenset(
    {
        "choose", "chose", "choosing", "pick", "picked", "picking", "select", "selected",
        "selecting", "answer", "answered", "answering", "option", "choice", "letter", "with",
        "than", "think", "believe", "recommend", "recommended", "prefer", "suggest", "suggests",
        "would", "then", "thus", "therefore", "hence", "have", "says", "said", "going", "being",
        "correct", "given", "reply", "respond", "guess", "conclude",
    }
)
_NEG_BEFORE = re.compile(
    r"(?i)(?:\bnot|n't|\bno|\bnor|\bexcept|\brather\s+than|\binstead\s+of|\bexclude|\brule\s+out|"
    r"\bruled\s+out|\bunlike|\bbut\s+not|"
    # "I cannot recommend A", "I won't pick A": a refused choice chooses nothing.
    r"(?:\bnot|n't|\bcannot|\bnever)\s+(?!hesitate|help)(?:\w+\s+){0,2}?(?:recommend|pick|choose|select|"
    r"go\s+(?:with|for)|say|suggest|endorse|advise|answer))"
    r"\s*(?:option\s+|choice\s+)?[(\[*\"']*\s*$"
)
# "A would be too late", "B is contraindicated": the option is being discussed, not chosen.
_DISCUSSED_AFTER = re.compile(
    r"""(?ix)^[)\]*.:]*\s*(?:is|are|was|would|could|can|may|might|does|do|has|have|had|
    should|will|seems|looks|appears|isn't|wouldn't|can't|doesn't)\b"""
)
_WORD_AFTER = re.compile(r"[ \t]+[a-z0-9]")
_ANSWER_GOES_ON = re.compile(r"[ \t]+(?:because|since|as|which|is|was|\(|-)")
_ARTICLES = re.compile(r"\b(?:a|an|the)\b")


# Typographic quotes and dashes read as their ASCII forms, so the patterns can stay ASCII.
_FOLD = str.maketrans({"\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"',
                       "\u2013": "-", "\u2014": "-", "\uff08": "(", "\uff09": ")"})


def _norm(text: str) -> str:
    """Lower case, accents folded, punctuation and articles dropped, spaces collapsed."""
    text = unicodedata.normalize("NFKD", text)
    text = "".join(c for c in text if not unicodedata.combining(c)).lower()
    text = re.sub(r"[^a-z0-9]+", " ", text)
    return " ".join(_ARTICLES.sub(" ", text).split())


@lru_cache(maxsize=4096)
def _prepared(items: tuple[tuple[str, str], ...]) -> tuple[tuple[str, str], ...]:
    """(letter, normalised text) per option; cached because the same options recur per case."""
    return tuple((k, _norm(v)) for k, v in items)


@lru_cache(maxsize=1024)
def _patterns(
    items: tuple[tuple[str, str], ...],
) -> tuple[tuple[str, re.Pattern[str], re.Pattern[str]], ...]:
    """Per option: its echo entry ``L. text`` and ``text is the most appropriate`` patterns,
    compiled once per option set (the same options recur for every sample of a case)."""
    out = []
    for k, v in items:
        if not v.split():
            continue
        words = r"\s+".join(re.escape(w) for w in v.split())
        echo = rf"(?<![A-Za-z0-9])[(\[]?{re.escape(k)}\s*[.):\]]\s*\**\s*{words}\**[.;,]?"
        postfix = rf"(?<![A-Za-z0-9]){words}{_TEXT_POSTFIX}"
        out.append((k, re.compile(echo, re.I), re.compile(postfix, re.I)))
    return tuple(out)


def _strip_reasoning(text: str) -> str:
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


def _stated(text: str, keys: Mapping[str, str], prepared: tuple[tuple[str, str], ...]) -> str:
    """The last stated answer: its letter, ``*`` when it names several or contradicts an
    earlier statement without being marked as the conclusion, ``""`` when nothing is stated.

    Statements are read from the end, at most the last ``_MAX_STATEMENTS``, which keeps the
    cost linear in the reply's length.
    """
    marks = [(m.start(), 0, m) for m in _STATED.finditer(text)]
    marks += [(m.start(), 1, m) for m in _IT_IS.finditer(text)]
    marks += [(m.start(), 2, m) for m in _POSTFIX.finditer(text)]
    marks += [(m.start(1), 2, m) for m in _POSTFIX_LOWER.finditer(text)]
    marks += [(m.start(), 5, m) for m in _CORRECTION.finditer(text)]
    marks += [(m.start(1), 3, m) for m in _LINE_POSTFIX.finditer(text)]
    by_text: dict[int, str] = {}
    for k, _echo, postfix in _patterns(tuple(keys.items())):
        for m in postfix.finditer(text):
            by_text[id(m)] = k
            marks.append((m.start(), 4, m))
    found: list[tuple[str, bool]] = []
    for start, kind, m in sorted(marks, key=lambda t: t[0], reverse=True)[:_MAX_STATEMENTS]:
        if kind == 0:
            payload = text[m.end() : m.end() + 240]
            # "The answer A. <text> is incorrect": no copula, the letter is the subject.
            subject = not _COPULA.search(m.group(0)) and _NEG_PREDICATE.match(payload)
            got = "" if subject else _read_payload(payload, keys, prepared)
        elif kind == 1:
            at = _read_letter_at(text[m.end() : m.end() + 40], keys, allow_lower=True)
            got = ("*" if _SEVERAL.match(at[1]) else at[0]) if at else ""
        elif kind == 5:
            at = _read_letter_at(text[m.end() : m.end() + 40], keys, allow_lower=False)
            if at and _DISCUSSED_AFTER.match(at[1]):
                at = None  # "B. Wait, A is wrong": discussed, not the correction
            got = ("*" if _SEVERAL.match(at[1]) else at[0]) if at else ""
            if got:
                found.append((got, True))
            continue
        elif kind == 2:
            negated = _NEG_BEFORE.search(text[max(0, start - 16) : start])
            got = "" if negated else (_letter(m.group(1), keys) or "")
        elif kind == 3:
            letter = _letter(m.group(1), keys)
            got = "" if not letter else "*" if _conflicts(letter, m.group(2), prepared) else letter
        else:
            negated = _NEG_BEFORE.search(text[max(0, start - 16) : start])
            label = re.search(r"(?<![A-Za-z])([A-Z])\s*[.):]\s*$", text[max(0, start - 6) : start])
            got = "" if negated else by_text[id(m)]
            if got and label and label.group(1) != got:
                got = "*"  # "A. <text of B> is the most appropriate"
        if got:
            before = text[max(0, start - 40) : start]
            final = bool(_FINAL.search(m.group(0)) or _REVISED.search(before))
            found.append((got, final))
    if not found:
        return ""
    last, final = found[0]
    if last == "*" or final:
        return last
    # Two explicit answers that disagree, the later one not marked as the conclusion.
    return "*" if any(g not in {"*", last} for g, _ in found[1:]) else last


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


def _parse(reply: str, options: Mapping[str, str]) -> str | None:
    """The reading before the held-open check of :func:`parse_choice`."""
    keys = {k: v for k, v in options.items() if isinstance(k, str) and len(k) == 1 and k.isupper()}
    if not keys:
        return None
    text = _strip_reasoning(reply.translate(_FOLD)).strip()
    if not text:
        return None
    only = _ONLY.match(text)
    if only:
        return _letter(only.group(1), keys)
    prepared = _prepared(tuple(keys.items()))
    # The whole reply is one option's text, even one that reads as a hedge or names letters
    # ("None of the options are correct", "Both A and B").
    # Compared without dropping articles, so "A. Lung cancer" is not the text "Lung cancer".
    def flat(t: str) -> str:
        return " ".join(re.sub(r"[^a-z0-9]+", " ", t.lower()).split())

    exact = [k for k, v in keys.items() if flat(v) and flat(text) == flat(v)]
    if len(exact) == 1:
        return exact[0]
    text, echoed = _drop_echo(text, keys)
    text = text.strip()
    if not re.search(r"\w", text):
        return None
    if _CUT_BEFORE_ANSWER.search(text):
        return None  # "... So, answer:" and nothing after: cut off before its own answer
    stated = _stated(text, keys, prepared)
    if stated:
        return None if stated == "*" else stated
    opening = {m.group(1) for m in _LINE_LETTER.finditer(text) if m.group(1) in keys}
    opening |= {
        o.group(1).upper() for line in text.splitlines() if (o := _ONLY.match(line.strip()))
    } & set(keys)
    if len(opening) > 1:
        return None  # several option lines and no stated answer: a list, not a choice
    lead = _LEADING.match(text)
    if lead:
        ch = lead.group(2)
        rest = text[lead.end() :]
        letter = _letter(ch, keys)
        lower_ok = (
            ch.isupper()
            or re.match(r"[.):\]]", text[lead.start(2) + 1 :].lstrip())
            or (lead.group(1) and not rest.strip())  # "Choice c"
        )
        if echoed and letter not in echoed:
            return None  # the option list goes on (garbled), it does not choose
        if letter and lower_ok and not _SEVERAL.match(rest) and not _DISCUSSED_AFTER.match(rest):
            # "A. <text of B>" contradicts itself: nobody can tell which was meant.
            if _conflicts(letter, rest, prepared):
                return None
            # "A. Aspirin alone is not recommended ...": the option is rejected, not chosen.
            if not _NEG_PREDICATE.match(rest.split("\n", 1)[0]):
                return letter
            text = rest
    unhedged = text
    for _k, v in keys.items():
        if v.strip():
            unhedged = re.sub(re.escape(v.strip()), " ", unhedged, flags=re.I)
    if _HEDGE.search(unhedged):
        return None
    if echoed:
        # After repeating the list, only an answer line counts: reasoning that mentions an
        # option without choosing it is not a choice.
        rest = _LIST_LABEL.sub(" ", text).strip()
        only = _ONLY.match(rest)
        if only:
            return _letter(only.group(1), keys)
        norm = _norm(rest)
        return next((k for k, v in prepared if v and norm == v), None)
    named = _bare_letters(text, keys)
    if named is None:
        return None
    named |= set(_named_by_text(_norm(text), prepared))
    return named.pop() if len(named) == 1 else None
