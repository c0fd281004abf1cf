"""Stage-0 cases are built once (issue 15 item 7): the up-front check of a text-only target's
cases (bad input writes nothing) hands what it built to the engine, up to one window of
cases; past that the engine builds them again, streamed, so memory stays flat. Either way the
run stores and asks exactly the same cases."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest

from medtrust.api import _run, make_config, run
from medtrust.errors import ConfigError
from medtrust.probes.robustness._stream import LazyCases
from medtrust.probes.robustness.das import DASRobustness
from medtrust.records import Case
from medtrust.store import Store

SUITE = """\
name: reuse
probes:
  - name: robustness.das
    limit: 6
    params:
      operators: [distraction]
"""


@pytest.fixture(params=["list", "stream"])
def built(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Counts the cases each iteration of the probe's stage-0 cases made (one entry per
    iteration), the probe returning them as a list or as a lazy sequence (a streamed
    ``--data`` file)."""
    counts: list[int] = []
    original = DASRobustness.cases

    def counting(self: DASRobustness) -> Sequence[Case]:
        def make() -> Iterator[Case]:
            counts.append(0)
            for case in original(self):
                counts[-1] += 1
                yield case

        if request.param == "list":
            return list(make())
        return LazyCases(make, len(original(self)))

    monkeypatch.setattr(DASRobustness, "cases", counting)
    return counts


def _stored(store: Store, run_id: str) -> list[tuple[str, str, str]]:
    return [(c.id, c.role, c.operator) for c in store.cases(run_id)]


def test_cases_are_built_once_and_the_run_is_the_same(
    oracle_dir: Path, built: list[int], monkeypatch: pytest.MonkeyPatch, request: Any
) -> None:
    (oracle_dir / "reuse.yaml").write_text(SUITE)
    config = make_config("reuse.yaml", target="python:oracle:answer", seed=3, use_cache=False)
    once = Store("sqlite:///once.db")
    first = run(config, store=once)
    assert built == [6]  # 6 items' stage-0 cases, made one time

    built.clear()
    monkeypatch.setattr(_run, "WINDOW", 4)  # fewer kept than a stream makes: made again
    twice = Store("sqlite:///twice.db")
    second = run(config, store=twice)
    streamed = request.node.callspec.params["built"] == "stream"
    assert built == ([6, 6] if streamed else [6])  # a list is kept whole (the engine holds it)
    assert _stored(twice, second.run.id) == _stored(once, first.run.id)
    assert second.summary.model_dump(exclude={"run_id", "created_at", "finished_at"}) == (
        first.summary.model_dump(exclude={"run_id", "created_at", "finished_at"})
    )


def test_a_bad_case_still_stops_the_run_before_anything_is_stored(
    oracle_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The check still walks every case, also past the cases it keeps: an image case at the
    end (after the window) stops a text-only target's run with nothing written."""
    (oracle_dir / "reuse.yaml").write_text(SUITE)
    original = DASRobustness.cases

    def with_image_last(self: DASRobustness) -> Sequence[Case]:
        cases = list(original(self))
        image = [{"role": "user", "content": [{"type": "image_url", "image_url": {"url": "x"}}]}]
        return [*cases, cases[-1].model_copy(update={"messages": image})]

    monkeypatch.setattr(DASRobustness, "cases", with_image_last)
    monkeypatch.setattr(_run, "WINDOW", 2)
    config = make_config("reuse.yaml", target="python:oracle:answer", seed=3)
    store = Store("sqlite:///bad.db")
    with pytest.raises(ConfigError, match="sends images but target"):
        run(config, store=store)
    assert store.list_runs() == []
