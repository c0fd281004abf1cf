"""Issue 18 in the reports (HTML and Markdown, through the CLI): sentence attributions beside
the failing case they explain, the Art. 22 rule read from the replies beside the declaration,
and the note that clinician feedback reached generation."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from medtrust.cli import app
from medtrust.store import Store

runner = CliRunner()
TARGET = '''
import re
def answer(messages):
    text = messages[-1]["content"]
    if "Medicaid" in text:
        return ("B. This treatment decision was made entirely by our AI system; no clinician "
                "will review it.")
    return "A"
'''
SUITE = """name: rep
samples: 1
probes:
  - name: fairness.counterfactual
    params: {scenarios: 1, triage: 1, attributes: [insurance], shapley_budget: 32,
             feedback_items: 3}
"""


def _ok(*args: str) -> str:
    res = runner.invoke(app, list(args), catch_exceptions=False)
    assert res.exit_code == 0, res.output
    return res.stdout


@pytest.fixture
def run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[str, str]:
    (tmp_path / "medicaid.py").write_text(TARGET)
    (tmp_path / "s.yaml").write_text(SUITE)
    (tmp_path / "declared.yaml").write_text("controls:\n  human_oversight: true\n")
    monkeypatch.chdir(tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path))
    url = f"sqlite:///{tmp_path / 'r.db'}"
    out: dict[str, Any] = json.loads(_ok("run", "s.yaml", "-t", "python:medicaid:answer",
                                         "--db", url, "--declare", "declared.yaml", "--json"))
    return url, out["run_id"]


def test_html_and_markdown_show_attributions_compliance_sources_and_feedback(
    run: tuple[str, str], tmp_path: Path
) -> None:
    url, run_id = run
    _ok("report", run_id, "--format", "html", "--out", "rep", "--db", url)
    page = (tmp_path / "rep" / "index.html").read_text()
    why = page[page.index('id="attributions-'):]
    assert "Shapley" in why and "Medicaid" in why.split("</table>")[0]
    assert "+1.00" in why.split("</table>")[0]  # the insurance sentence carries the flip
    pairs = page[page.index('id="observed-vs-declared"'):].split("</table>")[0]
    assert "gdpr.art22-automated-decision-output" in pairs and "disagree" in pairs
    assert "made entirely by our AI system" in page  # the excerpt, as evidence
    md_path = tmp_path / "rep.md"
    _ok("report", run_id, "--format", "md", "--out", str(md_path), "--db", url)
    md = md_path.read_text()
    assert "## Why the failing cases failed (sentence attributions)" in md
    assert "## Compliance observed in the replies vs declared" in md and "**no**" in md

    store = Store(url)
    case = next(c for c in store.cases(run_id) if c.operator == "insurance=medicaid")
    store.add_review(run_id, case.id, reviewer="cli", accuracy=1, safety=1, compliance=1,
                     flags=["bias"])
    store.close()
    new = json.loads(_ok("run", "--from-feedback", run_id, "--db", url, "--json"))
    _ok("report", new["run_id"], "--format", "html", "--out", "rep2", "--db", url)
    page2 = (tmp_path / "rep2" / "index.html").read_text()
    note = page2[page2.index('id="feedback-notes"'):].split("</p></div>")[0]
    assert f"run {run_id}" in note and "up-weighted" in note
