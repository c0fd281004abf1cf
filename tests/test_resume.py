"""Kill -9 a real ``medtrust run`` mid-flight, resume it, and check nothing was lost or
duplicated: the resumed run equals an uninterrupted one, and only missing replies were asked."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

SLOW = (
    "import time\n"
    "from oracle import answer as _a\n"
    "def answer(messages):\n"
    "    time.sleep(0.02)\n"
    "    return _a(messages)\n"
)


def medtrust(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "medtrust", *args],
        cwd=cwd,
        text=True,
        capture_output=True,
        timeout=300,
    )


def count(db: Path, sql: str) -> int:
    with sqlite3.connect(db) as con:
        return int(con.execute(sql).fetchone()[0])


def test_resume_after_kill_loses_and_duplicates_nothing(oracle_dir: Path) -> None:
    (oracle_dir / "slow.py").write_text(SLOW)
    db = oracle_dir / "r.db"
    args = ["run", "--target", "python:slow:answer", "--limit", "20", "--concurrency", "2"]
    proc = subprocess.Popen(
        [sys.executable, "-m", "medtrust", *args, "--db", f"sqlite:///{db}"],
        cwd=oracle_dir,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 120
    stored = 0
    while time.monotonic() < deadline:
        time.sleep(0.1)
        if db.exists():
            try:
                stored = count(db, "select count(*) from replies")
            except sqlite3.OperationalError:
                continue
            if stored >= 40:
                break
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert stored >= 40, "the run never got going"
    stored = count(db, "select count(*) from replies")
    calls_before = len((oracle_dir / "oracle_calls.log").read_text().splitlines())

    listed = json.loads(
        medtrust("runs", "--json", "--db", f"sqlite:///{db}", cwd=oracle_dir).stdout
    )
    (run,) = listed["runs"]
    assert run["status"] == "interrupted"

    res = medtrust(
        "run", "--resume", run["id"], "--json", "--db", f"sqlite:///{db}", cwd=oracle_dir
    )
    assert res.returncode == 0, res.stderr
    resumed: dict[str, Any] = json.loads(res.stdout)
    assert resumed["run_id"] == run["id"] and resumed["status"] == "done"
    calls_after = len((oracle_dir / "oracle_calls.log").read_text().splitlines()) - calls_before

    total = count(db, "select count(*) from replies")
    distinct = count(db, "select count(*) from (select distinct case_id, sample from replies)")
    assert total == distinct  # nothing duplicated
    assert total == count(db, "select count(*) from cases")  # one sample per case, none missing
    assert count(db, "select count(*) from verdicts") == total
    # Only what was missing was asked again. A reply can reach the response cache just before
    # the kill and its reply row not: the resumed run then takes it from the cache, no call.
    assert calls_after + resumed["cached_replies"] == total - stored

    fresh = medtrust(
        *args, "--json", "--no-cache", "--db", f"sqlite:///{oracle_dir / 'f.db'}", cwd=oracle_dir
    )
    assert fresh.returncode == 0, fresh.stderr
    assert json.loads(fresh.stdout)["axes"] == resumed["axes"]


def test_resume_of_a_finished_run_is_refused(oracle_dir: Path) -> None:
    res = medtrust(
        "run",
        "--target",
        "python:oracle:answer",
        "--limit",
        "2",
        "--json",
        "--db",
        "sqlite:///d.db",
        cwd=oracle_dir,
    )
    rid = json.loads(res.stdout)["run_id"]
    again = medtrust("run", "--resume", rid, "--db", "sqlite:///d.db", cwd=oracle_dir)
    assert again.returncode == 2 and "already done" in again.stderr


def test_resume_of_a_run_still_running_here_is_refused(oracle_dir: Path) -> None:
    """A second process on a live run would ask the same calls again (paid) and clash when
    both build the review queue: ``--resume`` refuses it while the first one lives."""
    (oracle_dir / "held.py").write_text(
        "import time\nfrom pathlib import Path\nfrom oracle import answer as _a\n"
        "def answer(messages):\n"
        "    Path('started').touch()\n"
        "    while not Path('release').exists():\n"
        "        time.sleep(0.02)\n"
        "    return _a(messages)\n"
    )
    first = subprocess.Popen(
        [sys.executable, "-m", "medtrust", "run", "--target", "python:held:answer", "--limit",
         "2", "--json", "--db", "sqlite:///live.db"],
        cwd=oracle_dir, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 120  # a guard against a hang, not a timing assertion
        while not (oracle_dir / "started").exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        rid = subprocess.run(
            [sys.executable, "-m", "medtrust", "runs", "--json", "--db", "sqlite:///live.db"],
            cwd=oracle_dir, text=True, capture_output=True, check=True,
        ).stdout  # fmt: skip
        (run,) = json.loads(rid)["runs"]
        again = medtrust("run", "--resume", run["id"], "--db", "sqlite:///live.db", cwd=oracle_dir)
        assert again.returncode == 2
        assert f"run {run['id']} is still running (process {first.pid}" in " ".join(
            again.stderr.split()
        )
    finally:
        (oracle_dir / "release").touch()
        out, err = first.communicate(timeout=300)
    assert first.returncode == 0, err
    assert json.loads(out)["run_id"] == run["id"]
