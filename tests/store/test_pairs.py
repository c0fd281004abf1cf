"""``Store.iter_case_heads`` (what ``compare`` pairs runs by): each case's grouping columns and
its verdict's outcome, in generation order, in windows of any size, exactly as the whole reads
(``iter_cases`` and ``verdicts_for``: the last judge in name order) give them."""

from __future__ import annotations

import uuid
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from medtrust.records import Case, Verdict
from medtrust.store import Store

OUTCOMES = st.lists(st.sampled_from(["pass", "fail", "error", None]), max_size=30)


def _case(i: int) -> Case:
    return Case.make(
        axis="robustness", probe="p" if i % 3 else "q", operator=f"op{i % 2}",
        role="control" if i % 4 == 0 else "perturbation",  # type: ignore[arg-type]
        messages=[{"role": "user", "content": f"q{i}"}], gold={"options": {"A": str(i)}},
        item_id=None if i % 5 == 0 else f"i{i // 4}",
    )  # fmt: skip


@settings(max_examples=20, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])  # fmt: skip
@given(outcomes=OUTCOMES, batch=st.integers(1, 8), second=st.booleans())
def test_heads_are_the_cases_with_their_verdicts(
    tmp_path: Path, outcomes: list[str | None], batch: int, second: bool
) -> None:
    store = Store(f"sqlite:///{tmp_path}/{uuid.uuid4().hex}.db", audit=False)
    store.create_run("r", suite="s", target="t", seed=0, config={})
    cases = [_case(i) for i in range(len(outcomes))]
    store.add_cases("r", cases)
    judged = [(c, o) for c, o in zip(cases, outcomes, strict=True) if o is not None]
    store.put_verdicts(
        "r",
        [
            Verdict(case_id=c.id, judge="a", outcome=o)  # type: ignore[arg-type]
            for c, o in judged
        ],
    )
    if second:  # a later judge (in name order) is the one a case's verdict is
        store.put_verdicts(
            "r", [Verdict(case_id=c.id, judge="b", outcome="fail") for c, _ in judged[::2]]
        )
    windows = list(store.iter_case_heads("r", batch=batch))
    assert all(0 < len(w) <= batch for w in windows)
    heads = [h for w in windows for h in w]
    whole = list(store.iter_cases("r"))
    verdicts = store.verdicts_for("r", [c.id for c in whole])
    assert [h.id for h in heads] == [c.id for c in whole]
    for h, c in zip(heads, whole, strict=True):
        assert (h.axis, h.probe, h.operator, h.role, h.item_id, h.gold) == (
            c.axis,
            c.probe,
            c.operator,
            c.role,
            c.item_id,
            c.gold,
        )
        v = verdicts.get(c.id)
        assert h.outcome == (v.outcome if v is not None else None)
