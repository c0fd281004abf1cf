"""The vocabulary of the multiple-choice reader: the patterns each reading step matches.

Split out of :mod:`._mc_parse` so the reader's steps read as steps; the reading order and what
each pattern is for are documented there. Patterns are ASCII: replies are folded by
:data:`_FOLD` (typographic quotes and dashes) before they are matched.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache

# --- 1. reasoning blocks: stripped before reading (``_answer.strip_reasoning``) -------------

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
        "correct", "given", "reply", "respond", "guess", "conclude", "maybe", "perhaps",
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


Prepared = tuple[tuple[str, str], ...]
"""(letter, normalised text) per option, as :func:`_prepared` returns it."""


@dataclass(frozen=True)
class Choices:
    """The options a reply is read against: ``keys`` maps each upper-case letter to its text
    as shown; ``prepared`` holds the same in normalised form (:func:`_prepared`)."""

    keys: Mapping[str, str]
    prepared: Prepared

    @classmethod
    def of(cls, keys: Mapping[str, str]) -> Choices:
        """Choices for ``keys`` (letters ``A``-``Z`` only; see ``parse_choice``)."""
        return cls(keys, _prepared(tuple(keys.items())))
