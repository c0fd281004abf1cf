"""One streaming pass over a run's judged cases: calls and errors per axis, why calls failed,
and the option counts of multiple-choice controls (the chance rate of each probe).

Everything here is a running count, so the pass holds no per-case list of its own: a case is
read once, with its verdict and replies, and dropped.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

# the logging evidence's counts, same pass
from medtrust.policies._checks import LoggingGaps, has_output
from medtrust.records import Case, Reply, Verdict

ERROR_EXAMPLES = 3
"""Distinct target error messages kept per axis (truncated), so a user sees why calls failed."""

EXAMPLE_CHARS = 160
"""Characters kept of one target error message."""


@dataclass
class _Options:
    """Option counts of one probe's multiple-choice controls: all of them, and the scored ones."""

    total: float = 0.0
    count: int = 0
    scored_total: float = 0.0
    scored_count: int = 0

    def mean(self) -> float | None:
        """Mean option count over the scored controls, or over all of them when every control
        errored (so that a target no reader could follow is "not informative", never silently
        informative because its errors hid that the controls were multiple choice)."""
        if self.scored_count:
            return self.scored_total / self.scored_count
        return self.total / self.count if self.count else None


@dataclass
class AxisCalls:
    """One axis's judged cases (``calls``, controls included: one case is one call), its
    errored ones, ``{judge's reason: cases}`` and a few target error messages."""

    calls: int = 0
    errors: int = 0
    reasons: dict[str, int] = field(default_factory=dict)
    examples: list[str] = field(default_factory=list)


@dataclass
class RunPass:
    """What the pass counted: per axis, for the whole run, and per probe's controls."""

    axes: dict[str, AxisCalls] = field(default_factory=dict)
    cases: int = 0
    calls: int = 0
    errors: int = 0
    replies: int = 0
    cached_replies: int = 0
    options: dict[str, _Options] = field(default_factory=dict)
    logging: LoggingGaps = field(default_factory=LoggingGaps)

    def axis(self, name: str) -> AxisCalls:
        """The axis's counts (empty when nothing of it was judged)."""
        return self.axes.get(name) or AxisCalls()

    def chance_options(self, probe: str) -> float | None:
        """Mean option count of the probe's multiple-choice controls (None: not MC)."""
        o = self.options.get(probe)
        return o.mean() if o else None

    def add(self, case: Case, verdict: Verdict | None, replies: Sequence[Reply]) -> None:
        """Count one case with its verdict (None: not judged, not a call) and its replies."""
        self.cases += 1
        self.replies += len(replies)
        self.cached_replies += sum(r.cached for r in replies)
        self.logging.add(case.id, bool(replies), verdict is not None,
                         has_output=has_output(replies))
        if verdict is None:
            return
        entry = self.axes.setdefault(case.axis, AxisCalls())
        entry.calls += 1
        self.calls += 1
        if verdict.outcome == "error":
            entry.errors += 1
            self.errors += 1
            _count_error(entry, verdict, replies)
        if n := _mc_options(case):
            o = self.options.setdefault(case.probe, _Options())
            o.total, o.count = o.total + n, o.count + 1
            if verdict.outcome != "error":
                o.scored_total, o.scored_count = o.scored_total + n, o.scored_count + 1


def _mc_options(case: Case) -> int:
    opts = case.gold.get("options") if case.role == "control" else None
    return len(opts) if isinstance(opts, Mapping) else 0


def _count_error(entry: AxisCalls, verdict: Verdict, replies: Sequence[Reply]) -> None:
    why = str(verdict.detail.get("reason") or "error")
    entry.reasons[why] = entry.reasons.get(why, 0) + 1
    for r in replies:
        msg = (r.error or "")[:EXAMPLE_CHARS]
        if msg and msg not in entry.examples and len(entry.examples) < ERROR_EXAMPLES:
            entry.examples.append(msg)


def run_pass(
    cases: Iterable[Case],
    verdicts: Mapping[str, Verdict],
    replies: Mapping[str, Sequence[Reply]],
) -> RunPass:
    """Count the run in one pass over its cases (each case's verdict and replies looked up).

    ``cases`` may be a stream (e.g. windows of ``Store.iter_case_windows`` flattened, with
    ``verdicts_for`` and ``replies_for`` of each window): :meth:`RunPass.add` keeps only counts.
    """
    out = RunPass()
    for c in cases:
        out.add(c, verdicts.get(c.id), replies.get(c.id, ()))
    return out
