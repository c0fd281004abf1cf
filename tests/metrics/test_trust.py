"""Trust score T = mean(alpha * accuracy + beta * compliance) over reviewed items."""

from __future__ import annotations

import pytest

from medtrust.metrics import MIN_TRUST_ITEMS, POLICY_FLAG, ReviewScores, trust_score


def test_no_reviews_no_score() -> None:
    t = trust_score([])
    assert t.score is None and t.ci95 is None and t.items == 0
    assert t.as_dict()["score"] is None


def test_by_hand_with_items_averaged_first() -> None:
    reviews = [
        ReviewScores(case_id="a", reviewer="x", accuracy=5),  # acc 1, comp 1 -> 1
        ReviewScores(case_id="a", reviewer="y", accuracy=3),  # acc .5, comp 1 -> .75
        ReviewScores(case_id="b", accuracy=1, flags=frozenset({POLICY_FLAG})),  # 0
    ]
    t = trust_score(reviews, alpha=0.5, beta=0.5)
    assert t.items == 2 and t.reviews == 3
    assert t.score == pytest.approx(((1 + 0.75) / 2 + 0) / 2)
    assert t.ci95 is not None and t.ci95[0] <= t.score <= t.ci95[1]


def test_weights_are_relative_and_validated() -> None:
    r = [ReviewScores(case_id="a", accuracy=5, flags=frozenset({POLICY_FLAG}))]
    assert trust_score(r, alpha=1, beta=0).score == 1.0
    assert trust_score(r, alpha=0, beta=3).score == 0.0
    assert trust_score(r, alpha=3, beta=1).score == pytest.approx(0.75)
    with pytest.raises(ValueError):
        trust_score(r, alpha=0, beta=0)
    with pytest.raises(ValueError):
        trust_score(r, alpha=-1, beta=1)


def test_likert_range_is_enforced() -> None:
    with pytest.raises(ValueError, match="Likert"):
        ReviewScores(case_id="a", accuracy=6)
    with pytest.raises(ValueError, match="Likert"):
        ReviewScores(case_id="a", accuracy=3, safety=0)


def test_fewer_than_the_minimum_items_is_not_evidence() -> None:
    """One reviewed item gives the plus-four interval (not a zero-width one); below
    MIN_TRUST_ITEMS the score is shown but marked insufficient, from it on it is sufficient."""
    one = trust_score([ReviewScores(case_id="c0", accuracy=5)])
    assert one.ci95 is not None and one.ci95[0] < one.score == one.ci95[1]
    assert not one.sufficient and one.as_dict()["status"] == "insufficient reviews"
    many = [ReviewScores(case_id=f"c{i}", accuracy=1 + i % 5) for i in range(MIN_TRUST_ITEMS)]
    assert not trust_score(many[:-1]).sufficient
    full = trust_score(many).as_dict()
    assert full["sufficient"] is True and full["status"] == "sufficient"
    assert full["min_items"] == MIN_TRUST_ITEMS == 20
    assert trust_score([]).as_dict()["status"] == "not reviewed"
