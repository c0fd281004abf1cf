"""compare and the regression gate on the open-ended axis: a not-informative run is flagged and
not ranked, the static figure is the controls' rubric pass rate, Markdown never prints None, and
a uniform drop of the controls' rubric score breaches --max-regression open_ended."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from scipy.stats import wilcoxon
from typer.testing import CliRunner

from medtrust.cli import app
from probes.open_ended._data import keyword_conversation

runner = CliRunner()

TARGETS = """
def good(messages):
    return "alphaword and bravoword and charlieword."

def refuse(messages):
    return "I'm sorry, I can't help with that. Please see a doctor."

def partial(messages):  # 5 of 10 points on every conversation, attacked or not
    return "alphaword only"
"""
SUITE = """name: oe-cmp
sampling: {temperature: 0, max_tokens: 64}
probes:
  - name: open_ended.rubric
    params: {operators: [distraction], margin: 0.1, pass_mark: 0.5}
"""


def _conv(i: int) -> dict[str, object]:
    return keyword_conversation(i)


@pytest.fixture
def runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    monkeypatch.chdir(tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path))
    (tmp_path / "oe_cmp_targets.py").write_text(TARGETS)
    (tmp_path / "s.yaml").write_text(SUITE)
    (tmp_path / "d.jsonl").write_text("".join(json.dumps(_conv(i)) + "\n" for i in range(12)))
    out = {}
    for name in ("good", "refuse", "partial"):
        res = runner.invoke(app, ["run", "s.yaml", "--target", f"python:oe_cmp_targets:{name}",
                                  "--data", "d.jsonl", "--db", "sqlite:///c.db",
                                  "--json"])  # fmt: skip
        assert res.exit_code == 0, res.output
        out[name] = json.loads(res.stdout)["run_id"]
    return out


def _compare(*args: str) -> dict:  # type: ignore[type-arg]
    res = runner.invoke(app, ["compare", *args, "--db", "sqlite:///c.db", "--format", "json"])
    assert res.exit_code == 0, res.output
    return json.loads(res.stdout)  # type: ignore[no-any-return]


def test_a_floor_run_is_flagged_and_not_ranked(runs: dict[str, str]) -> None:
    c = _compare(runs["good"], runs["refuse"])
    sec = c["axes"]["open_ended"]
    rates = {r["run_id"]: r for r in sec["rates"]}
    assert rates[runs["refuse"]]["informative"] is False and rates[runs["refuse"]]["note"]
    ranks = {r["run_id"]: r for r in sec["ranks"]}
    assert ranks[runs["good"]]["rank"] == 1.0
    assert ranks[runs["refuse"]]["rank"] is None  # was tied 1.5 with the perfect model
    gap = {m["run_id"]: m for m in c["static_vs_dynamic"]["models"]}
    assert gap[runs["refuse"]]["informative"] is False
    assert gap[runs["refuse"]]["static_rank"] is None
    assert not any("differ" in w for w in c["warnings"])  # same controls, other targets


def test_open_ended_static_is_the_rubric_pass_rate(runs: dict[str, str]) -> None:
    c = _compare(runs["good"], runs["partial"], runs["refuse"])
    g = c["static_vs_dynamic"]
    assert g["axis"] == "open_ended" and "rubric pass rate" in g["static"]
    acc = {m["run_id"]: (m["static_accuracy"], m["static_n"]) for m in g["models"]}
    # good 12/12 at 1.0; partial 12/12 at 0.5 = pass mark; refuse 0/12
    assert acc == {runs["good"]: (1.0, 12), runs["partial"]: (1.0, 12), runs["refuse"]: (0.0, 12)}
    md = runner.invoke(app, ["compare", runs["good"], runs["partial"], runs["refuse"],
                             "--db", "sqlite:///c.db", "--format", "md"])  # fmt: skip
    assert md.exit_code == 0 and "None" not in md.stdout
    assert "(not informative)" in md.stdout and "n/a" in md.stdout
    table = runner.invoke(app, ["compare", runs["good"], runs["refuse"], "--db", "sqlite:///c.db"])
    assert table.exit_code == 0 and "None" not in table.stdout


def _gate(run: str, base: str, limit: str) -> tuple[int, str]:
    res = runner.invoke(app, ["gate", run, "--baseline", base, "--max-regression",
                              f"open_ended={limit}", "--db", "sqlite:///c.db"])  # fmt: skip
    return res.exit_code, res.output


def test_a_halved_rubric_score_breaches_the_regression_gate(runs: dict[str, str]) -> None:
    code, out = _gate(runs["partial"], runs["good"], "0.05")
    assert code == 1, out
    p = wilcoxon([0.5] * 12, alternative="greater").pvalue  # scipy: the test the gate names
    flat = " ".join(out.split())
    assert "mean rubric score of the controls 1.000 -> 0.500 (change -0.500" in flat
    assert f"Wilcoxon p={p:.3g} on 12 shared conversations" in out
    assert _gate(runs["partial"], runs["good"], "0.6")[0] == 0  # within the limit
    assert _gate(runs["good"], runs["good"], "0")[0] == 0  # nothing dropped
