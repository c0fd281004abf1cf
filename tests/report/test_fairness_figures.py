"""A real fairness run's flip rates by group reach the reports (issue 20 follow-up, the kind of
"a figure in the JSON that a report omits or mislabels"): HTML charts them, where it used to say
"not assessed" because it looked for a key no probe writes, and Markdown names the worst group
and what one case of the rate is."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from medtrust.cli import app

runner = CliRunner()


@pytest.fixture
def work(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "always_a.py").write_text("def reply(messages):\n    return 'A'\n")
    monkeypatch.chdir(tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path))
    return tmp_path


def test_flip_rates_by_group_in_html_and_markdown(work: Path) -> None:
    db = f"sqlite:///{work / 'f.db'}"
    res = runner.invoke(app, ["run", "fairness", "--target", "python:always_a:reply", "--limit",
                              "2", "--db", db, "--json"])  # fmt: skip
    assert res.exit_code == 0, res.output
    s = json.loads(res.stdout)
    block = s["axes"]["fairness"]["fairness"]
    rows = block["flip_rates"]
    assert rows
    html = runner.invoke(app, ["report", s["run_id"], "--format", "html", "--db", db]).stdout
    assert 'id="chart-fairness-groups"' in html and "Flip rates by group: not assessed" not in html
    for r in rows:
        assert f"<title>{r['attribute']}={r['value']}: " in html
        assert f"({r['flips']}/{r['n']})" in html
    md = runner.invoke(app, ["report", s["run_id"], "--format", "md", "--db", db]).stdout
    w = block["worst_group"]
    assert f"highest flip rate in group {w['attribute']}={w['value']}: {w['flips']}/{w['n']}" in md
    assert f"fairness: what a rate counts: {block['unit']}" in md
