"""``medtrust run`` starts fast because it imports only what it uses (issue 15 item 7).

No wall-clock assertion (timings are in ``bench/bench_startup.py`` and ``bench/README.md``):
these tests pin *what* start-up imports, which is what made it slow, and that lazily mounted
commands are all still there.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from typer.testing import CliRunner

from medtrust.cli import LAZY, app

runner = CliRunner()

# Imported by everything a run needs before its first request: the CLI, the run API, the
# store, the engine, an OpenAI-compatible target and the probe and judge a multiple-choice
# suite uses.
RUN_PATH = """
import json, sys
import medtrust.cli, medtrust._cli_run
from medtrust import api
api.run
import medtrust.store, medtrust.engine
from medtrust.targets import targets
from medtrust.probes import probes
from medtrust.judges import judges
targets.get("openai"); judge = probes.get("robustness.das").judge; judges.get(judge)
from medtrust._cli_run import RunRequest, config_of
config_of(RunRequest(suite="robustness", targets=["openai:m@http://127.0.0.1:9/v1"]), None)
print(json.dumps(sorted(sys.modules)))
"""

NOT_BEFORE_FIRST_REQUEST = [
    # A lookup imports only the named probe's and judge's modules while the registries' index
    # is current (``medtrust.registry``; tests/test_registry_index.py): no other built-in.
    "medtrust.probes.multimodal",
    "medtrust.probes.cognitive_bias",
    "medtrust.probes.privacy",
    "medtrust.cohort",  # synthetic patients (and through them scipy, pyarrow)
    "scipy",
    "pyarrow",
    "numpy",  # deferred by the multiple-choice path's modules until they use it
    # What the command, the API, the store and the engine used to add:
    "jinja2",  # report templates
    "httpx",  # only for https:// and proxies
    "sqlalchemy.dialects.postgresql",  # a SQLite run loads only its own dialect
    "medtrust.report",
    "medtrust.summary",
    "medtrust.review",
    "medtrust.policies",
    "medtrust.compare",
    "medtrust.fairness",
    "medtrust.interop",
]


def test_the_run_path_imports_nothing_it_does_not_use() -> None:
    out = subprocess.run(
        [sys.executable, "-c", RUN_PATH], capture_output=True, text=True, check=True, timeout=120
    )
    loaded = set(json.loads(out.stdout))
    assert "medtrust.probes.robustness.das" in loaded  # the probe was found
    assert not sorted(m for m in NOT_BEFORE_FIRST_REQUEST if m in loaded)


def test_help_lists_every_command() -> None:
    res = runner.invoke(app, ["--help"], env={"COLUMNS": "200"})
    assert res.exit_code == 0
    for name in ["run", *LAZY]:
        assert name in res.output


@pytest.mark.parametrize("name", sorted(LAZY))
def test_every_lazy_command_resolves(name: str) -> None:
    res = runner.invoke(app, [name, "--help"])
    assert res.exit_code == 0, res.output
    assert "Usage" in res.output


def test_an_unknown_command_is_refused() -> None:
    res = runner.invoke(app, ["no-such-command"])
    assert res.exit_code == 2 and "no-such-command" in res.output
