"""The whole-list review queue as it was before issue 15 made it stream: every case and verdict
of the run in memory. Kept here as the oracle the streamed queue must equal, item for item."""

# ruff: noqa
# mypy: ignore-errors
from __future__ import annotations

import math
import random

from medtrust.records import Case
from medtrust.review._concern import Concern, concerning, review_settings
from medtrust.review._queue import (
    CALIBRATION_MIN, CALIBRATION_SHARE, CATEGORY_ORDER, Category, QueueItem, _flips,
    classify_case,
)
from medtrust.store import Store


def _stored_concerns(store: Store, run_id: str) -> dict[str, Concern]:
    """The run's concern queue as the trigger wrote it (``review_concerns``), by case id."""
    return {
        r["case_id"]: Concern(case_id=r["case_id"], score=r["score"], source=r["source"],
                              components=r["components"])
        for r in store.iter_concerns(run_id)
    }


def reference_queue(
    store: Store,
    run_id: str,
    *,
    reviewer: str | None = None,
    share: float = CALIBRATION_SHARE,
    minimum: int = CALIBRATION_MIN,
) -> list[QueueItem]:
    """The run's queue: concerning cases (score above the run's ``review.concern_threshold``),
    then uncertain, then failures, then a seeded sample of passes.

    ``reviewed`` marks the cases ``reviewer`` has already reviewed (they stay in the queue so
    the reviewer can revise them; the next case to open is the first one not reviewed).
    """
    cases = store.cases(run_id)
    verdicts = store.all_verdicts(run_id)
    done = {r.case_id for r in store.reviews(run_id, reviewer=reviewer)} if reviewer else set()
    picked: dict[Category, list[tuple[Case, str]]] = {c: [] for c in CATEGORY_ORDER}
    passes: list[Case] = []
    flips = _flips(cases, verdicts)
    threshold = review_settings(store.get_run(run_id).config).concern_threshold
    concerns = _stored_concerns(store, run_id) or {
        x.case_id: x for x in concerning(cases, verdicts, threshold)
    }  # the trigger's audited queue; scored here for a run stored before it had one
    for case in cases:
        vs = verdicts.get(case.id)
        if not vs:
            continue  # never answered or judged: nothing to review yet
        why = classify_case(case, vs, flips)
        if why is None and (hit := concerns.get(case.id)) is not None:
            # a case no other rule queues, but whose concern score exceeds the threshold
            why = ("concern", f"concern {hit.score:.2f} > {threshold:g} "
                              f"({hit.source.replace('_', ' ')})")
        if why is None:
            passes.append(case)
        else:
            picked[why[0]].append((case, why[1]))
    k = min(len(passes), max(minimum, math.ceil(share * len(passes))))
    chosen = set(random.Random(f"calibration:{run_id}").sample(range(len(passes)), k))
    picked["calibration"] = [
        (c, "random pass (calibration)") for i, c in enumerate(passes) if i in chosen
    ]
    return [
        QueueItem(
            case_id=c.id,
            category=cat,
            reason=reason,
            axis=c.axis,
            probe=c.probe,
            operator=c.operator,
            reviewed=c.id in done,
            concern=round(concerns[c.id].score, 6) if c.id in concerns else None,
        )
        for cat in CATEGORY_ORDER
        for c, reason in picked[cat]
    ]


