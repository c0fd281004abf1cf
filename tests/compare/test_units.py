"""Folding judged cases into comparison units by the probe's own definition (for DAS: an item
fails when any scored perturbation of it failed), a unit with only errors is an error (never a
pass or a failure), controls are static units only, and the same case content gives the same
keys in every run."""

from __future__ import annotations

from datetime import UTC, datetime

from hypothesis import given, settings
from hypothesis import strategies as st

from medtrust.compare._units import run_outcomes
from medtrust.probes import ProbeContext, probes
from medtrust.records import Case, RunInfo, Verdict

OUTCOME = st.sampled_from(["pass", "fail", "error"])
INFO = RunInfo(id="r", suite="s", target="t", seed=0, status="done", created_at=datetime.now(UTC))
DAS = [probes.get("robustness.das")(ctx=ProbeContext())]


def _case(item: str, op: str, role: str = "perturbation", parent: str | None = None) -> Case:
    return Case.make(
        axis="robustness", probe="robustness.das", operator=op, role=role,  # type: ignore[arg-type]
        messages=[{"role": "user", "content": f"{item} {op}"}],
        gold={"options": {"A": "x", "B": "y"}, "accept": ["A"]}, item_id=item, parent_id=parent,
    )  # fmt: skip


@settings(max_examples=200, deadline=None)
@given(
    st.dictionaries(
        st.sampled_from([f"i{k}" for k in range(6)]),
        st.tuples(OUTCOME, st.lists(OUTCOME, min_size=0, max_size=4)),
        max_size=6,
    ),
    st.integers(1, 7),
)
def test_units_fold_like_the_headline_rate(
    items: dict[str, tuple[str, list[str]]], window: int
) -> None:
    """Read ``window`` cases at a time (the store's windows): the units do not depend on it."""
    cases, verdicts = [], {}
    for item, (control, perturbed) in items.items():
        c = _case(item, "baseline", "control")
        cases.append(c)
        verdicts[c.id] = Verdict(case_id=c.id, judge="j", outcome=control)  # type: ignore[arg-type]
        for k, outcome in enumerate(perturbed):
            p = _case(item, f"op{k}", parent=c.id)
            cases.append(p)
            verdicts[p.id] = Verdict(case_id=p.id, judge="j", outcome=outcome)  # type: ignore[arg-type]
    out = run_outcomes(INFO, cases, verdicts, DAS, window=window)
    one = run_outcomes(INFO, cases, verdicts, DAS, window=len(cases) + 1)
    assert {a: (o.scored, o.errors) for a, o in out.axes.items()} == {
        a: (o.scored, o.errors) for a, o in one.axes.items()
    }
    assert (out.static.scored, out.static.errors) == (one.static.scored, one.static.errors)
    axis = out.axes.get("robustness")
    for item, (control, perturbed) in items.items():
        key = f"robustness.das|{item}"
        scored = [o for o in perturbed if o != "error"]
        if not perturbed:
            assert axis is None or (key not in axis.scored and key not in axis.errors)
        elif scored:
            assert axis is not None and axis.scored[key] == int("fail" in scored)
        else:
            assert axis is not None and key in axis.errors and key not in axis.scored
        if control == "error":
            assert key in out.static.errors
        else:
            assert out.static.scored[key] == int(control == "fail")
    if axis is not None:
        # errors as the run summary counts them: errored calls, controls included
        assert axis.error_cases == sum(
            (c == "error") + p.count("error") for c, p in items.values()
        )
        for op, units in out.operators["robustness"].items():
            assert all(k.startswith("robustness.das|") for k in units.scored), op


def test_unjudged_cases_are_absent() -> None:
    c = _case("i1", "op0")
    out = run_outcomes(INFO, [c], {}, DAS)
    assert out.axes == {} and out.judged == 0 and out.static.n == 0
