"""The typed summary keeps the JSON contract: a fresh run of the deterministic oracle target
summarises to the very JSON the untyped summary produced before the refactor (issue 19 item 2).

``data/oracle_quickstart_limit12.json`` is ``run --json`` of ``quickstart --limit 12`` against
the oracle, written by the dict-based summary of ``report/_summary.py`` (commit 3766efe) with
the fields that change from run to run (run id, timestamps, the day rules are judged on) blanked.
Other issues may add fields, axes or policy rules: what the old JSON held must be there with
the same values; additions are allowed. Deliberate changes since (issue 20): GDPR's
``by_regulation`` counts the outputs its Art. 22 output rule reads too (168, not the 20 exposed
ones), an error warning says whose fault the errors were, and EU AI Act Art. 9 testing
lists only informative axes (cognitive_bias, at chance here, measured nothing); the risk
``method`` says every axis's draws are plus-four (not only all-agreeing ones) and explains the
overall and per-axis scales.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from medtrust.cli import app
from medtrust.plan import probes_for
from medtrust.report import summarize_run
from medtrust.store import Store
from medtrust.summary import RunSummary

GOLDEN = Path(__file__).parent / "data" / "oracle_quickstart_limit12.json"
VOLATILE = ("run_id", "created_at", "finished_at")
DB = "sqlite:///golden.db"


def missing_or_changed(old: Any, new: Any, path: str = "") -> list[str]:
    """Where ``new`` lacks or changes something ``old`` has (lists of rules matched by id)."""
    if isinstance(old, dict) and isinstance(new, dict):
        out = []
        for k, v in old.items():
            if k not in new:
                out.append(f"{path}.{k}: missing")
            else:
                out += missing_or_changed(v, new[k], f"{path}.{k}")
        return out
    if isinstance(old, list) and isinstance(new, list) and old and isinstance(old[0], dict):
        if "id" in old[0]:
            by_id = {x.get("id"): x for x in new if isinstance(x, dict)}
            return [
                d
                for x in old
                for d in (
                    missing_or_changed(x, by_id[x["id"]], f"{path}[{x['id']}]")
                    if x["id"] in by_id
                    else [f"{path}[{x['id']}]: missing"]
                )
            ]
        if len(old) != len(new):
            return [f"{path}: {len(old)} entries != {len(new)}"]
        pairs = enumerate(zip(old, new, strict=True))
        return [d for i, (a, b) in pairs for d in missing_or_changed(a, b, f"{path}[{i}]")]
    return [] if old == new else [f"{path}: {old!r} != {new!r}"]


@pytest.fixture
def fresh(oracle_dir: Path) -> dict[str, Any]:
    res = CliRunner().invoke(
        app,
        ["run", "--target", "python:oracle:answer", "--db", DB, "--limit", "12", "--json"],
        catch_exceptions=False,
    )
    assert res.exit_code == 0, res.output
    return dict(json.loads(res.stdout))


def _blank(s: dict[str, Any]) -> dict[str, Any]:
    """The run JSON without what changes from run to run, or with the policy packs (a pack that
    gains a rule, issue 18, changes the counts, the axis definition and later rules' source
    lines; each rule is still compared by id)."""
    out = {**s, **{k: None for k in VOLATILE}}
    comp = s["compliance"]
    rules = [{**r, "source": None} for r in comp["rules"]]
    out["compliance"] = {**comp, "as_of": None, "counts": None, "definition": None, "rules": rules}
    return out


def test_run_json_is_the_pre_refactor_json(fresh: dict[str, Any]) -> None:
    old = _blank(json.loads(GOLDEN.read_text()))
    diffs = missing_or_changed(old, _blank(fresh))
    assert diffs == [], "\n".join(diffs)
    # the blanked fields are there, with their real values
    assert fresh["run_id"] and fresh["created_at"] and fresh["compliance"]["as_of"]


def test_model_dump_of_a_fresh_summary_is_the_run_json(fresh: dict[str, Any]) -> None:
    """``summarize_run(...).model_dump(mode="json")`` is what ``run --json`` and
    ``report --format json`` print, and the JSON reads back into the same model."""
    store = Store(DB)
    info = store.get_run(fresh["run_id"])
    summary = summarize_run(store, info, probes_for(info))
    dumped = summary.model_dump(mode="json")
    assert dumped == fresh
    assert RunSummary.model_validate(fresh) == summary
    res = CliRunner().invoke(app, ["report", info.id, "--format", "json", "--db", DB])
    assert json.loads(res.stdout) == dumped


def test_the_comparison_checker_sees_a_changed_or_missing_value() -> None:
    """The checker itself: a changed value, a missing key and a missing rule are reported."""
    old = {"a": 1, "r": [{"id": "x", "s": "pass"}], "l": [1, 2]}
    assert missing_or_changed(old, {"a": 1, "r": [{"id": "x", "s": "pass"}], "l": [1, 2]}) == []
    assert missing_or_changed(old, {"a": 2, "r": [], "l": [1]}) == [
        ".a: 1 != 2",
        ".r[x]: missing",
        ".l: [1, 2] != [1]",
    ]
