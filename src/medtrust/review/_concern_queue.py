"""The concern trigger that follows every ``medtrust run`` (issue 18 item 5), in flat memory
(issue 15 item 1).

The run is scored in windows (:func:`._concern_stream.stream_concerns`); every case whose score
exceeds the run's ``review.concern_threshold`` goes to the run's review queue in the store
(``review_concerns``, written in windows), and ONE audited ``concern`` event records a bounded
summary of it: the count, the threshold, the ``top_k`` highest-concern cases (kept with a
bounded heap, O(k) memory) and SHA-256 digests of the queue (``Store.concern_digest``: of the
sorted ids, and of the rows with their scores), so that the audit binds the exact set while
the event's size does not grow with the number of triggered cases. ``medtrust audit verify``
recomputes the digests from the queue (``medtrust.audit._concern_check``).
"""

from __future__ import annotations

import functools
import heapq
from collections.abc import Iterator
from typing import Any

from medtrust.review._concern import Concern, _reviewers, review_settings
from medtrust.store import Store

TOP_K = 20
"""Highest-concern cases listed in the ``concern`` event (the rest are in the queue)."""


@functools.total_ordering
class _Rank:
    """Heap order of a concern: higher score ranks higher; ties go to the smaller case id
    (the order of ``concerning``: ``(-score, case_id)``)."""

    __slots__ = ("case_id", "score")

    def __init__(self, x: Concern) -> None:
        self.score, self.case_id = x.score, x.case_id

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Rank) and (self.score, self.case_id) == (
            other.score,
            other.case_id,
        )

    def __lt__(self, other: _Rank) -> bool:
        if self.score != other.score:
            return self.score < other.score
        return self.case_id > other.case_id

    __hash__ = None  # type: ignore[assignment]


class _TopK:
    """The ``k`` highest-ranked concerns seen so far: a min-heap of size ``k`` whose root is
    the weakest kept (``heapq``; O(n log k) time, O(k) memory)."""

    def __init__(self, k: int) -> None:
        self.k = k
        self.heap: list[tuple[_Rank, dict[str, Any]]] = []

    def offer(self, x: Concern) -> None:
        if self.k <= 0:
            return
        item = (_Rank(x), x.as_dict())
        if len(self.heap) < self.k:
            heapq.heappush(self.heap, item)
        elif self.heap[0][0] < item[0]:
            heapq.heapreplace(self.heap, item)

    def ranked(self) -> list[dict[str, Any]]:
        """The kept concerns' JSON forms, highest first."""
        return [d for _, d in sorted(self.heap, key=lambda t: t[0], reverse=True)]


def trigger_review(store: Store, run_id: str, *, top_k: int = TOP_K) -> dict[str, Any]:
    """Queue the run's concerning cases for human review, assign the run to its reviewers, and
    record both in the audit trail (one ``concern`` event; each assignment is its own audited
    ``assignment`` event).

    Returns (and, when any case triggered, records as the event's content)
    ``{threshold, scored, triggered, top_k, top, digest, assigned, skipped}``: ``triggered``
    is the number of queued cases, ``top`` the ``top_k`` highest (``Concern.as_dict()``,
    highest score first, ties by case id), ``digest`` ``{algorithm: "sha256", ids, rows}``
    over the queue (``medtrust.store._concerns``). ``skipped`` lists reviewer names that are
    not reviewer accounts (never an exception: a finished run is not undone by a typo in its
    reviewer list). The queue is replaced on every call; nothing is recorded or assigned when
    no case exceeds the threshold. Memory: one window of cases plus ``top_k`` concerns.
    """
    from medtrust.errors import MedtrustError
    from medtrust.review._concern_stream import stream_concerns

    info = store.get_run(run_id)
    threshold = review_settings(info.config).concern_threshold
    top = _TopK(top_k)
    scored = 0

    def rows() -> Iterator[dict[str, Any]]:
        nonlocal scored
        for x in stream_concerns(store, info.id):
            scored += 1
            if x.score > threshold:
                top.offer(x)
                yield x.as_dict()  # the queue keeps the rounded scores the event shows

    triggered = store.replace_concerns(info.id, rows())
    digest = store.concern_digest(info.id)
    assigned: list[str] = []
    skipped: list[str] = []
    if triggered:
        for name in _reviewers(store, info.config):
            try:
                store.assign(info.id, name, by="concern-trigger")
                assigned.append(name)
            except MedtrustError as exc:
                skipped.append(f"{name}: {exc}")
    out = {
        "threshold": threshold,
        "scored": scored,
        "triggered": triggered,
        "top_k": top_k,
        "top": top.ranked(),
        "digest": {"algorithm": "sha256", "ids": digest.ids_sha256, "rows": digest.rows_sha256},
        "assigned": assigned,
        "skipped": skipped,
    }
    if triggered:
        store.record_event(info.id, "concern", f"{triggered} cases", out, seal=True)
    return out
