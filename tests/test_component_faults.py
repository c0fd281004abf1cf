"""A probe or judge that crashes in the middle of a run (a probe's ``cases`` or its stage-1
``followups``, a judge's verdict) is one line naming it and the cause, exit 2, never a
traceback; the run is left ``interrupted`` (resumable) and no report is written.

The components are dropped into a copy of the package, as CONTRIBUTING's "one new file" says,
and the real CLI runs in a fresh interpreter (``tests/test_registry_plugins.py``)."""

from __future__ import annotations

import json
import shutil
import sqlite3
import textwrap
from pathlib import Path

import medtrust
from test_registry_plugins import EXAMPLES, cli, suite

FLAKY = textwrap.dedent(
    '''
    """Drop-in probes that crash: one in its stage-1 follow-ups, one making its cases, one
    whose judge crashes."""
    from typing import ClassVar

    from medtrust.probes import probes
    from medtrust.probes.option_order import OptionOrder


    @probes.register
    class FlakyFollowups(OptionOrder):
        name: ClassVar[str] = "robustness.flaky_followups"

        def followups(self, stage, cases, verdicts):
            if stage == 1:
                raise RuntimeError("no follow-ups today")
            return []


    @probes.register
    class FlakyCases(OptionOrder):
        name: ClassVar[str] = "robustness.flaky_cases"

        def cases(self):
            raise KeyError("items")


    @probes.register
    class FlakyJudged(OptionOrder):
        name: ClassVar[str] = "robustness.flaky_judged"
        judge: ClassVar[str] = "flaky_judge"
    '''
)

FLAKY_JUDGE = textwrap.dedent(
    '''
    from medtrust.judges import judges


    @judges.register
    class FlakyJudge:
        name = "flaky_judge"

        def __call__(self, case, replies):
            raise ZeroDivisionError("division by zero")
    '''
)


def error_line(stderr: str) -> str:
    """The one error line (progress bars aside), without its ``error: `` prefix."""
    lines = [ln for ln in stderr.splitlines() if ln.startswith("error:")]
    assert len(lines) == 1 and "Traceback" not in stderr, stderr
    return lines[0].removeprefix("error: ")


def _status(db: Path) -> list[str]:
    with sqlite3.connect(db) as con:
        return [row[0] for row in con.execute("select status from runs")]


def test_a_probe_or_judge_crashing_mid_run_is_one_line_and_exit_2(tmp_path: Path) -> None:
    copy = tmp_path / "site"
    pkg = copy / "medtrust"
    shutil.copytree(Path(medtrust.__file__).parent, pkg,
                    ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(EXAMPLES / "option_order.py", pkg / "probes" / "option_order.py")
    (pkg / "probes" / "flaky.py").write_text(FLAKY, encoding="utf-8")
    (pkg / "judges" / "flaky_judge.py").write_text(FLAKY_JUDGE, encoding="utf-8")
    (tmp_path / "tgt.py").write_text("def answer(messages):\n    return 'A'\n", encoding="utf-8")
    runs = {name: suite(tmp_path / f"{name}.yaml", f"robustness.{name}")
            for name in ("flaky_followups", "flaky_cases", "flaky_judged")}

    def run(name: str) -> list[str]:
        return ["run", str(runs[name]), "--target", "python:tgt:answer", "--limit", "2",
                "--db", f"sqlite:///{tmp_path / name}.db", "--out", str(tmp_path / f"r-{name}")]

    export = ["cases", "export", str(runs["flaky_followups"]), "--out", str(tmp_path / "c.jsonl")]
    _, results, _ = cli([*(run(n) for n in runs), export], path=[copy, tmp_path], cwd=tmp_path)
    followups, cases, judged, exported = results
    flaky = pkg / "probes" / "flaky.py"
    for res in results:
        assert res["code"] == 2 and res["crash"] is None, res

    # stage 1: the baseline was asked, stored and judged; the run stops, resumable
    line = error_line(followups["stderr"])
    assert line.startswith("probe 'robustness.flaky_followups' failed while making its "
                           "stage-1 follow-ups: RuntimeError: no follow-ups today ("), line
    assert f"{flaky}:" in line
    assert _status(tmp_path / "flaky_followups.db") == ["interrupted"]
    assert not (tmp_path / "r-flaky_followups").exists()  # no report, nothing half-written

    # making the cases: stopped before anything is stored
    line = error_line(cases["stderr"])
    assert line.startswith("probe 'robustness.flaky_cases' failed while making its cases: "
                           "KeyError: 'items' ("), line
    assert not (tmp_path / "flaky_cases.db").exists() or not _status(tmp_path / "flaky_cases.db")

    # a judge's crash names the judge and the case
    line = error_line(judged["stderr"])
    assert line.startswith("judge 'flaky_judge' failed while judging case "), line
    assert "ZeroDivisionError: division by zero" in line
    assert _status(tmp_path / "flaky_judged.db") == ["interrupted"]
    listed = json.loads(cli([["runs", "--json", "--db", f"sqlite:///{tmp_path}/flaky_judged.db"]],
                            path=[copy], cwd=tmp_path)[1][0]["stdout"])
    assert [r["status"] for r in listed["runs"]] == ["interrupted"]

    # the same crash while exporting the cases a run would send: one line, no file
    assert "failed while making its stage-1 follow-ups" in error_line(exported["stderr"])
    assert not (tmp_path / "c.jsonl").exists()
