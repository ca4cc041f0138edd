"""The exam page held by its service worker (issue 11, what was left open), in Debian's
chromium: a reload and a reopened tab while offline come back from the worker's copy with every
answer, a question with a picture opens offline with its picture, and the next candidate on
the same computer finds nothing of the last one's paper. Screenshots: test-artifacts/offline-*.png
(and /tmp/shots-11b/ when it exists)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, Route, expect

from tests.browser.axe import violations
from tests.browser.conftest import LiveServer
from tests.browser.test_exam import live_db, seat, sign_in, stored
from tests.browser.test_rich_question import rich_seat

pytestmark = pytest.mark.browser
__all__ = ["live_db", "rich_seat"]
SHOTS = Path("/tmp/shots-11b")
HELD = (
    "(async () => { const names = (await caches.keys())"
    ".filter(n => n.startsWith('examhall-attempt-'));"
    " if (names.length !== 1) return false;"
    " const kept = await (await caches.open(names[0])).keys();"
    " return kept.map(r => new URL(r.url).pathname); })()"
)


@pytest.fixture
def context(browser: Browser) -> Iterator[BrowserContext]:
    context = browser.new_context(bypass_csp=True)  # axe's injected script needs it
    yield context
    context.close()


def shot(page: Page, artifacts: Path, name: str) -> None:
    page.screenshot(path=str(artifacts / f"offline-{name}.png"), full_page=True)
    if SHOTS.is_dir():
        page.screenshot(path=str(SHOTS / f"offline-{name}.png"), full_page=True)


def kept(page: Page) -> list[str]:
    """The paths the worker holds for the one attempt it keeps ([] if none, or not one)."""
    return list(page.evaluate(HELD) or [])


def held(page: Page, *paths: str, media: bool = False) -> None:
    """Wait (15 s at most) until the worker holds this attempt's paper and these pages (and a
    picture).
    (wait_for_function does not await a promise: poll with evaluate, which does.)"""
    deadline = time.monotonic() + 15
    while True:
        now = kept(page)
        if all(p in now for p in paths) and (
            not media or any(p.startswith("/exam/media/") for p in now)
        ):
            return
        if time.monotonic() > deadline:
            return  # what follows fails on what the candidate sees
        page.wait_for_timeout(200)


def _cut(route: Route) -> None:
    route.abort("internetdisconnected")


def offline(context: BrowserContext, on: bool) -> None:
    """The network down (or back). Playwright's offline switch does not reach every request
    of a page a service worker controls (microsoft/playwright#2311): a page opened or reloaded
    offline sent its first save through; the candidate's API is cut here as well."""
    context.set_offline(on)
    if on:
        context.route("**/api/v1/attempt**", _cut)
    else:
        context.unroute("**/api/v1/attempt**", _cut)


def copy_of_page(page: Page) -> None:
    """This page came from the worker's copy, not the network."""
    expect(page.locator('meta[name="examhall-offline-copy"]')).to_have_count(1)


def option(page: Page, n: int) -> None:
    page.locator("input[name=option]").nth(n).check()


def left(page: Page) -> int:
    m, s = (page.locator("#timer-value").inner_text()).split(":")
    return int(m) * 60 + int(s)


def test_a_reload_and_a_reopened_tab_while_offline_lose_nothing(
    live_db: LiveServer, context: BrowserContext, artifacts_dir: Path
) -> None:
    s = seat(live_db, duration=30)
    page = context.new_page()
    sign_in(page, live_db, s)
    held(page, "/api/v1/attempt", "/exam/q/1")
    option(page, 1)  # question 1, online: acknowledged after the paper was kept
    expect(page.locator("#sync-state")).to_have_text("All answers saved")
    page.locator('.nav-q[data-position="3"]').click()
    offline(context, True)
    option(page, 2)
    page.locator('.nav-q[data-position="6"]').click()
    option(page, 0)
    page.get_by_label("Flag this question to review later").check()
    expect(page.locator("#sync-state")).to_have_text("Offline: 3 waiting to be sent")
    before = left(page)

    page.reload()  # offline: the worker's copy, not the browser's error page
    copy_of_page(page)
    expect(page.locator(".q-count")).to_have_text("Question 6 of 15")
    expect(page.locator("input[name=option]").nth(0)).to_be_checked()
    expect(page.get_by_label("Flag this question to review later")).to_be_checked()
    expect(page.locator("#sync-state")).to_have_text("Offline: 3 waiting to be sent")
    # The clock goes on from what it showed, not from when the copy was kept.
    assert 0 <= before - left(page) <= 10, (before, left(page))
    assert violations(page) == []
    shot(page, artifacts_dir, "1-reloaded-offline")
    page.locator('.nav-q[data-position="3"]').click()
    expect(page.locator("input[name=option]").nth(2)).to_be_checked()
    page.locator('.nav-q[data-position="1"]').click()
    expect(page.locator("input[name=option]").nth(1)).to_be_checked()  # acknowledged earlier
    page.locator('.nav-q[data-position="9"]').click()  # a page never opened: drawn offline
    option(page, 3)

    _, lines, _ = stored(live_db, s.number)
    reached = {line.position for line in lines if line.answer}
    # The online answer is stored. Playwright's offline switch does not hold back every request
    # of a page a service worker controls (microsoft/playwright#2311): a save made "offline"
    # sometimes reaches the server (seen in CI for question 3), so only a subset of the offline
    # answers is allowed here; that every one arrives is checked once the network is back.
    assert 1 in reached and reached <= {1, 3, 6, 9}, reached
    page.close()  # the tab closed, and opened again, still offline
    page = context.new_page()
    page.goto(live_db.url + "/exam/q/9")
    copy_of_page(page)
    expect(page.locator(".q-count")).to_have_text("Question 9 of 15")
    expect(page.locator("input[name=option]").nth(3)).to_be_checked()
    page.get_by_role("button", name="Review answers").click()
    expect(page.locator("main")).to_contain_text(
        "You have answered 4 of 15 questions and flagged 1"
    )
    assert violations(page) == []
    shot(page, artifacts_dir, "2-reopened-offline-review")

    offline(context, False)
    page.evaluate("window.dispatchEvent(new Event('online'))")
    expect(page.locator("#sync-state")).to_have_text("All answers saved", timeout=20_000)
    _, lines, _ = stored(live_db, s.number)
    chosen = {line.position: line.option_order.index(line.answer) for line in lines if line.answer}
    assert chosen == {1: 1, 3: 2, 6: 0, 9: 3}
    assert [line.position for line in lines if line.flagged] == [6]


def test_a_page_never_kept_says_so_in_its_own_words_offline(
    live_db: LiveServer, context: BrowserContext, artifacts_dir: Path
) -> None:
    """The sign-in page is never kept: offline, the worker answers with its own page."""
    s = seat(live_db)
    page = context.new_page()
    sign_in(page, live_db, s)
    held(page, "/api/v1/attempt")
    offline(context, True)
    page.goto(live_db.url + "/exam?moved=1")
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "This computer has lost its connection"
    )
    assert violations(page) == []
    shot(page, artifacts_dir, "3-not-kept")
    offline(context, False)


def test_the_next_candidate_finds_nothing_of_the_last_ones_paper(
    live_db: LiveServer, context: BrowserContext
) -> None:
    s = seat(live_db)
    page = context.new_page()
    sign_in(page, live_db, s)
    held(page, "/api/v1/attempt", "/exam/q/1")
    page.get_by_role("button", name="Review answers").click()
    page.get_by_role("link", name="Finish and submit").click()
    page.get_by_role("button", name="Yes, submit my exam").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your exam has been submitted")
    assert kept(page) == []
    # The next candidate, offline, at a question address: no paper, only the worker's page.
    offline(context, True)
    page.goto(live_db.url + "/exam/q/1")
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "This computer has lost its connection"
    )
    assert "Question 1" not in page.content()
    offline(context, False)


def test_a_question_with_a_picture_opens_offline_with_its_picture(
    rich_seat: tuple[LiveServer, str, str], context: BrowserContext, artifacts_dir: Path
) -> None:
    live, number, code = rich_seat
    page = context.new_page()
    page.goto(live.url + "/exam")
    page.get_by_label("Candidate number").fill(number)
    page.get_by_label("Access code").fill(code)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("button", name="Start the exam").click()
    expect(page.get_by_role("img", name="Illustration for the question")).to_be_visible()
    held(page, *(f"/exam/q/{n}" for n in range(1, 21)), media=True)
    offline(context, True)
    page.locator("input[name=option]").nth(1).check()
    page.get_by_role("button", name="Next").click()  # a server-drawn page: from the copy
    copy_of_page(page)
    expect(page.locator(".q-count")).to_have_text("Question 2 of 20")
    picture = page.get_by_role("img", name="Illustration for the question")
    expect(picture).to_be_visible()
    assert picture.evaluate("img => img.complete && img.naturalWidth > 0")
    expect(page.get_by_role("table", name="Calls answered")).to_be_visible()
    page.locator("input[name=option]").nth(2).check()
    page.locator('.nav-q[data-position="7"]').click()
    expect(page.locator(".q-count")).to_have_text("Question 7 of 20")
    expect(page.get_by_role("img", name="Illustration for the question")).to_be_visible()
    assert violations(page) == []
    shot(page, artifacts_dir, "4-picture-question-offline")
    page.locator('.nav-q[data-position="1"]').click()
    expect(page.locator("input[name=option]").nth(1)).to_be_checked()
    offline(context, False)
    page.evaluate("window.dispatchEvent(new Event('online'))")
    expect(page.locator("#sync-state")).to_have_text("All answers saved", timeout=20_000)
