"""Pairing two runs' units in the scratch database (:mod:`medtrust.compare._scratch`).

What the statistics need, read as counts or compact arrays rather than per-unit objects: the
paired 2x2 table of two runs' units (McNemar and Newcombe need nothing else), the units whose
outcome changed (the drift listing, streamed in key order), and the units x runs matrix a
bootstrap resamples (one float64 per unit and run, NaN where a run did not score the unit).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import numpy as np

from medtrust.compare._scratch import Scratch
from medtrust.compare._stats import Matrix
from medtrust.compare._units import Outcomes


def pair_table(a: Outcomes, b: Outcomes) -> tuple[int, int, int, int]:
    """(units both scored, failed under both, failed only under ``a``, only under ``b``)."""
    if a.scratch is None or b.scratch is None or not a.n or not b.n:
        return 0, 0, 0, 0
    n, both, only_a, only_b = a.scratch.one(
        "SELECT COUNT(*), COALESCE(SUM(x.outcome AND y.outcome), 0), "
        "COALESCE(SUM(x.outcome AND NOT y.outcome), 0), "
        "COALESCE(SUM(y.outcome AND NOT x.outcome), 0) "
        "FROM units x JOIN units y ON y.run = ? AND y.kind = ? AND y.key = x.key "
        "WHERE x.run = ? AND x.kind = ? AND x.outcome IS NOT NULL AND y.outcome IS NOT NULL",
        (b.run, b.kind, a.run, a.kind),
    )
    return int(n), int(both), int(only_a), int(only_b)


def changed(old: Outcomes, new: Outcomes) -> Iterator[tuple[str, int, int]]:
    """(key, outcome before, outcome after) of the units both scored whose outcome differs,
    in key order."""
    if old.scratch is None or new.scratch is None:
        return
    for key, before, after in old.scratch.rows(
        "SELECT x.key, x.outcome, y.outcome FROM units x "
        "JOIN units y ON y.run = ? AND y.kind = ? AND y.key = x.key "
        "WHERE x.run = ? AND x.kind = ? AND x.outcome IS NOT NULL AND y.outcome IS NOT NULL "
        "AND x.outcome != y.outcome ORDER BY x.key",
        (new.run, new.kind, old.run, old.kind),
    ):
        yield str(key), int(before), int(after)


def matrix(units: Sequence[Outcomes]) -> Matrix:
    """Keys (the union of every given run's scored units, sorted) x runs: 1 fail, 0 pass,
    NaN where that run did not score the unit (the rows of a bootstrap)."""
    parts = [(j, u) for j, u in enumerate(units) if u.scratch is not None and u.n]
    if not parts:
        return np.full((0, len(units)), np.nan)
    scratch = parts[0][1].scratch
    assert scratch is not None
    union = " UNION ALL ".join(
        f"SELECT key, {j} AS j, outcome FROM units WHERE run = ? AND kind = ? "
        "AND outcome IS NOT NULL"
        for j, _ in parts
    )
    args = [x for _, u in parts for x in (u.run, u.kind)]
    (rows,) = scratch.one(f"SELECT COUNT(DISTINCT key) FROM ({union})", args)
    m = np.full((int(rows), len(units)), np.nan)
    i, last = -1, None
    for key, j, outcome in scratch.rows(f"{union} ORDER BY key", args):
        if key != last:
            i, last = i + 1, key
        m[i, int(j)] = float(outcome)
    return m


def share_any_case(scratch: Scratch, a: int, b: int) -> bool:
    """Whether runs ``a`` and ``b`` judged any case in common."""
    (found,) = scratch.one(
        "SELECT EXISTS(SELECT 1 FROM heads x JOIN heads y ON y.run = ? AND y.case_id = x.case_id"
        " WHERE x.run = ?)",
        (b, a),
    )
    return bool(found)


def shared_scored_cases(scratch: Scratch, a: int, b: int) -> int:
    """How many cases both runs judged as pass or fail."""
    (n,) = scratch.one(
        "SELECT COUNT(*) FROM heads x JOIN heads y ON y.run = ? AND y.case_id = x.case_id "
        "WHERE x.run = ? AND x.outcome != 'error' AND y.outcome != 'error'",
        (b, a),
    )
    return int(n)


def controls_differ(scratch: Scratch, a: int, b: int) -> bool:
    """Whether runs ``a`` and ``b`` judged different control cases."""
    (found,) = scratch.one(
        "SELECT EXISTS(SELECT case_id FROM heads WHERE run = ? AND role = 'control' EXCEPT "
        "SELECT case_id FROM heads WHERE run = ? AND role = 'control') OR "
        "EXISTS(SELECT case_id FROM heads WHERE run = ? AND role = 'control' EXCEPT "
        "SELECT case_id FROM heads WHERE run = ? AND role = 'control')",
        (a, b, b, a),
    )
    return bool(found)


def operators_of(scratch: Scratch, run: int, case_ids: Sequence[str]) -> dict[str, str]:
    """``{case id: operator}`` of these judged cases of run ``run``."""
    out: dict[str, str] = {}
    for start in range(0, len(case_ids), 500):
        chunk = case_ids[start : start + 500]
        marks = ",".join("?" * len(chunk))
        for cid, op in scratch.rows(
            f"SELECT case_id, operator FROM heads WHERE run = ? AND case_id IN ({marks})",
            (run, *chunk),
        ):
            out[str(cid)] = str(op)
    return out
