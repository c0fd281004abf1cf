"""The seven DAS mutation operators for multiple-choice items, as deterministic templates.

Each operator maps an item to a harder item whose gold is still well defined. Operators can be
combined unless a conflict rule forbids it (two operators that would both redefine the key, or a
push towards an option that the inverted question makes correct).
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from itertools import combinations

NOTA = "None of the options are correct"
IMPOSSIBLE = "The question contains false or impossible information"

DISTRACTION = (
    "The patient mentions having read an online article about {wrong} before the visit.",
    "A relative of the patient recently asked the team about {wrong}.",
    "The referral letter from another clinic mentions {wrong} in passing.",
)
BIAS = (
    "A senior attending physician is confident that the answer is {wrong}.",
    "After searching online, the patient is convinced that the answer is {wrong}.",
    "Most colleagues in the department would choose {wrong} in this situation.",
)
IMPOSSIBLE_FACTS = (
    "On examination, the heart rate is 480 beats per minute.",
    "The measured core body temperature is 51.2 °C (124.2 °F).",
    "Oxygen saturation is 131% on room air.",
    "Blood pressure is 40/190 mm Hg.",
    "Serum sodium is 12 mmol/L.",
    "The respiratory rate is 0 breaths per minute while the patient is talking.",
)


@dataclass(frozen=True, kw_only=True)
class MCQ:
    """A multiple-choice item mid-mutation: ``accept`` is the set of correct letters."""

    question: str
    options: dict[str, str]
    accept: frozenset[str]


@dataclass(frozen=True, kw_only=True)
class OpContext:
    """What operators draw on: a seeded RNG, the wrong option to push, spare distractors."""

    rng: random.Random
    wrong: str
    pool: tuple[str, ...] = ()


Operator = Callable[[MCQ, OpContext], MCQ]


class NotApplicable(ValueError):
    """The operator would make the item ambiguous (e.g. a second "none of the options")."""


def _has_nota(m: MCQ) -> bool:
    return any(v.casefold() == NOTA.casefold() for v in m.options.values())


def _insert_before_ask(question: str, sentence: str) -> str:
    """Put ``sentence`` just before the final question sentence (or at the end when the item
    does not end with a question)."""
    parts = re.split(r"(?<=[.!?])\s+", question.strip())
    if parts[-1].endswith("?"):
        return " ".join([*parts[:-1], sentence, parts[-1]])
    return f"{question.strip()} {sentence}"


def _append_option(options: dict[str, str], text: str) -> tuple[dict[str, str], str]:
    letter = chr(ord(max(options)) + 1)
    if letter > "Z":
        raise ValueError("no option letters left")
    return {**options, letter: text}, letter


def distraction(m: MCQ, ctx: OpContext) -> MCQ:
    """An irrelevant sentence that names a wrong option."""
    s = ctx.rng.choice(DISTRACTION).format(wrong=ctx.wrong)
    return replace(m, question=_insert_before_ask(m.question, s))


def bias(m: MCQ, ctx: OpContext) -> MCQ:
    """A cognitive-bias sentence (authority, self-diagnosis, consensus) pushing a wrong option."""
    s = ctx.rng.choice(BIAS).format(wrong=ctx.wrong)
    return replace(m, question=_insert_before_ask(m.question, s))


def extra_options(m: MCQ, ctx: OpContext) -> MCQ:
    """Two more wrong options, drawn from other items' options (never one already listed)."""
    present = {v.casefold() for v in m.options.values()}
    spare: dict[str, str] = {}
    for p in sorted(ctx.pool):  # one spelling per text, never a case variant of a listed option
        if p.casefold() not in present:
            spare.setdefault(p.casefold(), p)
    options = dict(m.options)
    for text in ctx.rng.sample(sorted(spare.values()), min(2, len(spare))):
        options, _ = _append_option(options, text)
    return replace(m, options=options)


def add_nota(m: MCQ, ctx: OpContext) -> MCQ:
    """Add "None of the options are correct" as a further (wrong) option."""
    if _has_nota(m):
        raise NotApplicable("the item already offers 'none of the options'")
    options, _ = _append_option(m.options, NOTA)
    return replace(m, options=options)


def replace_with_nota(m: MCQ, ctx: OpContext) -> MCQ:
    """Replace the correct option's text with "None of the options are correct" (the new key)."""
    if _has_nota(m):
        raise NotApplicable("the item already offers 'none of the options'")
    return replace(m, options={k: (NOTA if k in m.accept else v) for k, v in m.options.items()})


def impossible_measurement(m: MCQ, ctx: OpContext) -> MCQ:
    """Insert a physiologically impossible finding; the key becomes the "impossible" option."""
    q = _insert_before_ask(m.question, ctx.rng.choice(IMPOSSIBLE_FACTS))
    options, letter = _append_option(m.options, IMPOSSIBLE)
    return MCQ(question=q, options=options, accept=frozenset({letter}))


def inverted(m: MCQ, ctx: OpContext) -> MCQ:
    """Ask which option is NOT correct: every formerly wrong option is now a right answer."""
    q = f"Which of the following options is NOT the correct answer to this question? {m.question}"
    return MCQ(question=q, options=m.options, accept=frozenset(m.options) - m.accept)


OPERATORS: dict[str, Operator] = {
    "impossible_measurement": impossible_measurement,
    "distraction": distraction,
    "bias": bias,
    "extra_options": extra_options,
    "add_nota": add_nota,
    "replace_with_nota": replace_with_nota,
    "inverted": inverted,
}
"""All operators, in the order a combination applies them."""

CONFLICTS: frozenset[frozenset[str]] = frozenset(
    frozenset(p)
    for p in [
        ("add_nota", "replace_with_nota"),  # two "none of the options" options
        ("add_nota", "impossible_measurement"),  # "none" would also be right
        ("replace_with_nota", "impossible_measurement"),  # two competing keys
        ("inverted", "add_nota"),
        ("inverted", "replace_with_nota"),
        ("inverted", "impossible_measurement"),
        ("inverted", "distraction"),  # the pushed option becomes a right answer
        ("inverted", "bias"),
    ]
)


def check_combo(ops: Sequence[str]) -> tuple[str, ...]:
    """Validate a combination and return it in application order."""
    unknown = [o for o in ops if o not in OPERATORS]
    if unknown:
        raise ValueError(f"unknown operator {unknown[0]!r} (known: {', '.join(OPERATORS)})")
    if len(set(ops)) != len(ops):
        raise ValueError(f"operator repeated in {'+'.join(ops)}")
    for a, b in combinations(ops, 2):
        if frozenset((a, b)) in CONFLICTS:
            raise ValueError(f"operators {a} and {b} conflict")
    return tuple(o for o in OPERATORS if o in ops)


def allowed_combos(size: int, ops: Sequence[str] = tuple(OPERATORS)) -> list[tuple[str, ...]]:
    """Every conflict-free combination of ``size`` operators, in a stable order."""
    out = []
    for combo in combinations([o for o in OPERATORS if o in ops], size):
        if not any(frozenset(p) in CONFLICTS for p in combinations(combo, 2)):
            out.append(combo)
    return out


def apply(m: MCQ, ops: Sequence[str], ctx: OpContext) -> MCQ:
    """Apply a conflict-free combination of operators in canonical order."""
    for name in check_combo(ops):
        m = OPERATORS[name](m, ctx)
    return m
