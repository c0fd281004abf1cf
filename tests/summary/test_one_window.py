"""Issue 15 item 7: a run of one view window is read once for the whole summary, and the
summary it gives is the one the windowed store views give (every number, every note)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from medtrust.cli import app
from medtrust.engine import probe_views, run_views
from medtrust.plan import probes_for
from medtrust.store import Store
from medtrust.summary import summarize
from medtrust.summary._rows import one_window_rows
from medtrust.summary._stage import RunRows, summarize_rows

runner = CliRunner()
DB = "sqlite:///w.db"


@pytest.fixture
def stored(oracle_dir: Path) -> tuple[Store, str]:
    """A real quickstart run (several probes and axes, attack rounds) in a SQLite file."""
    args = ["run", "quickstart", "--target", "python:oracle:answer", "--db", DB, "--limit", "2"]
    res = runner.invoke(app, [*args, "--json"], catch_exceptions=False)
    assert res.exit_code == 0, res.output
    return Store(DB), json.loads(res.stdout)["run_id"]


def _windowed(store: Store, run_id: str) -> RunRows:
    cases, verdicts, replies = run_views(store, run_id)
    return RunRows(cases=cases, verdicts=verdicts, replies=replies,
                   per_probe=lambda p: probe_views(store, run_id, p.name))


def test_one_window_summary_equals_the_windowed_views_summary(stored: tuple[Store, str]) -> None:
    store, run_id = stored
    info = store.get_run(run_id)
    plist = probes_for(info)
    got = summarize(store, info, plist).to_json()  # one window: read once
    want = summarize_rows(info, plist, _windowed(store, run_id)).to_json()
    assert got == want
    assert got["cases"] == store.count_cases(run_id) > 2  # attack rounds were stored too


def test_each_probe_gets_what_its_view_holds(stored: tuple[Store, str]) -> None:
    store, run_id = stored
    rows = one_window_rows(store, run_id)
    assert rows is not None
    cases, verdicts, replies, per_probe = rows
    assert [c.id for c in cases] == [c.id for c in store.iter_cases(run_id)]
    for p in probes_for(store.get_run(run_id)):
        mine, theirs = per_probe(p), probe_views(store, run_id, p.name)
        assert [c.id for c in mine[0]] == [c.id for c in theirs[0]]
        assert list(mine[1]) == list(theirs[1])  # same keys, same order
        assert {k: mine[1][k] for k in mine[1]} == {k: theirs[1][k] for k in theirs[1]}
        other = next((c.id for c in cases if c.probe != p.name and c.id in verdicts), None)
        if other is not None:  # a view also answers for a case of another probe
            assert mine[1].get(other) == theirs[1].get(other)
    assert replies == store.replies_for(run_id, [c.id for c in cases])


def test_a_run_beyond_one_window_is_left_to_the_views(stored: tuple[Store, str]) -> None:
    store, run_id = stored
    n = store.count_cases(run_id)
    assert one_window_rows(store, run_id, window=n - 1) is None
    assert one_window_rows(store, run_id, window=n) is not None
