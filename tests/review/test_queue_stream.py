"""Issue 15: the review queue is streamed from the store in windows of cases, yet lists exactly
the items of the whole-list queue it replaced (``_reference_queue``), in the same order, for
every axis's definition of failure (flips pooled across windows, fairness controls in another
window, multi-modal patients), with or without a stored concern queue; ``review queue --json``
prints the same bytes as before, written item by item, and ``--limit`` lists fewer, counts all.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from medtrust import api
from medtrust.cli import app
from medtrust.review._queue import CALIBRATION_MIN, CALIBRATION_SHARE
from medtrust.review._queue_stream import QueueStream
from medtrust.store import Store

from ._reference_queue import reference_queue
from .test_queue_labels import RUN, build

runner = CliRunner()


@pytest.mark.parametrize(("share", "minimum"), [(0.0, 0), (0.2, 5), (0.5, 1)])
@pytest.mark.parametrize("batch", [1, 2, 1000])
def test_streamed_queue_equals_the_whole_list_queue(
    tmp_path: Path, share: float, minimum: int, batch: int
) -> None:
    store, _, _ = build(tmp_path)  # bias, fairness, multi-modal, open answers, privacy...
    want = reference_queue(store, RUN, share=share, minimum=minimum)
    stream = QueueStream(store, RUN, share=share, minimum=minimum, batch=batch)
    got = list(stream)
    assert got == want and stream.total == len(want)
    assert got == list(stream)  # iterating again reads the store again, the same


@pytest.mark.parametrize("suite", ["robustness", "cognitive_bias", "fairness", "multimodal"])
def test_a_stored_run_queue_equals_the_whole_list_queue(oracle_dir: Path, suite: str) -> None:
    db = oracle_dir / "q.db"
    store = Store(f"sqlite:///{db}")
    run = api.run(api.make_config(suite, target="python:oracle:answer", limit=4), store=store)
    rid = run.run.id
    for queued in (True, False):  # the trigger's stored queue, then scored on the fly
        if not queued:
            store.replace_concerns(rid, [])
        want = reference_queue(store, rid)
        assert want  # something to list: uncertain, failures or a calibration sample
        assert list(QueueStream(store, rid, share=CALIBRATION_SHARE, minimum=CALIBRATION_MIN,
                                batch=3)) == want  # fmt: skip


def test_cli_json_is_the_same_bytes_streamed_and_limit_counts_all(tmp_path: Path) -> None:
    store, _, _ = build(tmp_path)
    db = f"sqlite:///{tmp_path / 'q.db'}"
    items = [q.as_dict() for q in reference_queue(store, RUN)]
    out = runner.invoke(app, ["review", "queue", RUN, "--db", db, "--json"])
    assert out.exit_code == 0, out.output
    want = {"run_id": RUN, "concern_threshold": 0.7, "assignees": [], "queue": items}
    assert out.stdout == json.dumps(want, indent=2, default=str) + "\n"
    short = runner.invoke(app, ["review", "queue", RUN, "--db", db, "--json", "--limit", "2"])
    assert json.loads(short.stdout)["queue"] == items[:2]
    none = runner.invoke(app, ["review", "queue", RUN, "--db", db, "--json", "--limit", "0"])
    assert none.stdout == json.dumps({**want, "queue": []}, indent=2) + "\n"
    text = runner.invoke(app, ["review", "queue", RUN, "--db", db, "--limit", "1"])
    assert f"{len(items)} cases" in text.output
    assert len([x for x in text.output.splitlines() if x.startswith(items[0]["category"])]) == 1
