#!/usr/bin/env python3
"""Peak memory of the commands that read a whole stored run outside ``medtrust run`` (issue 15):
``medtrust audit verify``, ``medtrust audit export`` and ``medtrust review queue --json``.

Each store given is copied into a scratch folder first (the commands may write: an export
signs a fresh root when none covers the run), then each command runs in its own process and
its peak resident set size is read from ``os.wait4`` (the kernel's ``ru_maxrss`` of that
child, KiB on Linux). Outputs go to files in the scratch folder and are discarded.

    python bench/bench_flat_audit.py --db /tmp/r10k.db --db /tmp/r100k.db
    python bench/bench_flat_audit.py --make 10000      # build a 10,000-item run first

``--make N`` builds a run of N items as ``bench/README.md`` (issue 15) does: the
``throughput`` suite against an instant ``python:`` target, one case, reply and verdict per
item. Writes ``bench/results/flat_memory_audit.json`` and prints a Markdown table.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))

from make_prompts import make_items  # noqa: E402

TARGET = 'async def answer(messages):\n    return "A"\n'


def _child(argv: list[str], stdout: Path) -> tuple[int, float, float]:
    """(exit code, peak RSS MiB, wall s) of one command in its own process."""
    t0 = time.perf_counter()
    with stdout.open("wb") as out:
        proc = subprocess.Popen(argv, stdout=out, stderr=subprocess.DEVNULL)
        _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    return proc.returncode, usage.ru_maxrss / 1024, time.perf_counter() - t0


def _make(n: int, work: Path) -> Path:
    items, db = work / f"items{n}.jsonl", work / f"made{n}.db"
    with items.open("w", encoding="utf-8") as fh:
        for it in make_items(n):
            fh.write(json.dumps(it, ensure_ascii=False) + "\n")
    (work / "bench_zero.py").write_text(TARGET)
    env = {**os.environ, "PYTHONPATH": str(work)}
    subprocess.run(
        [sys.executable, "-m", "medtrust", "run", str(BENCH / "suites" / "throughput.yaml"),
         "--target", "python:bench_zero:answer", "--data", str(items),
         "--db", f"sqlite:///{db}", "--json", "--no-cache"],
        cwd=work, env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    _settle(db)
    return db


def _settle(db: Path, quiet_s: float = 3.0, limit_s: float = 300.0) -> None:
    """Wait until the store stops changing: the work after a run (its concern queue, report
    and their signed roots) may still be writing when ``medtrust run`` has returned."""

    def state() -> tuple[tuple[int, int], ...]:
        files = [Path(f"{db}{s}") for s in ("", "-wal")]
        return tuple((p.stat().st_size, p.stat().st_mtime_ns) for p in files if p.exists())

    last, since, t0 = state(), time.monotonic(), time.monotonic()
    while time.monotonic() - since < quiet_s and time.monotonic() - t0 < limit_s:
        time.sleep(0.5)
        if (now := state()) != last:
            last, since = now, time.monotonic()


def measure(db: Path, work: Path) -> dict[str, Any]:
    """Copy ``db`` (with its WAL, folded in) and measure the three commands on the copy."""
    copy = work / f"copy-{db.stem}.db"
    for suffix in ("", "-wal", "-shm"):
        if Path(f"{db}{suffix}").exists():
            shutil.copy(f"{db}{suffix}", f"{copy}{suffix}")
    with sqlite3.connect(copy) as con:
        con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        run, cases = con.execute(
            "select run_id, count(*) from cases group by run_id order by count(*) desc"
        ).fetchone()
    con.close()
    url, mt = f"sqlite:///{copy}", [sys.executable, "-m", "medtrust"]
    commands = {
        "audit verify": [*mt, "audit", "verify", "--db", url],
        "audit export": [*mt, "audit", "export", run, "--db", url],
        "review queue --json": [*mt, "review", "queue", run, "--db", url, "--json"],
    }
    out: dict[str, Any] = {"db": str(db), "run": run, "cases": cases}
    for name, argv in commands.items():
        rc, rss, wall = _child(argv, work / "out.txt")
        out[name] = {"rc": rc, "peak_rss_mib": round(rss, 1), "wall_s": round(wall, 2)}
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--db", type=Path, action="append", default=[], help="a stored run (SQLite)")
    ap.add_argument("--make", type=int, action="append", default=[], help="build an N-item run")
    ap.add_argument("--out", type=Path, default=BENCH / "results" / "flat_memory_audit.json")
    args = ap.parse_args(argv)
    rows = []
    with tempfile.TemporaryDirectory(prefix="medtrust-flat-audit-") as tmp:
        work = Path(tmp)
        os.environ["MEDTRUST_HOME"] = str(work / "home")  # a throwaway key for fresh roots
        dbs = [*args.db, *(_make(n, work) for n in args.make)]
        rows = [measure(db, work) for db in dbs]
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({"load_average": os.getloadavg(), "stores": rows}, indent=2))
    print("| command | " + " | ".join(f"{r['cases']:,} cases" for r in rows) + " |")
    print("|---|" + "---|" * len(rows))
    for name in ("audit verify", "audit export", "review queue --json"):
        cells = [f"{r[name]['peak_rss_mib']:.0f} MiB, {r[name]['wall_s']:.1f} s" for r in rows]
        print(f"| `medtrust {name}` | " + " | ".join(cells) + " |")
    return 0 if all(r[n]["rc"] == 0 for r in rows for n in r if isinstance(r[n], dict)) else 1


if __name__ == "__main__":
    raise SystemExit(main())
