"""Flat memory (issue 15): a comparison reads each run in windows of cases, pairs the units in a
scratch database and draws its bootstrap in blocks. The window and the block size are memory
bounds only: with a window of 3 cases and blocks of a few resamples, compare, drift and the
regression gate give exactly what one window and one block give."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from medtrust.compare import _scratch, _stats
from medtrust.compare._stats import bootstrap_draws, bootstrap_weights

from .conftest import SUITE, Planted, invoke, json_of

DB = "sqlite:///s.db"
VERSIONS = {
    "v1": {"model": "m", "static": 0.8, "fool": 0.1},
    "v2": {"model": "m", "static": 0.7, "fool": 0.45},
}


def _run(target: str) -> str:
    out = json_of("run", SUITE, "-t", f"python:planted:{target}", "--db", DB, "--out", target)
    return str(out["run_id"])


def _outputs(old: str, new: str) -> tuple[Any, Any, str, int]:
    pair = json_of("compare", old, new, "--db", DB, "--resamples", "300")
    drift = json_of("compare", "--baseline", old, new, "--db", DB, "--resamples", "300")
    gate = invoke("gate", new, "--baseline", old, "--max-regression", "robustness=0.01",
                  "--db", DB)  # fmt: skip
    return pair, drift, gate.output, gate.exit_code


def test_tiny_windows_and_blocks_give_the_same_comparison(
    planted: Planted, monkeypatch: pytest.MonkeyPatch
) -> None:
    planted(VERSIONS)
    old, new = _run("v1"), _run("v2")
    whole = _outputs(old, new)
    fetches: list[int] = []
    real = _scratch.StoreSource.cases_for

    def counted(self: _scratch.StoreSource, ids: Any) -> Any:
        fetches.append(len(ids))
        return real(self, ids)

    monkeypatch.setattr(_scratch, "WINDOW", 3)
    monkeypatch.setattr(_stats, "CHUNK_CELLS", 40)
    monkeypatch.setattr(_scratch.StoreSource, "cases_for", counted)
    small = _outputs(old, new)
    # many small windows really were read (each a window of cases or of whole items)
    assert len(fetches) > 10 and min(fetches) <= 3
    assert small == whole
    pair, drift, _, code = whole
    # not vacuous: the runs differ, units changed and the gate tripped on them
    (d,) = drift["drift"]
    assert d["changed"] and d["axes"]["robustness"]["worse"] > 0 and code == 1
    assert pair["axes"]["robustness"]["ranks"][0]["ci95"] is not None


@pytest.mark.parametrize("units", [1, 7, 50])
@pytest.mark.parametrize("cells", [1, 10, 120, 10_000])
def test_bootstrap_blocks_are_the_rows_of_one_draw(units: int, cells: int) -> None:
    whole = bootstrap_weights(units, resamples=37, seed=5)
    blocks = bootstrap_draws(units, lambda w: w, resamples=37, seed=5, cells=cells)
    assert blocks.shape == whole.shape and np.array_equal(blocks, whole)


def test_no_unit_gives_one_statistic_per_resample() -> None:
    draws = bootstrap_draws(0, lambda w: w.sum(axis=1, keepdims=True), resamples=9, seed=0)
    assert draws.shape == (9, 1) and not draws.any()
