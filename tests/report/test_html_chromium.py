"""The HTML report in a real headless Chromium (Debian ``chromium``): it renders, its charts are
there, it fetches nothing and logs no console errors. Skipped without Chromium unless CI=true."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from medtrust import api
from medtrust.cli import app as main_app
from medtrust.records import Case, Reply, Verdict
from medtrust.report import render, summarize_run
from medtrust.store import Store
from medtrust.summary import AxisSummary
from policies.crafted import crafted_run  # tests/ is on sys.path (rootdir conftest)

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
RESOURCE = re.compile(
    r"""(?:src|href|xlink:href|action)\s*=\s*["']?\s*(?:https?:)?//|url\(\s*["']?(?:https?:)?//|@import""",
    re.I,
)
CHARTS = (
    "chart-axes",
    "chart-risk",
    "chart-compliance",
    "chart-fairness-groups",
    "chart-attribution",
)


def _need_chromium() -> str:
    if CHROMIUM:
        return CHROMIUM
    if os.environ.get("CI") == "true":
        pytest.fail("chromium is required in CI (apt-get install chromium)")
    pytest.skip("chromium not installed (apt-get install chromium); required when CI=true")


def _browse(html: Path, shot: Path) -> dict[str, Any]:
    """Load ``html``; return console errors, network requests, chart ids and table rows."""
    exe = _need_chromium()
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        return _browse_cli(exe, html, shot)
    errors: list[str] = []
    requests: list[str] = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=exe, args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 1200, "height": 900})
        page.on(
            "console", lambda m: errors.append(m.text) if m.type in ("error", "warning") else None
        )
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.on("request", lambda r: requests.append(r.url))
        page.goto(html.as_uri(), wait_until="load")
        charts = page.eval_on_selector_all("svg.chart", "els => els.map(e => e.id)")
        bars = page.eval_on_selector_all("svg.chart rect", "els => els.length")
        rows = page.eval_on_selector_all("#compliance-table tbody tr", "els => els.length")
        height = page.evaluate("document.body.scrollHeight")
        page.screenshot(path=str(shot), full_page=True)
        browser.close()
    return {
        "errors": errors,
        "external": [u for u in requests if not u.startswith(("file:", "data:", "about:"))],
        "charts": charts,
        "bars": bars,
        "rows": rows,
        "height": height,
    }


def _browse_cli(exe: str, html: Path, shot: Path) -> dict[str, Any]:
    """Fallback without Playwright: --dump-dom for the DOM, Chromium's log for console lines."""
    flags = [
        exe, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run",
        f"--user-data-dir={shot.parent / 'profile'}", "--enable-logging=stderr", "--v=0",
    ]  # fmt: skip
    dom = subprocess.run(
        [*flags, "--dump-dom", html.as_uri()], capture_output=True, text=True, timeout=120
    )
    subprocess.run([*flags, f"--screenshot={shot}", "--window-size=1200,4000", html.as_uri()],
                   capture_output=True, timeout=120)  # fmt: skip
    rows = re.search(r'id="compliance-table".*?<tbody>(.*?)</tbody>', dom.stdout, re.S)
    return {
        "errors": [x for x in dom.stderr.splitlines() if ":CONSOLE" in x],
        "external": [],
        "charts": re.findall(r'<svg id="([^"]+)" class="chart"', dom.stdout),
        "bars": len(re.findall(r"<rect ", dom.stdout)),
        "rows": rows.group(1).count("<tr") if rows else 0,
        "height": 1000 if "</main>" in dom.stdout else 0,
    }


def test_console_error_detection_works(tmp_path: Path) -> None:
    """Negative control: the harness does see a page's console errors."""
    page = tmp_path / "bad.html"
    page.write_text('<svg id="x" class="chart"></svg><script>console.error("boom")</script>')
    assert any("boom" in e for e in _browse(page, tmp_path / "bad.png")["errors"])


def test_report_renders_in_chromium(oracle_dir: Path) -> None:
    res = CliRunner().invoke(
        main_app,
        ["run", "--target", "python:oracle:answer", "--db", "sqlite:///t.db", "--limit", "6",
         "--json", "--out", "rep"],
        catch_exceptions=False,
    )  # fmt: skip
    assert res.exit_code == 0, res.output
    store = Store("sqlite:///t.db")
    info = store.get_run(json.loads(res.stdout)["run_id"])
    summary = summarize_run(store, info, api.probes_for(info))
    summary.axes["fairness"] = AxisSummary.model_validate({  # its extras' shape
        **summary.axes["fairness"].model_dump(),
        "assessed": True, "n": 40, "failures": 5, "failure_rate": 0.125, "ci95": [0.05, 0.26],
        "by_group": {
            "sex": {"n": 20, "failures": 1, "failure_rate": 0.05, "ci95": [0.01, 0.24],
                    "errors": 0, "error_rate": 0.0},
            "race": {"n": 20, "failures": 4, "failure_rate": 0.2, "ci95": [0.08, 0.42],
                     "errors": 0, "error_rate": 0.0},
        },
        "attribution_disparity": {"age": 0.12, "sex": {"value": -0.04}},
    })  # fmt: skip
    html = render(store, info, summary, "html", redact=True)
    assert not RESOURCE.search(html)
    assert "http://" not in html and "https://" not in html
    page = oracle_dir / "report.html"
    page.write_text(html)
    shot = Path(os.environ.get("MEDTRUST_SCREENSHOT_DIR", oracle_dir)) / "report.png"
    seen = _browse(page, shot)
    assert seen["errors"] == [] and seen["external"] == []
    assert set(CHARTS) <= set(seen["charts"])
    assert seen["bars"] >= 10 and seen["height"] > 900
    assert seen["rows"] == len(summary.compliance.rules) > 0
    assert shot.exists() and shot.stat().st_size > 10_000
    # the report written by `run` renders too
    run_id = json.loads(res.stdout)["run_id"]  # each run writes its own folder, `latest` -> newest
    assert (oracle_dir / "rep" / "latest" / "index.html").exists()
    page = oracle_dir / "rep" / run_id / "index.html"
    assert _browse(page, oracle_dir / "rep.png")["errors"] == []


def test_replies_are_escaped_not_executed(tmp_path: Path) -> None:
    store, info = crafted_run(tmp_path)
    evil = Case.make(axis="hallucination", probe="x", operator="evil", role="control",
                     messages=[{"role": "user", "content": "q <b>bold</b>"}], gold={})  # fmt: skip
    store.add_cases(info.id, [evil])
    store.add_replies(info.id, [Reply(case_id=evil.id, text="<script>alert(1)</script>")])
    store.put_verdicts(info.id, [Verdict(case_id=evil.id, judge="x", outcome="fail")])
    html = render(store, info, summarize_run(store, info, []), "html", redact=True)
    assert "<script>" not in html and "&lt;script&gt;alert(1)" in html
