"""Issue 15 item 7: the HTML report reads the run once: the failing examples' pass hands
every case to the glossary, which then lists what a separate read of every case lists."""

from __future__ import annotations

import html as html_lib
import json
from pathlib import Path

from typer.testing import CliRunner

from medtrust.cli import app
from medtrust.plan import probes_for
from medtrust.records import Case
from medtrust.report import summarize_run
from medtrust.report._render import failing_examples, render_html
from medtrust.report._views import glossary
from medtrust.store import Store

runner = CliRunner()
DB = "sqlite:///p.db"


def test_the_examples_pass_sees_every_case_and_the_glossary_is_unchanged(
    oracle_dir: Path,
) -> None:
    args = ["run", "quickstart", "--target", "python:oracle:answer", "--db", DB, "--limit", "2"]
    res = runner.invoke(app, [*args, "--json"], catch_exceptions=False)
    assert res.exit_code == 0, res.output
    store = Store(DB)
    info = store.get_run(json.loads(res.stdout)["run_id"])
    summary = summarize_run(store, info, probes_for(info))
    seen: list[Case] = []
    examples = failing_examples(store, info, redact=True, summary=summary, each=seen.append)
    assert [c.id for c in seen] == [c.id for c in store.iter_cases(info.id)]
    assert examples == failing_examples(store, info, redact=True, summary=summary)
    rows = glossary(summary, store.iter_cases(info.id))
    assert len(rows) > len(summary.axes["robustness"].by_probe)  # operators of the cases too
    html = render_html(store, info, summary, redact=True)
    for r in rows:
        assert f"<code>{html_lib.escape(r['name'])}</code>" in html
    assert render_html(store, info, summary, redact=True) == html  # a cached template: same
