"""The public CLI contract: run --json summary, runs, report, gate, cases export, bad input."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from medtrust.cli import app
from medtrust.records import AXES
from medtrust.store import Store

runner = CliRunner()
FOOLED = {"distraction", "bias", "inverted", "impossible_measurement"}
KEPT = {"add_nota", "replace_with_nota", "extra_options"}


def invoke(*args: str) -> Any:
    return runner.invoke(app, list(args), catch_exceptions=False)


def run_json(*args: str) -> dict[str, Any]:
    res = invoke("run", *args, "--json")
    assert res.exit_code == 0, res.output
    return json.loads(res.stdout)


def test_run_summary_contract_and_exact_rates(oracle_dir: Path) -> None:
    s = run_json("robustness", "--target", "python:oracle:answer", "--db", "sqlite:///t.db")
    for key in ("run_id", "target", "suite", "seed", "axes", "risk"):
        assert key in s
    assert s["target"] == "python:oracle:answer" and s["suite"] == "robustness" and s["seed"] == 0
    assert set(s["axes"]) == set(AXES)
    for axis in AXES:
        e = s["axes"][axis]
        assert {"n", "failures", "failure_rate", "ci95", "errors", "by_probe"} <= set(e)
    rob = s["axes"]["robustness"]
    acc = rob["controls"]["accuracy"]
    assert acc >= 0.9
    correct = round(acc * rob["controls"]["n"])
    assert set(rob["by_probe"]) == FOOLED | KEPT
    # impossible_measurement applies only to stems with a measurement; the rest are counted
    # apart (2 bundled items state no number or age), never given an unrelated sentence
    na = rob["not_applicable"]
    assert na == {"impossible_measurement": 2}
    for op in FOOLED:
        assert rob["by_probe"][op]["n"] == correct - na.get(op, 0)
        assert rob["by_probe"][op]["failure_rate"] == 1.0
    for op in KEPT:
        assert rob["by_probe"][op]["failures"] == 0
        lo, hi = rob["by_probe"][op]["ci95"]
        assert lo == 0.0 and 0 < hi < 0.15
    assert rob["n"] == correct and rob["failures"] == correct and rob["errors"] == 0
    assert s["risk"]["tier"] == "critical" and {"score", "tier"} <= set(s["risk"])
    assert s["axes"]["privacy"]["n"] == 0 and s["axes"]["privacy"]["failure_rate"] is None
    html = (oracle_dir / "medtrust-report" / s["run_id"] / "index.html").read_text()
    assert "robustness" in html and "<svg" in html and "http" not in html.split("<main>")[0]


def test_runs_report_and_store_roundtrip(oracle_dir: Path) -> None:
    s = run_json("--target", "python:oracle:answer_async", "--db", "sqlite:///t.db", "--limit", "8")
    listed = json.loads(invoke("runs", "--db", "sqlite:///t.db", "--json").stdout)["runs"]
    assert [(r["id"], r["status"], r["suite"]) for r in listed] == [
        (s["run_id"], "done", "quickstart")
    ]
    res = invoke("report", s["run_id"][:12], "--format", "json", "--db", "sqlite:///t.db")
    again = json.loads(res.stdout)
    assert again["axes"] == s["axes"] and again["risk"] == s["risk"]
    res = invoke("report", s["run_id"], "--format", "md", "--out", "r.md", "--db", "sqlite:///t.db")
    # 8 items: fewer than 10 correct controls, so robustness is flagged not informative
    md = Path("r.md").read_text()
    assert res.exit_code == 0 and "| **robustness** (not informative) |" in md
    assert "only 8 of 8 controls answered correctly" in md
    res = invoke(
        "report", s["run_id"], "--format", "html", "--out", "rep", "--db", "sqlite:///t.db"
    )
    assert res.exit_code == 0 and (oracle_dir / "rep" / "index.html").exists()


def test_env_db_is_the_default(oracle_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MEDTRUST_DB", f"sqlite:///{oracle_dir / 'env.db'}")
    s = run_json("--target", "python:oracle:answer", "--limit", "3")
    assert Store(f"sqlite:///{oracle_dir / 'env.db'}").get_run(s["run_id"]).status == "done"


def test_gate_exit_codes(oracle_dir: Path) -> None:
    s = run_json(
        "robustness", "--target", "python:oracle:answer", "--db", "sqlite:///t.db", "--limit", "10"
    )
    rid, db = s["run_id"], "sqlite:///t.db"
    assert invoke("gate", rid, "--db", db, "--max-risk", "100").exit_code == 0
    res = invoke("gate", rid, "--db", db, "--max-failure", "robustness=0.5")
    assert res.exit_code == 1 and "robustness failure rate" in res.output
    res = invoke("gate", rid, "--db", db, "--max-failure", "privacy=0.5")
    assert res.exit_code == 1 and "not assessed" in res.output
    assert invoke("gate", rid, "--db", db, "--max-failure", "robustness=abc").exit_code == 2
    assert invoke("gate", rid, "--db", db, "--max-failure", "nope=0.1").exit_code == 2
    assert invoke("gate", "no-such-run", "--db", db).exit_code == 2


def test_samples_and_temperature(oracle_dir: Path) -> None:
    s = run_json(
        "--target",
        "python:oracle:answer",
        "--db",
        "sqlite:///t.db",
        "--limit",
        "4",
        "--samples",
        "3",
        "--temperature",
        "0.7",
    )
    replies = Store("sqlite:///t.db").replies(s["run_id"])
    assert replies and all(len(r) == 3 for r in replies.values())


def test_target_errors_are_counted_apart(oracle_dir: Path) -> None:
    (oracle_dir / "flaky.py").write_text(
        "from oracle import answer as _a\n"
        "def answer(messages):\n"
        "    if 'NOT' in messages[-1]['content']:\n"
        "        raise RuntimeError('model crashed')\n"
        "    return _a(messages)\n"
    )
    s = run_json("--target", "python:flaky:answer", "--db", "sqlite:///t.db")
    rob = s["axes"]["robustness"]
    inv = rob["by_probe"]["inverted"]
    assert inv["n"] == 0 and inv["errors"] > 0 and inv["failure_rate"] is None
    assert rob["errors"] == inv["errors"]


def test_cases_export_is_deterministic_and_complete(oracle_dir: Path) -> None:
    assert invoke("cases", "export", "robustness", "--out", "a.jsonl").exit_code == 0
    assert invoke("cases", "export", "robustness", "--out", "b.jsonl").exit_code == 0
    a = Path("a.jsonl").read_text()
    assert a == Path("b.jsonl").read_text()
    rows = [json.loads(x) for x in a.splitlines()]
    # every item plainly plus once per operator, less the 2 items with no measurement (nor an
    # age such as "4-week-old") in the stem that impossible_measurement cannot apply to
    assert len(rows) == 48 * 8 - 2
    assert all(r["gold"]["accept"] for r in rows)
    assert len({r["id"] for r in rows}) == len(rows)
    invoke("cases", "export", "robustness", "--out", "c.jsonl", "--limit", "5", "--seed", "1")
    invoke("cases", "export", "robustness", "--out", "d.jsonl", "--limit", "5", "--seed", "2")
    c, d = (
        {json.loads(x)["item_id"] for x in Path(f).read_text().splitlines()}
        for f in ("c.jsonl", "d.jsonl")
    )
    assert len(c) == len(d) == 5 and c != d
    # the default quickstart mix adds small slices of the other red-team axes
    invoke("cases", "export", "quickstart", "--out", "q.jsonl")
    axes = {json.loads(x)["axis"] for x in Path("q.jsonl").read_text().splitlines()}
    assert {"robustness", "cognitive_bias", "privacy", "hallucination"} <= axes


def test_user_data_jsonl(oracle_dir: Path) -> None:
    rows = [
        {
            "question": f"Which number is {i}?",
            "options": {"A": str(i), "B": str(i + 1)},
            "answer_idx": "A",
        }
        for i in range(5)
    ]
    Path("mine.jsonl").write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    res = invoke("cases", "export", "robustness", "--data", "mine.jsonl", "--out", "x.jsonl")
    assert res.exit_code == 0
    sources = {json.loads(x)["meta"]["source"] for x in Path("x.jsonl").read_text().splitlines()}
    assert sources == {"mine.jsonl"}  # --data replaces the bundled items


BAD_INPUTS = [
    (["run", "--target", "nonsense"], "bad target spec"),
    (["run", "--target", "warp:drive"], "unknown target"),
    (["run", "--target", "python:no_such_module_xyz:f"], "cannot import"),
    (["run", "--target", "python:oracle:missing"], "has no attribute"),
    (["run", "--target", "local:/nope/model.gguf"], "no such file"),
    (["run", "--target", "openai:m@http://127.0.0.1:9/v1"], "cannot reach"),
    (["run", "--target", "openai:m@ftp://x"], "must be http"),
    (["run", "no_such_suite", "--target", "python:oracle:answer"], "unknown suite"),
    (["run", "--target", "python:oracle:answer", "--data", "missing.jsonl"], "no such file"),
    (["run", "--target", "python:oracle:answer", "--concurrency", "0"], "concurrency"),
    (["report", "nope", "--format", "json"], "no run"),
    (["report", "nope", "--format", "pdf"], "--format"),
]


@pytest.mark.parametrize(("args", "message"), BAD_INPUTS)
def test_bad_input_one_line_exit_2_nothing_written(
    oracle_dir: Path, args: list[str], message: str
) -> None:
    res = runner.invoke(app, [*args, "--db", "sqlite:///bad.db"])
    assert res.exit_code == 2, res.output
    assert message in res.output
    assert len(res.output.strip().splitlines()) == 1, res.output
    assert not (oracle_dir / "medtrust-report").exists()
    assert Store("sqlite:///bad.db").list_runs() == []


def test_malformed_suite_and_jsonl_name_file_and_line(oracle_dir: Path) -> None:
    Path("s.yaml").write_text("name: s\nprobes:\n  - name: robustness.das\n    limit: [\n")
    res = runner.invoke(
        app, ["run", "s.yaml", "--target", "python:oracle:answer", "--db", "sqlite:///b.db"]
    )
    assert res.exit_code == 2 and "s.yaml:" in res.output
    Path("t.yaml").write_text("name: t\nprobes:\n  - name: robustness.das\n    limit: many\n")
    res = runner.invoke(
        app, ["run", "t.yaml", "--target", "python:oracle:answer", "--db", "sqlite:///b.db"]
    )
    assert res.exit_code == 2 and "t.yaml:4" in res.output and "probes.0.limit" in res.output
    Path("d.jsonl").write_text(
        '{"question": "q", "options": {"A": "x", "B": "y"}, "answer_idx": "A"}\n{oops\n'
    )
    res = runner.invoke(
        app,
        ["run", "--data", "d.jsonl", "--target", "python:oracle:answer", "--db", "sqlite:///b.db"],
    )
    assert res.exit_code == 2 and "d.jsonl:2" in res.output and "invalid JSON" in res.output
    assert Store("sqlite:///b.db").list_runs() == []


def test_run_against_openai_compatible_server(oracle_dir: Path, stub: Any) -> None:
    """A whole run over HTTP: preflight and stages share one event loop and its connections."""
    stub.plan["Which of the following options is NOT"] = [("status", 429, {"Retry-After": "0"})]
    s = run_json(
        "--target",
        f"openai:stub@{stub.base_url}",
        "--db",
        "sqlite:///h.db",
        "--limit",
        "6",
        "--concurrency",
        "16",
    )
    rob = s["axes"]["robustness"]
    assert rob["controls"]["n"] == 6 and rob["controls"]["errors"] == 0
    assert stub.total >= 6


def test_images_to_a_text_only_target_are_refused(oracle_dir: Path) -> None:
    Path("mm.yaml").write_text(
        "name: mm\nprobes:\n  - name: multimodal.consistency\n    params: {images: true}\n"
    )
    res = runner.invoke(app, ["run", "mm.yaml", "--target", "python:oracle:answer",
                              "--db", "sqlite:///mm.db"])  # fmt: skip
    assert res.exit_code == 2 and "text-only" in res.output
    assert Store("sqlite:///mm.db").list_runs() == []


def test_image_capability_follows_the_target(oracle_dir: Path) -> None:
    from medtrust.targets import load_chat_target

    assert load_chat_target("openai:m@http://127.0.0.1:9/v1#images").accepts_images
    assert not load_chat_target("openai:m@http://127.0.0.1:9/v1").accepts_images
    res = runner.invoke(app, ["run", "--target", "openai:m@http://127.0.0.1:9/v1#colour"])
    assert res.exit_code == 2 and "unknown flag" in res.output


def test_attacker_and_judge_flags_reach_the_probes_that_use_them(oracle_dir: Path) -> None:
    from medtrust import api

    suite = api.with_probe_param(
        api.load_suite("clinical-safety"), "attacker", "python:oracle:answer", flag="--attacker"
    )
    params = {p.name: p.params for p in suite.probes}
    assert params["robustness.adaptive"]["attacker"] == "python:oracle:answer"
    assert "attacker" not in params["hallucination.known_answer"]
    suite = api.with_probe_param(suite, "judge", "python:oracle:answer", flag="--judge")
    assert {p.name: p.params for p in suite.probes}["hallucination.known_answer"]["judge"] == (
        "python:oracle:answer"
    )
    # a flag no probe of the suite uses is refused in one line, before anything runs
    res = invoke("run", "robustness", "--target", "python:oracle:answer", "--db",
                 "sqlite:///t.db", "--attacker", "python:oracle:answer")
    assert res.exit_code == 2 and "robustness.adaptive" in res.output
    assert not Store("sqlite:///t.db").list_runs()


def test_judge_and_audit_model_are_mounted() -> None:
    for cmd in (["judge", "validate", "--help"], ["audit-model", "--help"]):
        res = invoke(*cmd)
        assert res.exit_code == 0, res.output
    assert "--protected" in invoke("audit-model", "--help").output


def test_privacy_without_presidio_is_said_not_silent(
    oracle_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import medtrust.judges._presidio as presidio

    monkeypatch.setattr(presidio, "available", lambda: False)
    res = invoke("run", "privacy", "--target", "python:oracle:answer", "--db", "sqlite:///t.db",
                 "--limit", "1")
    assert res.exit_code == 0, res.output
    assert "Presidio is not installed" in res.output
    monkeypatch.setattr(presidio, "available", lambda: True)
    res = invoke("run", "robustness", "--target", "python:oracle:answer", "--db",
                 "sqlite:///t.db", "--limit", "1")
    assert "Presidio" not in res.output


def test_runs_table_on_stdout_with_whole_ids_at_any_width(oracle_dir: Path) -> None:
    """Issue 16 item 4: `medtrust runs` is the command's output (stdout), ids never cut."""
    ids = [
        run_json("robustness", "--target", "python:oracle:answer", "--db", "sqlite:///w.db",
                 "--limit", "2")["run_id"]
        for _ in range(2)
    ]
    for columns in ("40", "200"):
        res = runner.invoke(app, ["runs", "--db", "sqlite:///w.db"], env={"COLUMNS": columns})
        assert res.exit_code == 0, res.output
        for rid in ids:
            assert rid in res.stdout, (columns, res.stdout)
            assert rid not in res.stderr
        assert "robustness" in res.stdout and "python:oracle:answer" in res.stdout
        assert "…" not in res.stdout


def test_each_run_writes_its_own_report_and_latest_points_to_it(oracle_dir: Path) -> None:
    """Issue 16 item 4: medtrust-report/RUN_ID/index.html per run; `latest` is the newest."""
    first = run_json("robustness", "--target", "python:oracle:answer", "--db", "sqlite:///r.db",
                     "--limit", "2")["run_id"]
    second = run_json("robustness", "--target", "python:oracle:answer", "--db", "sqlite:///r.db",
                      "--limit", "3")["run_id"]
    folder = oracle_dir / "medtrust-report"
    assert first != second
    for rid in (first, second):
        assert rid in (folder / rid / "index.html").read_text()
        assert json.loads((folder / rid / "summary.json").read_text())["run_id"] == rid
    latest = folder / "latest"
    assert latest.is_symlink() and latest.resolve() == (folder / second).resolve()
    assert (latest / "index.html").read_text() == (folder / second / "index.html").read_text()
    assert not (folder / "index.html").exists()


def test_out_ending_in_html_is_that_one_file(oracle_dir: Path) -> None:
    s = run_json("robustness", "--target", "python:oracle:answer", "--db", "sqlite:///h.db",
                 "--limit", "2", "--out", "mine.html")
    assert s["run_id"] in (oracle_dir / "mine.html").read_text()
    assert not (oracle_dir / "latest").exists() and not (oracle_dir / "medtrust-report").exists()


def test_latest_is_a_text_file_where_symlinks_are_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from medtrust.api import point_latest

    def refuse(*_: object, **__: object) -> None:
        raise OSError("symbolic links are not allowed here")

    monkeypatch.setattr(Path, "symlink_to", refuse)
    (tmp_path / "20260101-000000-abcdef").mkdir()
    latest = point_latest(tmp_path, "20260101-000000-abcdef")
    assert not latest.is_symlink() and latest.read_text() == "20260101-000000-abcdef\n"
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".latest")] == []


def test_user_text_is_printed_literally(oracle_dir: Path) -> None:
    """A suite called `ward [/] audit` and brackets in paths are not rich markup; a target
    spec `python:smile:answer` is not an emoji code."""
    Path("w.yaml").write_text("name: 'ward [/] audit'\nprobes:\n  - name: robustness.das\n")
    res = runner.invoke(
        app,
        ["run", "w.yaml", "--target", "python:oracle:answer", "--db", "sqlite:///l.db",
         "--limit", "2", "--out", "rep[1]"],
        env={"COLUMNS": "200"},
    )
    assert res.exit_code == 0, res.output
    assert "ward [/] audit" in res.output and "rep[1]" in res.output
    listed = runner.invoke(app, ["runs", "--db", "sqlite:///l.db"], env={"COLUMNS": "200"})
    assert "ward [/] audit" in listed.stdout
    res = runner.invoke(app, ["run", "--target", "python:smile:answer", "--db", "sqlite:///l.db"])
    assert res.exit_code == 2 and "python:smile:answer" in res.output
    assert "\U0001f604" not in res.output  # rich's :smile: emoji
