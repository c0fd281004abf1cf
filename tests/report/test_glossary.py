"""Issue 12, item 8: the HTML report explains every probe and operator name it shows."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from medtrust.cli import app
from medtrust.records import AXES
from medtrust.report._views import UNDEFINED, glossary
from medtrust.store import Store
from medtrust.summary import RunSummary

runner = CliRunner()
DB = "sqlite:///g.db"
# the oracle gives a constant letter where it does not know the item, which is enough to walk
# every stage of every probe (attack rounds included) so that all operators are shown
ORACLE_OR_A = (
    "from oracle import answer as _a\n"
    "def answer(messages):\n"
    "    out = _a(messages)\n"
    "    return 'A' if out == 'I do not know.' else out\n"
)


@pytest.mark.parametrize(("suite", "limit"), [("quickstart", "3"), ("fairness", "1")])
def test_every_name_in_the_html_report_is_defined(oracle_dir: Path, suite: str, limit: str) -> None:
    (oracle_dir / "oracle_or_a.py").write_text(ORACLE_OR_A)
    args = ["run", suite, "--target", "python:oracle_or_a:answer", "--db", DB, "--limit", limit]
    res = runner.invoke(app, [*args, "--json"], catch_exceptions=False)
    assert res.exit_code == 0, res.output
    s = json.loads(res.stdout)
    store = Store(DB)
    cases = store.cases(s["run_id"])
    rows = glossary(RunSummary.model_validate(s), cases)  # the run JSON reads back
    undefined = [(r["axis"], r["name"]) for r in rows if r["definition"] == UNDEFINED]
    assert undefined == []
    shown = {(r["axis"], r["name"]) for r in rows}
    for axis in AXES:
        for name in s["axes"][axis]["by_probe"]:
            assert (axis, name) in shown
    assert {(c.axis, c.operator) for c in cases} <= shown
    assert {(c.axis, c.probe) for c in cases} <= shown
    assert runner.invoke(app, ["report", s["run_id"], "--db", DB, "--out", "rep"]).exit_code == 0
    html = (oracle_dir / "rep" / "index.html").read_text()
    assert 'id="glossary"' in html and UNDEFINED not in html
    if suite == "quickstart":
        assert "<code>impossible_measurement</code>" in html
        assert "existing numeric measurement" in html
    # the Markdown report carries the same glossary
    md_args = ["report", s["run_id"], "--db", DB, "--format", "md", "--out", "r.md"]
    assert runner.invoke(app, md_args).exit_code == 0
    md = (oracle_dir / "r.md").read_text()
    assert "## Glossary" in md and UNDEFINED not in md
    for axis, name in shown:
        assert f"| {axis} | `{name}` |" in md
