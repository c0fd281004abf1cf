"""The review queue of a stored run, streamed from the store in windows of cases (issue 15:
flat memory whatever the run's size).

:func:`~medtrust.review._queue.review_queue` lists every queued case, grouped by category
(concerning, uncertain, failures, a seeded sample of passes), each group in generation order.
:class:`QueueStream` gives the same items without holding the run: it reads the cases
``batch`` at a time (keyset on the generation sequence; their prompts are not read) with their
verdicts, their fairness controls' verdicts and their rows of the concern queue, and spools
each queued case to a temporary file of its category, read back in category order. Kept in
memory: one window, the pooled votes of each cognitive-bias (probe, item, operator) group and
the number of scored modalities of each multi-modal patient (what a flip or a patient's failure
is judged against, possibly read later in the run), and the calibration sample's indices
(``share`` of the passes: ``random.sample`` needs them all).
"""

from __future__ import annotations

import json
import math
import random
import sys
import tempfile
from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from medtrust.records import Case, Verdict
from medtrust.review._concern import FLIP_AXES, Concern, review_settings
from medtrust.review._queue import (
    CATEGORY_ORDER,
    Category,
    QueueItem,
    _Flips,
    _majority,
    classify_case,
)
from medtrust.store import Store

WINDOW = 2000
"""Cases read per window."""


@dataclass
class _Pools:
    """What a case's classification needs from outside its window."""

    groups: dict[tuple[str, str, str], dict[str, int]] = field(default_factory=dict)
    """Cognitive-bias votes per (probe, item, operator), in the order first voted."""
    scored: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    """Per multi-modal patient: its modalities with a scored (non-error) answer."""

    def add(self, c: Case, vs: Sequence[Verdict]) -> None:
        if c.axis == "cognitive_bias":
            counts = self.groups.setdefault((c.probe, str(c.item_id), c.operator), {})
            for x in (x for v in vs for x in v.votes()):
                counts[x] = counts.get(x, 0) + 1
        if (
            c.axis == "multimodal"
            and "patient_key" in c.meta
            and vs
            and all(v.outcome != "error" for v in vs)
        ):
            self.scored[str(c.meta["patient_key"])] += 1

    def majority(self, key: tuple[str, str, str]) -> str | None:
        """``majority_vote`` over the group's pooled votes: most common, ties to first voted."""
        counts = self.groups.get(key)
        if not counts:
            return None
        top = max(counts.values())
        return next(x for x, n in counts.items() if n == top)


class QueueStream:
    """The run's review queue, as :func:`~medtrust.review._queue.review_queue` lists it.

    Built with two passes over the run: the pools (reading only cognitive-bias and multi-modal
    verdicts), then every case classified once, each queued case (and each pass) written as
    one JSON line to its category's spool, a temporary file: memory holds one window, the
    files hold the queue. Iterating reads the spools back in category order (the calibration
    spool through the seeded sample), as often as wanted. ``total`` is the number of items it
    yields, ``counts`` the number per category. :meth:`close` removes the spools.
    """

    def __init__(
        self,
        store: Store,
        run_id: str,
        *,
        reviewer: str | None = None,
        share: float,
        minimum: int,
        batch: int = WINDOW,
    ) -> None:
        self.store, self.run_id, self.batch = store, run_id, batch
        self.threshold = review_settings(store.get_run(run_id).config).concern_threshold
        done = {r.case_id for r in store.reviews(run_id, reviewer=reviewer)} if reviewer else set()
        self._computed = self._computed_concerns()
        self._pools = _Pools()
        self._feed_pools()
        # open until close(): the spools outlive this constructor
        self._spools = {cat: tempfile.TemporaryFile("w+", encoding="utf-8")  # noqa: SIM115
                        for cat in CATEGORY_ORDER}  # fmt: skip
        self.counts: dict[Category, int] = dict.fromkeys(CATEGORY_ORDER, 0)
        for c, vs, concerns, flips in self._windows():
            why = self._why(c, vs, concerns, flips) or ("calibration", "random pass (calibration)")
            hit = concerns.get(c.id)
            item = QueueItem(
                case_id=c.id, category=why[0], reason=why[1], axis=c.axis, probe=c.probe,
                operator=c.operator, reviewed=c.id in done,
                concern=round(hit.score, 6) if hit is not None else None,
            )  # fmt: skip
            self._spools[why[0]].write(json.dumps(item.as_dict()) + "\n")
            self.counts[why[0]] += 1
        passes = self.counts["calibration"]
        k = min(passes, max(minimum, math.ceil(share * passes)))
        self._chosen = set(random.Random(f"calibration:{run_id}").sample(range(passes), k))
        self.counts["calibration"] = k
        self.total = sum(self.counts.values())

    def close(self) -> None:
        """Remove the spools (also done when the object is collected)."""
        for f in self._spools.values():
            f.close()

    def _computed_concerns(self) -> dict[str, Concern] | None:
        """A run stored before the trigger kept its queue: its cases above the threshold,
        scored here in one streaming pass (``None``: the run has its stored queue)."""
        if self.store.count_concerns(self.run_id):
            return None
        from medtrust.review._concern_stream import stream_concerns

        return {x.case_id: x for x in stream_concerns(self.store, self.run_id, batch=self.batch)
                if x.score > self.threshold}  # fmt: skip

    def _feed_pools(self) -> None:
        """One pass: the cognitive-bias and multi-modal cases' votes into the pools (the other
        cases' verdicts are not read)."""
        for window in self.store.iter_light_cases(self.run_id, batch=self.batch):
            pooled = [c for c in window if c.axis in ("cognitive_bias", "multimodal")]
            if pooled:
                verdicts = self.store.all_verdicts_for(self.run_id, {c.id for c in pooled})
                for c in pooled:
                    self._pools.add(c, verdicts.get(c.id, []))

    def _windows(self) -> Iterator[tuple[Case, list[Verdict], dict[str, Concern], _Flips]]:
        """Each answered case in generation order, with its verdicts and its window's concerns
        and flips."""
        store, run = self.store, self.run_id
        for window in store.iter_light_cases(run, batch=self.batch):
            parents = {str(c.parent_id) for c in window
                       if c.axis == "fairness" and c.role == "perturbation"}  # fmt: skip
            verdicts = store.all_verdicts_for(run, {c.id for c in window} | parents)
            ids = [c.id for c in window]
            if self._computed is None:
                concerns = {k: Concern(**r) for k, r in store.concerns_for(run, ids).items()}
            else:
                concerns = {i: self._computed[i] for i in ids if i in self._computed}
            flips = self._flips(window, verdicts)
            for c in window:
                vs = verdicts.get(c.id)
                if vs:  # never answered or judged: nothing to review yet
                    yield c, vs, concerns, flips

    def _flips(self, window: list[Case], verdicts: dict[str, list[Verdict]]) -> _Flips:
        """The window's flip comparisons, as ``_queue._flips`` makes them for the whole run."""
        baseline: dict[str, str | None] = {}
        answer: dict[str, str | None] = {}
        for c in window:
            if c.axis not in FLIP_AXES or c.role != "perturbation":
                continue
            if c.axis == "cognitive_bias":
                baseline[c.id] = self._pools.majority((c.probe, str(c.item_id), "baseline"))
                answer[c.id] = self._pools.majority((c.probe, str(c.item_id), c.operator))
            else:
                baseline[c.id] = _majority(verdicts.get(str(c.parent_id), []))
                answer[c.id] = _majority(verdicts.get(c.id, []))
        return _Flips(baseline, answer, self._pools.scored)

    def _why(
        self, c: Case, vs: list[Verdict], concerns: dict[str, Concern], flips: _Flips
    ) -> tuple[Category, str] | None:
        why = classify_case(c, vs, flips)
        if why is None and (hit := concerns.get(c.id)) is not None:
            # a case no other rule queues, but whose concern score exceeds the threshold
            why = ("concern", f"concern {hit.score:.2f} > {self.threshold:g} "
                              f"({hit.source.replace('_', ' ')})")  # fmt: skip
        return why

    def __iter__(self) -> Iterator[QueueItem]:
        for cat in CATEGORY_ORDER:
            spool = self._spools[cat]
            spool.seek(0)
            for i, line in enumerate(spool):
                if cat != "calibration" or i in self._chosen:
                    yield QueueItem(**json.loads(line))


def print_json_list(head: dict[str, Any], key: str, rows: Iterator[dict[str, Any]]) -> None:
    """``print_json({**head, key: list(rows)})``, byte for byte, written as ``rows`` come."""
    text = json.dumps({**head, key: []}, indent=2, default=str)
    prefix, tail = text[: -len("[]\n}")], "\n  ]\n}\n"
    out, first = sys.stdout, True
    for row in rows:
        body = json.dumps(row, indent=2, default=str).replace("\n", "\n    ")
        out.write((prefix + "[\n    " if first else ",\n    ") + body)
        first = False
    out.write(text + "\n" if first else tail)
    out.flush()
