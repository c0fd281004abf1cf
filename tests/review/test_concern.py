"""The concern trigger (issue 18 item 5): a case whose concern score exceeds the suite's
``review.concern_threshold`` is queued for review, the run is assigned to its reviewers, and
both are in the audit trail; through the CLI on a real run of the oracle target."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from medtrust.cli import app
from medtrust.metrics import jensen_shannon
from medtrust.records import Case, Verdict
from medtrust.review import concern_scores, hash_password
from medtrust.store import Store

runner = CliRunner()


def medtrust(*args: str) -> dict[str, Any]:
    res = runner.invoke(app, list(args), catch_exceptions=False)
    assert res.exit_code == 0, res.output
    out: dict[str, Any] = json.loads(res.stdout)
    return out


def _suite(tmp: Path, review: str) -> Path:
    p = tmp / "suite.yaml"
    p.write_text(
        "name: concern\nsamples: 1\nprobes:\n  - name: robustness.das\n" + review
    )
    return p


def test_cases_above_the_threshold_are_queued_assigned_and_audited(
    oracle_dir: Path, tmp_path: Path
) -> None:
    url = f"sqlite:///{tmp_path / 'c.db'}"
    store = Store(url)
    store.add_user("rita", role="reviewer", password_hash=hash_password("pw-pw-pw-pw"))
    store.close()
    suite = _suite(tmp_path, "review:\n  concern_threshold: 0.5\n  reviewers: [rita, nobody]\n")
    s = medtrust("run", str(suite), "-t", "python:oracle:answer", "--db", url, "--limit", "3",
                 "--json")
    q = medtrust("review", "queue", s["run_id"], "--db", url, "--json")
    assert q["concern_threshold"] == 0.5 and q["assignees"] == ["rita"]
    store = Store(url)
    verdicts = store.all_verdicts(s["run_id"])
    failed = {cid for cid, vs in verdicts.items() if any(v.outcome == "fail" for v in vs)}
    assert failed  # the oracle is fooled by distraction and bias
    concern = {x["case_id"]: x["concern"] for x in q["queue"] if x["concern"] is not None}
    # one sample per case: a failure's failure probability is 1 > 0.5, a pass's 0
    assert set(concern) == failed and set(concern.values()) == {1.0}
    events = [e for e in store.audit_events(s["run_id"]) if e.kind == "concern"]
    assert len(events) == 1
    found, content = store.audit_payload(events[0].seq)
    # the event holds the count, the top cases and a digest of the exact set, not every case
    ids = "".join(f"{c}\n" for c in sorted(failed)).encode()
    assert found and content["triggered"] == len(failed)
    assert content["digest"]["ids"] == hashlib.sha256(ids).hexdigest()
    assert {x["case_id"] for x in content["top"]} <= failed
    assert len(content["top"]) == min(len(failed), content["top_k"])
    assert content["assigned"] == ["rita"] and content["skipped"][0].startswith("nobody")
    kinds = [e.kind for e in store.audit_events(s["run_id"])]
    assert "assignment" in kinds
    store.close()
    assert runner.invoke(app, ["audit", "verify", s["run_id"], "--db", url]).exit_code == 0


def test_nothing_is_triggered_at_the_default_threshold_without_failures(
    oracle_dir: Path, tmp_path: Path
) -> None:
    url = f"sqlite:///{tmp_path / 'd.db'}"
    suite = _suite(tmp_path, "")
    s = medtrust("run", str(suite), "-t", "python:oracle:answer", "--db", url, "--limit", "1",
                 "--json")
    q = medtrust("review", "queue", s["run_id"], "--db", url, "--json")
    assert q["concern_threshold"] == 0.7 and q["assignees"] == []


def test_a_threshold_out_of_range_is_a_one_line_error_naming_the_line(tmp_path: Path) -> None:
    suite = _suite(tmp_path, "review:\n  concern_threshold: 1.5\n")
    res = runner.invoke(app, ["run", str(suite), "-t", "python:oracle:answer", "--db",
                              f"sqlite:///{tmp_path / 'e.db'}"])
    assert res.exit_code == 2
    assert "suite.yaml:6" in res.output and "concern_threshold" in res.output


def _mc(tag: str, *, parent: Case | None = None, axis: str = "fairness") -> Case:
    return Case.make(
        axis=axis, probe=f"{axis}.x", operator="control" if parent is None else "v",
        role="control" if parent is None else "perturbation",
        messages=[{"role": "user", "content": f"{tag}\n\nA. a\nB. b\nC. c"}],
        gold={"options": {"A": "a", "B": "b", "C": "c"}, "accept": ["A"]},
        parent_id=parent.id if parent else None, item_id="i",
    )


def _v(case: Case, votes: list[str], judge: str = "multiple_choice", **kw: Any) -> Verdict:
    top = max(set(votes), key=votes.count)
    return Verdict(case_id=case.id, judge=judge, outcome="pass" if top == "A" else "fail",
                   score=votes.count(top) / len(votes), answer=top,
                   detail={"votes": votes, **kw})


def test_each_component_is_its_definition() -> None:
    ctrl = _mc("control")
    var = _mc("variant", parent=ctrl)
    q = _mc("plain", axis="robustness")
    leak = Case.make(axis="privacy", probe="privacy.x", operator="o", role="perturbation",
                     messages=[{"role": "user", "content": "x"}], gold={})
    verdicts = {
        ctrl.id: [_v(ctrl, ["A", "A", "B"])],
        var.id: [_v(var, ["B", "B", "C"])],
        q.id: [_v(q, ["A", "C", "C", "B"])],
        leak.id: [Verdict(case_id=leak.id, judge="phi_leak", outcome="fail", score=0.0,
                          detail={"samples": [{"score": 0.0}, {"score": 0.5}, {"score": 1.0}]})],
    }
    got = concern_scores([ctrl, var, q, leak], verdicts)
    # the variant: every vote differs from the control's majority A; JSD of the tallies
    jsd = jensen_shannon({"A": 2, "B": 1}, {"B": 2, "C": 1})
    assert got[var.id].components == pytest.approx(
        {"judge_failure_probability": 1.0, "counterfactual_divergence": jsd})
    assert got[var.id].source == "judge_failure_probability"
    assert got[q.id].score == pytest.approx(0.75)  # 3 of 4 votes outside the gold
    assert got[ctrl.id].score == pytest.approx(1 / 3)
    assert got[leak.id].components == {"leak_score": pytest.approx(0.5)}


def test_run_options_override_the_suite_per_run(oracle_dir: Path, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'r.db'}"
    suite = _suite(tmp_path, "review:\n  concern_threshold: 0.5\n  reviewers: [rita]\n"
                             "trust: {alpha: 0.6, beta: 0.4}\n")
    s = medtrust("run", str(suite), "-t", "python:oracle:answer", "--db", url, "--limit", "1",
                 "--concern-threshold", "0.99", "--trust-weights", "0.8,0.2", "--json")
    store = Store(url)
    cfg = store.get_run(s["run_id"]).config
    assert cfg["review"] == {"concern_threshold": 0.99, "reviewers": ["rita"]}
    assert cfg["trust"] == {"alpha": 0.8, "beta": 0.2}
    store.close()
    q = medtrust("review", "queue", s["run_id"], "--db", url, "--json")
    assert q["concern_threshold"] == 0.99
    agg = medtrust("review", "aggregates", s["run_id"], "--db", url)
    assert (agg["trust"]["alpha"], agg["trust"]["beta"], agg["trust"]["weights_from"]) == (
        0.8, 0.2, "run")
    over = medtrust("review", "aggregates", s["run_id"], "--db", url, "--alpha", "0.3",
                    "--beta", "0.7")
    assert (over["trust"]["alpha"], over["trust"]["weights_from"]) == (0.3, "override")
    res = runner.invoke(app, ["review", "aggregates", s["run_id"], "--db", url, "--alpha", "1"])
    assert res.exit_code == 2 and "--alpha and --beta go together" in res.output
    for bad, msg in ((["--trust-weights", "0.8,0.3"], "--trust-weights: alpha + beta must be 1"),
                     (["--trust-weights", "x"], "expected ALPHA,BETA"),
                     (["--concern-threshold", "-1"], "--concern-threshold")):
        res = runner.invoke(app, ["run", str(suite), "-t", "python:oracle:answer", "--db", url,
                                  *bad])
        assert res.exit_code == 2 and msg in res.output, res.output
