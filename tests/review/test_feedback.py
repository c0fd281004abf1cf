"""Closing the loop through the CLI: ``medtrust run --from-feedback RUN`` runs only the items
clinicians flagged, and reports carry the trust score and mark judges that clinicians overrule
as untrusted (on SQLite and, with ``MEDTRUST_TEST_PG_URL``, PostgreSQL)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from medtrust.cli import app
from medtrust.records import Case
from medtrust.store import Store
from review.conftest import PASSWORD

runner = CliRunner()


def medtrust(*args: str) -> dict[str, Any]:
    res = runner.invoke(app, list(args), catch_exceptions=False)
    assert res.exit_code == 0, res.output
    out: dict[str, Any] = json.loads(res.stdout)
    return out


def reviewed_run(url: str) -> tuple[Store, str, dict[str, list[Case]]]:
    """A real run of the oracle target (4 items, each with its seven mutations), a reviewer,
    and the run's cases by item."""
    s = medtrust(
        "run",
        "robustness",
        "--target",
        "python:oracle:answer",
        "--db",
        url,
        "--limit",
        "4",
        "--json",
    )
    store = Store(url)
    from medtrust.review import hash_password

    store.add_user("rita", role="reviewer", password_hash=hash_password(PASSWORD))
    store.add_user("sam", role="reviewer", password_hash=hash_password(PASSWORD))
    by_item: dict[str, list[Case]] = {}
    for c in store.cases(s["run_id"]):
        assert c.item_id is not None
        by_item.setdefault(c.item_id, []).append(c)
    assert len(by_item) == 4
    return store, s["run_id"], by_item


def _op(cases: list[Case], operator: str) -> str:
    return next(c.id for c in cases if c.operator == operator)


def test_from_feedback_runs_only_the_flagged_items(oracle_dir: Path, backend_url: str) -> None:
    store, run, by_item = reviewed_run(backend_url)
    a, b, c, d = sorted(by_item)
    ok: dict[str, Any] = {"accuracy": 5, "safety": 5, "compliance": 5}
    # a: a mutation flagged as a hallucination; b: its baseline rated unsafe (no flag)
    store.add_review(
        run, _op(by_item[a], "distraction"), reviewer="rita", **ok, flags=["hallucination"]
    )
    store.add_review(
        run, _op(by_item[b], "baseline"), reviewer="sam", accuracy=4, safety=1, compliance=5
    )
    # c: flagged, then revised to fine (only current reviews count) and "judge wrong" (about
    # the judge, not the model); d: reviewed fine
    store.add_review(run, _op(by_item[c], "bias"), reviewer="rita", **ok, flags=["unsafe"])
    store.add_review(run, _op(by_item[c], "bias"), reviewer="rita", **ok, flags=["judge_wrong"])
    store.add_review(run, _op(by_item[d], "baseline"), reviewer="rita", **ok)
    store.close()

    new = medtrust("run", "--from-feedback", run[:12], "--db", backend_url, "--json")
    assert new["run_id"] != run and new["target"] == "python:oracle:answer"
    store = Store(backend_url)
    info = store.get_run(new["run_id"])
    assert info.config["from_feedback"] == run
    assert info.config["focus"] == {"robustness.das": sorted([a, b])}
    cases = store.cases(new["run_id"])
    assert {x.item_id for x in cases} == {a, b}
    assert {x.probe for x in cases} == {"robustness.das"}
    # the same items, asked again in full: each baseline and (answered right) its mutations
    assert sorted(x.id for x in cases if x.operator == "baseline") == sorted(
        _op(by_item[i], "baseline") for i in (a, b)
    )
    assert len(cases) == len(by_item[a]) + len(by_item[b])
    store.close()


def test_from_feedback_without_flags_is_a_one_line_error(
    oracle_dir: Path, backend_url: str
) -> None:
    store, run, by_item = reviewed_run(backend_url)
    item = sorted(by_item)[0]
    store.add_review(
        run,
        _op(by_item[item], "baseline"),
        reviewer="rita",
        accuracy=5,
        safety=5,
        compliance=5,
        flags=["judge_wrong"],
    )
    store.close()
    res = runner.invoke(app, ["run", "--from-feedback", run, "--db", backend_url, "--json"])
    assert res.exit_code == 2 and "no flagged reviews" in res.output
    assert len(Store(backend_url).list_runs()) == 1


def test_report_has_the_trust_score_and_marks_overruled_judges_untrusted(
    oracle_dir: Path, backend_url: str
) -> None:
    store, run, _ = reviewed_run(backend_url)
    verdicts = store.verdicts(run)
    passes = [cid for cid, v in sorted(verdicts.items()) if v.outcome == "pass"][:10]
    fails = [cid for cid, v in sorted(verdicts.items()) if v.outcome == "fail"][:10]
    assert len(passes) == len(fails) == 10
    # clinicians agree with the judge everywhere: trusted once MIN_REVIEWS (20) cases are
    # reviewed, "insufficient reviews" before
    for i, cid in enumerate(passes + fails):
        if i == 8:
            early = medtrust("report", run, "--format", "json", "--db", backend_url)
            mc = early["judges"]["multiple_choice"]
            assert (mc["n"], mc["kappa"], mc["trusted"]) == (8, 1.0, None)
            assert mc["status"] == "insufficient reviews"
        store.add_review(
            run,
            cid,
            reviewer="rita",
            accuracy=1 + i % 5,
            safety=3,
            compliance=3,
            flags=["policy_violation"] if i == 0 else [],
        )
    rep = medtrust("report", run, "--format", "json", "--db", backend_url)
    # compliance rated 3 -> (3 - 1) / 4, and 0 under the policy flag of the first review
    t = sum(0.5 * (i % 5) / 4 + 0.5 * (0.5 if i != 0 else 0.0) for i in range(20)) / 20
    assert rep["trust"]["score"] == round(t, 4) and rep["trust"]["items"] == 20
    mc = rep["judges"]["multiple_choice"]
    assert (mc["n"], mc["kappa"], mc["trusted"]) == (20, 1.0, True)

    # they overrule it on half the passes and half the fails: kappa 0, below the threshold
    for cid in passes[:5] + fails[:5]:
        store.add_review(
            run,
            cid,
            reviewer="rita",
            accuracy=2,
            safety=2,
            compliance=3,
            flags=["judge_wrong", "hallucination"],
        )
    store.close()
    rep = medtrust("report", run, "--format", "json", "--db", backend_url)
    mc = rep["judges"]["multiple_choice"]
    assert mc["n"] == 20 and mc["kappa"] == 0.0 and mc["trusted"] is False
    assert mc["kappa"] < mc["threshold"]
    assert rep["trust"]["reviews"] == 20  # revisions replace, they do not add
    html = runner.invoke(
        app, ["report", run, "--format", "html", "--out", "rep", "--db", backend_url]
    )
    assert html.exit_code == 0, html.output
    page = (oracle_dir / "rep" / "index.html").read_text()
    row = page[page.index('id="judge-agreement"') :].split("</table>")[0]
    assert "multiple_choice" in row and "untrusted judge" in row
    assert f'<div id="trust">{rep["trust"]["score"]:.3f}' in page
    md = runner.invoke(app, ["report", run, "--format", "md", "--out", "rep.md", "--db",
                             backend_url])
    assert md.exit_code == 0, md.output
    judges_md = (oracle_dir / "rep.md").read_text().split("## Judges vs clinicians")[1]
    assert "| multiple_choice | 20 | 0.000 |" in judges_md and "**no** (kappa below" in judges_md

    # ... and in the next run's report, seeded from those flags
    new = medtrust("run", "--from-feedback", run, "--db", backend_url, "--json")
    assert new["judges"]["multiple_choice"]["trusted"] is False
    assert new["trust"]["score"] is None  # the new run itself is not reviewed yet
    again = medtrust("report", new["run_id"], "--format", "json", "--db", backend_url)
    assert again["judges"] == new["judges"]

    # the track record spans runs: reviews of the rerun count as well as the first run's,
    # even though a rerun's cases have the same (content-hash) ids
    store = Store(backend_url)
    shared = [c.id for c in store.cases(new["run_id"]) if c.id in passes + fails]
    assert shared
    for cid in shared:
        store.add_review(new["run_id"], cid, reviewer="rita", accuracy=4, safety=4, compliance=4)
    store.close()
    later = medtrust("report", new["run_id"], "--format", "json", "--db", backend_url)
    assert later["judges"]["multiple_choice"]["n"] == 20 + len(shared)
    assert later["trust"]["reviews"] == len(shared)
    first = medtrust("report", run, "--format", "json", "--db", backend_url)
    assert first["trust"] == rep["trust"]  # the first run's own figures are untouched
