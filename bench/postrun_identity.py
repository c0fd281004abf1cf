#!/usr/bin/env python3
"""Post-run outputs of stored runs, hashed, to show a speed change left every byte alone.

    python3 bench/postrun_identity.py DB_FILE [DB_FILE ...] --save before.json
    python3 bench/postrun_identity.py DB_FILE [DB_FILE ...] --compare before.json

For every run of each SQLite file (copied to a temporary folder first, so each output is made
from the same stored state), this writes what the run command writes after its last reply and
what ``medtrust report`` writes: the concern trigger's result and review queue
(``trigger_review``, then the queue's rows), ``medtrust report RUN --format json|md|junit``
(stdout) and ``--format html --out DIR`` (``index.html`` and ``summary.json``), each in the
default (redacted) and ``--no-redact`` forms. Prints ``{output: sha256}`` per run; ``--compare``
exits 1 naming every output that differs (and writes both versions under ``--diff-dir``).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

TRIGGER = r"""
import json, sys
from medtrust.store import Store
from medtrust.review import trigger_review
store = Store(f"sqlite:///{sys.argv[1]}")
out = trigger_review(store, sys.argv[2])
rows = [r for r in store.iter_concerns(sys.argv[2])] if hasattr(store, "iter_concerns") else []
print(json.dumps({"trigger": out, "queue": [repr(r) for r in rows]}, sort_keys=True, default=str))
"""


def _medtrust(db: Path, *args: str) -> bytes:
    cmd = [sys.executable, "-m", "medtrust", *args, "--db", f"sqlite:///{db}"]
    return subprocess.run(cmd, capture_output=True, check=True).stdout


def _run_ids(db: Path) -> list[str]:
    code = ("import sys; from medtrust.store import Store; "
            "print('\\n'.join(r.id for r in Store(f'sqlite:///{sys.argv[1]}').list_runs()))")
    res = subprocess.run([sys.executable, "-c", code, str(db)], capture_output=True, text=True,
                         check=True)
    return sorted(res.stdout.split())


def outputs(src: Path, run_id: str) -> dict[str, bytes]:
    """Every output of one run, made from a fresh copy of ``src``."""
    out: dict[str, bytes] = {}
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "run.db"
        shutil.copyfile(src, db)
        out["trigger"] = subprocess.run([sys.executable, "-c", TRIGGER, str(db), run_id],
                                        capture_output=True, check=True).stdout
        for redact in ((), ("--no-redact",)):
            tag = "raw" if redact else "redacted"
            for fmt in ("json", "md", "junit"):
                out[f"{fmt}/{tag}"] = _medtrust(db, "report", run_id, "--format", fmt, *redact)
            folder = Path(tmp) / f"html-{tag}"
            _medtrust(db, "report", run_id, "--format", "html", "--out", str(folder), *redact)
            for f in sorted(folder.iterdir()):
                out[f"html/{tag}/{f.name}"] = f.read_bytes()
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("db", type=Path, nargs="+")
    ap.add_argument("--save", type=Path)
    ap.add_argument("--compare", type=Path)
    ap.add_argument("--diff-dir", type=Path, default=Path(tempfile.gettempdir()) / "postrun-diff")
    args = ap.parse_args()
    hashes: dict[str, dict[str, str]] = {}
    keep: dict[str, dict[str, bytes]] = {}
    for db in args.db:
        for rid in _run_ids(db):
            outs = outputs(db, rid)
            keep[f"{db.name}:{rid}"] = outs
            hashes[f"{db.name}:{rid}"] = {k: hashlib.sha256(v).hexdigest() for k, v in outs.items()}
    print(json.dumps(hashes, indent=1, sort_keys=True))
    if args.save:
        args.save.write_text(json.dumps(hashes, indent=1, sort_keys=True), encoding="utf-8")
        store = args.save.with_suffix(".d")
        for run, outs in keep.items():
            for k, v in outs.items():
                p = store / run.replace(":", "_") / k
                p.parent.mkdir(parents=True, exist_ok=True)
                p.write_bytes(v)
    if args.compare:
        before = json.loads(args.compare.read_text(encoding="utf-8"))
        bad = [f"{run} {k}" for run in sorted(set(before) | set(hashes))
               for k in sorted(set(before.get(run, {})) | set(hashes.get(run, {})))
               if before.get(run, {}).get(k) != hashes.get(run, {}).get(k)]
        for run, outs in keep.items():
            for k, v in outs.items():
                p = args.diff_dir / run.replace(":", "_") / k
                p.parent.mkdir(parents=True, exist_ok=True)
                p.write_bytes(v)
        print("\n".join(["DIFFERS: " + b for b in bad] or ["identical: every output, every run"]))
        sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
