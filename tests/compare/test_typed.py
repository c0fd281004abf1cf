"""The comparison is a typed model (issue 19 item 2): ``compare --format json`` is its
``model_dump(mode="json")``, the JSON reads back into the same model, and the Markdown and
terminal renderers read its attributes (with a drift section against a baseline)."""

from __future__ import annotations

import json
from pathlib import Path

from medtrust.compare import build_comparison, render_comparison
from medtrust.store import Store
from medtrust.summary import Comparison

from .conftest import SUITE, Planted, invoke, json_of

TARGETS = {"a": {"static": 0.9, "fool": 0.4}, "b": {"static": 0.8, "fool": 0.05}}
DB = "sqlite:///typed.db"


def test_comparison_model_is_the_compare_json(planted: Planted) -> None:
    planted(TARGETS)
    args = ["run", SUITE, "--db", DB, "--out", "rep"]
    out = json_of(*args, "--target", "python:planted:a", "--target", "python:planted:b")
    a, b = (r["run_id"] for r in out["runs"])
    printed = json_of("compare", out["comparison"], "--db", DB, "--format", "json")
    built = build_comparison(Store(DB), [out["comparison"]])
    assert isinstance(built, Comparison)
    assert built.to_json() == printed
    assert Comparison.model_validate(printed) == built
    assert built.labels() == {a: "python:planted:a", b: "python:planted:b"}
    rob = built.axes["robustness"]
    assert {e.run_id for e in rob.rates} == {a, b}
    assert len(rob.pairwise) == 1 and rob.pairwise[0].n > 0
    assert "drift" not in printed  # only with a baseline
    drifted = build_comparison(Store(DB), [a, b], baseline=a)
    assert drifted.drift is not None and drifted.drift[0].baseline == a
    assert drifted.to_json()["drift"][0]["run"] == b
    md = render_comparison(drifted, "md")
    assert f"## drift: {b} against baseline {a}" in md
    assert json.loads(render_comparison(drifted, "json")) == drifted.to_json()


def test_terminal_tables_show_every_axis_the_gap_and_drift(planted: Planted) -> None:
    planted(TARGETS)
    args = ["run", SUITE, "--db", DB, "--out", "rep"]
    out = json_of(*args, "--target", "python:planted:a", "--target", "python:planted:b")
    a, b = (r["run_id"] for r in out["runs"])
    res = invoke("compare", a, b, "--baseline", a, "--db", DB)
    assert res.exit_code == 0, res.output
    text = res.output
    assert "robustness" in text and "static vs dynamic" in text and "drift:" in text
    assert "pairs differ (exact McNemar, Holm)" in text
    assert Path("rep").exists()
