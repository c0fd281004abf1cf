"""Ray is optional: a run without ``--ray`` never imports it."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

SCRIPT = textwrap.dedent('''
    import sys
    from medtrust.api import make_config, run
    from medtrust.store import Store
    config = make_config("tiny.yaml", target="python:oracle:answer")
    result = run(config, store=Store("sqlite:///r.db"))
    assert result.run.status == "done"
    print("ray" in sys.modules, any(m.startswith("ray.") for m in sys.modules))
''')


def test_default_run_never_imports_ray(oracle_dir: Path) -> None:
    (oracle_dir / "tiny.yaml").write_text(
        "name: tiny\nprobes:\n  - name: robustness.das\n    limit: 2\n"
    )
    (oracle_dir / "script.py").write_text(SCRIPT)
    out = subprocess.run(
        [sys.executable, "script.py"], cwd=oracle_dir, capture_output=True, text=True,
        env={"PYTHONPATH": str(oracle_dir), "PATH": "/usr/bin:/bin",
             "MEDTRUST_HOME": str(oracle_dir / "home")}, timeout=300,
    )
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.split() == ["False", "False"]
