"""Clinician review: a web app (and JSON API) where clinicians rate and flag model outputs,
with the aggregates (agreement, judge calibration, trust score) that feed reports and the
next run. FastAPI and friends are imported only when the app is built."""

from __future__ import annotations

from typing import TYPE_CHECKING

from medtrust.review._aggregate import (
    MIN_REVIEWS,
    UNTRUSTED_BELOW,
    inter_rater,
    judge_agreement,
    judge_calibration,
    judge_pairs,
    review_scores,
    run_aggregates,
)
from medtrust.review._auth import check_password, hash_password, new_token
from medtrust.review._concern import Concern, concern_scores, concerning
from medtrust.review._concern_queue import trigger_review
from medtrust.review._feedback import feedback_config
from medtrust.review._queue import (
    CaseView,
    QueueItem,
    case_view,
    classify,
    classify_case,
    review_queue,
)

if TYPE_CHECKING:
    from fastapi import FastAPI

    from medtrust.store import Store


def create_app(store: Store) -> FastAPI:
    """The review web app over ``store`` (see :mod:`medtrust.review._app`)."""
    from medtrust.review._app import create_app as build

    return build(store)


__all__ = [
    "MIN_REVIEWS",
    "UNTRUSTED_BELOW",
    "CaseView",
    "Concern",
    "QueueItem",
    "case_view",
    "check_password",
    "classify",
    "classify_case",
    "concern_scores",
    "concerning",
    "create_app",
    "feedback_config",
    "hash_password",
    "inter_rater",
    "judge_agreement",
    "judge_calibration",
    "judge_pairs",
    "new_token",
    "review_queue",
    "review_scores",
    "run_aggregates",
    "trigger_review",
]
