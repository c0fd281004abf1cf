"""Per-run binary outcomes keyed so that the same unit has the same key in every run.

Case ids are content hashes, so a case generated from the same seed is the same case in every
run; the seed item it came from (``Case.item_id``) is shared too.

A unit passes or fails by **the probe's own definition**: its ``Probe.summarize`` is asked about
the unit's cases alone, so a cognitive-bias item fails when priming flips its majority answer
(not when it is answered wrongly), a fairness variant fails when its answer differs from its
control's, a DAS item fails when any mutation fools it. The unit is the one the probe counts:
the finest grouping at which every group's tally holds at most one scored unit and the groups'
tallies add up to the probe's own (so that a run's rate here is the run summary's
``failure_rate``, axis by axis and operator by operator). Groups, coarsest first:

- the **seed item** (all its cases, controls included): cognitive bias, DAS, the adaptive
  attack (whose follow-ups differ between targets but whose items do not), privacy, open-ended,
  and probes whose cases are their own items (hallucination);
- one **perturbation with its item's controls** (fairness: the variant is the unit).

Operator units are found the same way from the probe's per-operator tallies. A unit the probe
could not score (its tally has errors and no scored unit) is an error: counted apart, never a
pass or a failure, and never paired. **Static** units are the unperturbed
multiple-choice controls (``role == "control"`` with ``gold["options"]``): the static benchmark's
accuracy, kept apart from every perturbation. **Rubric controls** are the open-ended controls
(``gold["pass_mark"]``): the unit is the seed item, failed when its rubric score fell below the
pass mark; they are open-ended's static benchmark (the conversations as they are, unattacked).

Flat memory (issue 15): a run is read in windows (:mod:`medtrust.compare._scratch`); each judged
case becomes a row of the scratch database, each probe reads its groups back in (item,
generation) order a window at a time, and each unit is a scratch row. An :class:`Outcomes` holds
counts and where its units are, never the units themselves.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from medtrust.compare._groups import Part, probe_units
from medtrust.compare._scratch import MemorySource, Scratch, Source
from medtrust.probes import Probe
from medtrust.records import Case, RunInfo, Verdict


@dataclass(frozen=True, kw_only=True)
class Outcomes:
    """Units of one kind of one run: counts, and where the units are (``kind`` rows of run
    ``run`` in ``scratch``; none: no unit)."""

    n: int = 0
    """Scored units (errors excluded)."""
    failures: int = 0
    """Scored units that failed."""
    unscored: int = 0
    """Units that only ever errored."""
    cases: int = 0
    """Judged cases behind these units, errors included."""
    error_cases: int = 0
    """Of which errors (counted as the run summary counts them: per case)."""
    scratch: Scratch | None = field(default=None, repr=False, compare=False)
    run: int = -1
    kind: str = ""

    @property
    def scored(self) -> dict[str, int]:
        """``{key: 1 fail / 0 pass}`` read back whole (tests and small runs only)."""
        return {str(k): int(v) for k, v in self._rows("outcome IS NOT NULL")}

    @property
    def errors(self) -> set[str]:
        """The keys of units that only ever errored (tests and small runs only)."""
        return {str(k) for k, _ in self._rows("outcome IS NULL")}

    def _rows(self, where: str) -> Iterator[tuple[Any, ...]]:
        if self.scratch is None:
            return iter(())
        return self.scratch.rows(
            f"SELECT key, outcome FROM units WHERE run = ? AND kind = ? AND {where} ORDER BY key",
            (self.run, self.kind),
        )


def outcomes_of(
    scratch: Scratch, run: int, kind: str, *, cases: int = 0, error_cases: int = 0
) -> Outcomes:
    """The counts of ``kind`` units of run ``run`` in ``scratch``."""
    n, failures, unscored = scratch.one(
        "SELECT COUNT(outcome), COALESCE(SUM(outcome), 0), COUNT(*) - COUNT(outcome) "
        "FROM units WHERE run = ? AND kind = ?",
        (run, kind),
    )
    return Outcomes(
        n=int(n),
        failures=int(failures),
        unscored=int(unscored),
        cases=cases,
        error_cases=error_cases,
        scratch=scratch,
        run=run,
        kind=kind,
    )


@dataclass(kw_only=True)
class RunOutcomes:
    """Everything a comparison needs from one stored run (read from the store, never the
    target): axis and operator units per axis, static units, and how many cases were judged."""

    run: RunInfo
    index: int
    """The run's number in the scratch database."""
    axes: dict[str, Outcomes]
    operators: dict[str, dict[str, Outcomes]]
    static: Outcomes
    judged: int
    """Judged cases (pass, fail or error)."""
    rubric_controls: Outcomes = field(default_factory=Outcomes)
    """Open-ended controls per seed item: failed when below the pass mark."""
    inexact: list[str] = field(default_factory=list)
    """Probes whose units could not reproduce their own tallies (their rates may differ from
    the run summary's; the comparison warns)."""


def operator_key(probe: str, operator: str, probes_on_axis: int) -> str:
    """The run summary's ``by_probe`` key: the operator alone when it is the axis's only probe."""
    return operator if probes_on_axis == 1 else f"{probe}:{operator}"


def _is_mc_control(gold: Mapping[str, Any]) -> bool:
    return isinstance(gold.get("options"), Mapping) and bool(gold["options"])


def _is_rubric_control(gold: Mapping[str, Any]) -> bool:
    return "pass_mark" in gold and isinstance(gold.get("rubric"), list)


def _heads(scratch: Scratch, run: int, source: Source) -> None:
    """One ``heads`` row per judged case, in generation order; unjudged cases (a run
    interrupted mid-stage) are simply absent."""
    pos = 0
    for heads in source.heads():
        rows = []
        for c in heads:
            if c.outcome is not None:
                item = c.item_id if c.item_id is not None else c.id
                control = c.role == "control"
                rows.append(
                    (
                        run,
                        pos,
                        c.id,
                        c.axis,
                        c.probe,
                        c.operator,
                        c.role,
                        item,
                        int(control and _is_mc_control(c.gold)),
                        int(control and _is_rubric_control(c.gold)),
                        c.outcome,
                    )
                )
            pos += 1
        scratch.db.executemany("INSERT INTO heads VALUES (?,?,?,?,?,?,?,?,?,?,?)", rows)


def _static(scratch: Scratch, run: int, flag: str, kind: str) -> Outcomes:
    """Multiple-choice controls (``flag`` "mc"; "rubric": open-ended controls) per seed item:
    wrong (below the pass mark) when any of its scored controls is."""
    scratch.db.execute(
        "INSERT INTO units SELECT run, ?, probe || '|' || item, "
        "CASE WHEN SUM(outcome != 'error') > 0 THEN MAX(outcome = 'fail') END "
        f"FROM heads WHERE run = ? AND {flag} = 1 GROUP BY probe || '|' || item",
        (kind, run),
    )
    cases, errors = scratch.one(
        f"SELECT COUNT(*), COALESCE(SUM(outcome = 'error'), 0) FROM heads "
        f"WHERE run = ? AND {flag} = 1",
        (run,),
    )
    return outcomes_of(scratch, run, kind, cases=int(cases), error_cases=int(errors))


def _fold(scratch: Scratch, run: int, probe: str, part: Part, kind: str) -> None:
    """The chosen grouping's tallies as units: one scored unit, or an error when the group
    holds no scored unit but errors; a group with neither is no unit."""
    level, op = part
    scratch.db.execute(
        "INSERT INTO units SELECT run, ?, probe || '|' || key, "
        "CASE WHEN n = 1 THEN failures END FROM cand WHERE run = ? AND probe = ? "
        "AND level = ? AND part IS ? AND (n = 1 OR errors > 0)",
        (kind, run, probe, level, op),
    )


def run_outcomes_from(
    scratch: Scratch, run: int, info: RunInfo, source: Source, probes: Sequence[Probe[Any]]
) -> RunOutcomes:
    """Fold a run's judged cases into each probe's units (``probes``: the run's, as
    ``medtrust.plan.probes_for`` re-creates them), as scratch rows of run number ``run``."""
    _heads(scratch, run, source)
    axes: dict[str, Outcomes] = {}
    operators: dict[str, dict[str, Outcomes]] = {}
    on_axis = Counter(p.axis for p in probes)
    inexact: list[str] = []
    totals: dict[str, tuple[int, int]] = {}
    for p in probes:
        cases, errors = scratch.one(
            "SELECT COUNT(*), COALESCE(SUM(outcome = 'error'), 0) FROM heads "
            "WHERE run = ? AND probe = ?",
            (run, p.name),
        )
        if not cases:
            continue
        chosen = probe_units(scratch, run, p, source)
        if not chosen.exact:
            inexact.append(p.name)
        _fold(scratch, run, p.name, chosen.total, f"axis:{p.axis}")
        before = totals.get(p.axis, (0, 0))
        totals[p.axis] = (before[0] + int(cases), before[1] + int(errors))
        axes[p.axis] = Outcomes()
        ops = operators.setdefault(p.axis, {})
        for op, part in chosen.by_operator.items():
            key = operator_key(p.name, op, on_axis[p.axis])
            kind = f"op:{p.axis}\x1f{key}"
            scratch.db.execute("DELETE FROM units WHERE run = ? AND kind = ?", (run, kind))
            _fold(scratch, run, p.name, part, kind)
            ops[key] = outcomes_of(scratch, run, kind)
    for axis, (cases, errors) in totals.items():
        axes[axis] = outcomes_of(scratch, run, f"axis:{axis}", cases=cases, error_cases=errors)
    judged = scratch.one("SELECT COUNT(*) FROM heads WHERE run = ?", (run,))[0]
    return RunOutcomes(
        run=info,
        index=run,
        axes=axes,
        operators=operators,
        static=_static(scratch, run, "mc", "static"),
        rubric_controls=_static(scratch, run, "rubric", "rubric"),
        judged=int(judged),
        inexact=inexact,
    )


def run_outcomes(
    info: RunInfo,
    cases: Sequence[Case],
    verdicts: Mapping[str, Verdict],
    probes: Sequence[Probe[Any]],
    *,
    scratch: Scratch | None = None,
    window: int | None = None,
) -> RunOutcomes:
    """:func:`run_outcomes_from` for a run given in memory (run number 0 of ``scratch``, a new
    one by default, which lives as long as the result's :class:`Outcomes` are read; ``window``:
    cases read at a time, default :data:`medtrust.compare._scratch.WINDOW`)."""
    s = scratch if scratch is not None else Scratch()
    return run_outcomes_from(s, 0, info, MemorySource(cases, verdicts, window=window), probes)
