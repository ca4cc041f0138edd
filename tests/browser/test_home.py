from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Browser, expect

from tests.browser.axe import violations
from tests.browser.conftest import LiveServer

pytestmark = pytest.mark.browser


def test_home_page_in_a_real_browser(
    browser: Browser, live_server: LiveServer, artifacts_dir: Path
) -> None:
    # bypass_csp: the page's own policy (script-src 'self') would block axe's injected script.
    context = browser.new_context(bypass_csp=True)
    page = context.new_page()
    page.goto(live_server.url + "/")
    expect(page).to_have_title("Online examinations · examhall")
    expect(page.get_by_role("heading", level=1)).to_have_text("Online multiple-choice examinations")
    expect(page.get_by_role("link", name="Start your exam")).to_have_attribute("href", "/exam")
    expect(page.get_by_role("link", name="Invigilator sign-in")).to_have_attribute(
        "href", "/invigilate"
    )
    assert page.locator("main").count() == 1 and page.locator("header").count() == 1

    # Keyboard: the first Tab lands on the skip link, which is then visible and moves focus to main.
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Skip to main content")
    expect(skip).to_be_focused()
    assert skip.bounding_box()["x"] >= 0  # type: ignore[index]
    page.keyboard.press("Enter")
    expect(page.locator("main")).to_be_focused()

    # The stylesheet is served by the app itself.
    assert page.evaluate("getComputedStyle(document.body).fontFamily").startswith("system-ui")
    assert violations(page) == []
    page.screenshot(path=str(artifacts_dir / "home.png"), full_page=True)
    context.close()
