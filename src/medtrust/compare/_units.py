"""Per-run binary outcomes keyed so that the same unit has the same key in every run.

Case ids are content hashes, so a case generated from the same seed is the same case in every
run; the seed item it came from (``Case.item_id``) is shared too. Two kinds of unit:

- an **axis unit** is one seed item of one probe: it fails when any of its scored perturbations
  was judged ``fail`` (DAS's headline: an item is fooled when any mutation fools it). This is the
  run summary's unit for ``robustness.das`` and the adaptive attack, whose follow-ups differ
  between targets (attacks adapt per target) but whose items do not; for probes whose cases are
  their own items (hallucination) it is the case.
- an **operator unit** is one seed item under one operator (for DAS: one case).

A unit none of whose perturbations could be scored (every one an error) is an error: counted
apart, never a pass or a failure, and never paired. **Static** units are the unperturbed
multiple-choice controls (``role == "control"`` with ``gold["options"]``): the static benchmark's
accuracy, kept apart from every perturbation.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from medtrust.records import Case, RunInfo, Verdict


@dataclass(kw_only=True)
class Outcomes:
    """Units of one kind: ``scored[key]`` is 1 for a failure and 0 for a pass; ``errors`` holds
    the keys of units that only ever errored."""

    scored: dict[str, int] = field(default_factory=dict)
    errors: set[str] = field(default_factory=set)
    cases: int = 0
    """Judged cases behind these units, errors included."""
    error_cases: int = 0
    """Of which errors (counted as the run summary counts them: per case)."""

    @property
    def n(self) -> int:
        """Scored units (errors excluded)."""
        return len(self.scored)

    @property
    def failures(self) -> int:
        """Scored units that failed."""
        return sum(self.scored.values())


@dataclass(kw_only=True)
class CaseOutcome:
    """One judged case, for the list of cases that changed verdict between two runs."""

    case_id: str
    axis: str
    probe: str
    operator: str
    role: str
    item_id: str | None
    outcome: str


@dataclass(kw_only=True)
class RunOutcomes:
    """Everything a comparison needs from one stored run (read from the store, never the
    target): axis and operator units per axis, static units, and each judged case."""

    run: RunInfo
    axes: dict[str, Outcomes]
    operators: dict[str, dict[str, Outcomes]]
    static: Outcomes
    cases: dict[str, CaseOutcome]


def _item_key(c: Case) -> str:
    return f"{c.probe}|{c.item_id if c.item_id is not None else c.id}"


def _fold(groups: Mapping[str, list[str]]) -> Outcomes:
    """Units from their cases' outcomes: fail if any scored case failed, error if none scored."""
    out = Outcomes()
    for key in sorted(groups):
        out.cases += len(groups[key])
        out.error_cases += groups[key].count("error")
        scored = [o for o in groups[key] if o != "error"]
        if scored:
            out.scored[key] = int("fail" in scored)
        else:
            out.errors.add(key)
    return out


def operator_key(probe: str, operator: str, probes_on_axis: int) -> str:
    """The run summary's ``by_probe`` key: the operator alone when it is the axis's only probe."""
    return operator if probes_on_axis == 1 else f"{probe}:{operator}"


def run_outcomes(
    info: RunInfo, cases: Sequence[Case], verdicts: Mapping[str, Verdict]
) -> RunOutcomes:
    """Fold a run's judged cases into units (see the module docstring); unjudged cases (a run
    interrupted mid-stage) are simply absent."""
    axis_groups: dict[str, dict[str, list[str]]] = {}
    op_groups: dict[str, dict[tuple[str, str], dict[str, list[str]]]] = {}
    static: dict[str, list[str]] = {}
    judged: dict[str, CaseOutcome] = {}
    for c in cases:
        v = verdicts.get(c.id)
        if v is None:
            continue
        judged[c.id] = CaseOutcome(
            case_id=c.id,
            axis=c.axis,
            probe=c.probe,
            operator=c.operator,
            role=c.role,
            item_id=c.item_id,
            outcome=v.outcome,
        )
        key = _item_key(c)
        if c.role == "control":
            if isinstance(c.gold.get("options"), Mapping) and c.gold["options"]:
                static.setdefault(key, []).append(v.outcome)
            continue
        axis_groups.setdefault(c.axis, {}).setdefault(key, []).append(v.outcome)
        ops = op_groups.setdefault(c.axis, {})
        ops.setdefault((c.probe, c.operator), {}).setdefault(key, []).append(v.outcome)
    operators: dict[str, dict[str, Outcomes]] = {}
    for axis, groups in op_groups.items():
        n_probes = len({p for p, _ in groups})
        operators[axis] = {
            operator_key(p, op, n_probes): _fold(g) for (p, op), g in sorted(groups.items())
        }
    return RunOutcomes(
        run=info,
        axes={a: _fold(g) for a, g in axis_groups.items()},
        operators=operators,
        static=_fold(static),
        cases=judged,
    )
