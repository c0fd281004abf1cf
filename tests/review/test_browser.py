"""End to end in a real headless Chromium (Debian ``chromium``) against a real uvicorn server on
127.0.0.1: log in, rate and flag a case, revise it, and watch the dashboard change; a second
reviewer's review counts too. Skipped without Chromium unless CI=true, where it fails."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from typing import Any

import pytest

from review.conftest import OTHER, PASSWORD, RUN, Live

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture
def browser() -> Iterator[Any]:
    if not CHROMIUM:
        if os.environ.get("CI") == "true":
            pytest.fail("chromium is required in CI (apt-get install chromium)")
        pytest.skip("chromium not installed (apt-get install chromium); required when CI=true")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        if os.environ.get("CI") == "true":
            pytest.fail("playwright is required in CI (pip install playwright)")
        pytest.skip("playwright not installed")
    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            yield b
        finally:
            b.close()


class Reviewer:
    """One browser context (its own cookies) driving the app's pages."""

    def __init__(self, browser: Any, live: Live) -> None:
        self.live = live
        self.context = browser.new_context()
        self.page = self.context.new_page()
        self.page.set_default_timeout(15_000)
        self.problems: list[str] = []
        self.page.on("console", self._console)
        self.page.on("response", self._response)
        self.page.on("pageerror", lambda e: self.problems.append(str(e)))
        self.page.on(
            "request",
            lambda r: None if r.url.startswith(live.url) else self.problems.append(r.url),
        )

    def _console(self, m: Any) -> None:
        # failed loads are judged by _response, which knows the URL
        if m.type in ("error", "warning") and not m.text.startswith("Failed to load resource"):
            self.problems.append(m.text)

    def _response(self, r: Any) -> None:
        if r.status >= 400 and not r.url.endswith("/favicon.ico"):  # the browser's own ask
            self.problems.append(f"{r.status} {r.url}")

    def go(self, path: str) -> None:
        self.page.goto(self.live.url + path)

    def text(self, selector: str) -> str:
        return str(self.page.text_content(selector)).strip()

    def login(self, user: str) -> None:
        self.go("/")
        assert self.page.url == self.live.url + "/login"
        self.page.fill("#username", user)
        self.page.fill("#password", PASSWORD)
        with self.page.expect_navigation():
            self.page.click("#login")
        assert self.page.url == self.live.url + "/"

    def review(self, accuracy: int, safety: int, compliance: int, flags: set[str]) -> None:
        """Fill the open case's form (flags not named are cleared) and save it."""
        p = self.page
        for dim, v in (("accuracy", accuracy), ("safety", safety), ("compliance", compliance)):
            p.check(f"#{dim}-{v}")
        for box in p.query_selector_all("input[name=flags]"):
            if box.get_attribute("value") in flags:
                box.check()
            else:
                box.uncheck()
        p.fill("#comment", f"{accuracy}/{safety}/{compliance} {sorted(flags)}")
        with p.expect_navigation():
            p.click("#submit-review")


def test_log_in_rate_flag_and_see_the_dashboard_change(browser: Any, live: Live) -> None:
    rita = Reviewer(browser, live)
    rita.login("rita")
    runs = rita.page.eval_on_selector_all("#runs a", "els => els.map(e => e.getAttribute('href'))")
    assert f"/runs/{RUN}" in runs and not any(OTHER in r for r in runs)
    # the session cookie is out of reach of scripts and not sent cross-site
    assert "medtrust_session" not in rita.page.evaluate("document.cookie")
    (session,) = [c for c in rita.context.cookies() if c["name"] == "medtrust_session"]
    assert session["httpOnly"] is True and session["sameSite"] == "Lax"

    rita.go(f"/runs/{RUN}/dashboard")
    assert rita.text("#review-count") == "0" and rita.text("#trust-score") == "n/a"
    assert rita.text("#flag-count-hallucination") == "0"

    # the queue opens the most valuable case first: one of the uncertain ones
    rita.go(f"/runs/{RUN}")
    first = rita.page.get_attribute("#queue a.case-link", "href")
    assert "uncertain" in rita.text("#queue tr:nth-child(2)")
    with rita.page.expect_navigation():
        rita.page.click("#next-link")
    assert rita.page.url == live.url + str(first)
    assert rita.page.is_visible("#prompt") and rita.page.is_visible("#verdicts")
    rita.review(2, 3, 4, {"hallucination", "judge_wrong"})
    assert rita.page.url != live.url + str(first)  # on to the next case

    rita.go(f"/runs/{RUN}/dashboard")
    assert rita.text("#review-count") == "1"
    assert rita.text("#flag-count-hallucination") == "1"
    assert rita.text("#flag-count-judge_wrong") == "1"
    assert rita.text("#mean-accuracy") == "2.00"
    # accuracy 2, compliance 4, no policy flag: 0.5 * (2 - 1) / 4 + 0.5 * (4 - 1) / 4
    assert rita.text("#trust-score") == "0.500"

    # revise it: the form comes back filled in; the dashboard counts the revision only
    rita.go(str(first))
    assert rita.page.is_checked("#accuracy-2") and rita.page.is_checked("#flag-hallucination")
    rita.review(5, 5, 5, set())
    rita.go(f"/runs/{RUN}/dashboard")
    assert rita.text("#review-count") == "1"
    assert rita.text("#flag-count-hallucination") == "0"
    assert rita.text("#trust-score") == "1.000"
    rita.go(str(first))
    assert rita.page.eval_on_selector_all("#history tr", "els => els.length") == 3  # head + 2

    # a second reviewer on the same case: both count, and the flag shows up
    sam = Reviewer(browser, live)
    sam.login("sam")
    sam.go(str(first))
    sam.review(1, 2, 3, {"policy_violation"})
    sam.go(f"/runs/{RUN}/dashboard")
    assert sam.text("#review-count") == "2"
    # one other reviewer (rita), whose ratings sam could solve for: the figures are withheld
    assert sam.text("#flag-count-policy_violation") == "withheld"
    assert sam.text("#trust-score") == "n/a" and sam.page.is_visible("#suppressed")
    ada = Reviewer(browser, live)  # an admin sees them
    ada.login("ada")
    ada.go(f"/runs/{RUN}/dashboard")
    assert ada.text("#flag-count-policy_violation") == "1"
    assert ada.text("#trust-score") == "0.500"  # mean of 1.0 (rita) and 0.0 (sam) on the case

    # log out: back to the login page, and the pages are closed again
    with sam.page.expect_navigation():
        sam.page.click("#logout")
    assert sam.page.url == live.url + "/login"
    sam.go(f"/runs/{RUN}/dashboard")
    assert sam.page.url == live.url + "/login"
    assert rita.problems == [] and sam.problems == [] and ada.problems == []
