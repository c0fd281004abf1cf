"""A real run through the API: every stage's writes are audited, reports and gate decisions
are recorded and sealed, and a run killed with SIGKILL and resumed still verifies."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from medtrust import api
from medtrust.audit import verify
from medtrust.report import GateConfig
from medtrust.store import Store


def test_run_report_and_gate_are_audited(oracle_dir: Path) -> None:
    store = Store(f"sqlite:///{oracle_dir / 'a.db'}")
    config = api.make_config("quickstart", target="python:oracle:answer", limit=6)
    result = api.run(config, store=store, out_dir=oracle_dir / "report")
    run_id = result.run.id
    kinds = {e.kind for e in store.audit_events(run_id)}
    assert {"run", "status", "case", "reply", "verdict", "report", "seal"} <= kinds
    api.report(store, run_id, fmt="json", out=oracle_dir / "r.json")
    _, reasons = api.gate(store, run_id, GateConfig(max_risk=0.0))
    assert reasons  # the oracle is fooled: the gate fails, and that decision is recorded
    events = store.audit_events(run_id)
    assert [e.kind for e in events if e.kind in ("report", "gate")] == ["report", "report", "gate"]
    report = verify(store, run_id)
    assert report.ok, report.first and report.first.line()
    assert store.audit_seals(run_id)[-1].upto_seq >= max(e.seq for e in events if e.kind == "gate")


def test_killed_and_resumed_run_verifies(oracle_dir: Path) -> None:
    (oracle_dir / "slow.py").write_text(
        "import time\nfrom oracle import answer as _a\n"
        "def answer(messages):\n    time.sleep(0.01)\n    return _a(messages)\n"
    )
    db = oracle_dir / "k.db"
    args = ["run", "--target", "python:slow:answer", "--limit", "12", "--concurrency", "2",
            "--db", f"sqlite:///{db}"]  # fmt: skip
    proc = subprocess.Popen([sys.executable, "-m", "medtrust", *args], cwd=oracle_dir,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        time.sleep(0.05)
        try:
            with sqlite3.connect(db) as con:
                if con.execute("select count(*) from replies").fetchone()[0] >= 15:
                    break
        except sqlite3.OperationalError:
            continue
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    store = Store(f"sqlite:///{db}")
    assert verify(store).ok  # nothing half-written: every stored row has its event
    (run,) = store.list_runs()
    res = subprocess.run([sys.executable, "-m", "medtrust", "run", "--resume", run.id, "--json",
                          "--db", f"sqlite:///{db}"], cwd=oracle_dir, capture_output=True,
                         text=True, timeout=300)  # fmt: skip
    assert res.returncode == 0, res.stderr
    assert json.loads(res.stdout)["status"] == "done"
    report = verify(store, run.id)
    assert report.ok, report.first and report.first.line()
