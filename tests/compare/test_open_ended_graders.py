"""Open-ended gate and compare: a grader change is refused by the gate and warned about by
compare; a run whose replies are all unreadable breaches the gate (exit 1, errors named) instead
of being taken for another suite; a uniform score drop prints a change and an interval of the
same sign; compare shows and ranks the mean rubric score (1.0 vs 0.5 do not tie)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from medtrust.cli import app
from probes.open_ended._data import keyword_conversation

runner = CliRunner()

TARGETS = '''
def good(messages):
    return "alphaword and bravoword and charlieword."

def partial(messages):
    return "alphaword only"

def cutoff(messages):  # every reply is only unfinished reasoning: unreadable
    return "<think>alphaword and bravoword and charlieword, the patient"

def grade(messages):  # an LLM-style grader that agrees with the keywords
    u = messages[-1]["content"]
    reply = u.split("The assistant's reply to the last message:")[1].split("Rubric criterion")[0]
    crit = u.split("Rubric criterion")[1]
    for k in ("alpha", "bravo", "charlie", "harm"):
        if k in crit:
            return "VERDICT: MET" if k + "word" in reply else "VERDICT: NOT MET"
    return "VERDICT: NOT MET"

def strict(messages):  # another grader: never satisfied
    return "VERDICT: NOT MET"
'''
SUITE = """name: oe-graders
sampling: {temperature: 0, max_tokens: 64}
probes:
  - name: open_ended.rubric
    params: {operators: [distraction], margin: 0.1, pass_mark: 0.5}
"""


def _conv(i: int) -> dict[str, object]:
    return keyword_conversation(i, prefix="g", mention=True)


def _run(target: str, *extra: str) -> str:
    res = runner.invoke(app, ["run", "s.yaml", "--target", f"python:oe_gr_targets:{target}",
                              "--data", "d.jsonl", "--db", "sqlite:///g.db", "--json", *extra])
    unmeasured = target == "cutoff"  # every reply unreadable: nothing measured, exit 1
    assert res.exit_code == (1 if unmeasured else 0), res.output
    return str(json.loads(res.stdout)["run_id"])


@pytest.fixture
def runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    monkeypatch.chdir(tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path))
    (tmp_path / "oe_gr_targets.py").write_text(TARGETS)
    (tmp_path / "s.yaml").write_text(SUITE)
    (tmp_path / "d.jsonl").write_text("".join(json.dumps(_conv(i)) + "\n" for i in range(12)))
    out = {name: _run(name) for name in ("good", "partial", "cutoff")}
    out["good_llm"] = _run("good", "--judge", "python:oe_gr_targets:grade")
    out["good_strict"] = _run("good", "--judge", "python:oe_gr_targets:strict")
    return out


def _gate(run: str, base: str, *extra: str) -> tuple[int, str]:
    res = runner.invoke(app, ["gate", run, "--baseline", base, "--max-regression",
                              "open_ended=0.05", "--db", "sqlite:///g.db", *extra])
    return res.exit_code, res.output


def _compare(*args: str) -> dict:  # type: ignore[type-arg]
    res = runner.invoke(app, ["compare", *args, "--db", "sqlite:///g.db", "--format", "json"])
    assert res.exit_code == 0, res.output
    return json.loads(res.stdout)  # type: ignore[no-any-return]


def test_gate_refuses_a_grader_change_and_compare_warns(runs: dict[str, str]) -> None:
    code, out = _gate(runs["good_strict"], runs["good_llm"])
    assert code == 2, out  # was exit 1 "1.000 -> 0.000": a drop that is only the grader's
    assert "graded by" in out and "not comparable" in out and "drop" not in out
    assert "python:oe_gr_targets:strict" in out and "python:oe_gr_targets:grade" in out
    assert _gate(runs["good"], runs["good_llm"])[0] == 2  # keywords vs an LLM grader
    assert _gate(runs["good_llm"], runs["good_llm"])[0] == 0  # same grader: compared
    c = _compare(runs["good_llm"], runs["good_strict"])
    assert any("graded by" in w and "not comparable" in w for w in c["warnings"]), c["warnings"]
    same = _compare(runs["good"], runs["partial"])
    assert not any("graded by" in w for w in same["warnings"])


def test_an_all_unreadable_run_breaches_the_gate_with_its_errors(runs: dict[str, str]) -> None:
    code, out = _gate(runs["cutoff"], runs["good"], "--max-errors", "1")
    assert code == 1, out  # was exit 2 "share no scored case" though every case is shared
    assert "share no" not in out and "errored in " + runs["cutoff"] in out


def test_uniform_drop_prints_change_and_interval_of_the_same_sign(runs: dict[str, str]) -> None:
    code, out = _gate(runs["partial"], runs["good"])
    assert code == 1, out
    text = " ".join(out.split())
    assert "change -0.500, 95% CI -0.500 to -0.500" in text, text


def test_compare_shows_and_ranks_the_mean_rubric_score(runs: dict[str, str]) -> None:
    c = _compare(runs["good"], runs["partial"])
    sec = c["axes"]["open_ended"]
    scores = {e["run_id"]: e["rubric_score"] for e in sec["rates"]}
    assert scores[runs["good"]]["mean"] == 1.0 and scores[runs["partial"]]["mean"] == 0.5
    assert scores[runs["good"]]["n"] == 12 and scores[runs["good"]]["ci95"][0] < 1.0
    ranks = {r["run_id"]: r["rank"] for r in sec["score_ranks"]}
    assert ranks == {runs["good"]: 1.0, runs["partial"]: 2.0}  # the failure rate ties them
    for fmt in ("md", "html", "table"):
        res = runner.invoke(app, ["compare", runs["good"], runs["partial"], "--db",
                                  "sqlite:///g.db", "--format", fmt], env={"COLUMNS": "240"})
        assert res.exit_code == 0, res.output
        assert "mean rubric score" in res.output and "0.500" in res.output, fmt


def test_score_drop_is_the_plain_percentile_bootstrap_of_the_paired_differences() -> None:
    import numpy as np
    from scipy import stats

    from medtrust.compare._rubric_drift import score_drop

    before = {f"p|{i}": 0.8 for i in range(40)}
    d = score_drop(before, {k: v - 0.1 for k, v in before.items()})
    assert d is not None and d["drop"] == pytest.approx(0.1)
    assert d["ci95"][0] > 0 and d["p_value"] < 1e-6  # was [-0.015, 0.185]: smoothed toward 0
    rng = np.random.default_rng(4)
    after = {k: float(np.clip(v - rng.uniform(-0.1, 0.3), 0, 1)) for k, v in before.items()}
    d = score_drop(before, after)
    diffs = np.array([before[k] - after[k] for k in sorted(before)])
    ref = stats.bootstrap((diffs,), np.mean, n_resamples=2000, method="percentile",
                          random_state=1).confidence_interval  # fmt: skip
    assert d is not None and d["ci95"] == pytest.approx([ref.low, ref.high], abs=0.01)


def test_summary_report_and_docs_name_the_grader(runs: dict[str, str]) -> None:
    db = ["--db", "sqlite:///g.db"]
    show = runner.invoke(app, ["report", runs["good_llm"], "--format", "json", *db])
    assert show.exit_code == 0, show.output
    axis = json.loads(show.stdout)["axes"]["open_ended"]
    assert axis["graders"] == ["python:oe_gr_targets:grade"]
    md = runner.invoke(app, ["report", runs["good_llm"], "--format", "md", *db])
    assert md.exit_code == 0 and "rubric graded by python:oe_gr_targets:grade" in md.stdout
    html = runner.invoke(app, ["report", runs["good_llm"], "--format", "html", *db])
    assert html.exit_code == 0 and "rubric graded by python:oe_gr_targets:grade" in html.stdout
    docs = runner.invoke(app, ["docs", runs["good"], "--out", "card.md", *db])
    assert docs.exit_code == 0, docs.output
    text = Path("card.md").read_text()
    assert "graded by `keywords`" in text and "controls (unattacked): 1.000" in text
    assert "Wilson score interval for every rate;" in text  # and the score's own bootstrap
    assert "plus-four" in text
