"""The leaderboard page in a real headless Chromium, with the run report's harness: it renders,
its charts are there, it fetches nothing and logs no console error. Skipped without Chromium
unless CI=true (then Chromium is required)."""

from __future__ import annotations

from pathlib import Path

from report.test_html_chromium import _browse  # tests/ is on sys.path (rootdir conftest)

from .conftest import SUITE, Planted, invoke, json_of


def test_leaderboard_renders_in_chromium(planted: Planted) -> None:
    planted({"a": {"static": 0.95, "fool": 0.5}, "guess": {"static": 0.3, "fool": 0.3}})
    out = json_of(
        "run", SUITE, "-t", "python:planted:a", "-t", "python:planted:guess",
        "--db", "sqlite:///c.db", "--out", "rep",
    )  # fmt: skip
    res = invoke("compare", out["comparison"], "--db", "sqlite:///c.db", "--format", "html",
                 "--out", "lb.html")  # fmt: skip
    assert res.exit_code == 0, res.output
    seen = _browse(Path("lb.html").resolve(), Path("lb.png").resolve())
    assert seen["errors"] == [] and seen["external"] == []
    assert {"chart-scatter", "chart-ranks-robustness"} <= set(seen["charts"])
    assert seen["height"] > 900
