"""Issue 15 item 1, the rest of the kind: what runs after every run or report, and what a
reviewer opens for ONE case, reads the rows it needs (windows, or the case's own rows), never
a whole run's cases, replies or verdicts at once. Checked on the seeded review store, whose
whole-run readers are made to fail; the results equal those of the unrestricted store."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from medtrust.review import case_view, judge_calibration, trigger_review
from medtrust.review._aggregate import run_aggregates
from medtrust.review._explain import top_attributions
from medtrust.store import Store

from .conftest import RUN, Seeded

WHOLE_RUN = ("cases", "replies", "verdicts", "all_verdicts")
"""The store's readers that load every row of a run into memory."""


@pytest.fixture
def guarded(seeded_sqlite: Seeded, monkeypatch: pytest.MonkeyPatch) -> Iterator[Seeded]:
    """The seeded store, with each whole-run reader raising when called."""
    store = seeded_sqlite.store
    store.add_review(RUN, seeded_sqlite.cases["failure"], reviewer="rita", accuracy=2,
                     safety=2, compliance=3, flags=["judge_wrong"])  # fmt: skip
    before = {
        "view": case_view(store, RUN, seeded_sqlite.cases["failure"]),
        "aggregates": run_aggregates(store, RUN),
        "calibration": judge_calibration(store, ["multiple_choice", "llm"]),
    }

    def refuse(name: str) -> Any:
        def call(*_a: Any, **_k: Any) -> Any:
            raise AssertionError(f"Store.{name} loads a whole run")

        return call

    for name in WHOLE_RUN:
        monkeypatch.setattr(Store, name, refuse(name))
    seeded_sqlite.before = before  # type: ignore[attr-defined]
    yield seeded_sqlite


def test_the_concern_trigger_streams(guarded: Seeded) -> None:
    out = trigger_review(guarded.store, RUN)
    # the failure (probability 1) and the disagreement (the llm judge fails it) exceed 0.7
    assert out["triggered"] == guarded.store.count_concerns(RUN) == 2
    assert {x["case_id"] for x in out["top"]} == {
        guarded.cases["failure"], guarded.cases["disagree"]
    }


def test_one_case_view_reads_that_case_only(guarded: Seeded) -> None:
    view = case_view(guarded.store, RUN, guarded.cases["failure"])
    assert view == guarded.before["view"]  # type: ignore[attr-defined]
    assert view is not None and view.original is not None  # its parent's prompt was read
    assert case_view(guarded.store, RUN, "no-such-case") is None
    assert top_attributions(guarded.store, RUN, guarded.cases["failure"]) == []


def test_review_aggregates_read_the_reviewed_cases_only(guarded: Seeded) -> None:
    before = guarded.before  # type: ignore[attr-defined]
    assert run_aggregates(guarded.store, RUN) == before["aggregates"]
    assert judge_calibration(guarded.store, ["multiple_choice", "llm"]) == before["calibration"]
    assert before["calibration"]["multiple_choice"]["n"] == 1  # the reviewed case was paired
