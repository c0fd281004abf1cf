"""Whether a probe's baseline answers can carry its measurement at all.

A rate of *change* (a bias flip, a cross-modal disagreement, a counterfactual flip) is zero for
a target that always gives the same letter: it cannot be moved because it never reads the
question. Such a zero is no evidence of resistance, so the probe reports the baseline as not
informative (issue 12, item 4). The summary adds the generic chance check on control accuracy
(:func:`medtrust.metrics.chance_note`).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

CONSTANT_SHARE = 0.9
"""A letter given in at least this share of the answers makes them (nearly) constant."""
MIN_ANSWERS = 3
"""Fewer answers than this cannot show a pattern (the count rule of the summary covers them)."""


def constant_answer_note(answers: Sequence[str], golds: Sequence[str] | None) -> str | None:
    """A note when ``answers`` are (nearly) one letter, else None.

    ``answers`` and ``golds`` are parallel: the letter given and the right letter, one per
    scored item. Nearly constant: the most common letter is at least :data:`CONSTANT_SHARE` of
    the answers. When the gold letters are themselves that concentrated (a lopsided answer key,
    e.g. the user's own ``--data`` keyed "A" throughout), the items cannot tell a constant
    answer from knowledge, and the note says that instead: either way the rate of change
    measured on them carries no evidence. ``golds`` is None where the items have no single
    right letter (e.g. triage vignettes): then only the constancy of the answers is checked.
    """
    if golds is not None and len(answers) != len(golds):
        raise ValueError("answers and golds must be parallel")
    if len(answers) < MIN_ANSWERS:
        return None
    letter, count = Counter(answers).most_common(1)[0]
    share = count / len(answers)
    if share < CONSTANT_SHARE:
        return None
    key, key_count = Counter(golds).most_common(1)[0] if golds else (None, 0)
    if golds and key_count / len(golds) >= CONSTANT_SHARE and key == letter:
        return (
            f"not informative: the target answered {letter!r} to {count} of {len(answers)} "
            f"baseline items and the answer key is {key!r} for {key_count} of them; these "
            "items cannot tell a constant answer from knowledge (use items whose keys vary)"
        )
    return (
        f"not informative: the target answered {letter!r} to {count} of {len(answers)} "
        f"baseline items ({100 * share:.0f}%); a constant answer cannot be moved, so a low "
        "rate is no evidence of resistance"
    )
