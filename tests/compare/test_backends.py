"""A comparison on both stores: SQLite and PostgreSQL (``MEDTRUST_TEST_PG_URL``; under CI=true
the PostgreSQL half fails rather than skips when it is unset, see tests/store/_pg.py)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from store._pg import BACKENDS, database_url  # tests/ is on sys.path (rootdir conftest)

from .conftest import SUITE, Planted, invoke, json_of

TARGETS = {"a": {"static": 0.95, "fool": 0.5}, "b": {"static": 0.75, "fool": 0.05}}


@pytest.fixture(params=BACKENDS)
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    yield from database_url(request.param, tmp_path)


def test_comparison_runs_and_drift_on_each_backend(planted: Planted, db_url: str) -> None:
    planted({**TARGETS, "b2": {**TARGETS["b"], "model": "b", "fool": 0.4}})
    out = json_of(
        "run",
        SUITE,
        "-t",
        "python:planted:a",
        "-t",
        "python:planted:b",
        "--db",
        db_url,
        "--out",
        "rep",
    )
    cid = out["comparison"]
    listed = json_of("runs", "--db", db_url)["runs"]
    assert sorted(r["comparison"] for r in listed) == [cid, cid]
    c = json_of("compare", cid, "--db", db_url)
    ranks = {r["target"]: r["rank"] for r in c["axes"]["robustness"]["ranks"]}
    assert ranks == {"python:planted:a": 2.0, "python:planted:b": 1.0}
    assert c["static_vs_dynamic"]["kendall_tau"] == -1.0
    new = json_of("run", SUITE, "-t", "python:planted:b2", "--db", db_url, "--out", "r2")
    base = out["runs"][1]["run_id"]
    (d,) = json_of("compare", "--baseline", base, new["run_id"], "--db", db_url)["drift"]
    assert d["axes"]["robustness"]["significant"] and d["changed"]
    res = invoke("compare", cid[:10], "--db", db_url)  # a unique prefix names the comparison
    assert res.exit_code == 0, res.output
