#!/usr/bin/env python3
"""Where ``medtrust run``'s time after the last reply goes, replayed on a stored run.

    python3 bench/postrun_phases.py DB_FILE [RUN_ID] [--repeats N] [--profile OUT.prof]

Copies the SQLite file ``DB_FILE`` to a temporary folder (the steps below write to the store:
the concern queue, the report's audit event) and runs, in a fresh process each repeat, what
``medtrust.api._run._execute`` does after ``run_stages`` returns: the concern trigger
(``trigger_review``), the summary (``summarize_run``), the HTML report (``write_report``), its
audit record, the ``--json`` summary. Prints one JSON object: per phase the median wall and
CPU seconds over the repeats (each phase's imports included, as in the run). Judging the last
window happens inside ``run_stages`` and is not replayed here.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

CHILD = r"""
import json, resource, sys, time
from pathlib import Path
def clock():
    u = resource.getrusage(resource.RUSAGE_SELF)
    return time.perf_counter(), u.ru_utime + u.ru_stime
marks = []
last = clock()
def mark(name):
    global last
    now = clock()
    marks.append([name, round(now[0] - last[0], 4), round(now[1] - last[1], 4)])
    last = now
db, run_id, out, prof = sys.argv[1:5]
from medtrust.store import Store
from medtrust.plan import probes_for
store = Store(f"sqlite:///{db}")
info = store.get_run(run_id) if run_id else store.list_runs()[0]
plist = probes_for(info)
mark("setup (not timed in a run)")
if prof:
    import cProfile
    pr = cProfile.Profile(); pr.enable()
from medtrust.review import trigger_review
trigger_review(store, info.id)
mark("concern trigger")
from medtrust.audit import record_report
from medtrust.report import summarize_run, write_report
mark("import summary + report")
summary = summarize_run(store, info, plist)
mark("summary")
path = write_report(store, info, summary, Path(out) / info.id, fmt="html", redact=True)
mark("HTML report")
record_report(store, info.id, fmt="html", summary=summary.to_json(), path=path)
mark("report audit record")
from medtrust._cli_util import print_json
import io, contextlib
with contextlib.redirect_stdout(io.StringIO()):
    print_json(summary.to_json())
mark("--json summary")
if prof:
    pr.disable(); pr.dump_stats(prof)
print(json.dumps(marks))
"""


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("db", type=Path)
    ap.add_argument("run_id", nargs="?", default="")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--profile", default="", help="cProfile output of the last repeat")
    args = ap.parse_args()
    rows: dict[str, list[tuple[float, float]]] = {}
    for i in range(args.repeats):
        with tempfile.TemporaryDirectory() as tmp:
            db = Path(tmp) / "run.db"
            shutil.copyfile(args.db, db)
            prof = args.profile if i == args.repeats - 1 else ""
            res = subprocess.run(
                [sys.executable, "-c", CHILD, str(db), args.run_id, tmp, prof],
                capture_output=True, text=True, check=True,
            )
            for name, wall, cpu in json.loads(res.stdout.splitlines()[-1]):
                rows.setdefault(name, []).append((wall, cpu))
    out = {
        name: {"wall_s": round(statistics.median(w for w, _ in v), 3),
               "cpu_s": round(statistics.median(c for _, c in v), 3)}
        for name, v in rows.items()
    }
    out["total after setup"] = {
        k: round(sum(v[k] for n, v in out.items() if not n.startswith("setup")), 3)
        for k in ("wall_s", "cpu_s")
    }
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
