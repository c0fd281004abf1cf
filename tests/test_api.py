"""The Python API: ``run`` starts a run, ``resume`` finishes an interrupted one (a separate
function, issue 19 item 4), ``make_config`` names the flag of a bad value, ``export_cases``
writes JSONL or an Inspect dataset."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from medtrust import api
from medtrust.errors import ConfigError, MedtrustError
from medtrust.store import Store

FLAKY = (
    "from pathlib import Path\n"
    "from oracle import answer as _a\n"
    "def answer(messages):\n"
    "    n = len(Path('oracle_calls.log').read_text().splitlines()) if Path('oracle_calls.log')"
    ".exists() else 0\n"
    "    if n == 5 and Path('interrupt').exists():\n"
    "        Path('interrupt').unlink()\n"
    "        raise KeyboardInterrupt\n"
    "    return _a(messages)\n"
)


def _count(db: Path, sql: str) -> int:
    with sqlite3.connect(db) as con:
        return int(con.execute(sql).fetchone()[0])


def test_resume_finishes_an_interrupted_run_and_equals_a_fresh_one(oracle_dir: Path) -> None:
    (oracle_dir / "flaky.py").write_text(FLAKY)
    (oracle_dir / "interrupt").touch()
    db = oracle_dir / "r.db"
    store = Store(f"sqlite:///{db}")
    config = api.make_config("robustness", target="python:flaky:answer", limit=3, concurrency=1)
    with pytest.raises(KeyboardInterrupt):
        api.run(config, store=store)
    (info,) = store.list_runs()
    assert info.status == "interrupted"
    stored = _count(db, "select count(*) from replies")

    result = api.resume(info.id, store=store)
    assert result.run.id == info.id and result.run.status == "done"
    total = _count(db, "select count(*) from replies")
    distinct = "select count(*) from (select distinct case_id, sample from replies)"
    assert total == _count(db, distinct)
    assert total == _count(db, "select count(*) from cases") > stored
    assert result.stats is not None and result.stats.replies == total - stored

    fresh = api.run(config, store=Store(f"sqlite:///{oracle_dir / 'f.db'}"))
    assert fresh.summary.to_json()["axes"] == result.summary.to_json()["axes"]


def test_resume_of_a_done_run_is_refused(oracle_dir: Path) -> None:
    store = Store(f"sqlite:///{oracle_dir / 'd.db'}")
    config = api.make_config("robustness", target="python:oracle:answer", limit=1)
    done = api.run(config, store=store)
    with pytest.raises(MedtrustError, match="already done"):
        api.resume(done.run.id, store=store)


def test_run_takes_no_resume_argument() -> None:
    import inspect

    assert "resume" not in inspect.signature(api.run).parameters
    assert next(iter(inspect.signature(api.resume).parameters)) == "run_id"


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"timeout_s": -1.0}, "--timeout"),
        ({"max_retries": 99}, "--retries"),
        ({"replicas": 0}, "--replicas"),
        ({"replica_gpus": -0.5}, "--replica-gpus"),
        ({"with_bundled": True}, "--with-bundled"),
        ({"temperature": -3.0}, "sampling"),
        ({"attacker": "python:oracle:answer"}, "--attacker"),
    ],
)
def test_make_config_names_the_flag(overrides: dict[str, object], message: str) -> None:
    suite = "quickstart" if "attacker" in overrides else "robustness"
    with pytest.raises(ConfigError, match=message):
        api.make_config(suite, **overrides)


def test_make_config_sets_ray_fields_and_sampling() -> None:
    config = api.make_config(
        "robustness", ray="auto", replicas=4, replica_cpus=0.5, replica_gpus=1.0,
        temperature=0.7, max_tokens=64,
    )  # fmt: skip
    assert (config.ray, config.replicas, config.replica_cpus, config.replica_gpus) == (
        "auto", 4, 0.5, 1.0,
    )  # fmt: skip
    assert config.suite.sampling.temperature == 0.7 and config.suite.sampling.max_tokens == 64


def test_export_cases_jsonl_and_inspect_hold_the_same_cases(tmp_path: Path) -> None:
    jl, ins = tmp_path / "cases.jsonl", tmp_path / "inspect.jsonl"
    n = api.export_cases("robustness", seed=0, limit=2, data=None, out=jl)
    m = api.export_cases("robustness", seed=0, limit=2, data=None, out=ins, fmt="inspect")
    assert n == m > 0
    ids = [json.loads(line)["id"] for line in jl.read_text().splitlines()]
    rows = [json.loads(line) for line in ins.read_text().splitlines()]
    assert [r["id"] for r in rows] == ids
    assert all(r["metadata"]["case_id"] == r["id"] for r in rows)


def test_export_with_an_unknown_format_writes_nothing(tmp_path: Path) -> None:
    out = tmp_path / "x.jsonl"
    with pytest.raises(MedtrustError, match="--format 'csv'"):
        api.export_cases("robustness", seed=0, limit=1, data=None, out=out, fmt="csv")
    assert not out.exists()
