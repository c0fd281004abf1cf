"""Whether a phrase found in a reply is negated: NegEx-style scope within its clause.

After NegEx (Chapman et al. 2001, J Biomed Inform 34:301; trigger, pseudo-trigger, termination
and post-negation lists): a phrase is negated when a negation trigger ("not", "never", "no",
"n't", "without", "avoid", "rather than"...) stands before it in the same clause, within
:data:`MAX_WORDS` words, or when the clause goes on to deny it ("an antacid won't help").

- Scope ends at a clause boundary: sentence punctuation, a semicolon or dash, a
  termination word ("but", "however", "instead", "while", "until"...), a conjunction followed by
  a new subject or imperative ("... and call 911"), and a comma after an "if/when" clause or
  before a new subject or imperative ("If it does not settle, call 911"; a colon likewise). A
  comma or colon before a list ("do not give him any of these: aspirin, ibuprofen or an
  antacid") keeps the scope open.
- Pseudo-negations assert what follows: "don't hesitate to", "do not delay", "without delay",
  "never wait to", "don't forget to", "whether or not", "no doubt", and "not only/just X but"
  ("not only X but also Y" asserts X; "do not just give him an antacid" without a "but" denies
  it).
"""

from __future__ import annotations

import re

MAX_WORDS = 8
"""Most words between a trigger and the phrase it negates (NegEx used 5; the clause bounds the
scope here, so the window can be wider without reaching into the next instruction)."""
WINDOW = 300
"""Most characters read on either side of a phrase: a clause is shorter, and a bound keeps a
reply that repeats a negated phrase many times linear in its length."""

_SENTENCE = re.compile(r"[.!?;](?=\s|$)|\n|\s[-\u2013\u2014]+\s|\u2014|[()\u2022*]")
_TERMINATION = re.compile(
    r"\b(?:but|however|instead|rather(?! than)|although|though|yet|except|apart from"
    r"|aside from|whereas|while|until|unless|otherwise|meanwhile|then|so that|because)\b",
    re.IGNORECASE,
)
_SUBJECT_OR_ORDER = (
    r"(?:i|you|he|she|we|they|it|this|that|there|please|call|ring|phone|dial|get|go|take|seek"
    r"|see|book|contact|ask|tell|keep|stay|make|give|have|let|bring|head|drive|stop|start|use"
    r"|try|check|watch|monitor|note|write|follow|continue|speak|talk|come|sit|lie|chew|should"
    r"|must|need|can|could|will|would|may|might|do|don't|just|also|always|then)\b"
)
_CONJ_NEW_CLAUSE = re.compile(rf"\b(?:and|or|so)\s+{_SUBJECT_OR_ORDER}", re.IGNORECASE)
_COMMA_NEW_CLAUSE = re.compile(rf"[,:]\s*(?:(?:and|or|so)\s+)?{_SUBJECT_OR_ORDER}", re.IGNORECASE)
_SUBORDINATE = re.compile(
    r"^\W*(?:if|when|whenever|unless|once|as soon as|since|because|after|before|whether|even if"
    r"|rather than|instead of)\b",
    re.IGNORECASE,
)
_PSEUDO = re.compile(
    r"\b(?:do\s+not|don't|dont|never|not|no\s+need\s+to)\s+(?:hesitate|delay|wait|put\s+off"
    r"|hold\s+off|forget|fail|be\s+(?:afraid|shy|embarrassed|reluctant))\b(?:\s+(?:to|in|about"
    r"|before))?"
    r"|\bwithout\s+(?:delay|hesitation|hesitating|waiting|fail)\b|\bwhether\s+or\s+not\b"
    r"|\bno\s+(?:doubt|question|later\s+than|sooner|matter)\b|\bnot\s+a\s+moment\b"
    r"|\b(?:cannot|can't|can\s+not)\s+(?:stress|emphasi[sz]e|overstate)\b"
    r"|\bnever\s+too\s+(?:early|soon|late)\b|\bif\s+not\s+(?:sooner|earlier|before)\b",
    re.IGNORECASE,
)
_TRIGGER = re.compile(
    r"\b(?:not|never|without|nothing|cannot|neither|nor|avoid(?:ing)?|refrain\s+from"
    r"|rather\s+than|instead\s+of"
    r"|(?:advise[sd]?|recommends?|recommended|warns?|warned)\s+against)\b"
    r"|n't\b|\bno(?=\s)",
    re.IGNORECASE,
)
_ONLY = re.compile(r"\bnot\s+(?:only|just|merely|simply)\b", re.IGNORECASE)
_BUT = re.compile(r"\bbut\b", re.IGNORECASE)
_POST = re.compile(
    # up to 30 characters of the same clause ("an antacid on its own won't help")
    r"^(?:(?!\b(?:and|or|but|if|when)\b)[\w\s'-]){0,30}?"
    r"\b(?:(?:is|are|was|would\s+be|will\s+be)\s+(?:not|never)\b"
    r"|(?:isn't|aren't|won't|wouldn't|doesn't|don't|will\s+not|would\s+not|does\s+not"
    r"|do\s+not)\s+(?:help|work|be\s+(?:enough|safe|needed|necessary|appropriate|advised"
    r"|recommended|an\s+option|the\s+answer))\b"
    r"|(?:is|are|would\s+be)\s+(?:dangerous|unsafe|risky|a\s+(?:bad\s+idea|mistake)"
    r"|inappropriate|unnecessary)\b|should\s+be\s+avoided\b)",
    re.IGNORECASE,
)


def _clause_start(text: str, start: int) -> int:
    """Where the clause holding ``text[start]`` begins (sentence or termination word), looking
    back at most :data:`WINDOW` characters."""
    cut = max(0, start - WINDOW)
    for m in _SENTENCE.finditer(text, cut, start):
        cut = m.end()
    for m in _TERMINATION.finditer(text, cut, start):
        cut = m.end()
    return cut


def _sentence_end(text: str, end: int) -> int:
    stop = min(len(text), end + WINDOW)
    m = _SENTENCE.search(text, end, stop)
    return m.start() if m else stop


def _clause_end(text: str, end: int) -> int:
    stop = _sentence_end(text, end)
    t = _TERMINATION.search(text, end, stop)
    return t.start() if t else stop


def _blank(m: re.Match[str]) -> str:
    return " " * len(m.group(0))


def negation_before(text: str, start: int, end: int) -> str | None:
    """The trigger that negates ``text[start:end]``, or None when the phrase is asserted.

    ``start``/``end`` are character offsets of the phrase; the words before it in its clause
    and after it up to the clause's end are read. Never raises.
    """
    lo = _clause_start(text, start)
    # pseudo-negations are blanked (same length, so offsets hold) before triggers are sought
    before = _PSEUDO.sub(_blank, text[lo:start])
    after = text[end : _sentence_end(text, end)]
    trigger = None
    for m in _TRIGGER.finditer(before):
        trigger = m
    if trigger is not None:
        only = _ONLY.match(before, trigger.start())
        gap = before[(only or trigger).end() :]
        # the phrase itself may open the new clause ("don't give X, call 999")
        reach = gap + text[start:end].split(" ", 1)[0]
        open_scope = (
            len(re.findall(r"[\w']+", gap)) <= MAX_WORDS
            and not _CONJ_NEW_CLAUSE.search(reach)
            and not _COMMA_NEW_CLAUSE.search(reach)
            and not (re.search("[,:]", gap) and _SUBORDINATE.match(before[: trigger.end()]))
        )
        if open_scope and not (only and _BUT.search(after)):
            return trigger.group(0)
    post = _POST.match(text[end : _clause_end(text, end)])
    return post.group(0).strip() if post else None


def unnegated_match(pattern: re.Pattern[str], text: str) -> str | None:
    """The first match of ``pattern`` in ``text`` that no negation cancels
    (:func:`negation_before`), or None.

    Every match is tried, so one negated phrase neither hides a later genuine one nor counts.
    """
    for m in pattern.finditer(text):
        if negation_before(text, m.start(), m.end()) is None:
            return m.group(0)
    return None
