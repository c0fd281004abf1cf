"""Caching never hides a change: the key follows the target's code and weights, every cached
reply is flagged and counted, and a cache row whose text no longer matches its audited digest
is asked again (``cache_rejected``), never reused."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from medtrust.api import make_config, run
from medtrust.cli import app
from medtrust.store import Store
from medtrust.targets import load_chat_target
from medtrust.targets._base import _HASHES, file_sha256

runner = CliRunner()

SUITE = """\
name: tiny
probes:
  - name: robustness.das
    limit: 3
    params:
      operators: [distraction]
"""


def cli_run(db: str, *extra: str) -> tuple[dict[str, Any], str]:
    res = runner.invoke(
        app,
        ["run", "tiny.yaml", "--target", "python:oracle:answer", "--db", db, "--json", *extra],
    )
    assert res.exit_code == 0, res.output
    return json.loads(res.stdout), res.output  # the JSON on stdout; the cache line on stderr


def replies(db: str, run_id: str) -> list[Any]:
    return [r for rs in Store(db).replies(run_id).values() for r in rs]


@pytest.fixture
def tiny(oracle_dir: Path) -> Path:
    (oracle_dir / "tiny.yaml").write_text(SUITE)
    return oracle_dir


def test_second_run_is_all_cached_and_flagged_and_says_so(tiny: Path) -> None:
    db = "sqlite:///c.db"
    first, out1 = cli_run(db)
    n = len(replies(db, first["run_id"]))
    assert n > 3 and not any(r.cached for r in replies(db, first["run_id"]))
    assert f"0 of {n} replies from the cache" in " ".join(out1.split())
    second, out2 = cli_run(db)
    rs = replies(db, second["run_id"])
    assert len(rs) == n and all(r.cached for r in rs)  # the flag is stored on every reply
    assert f"{n} of {n} replies from the cache" in " ".join(out2.split())
    calls = len(Path("oracle_calls.log").read_text().splitlines())
    assert calls == n  # the second run called the target not once


def test_editing_the_python_module_changes_the_key(tiny: Path) -> None:
    db = "sqlite:///e.db"
    cli_run(db)
    oracle = tiny / "oracle.py"
    oracle.write_text(oracle.read_text() + "\n# edited: same answers, new code\n")
    second, out = cli_run(db)
    rs = replies(db, second["run_id"])
    assert rs and not any(r.cached for r in rs)
    assert f"0 of {len(rs)} replies from the cache" in " ".join(out.split())


def test_python_identity_hashes_the_module_file(tiny: Path) -> None:
    before = load_chat_target("python:oracle:answer").cache_identity()
    assert before.startswith("python:oracle:answer#oracle.py=")
    assert file_sha256(tiny / "oracle.py") in before
    (tiny / "oracle.py").write_text((tiny / "oracle.py").read_text() + "\nX = 1\n")
    after = load_chat_target("python:oracle:answer")
    assert after.cache_identity() != before
    assert getattr(after.fn, "__module__", None) == "oracle"
    import oracle  # type: ignore[import-not-found]

    assert oracle.X == 1  # the edited module was reloaded, not the old code re-used


def test_local_identity_is_the_gguf_files_sha256_hashed_once(tmp_path: Path) -> None:
    model = tmp_path / "m.gguf"
    model.write_bytes(b"GGUF" + b"\0" * 1000)
    target = load_chat_target(f"local:{model}")
    first = target.cache_identity()
    import hashlib

    assert first == f"local:{model}#sha256={hashlib.sha256(model.read_bytes()).hexdigest()}"
    key = next(k for k in _HASHES if k[0] == str(model.resolve()))
    _HASHES[key] = "memo"  # a second call must use the memo: same path, size and mtime
    assert target.cache_identity() == f"local:{model}#sha256=memo"
    model.write_bytes(b"GGUF" + b"\1" * 1000)  # new weights: re-hashed
    assert target.cache_identity() not in (first, f"local:{model}#sha256=memo")


@pytest.mark.parametrize("also_digest", [False, True])
def test_tampered_cache_text_is_never_reused(tiny: Path, also_digest: bool) -> None:
    db_file = tiny / "t.db"
    db = f"sqlite:///{db_file}"
    first, _ = cli_run(db)
    honest = {r.case_id: r.text for r in replies(db, first["run_id"])}
    con = sqlite3.connect(db_file)
    con.execute("UPDATE cache SET text = 'Z. tampered'")
    if also_digest:  # a consistent forgery of row and digest still misses the audited digest
        import hashlib

        forged = hashlib.sha256(b"Z. tampered").hexdigest()
        con.execute("UPDATE cache SET digest = ?", (forged,))
    con.commit()
    con.close()
    config = make_config("tiny.yaml", target="python:oracle:answer")
    result = run(config, store=Store(db))
    assert result.stats is not None
    rs = replies(db, result.run.id)
    assert rs and all(r.text != "Z. tampered" for r in rs)
    assert {r.case_id: r.text for r in rs} == honest
    assert not any(r.cached for r in rs)
    assert result.stats.cache_rejected == len(rs) and result.stats.cached == 0
    # the fresh replies replaced the tampered entries: the next run reuses them again
    again = run(config, store=Store(db))
    assert again.stats is not None and again.stats.cached == len(rs)


def test_cache_writes_are_in_the_audit_chain_and_verify(tiny: Path) -> None:
    db = "sqlite:///a.db"
    first, _ = cli_run(db)
    store = Store(db)
    events = [e for e in store.audit_events(first["run_id"]) if e.kind == "cache"]
    assert events, "cache puts are not audited"
    assert len(events) < len(replies(db, first["run_id"]))  # batched, not one per reply
    res = runner.invoke(app, ["audit", "verify", "--db", db, "--json"])
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout)["ok"] is True


def test_a_package_target_hashes_the_file_that_defines_the_callable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pkg = tmp_path / "mtpkg_cache"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("from mtpkg_cache.impl import answer\n")
    (pkg / "impl.py").write_text("def answer(messages):\n    return 'A'\n")
    monkeypatch.chdir(tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path))
    before = load_chat_target("python:mtpkg_cache:answer").cache_identity()
    assert "__init__.py=" in before and "impl.py=" in before
    (pkg / "impl.py").write_text("def answer(messages):\n    return 'B'\n")
    assert load_chat_target("python:mtpkg_cache:answer").cache_identity() != before
