"""The exam room as candidates live it (issue 11), in Debian's chromium: a minute offline
moving across the paper, a click at the moment of a pause, the paper hidden while paused,
the clock that waits for Start, reload and reopen, rest breaks, candidate tools, reflow at
320 px and focus contrast in every scheme. Screenshots land in test-artifacts/room-*.png."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, Route, expect
from sqlalchemy import select

from app.db import make_engine, make_sessionmaker, unit_of_work
from app.sittings import lifecycle
from app.sittings.models import Attempt
from tests.browser.axe import violations
from tests.browser.conftest import LiveServer
from tests.browser.test_exam import Seat, live_db, seat, sign_in, stored

pytestmark = pytest.mark.browser
__all__ = ["live_db"]


@pytest.fixture
def context(browser: Browser) -> Iterator[BrowserContext]:
    context = browser.new_context(bypass_csp=True)  # axe's injected script needs it
    yield context
    context.close()


def shot(page: Page, artifacts: Path, name: str) -> None:
    page.screenshot(path=str(artifacts / f"room-{name}.png"), full_page=True)


def clean(page: Page) -> None:
    assert violations(page) == []


def change(live: LiveServer, s: Seat, what: str) -> None:
    """What the invigilator does, straight through the lifecycle (as the register would)."""
    engine = make_engine(live.db_url)
    for db in unit_of_work(make_sessionmaker(engine), write=True):
        attempt = db.scalar(select(Attempt).where(Attempt.sitting_id == s.session_id))
        assert attempt is not None
        locked = lifecycle.relock(db, attempt)
        now = live.clock.now()
        if what == "pause":
            lifecycle.pause(db, locked, now, actor="invigilator:test")
        elif what == "add 5 minutes":
            lifecycle.add_time(db, locked, now, actor="invigilator:test", minutes=5, reason="t")
        else:
            lifecycle.resume(db, locked, now, actor="invigilator:test")
    engine.dispose()


def option(page: Page, n: int) -> None:
    page.locator("input[name=option]").nth(n).check()


def test_a_minute_offline_answering_and_moving_across_the_paper(
    live_db: LiveServer, context: BrowserContext, artifacts_dir: Path
) -> None:
    s = seat(live_db)
    page = context.new_page()
    # The minute passes on both sides without a minute of the suite's time: the page's timers
    # (its retry back-off, its clock) under Playwright's clock, the server's by its offset.
    page.clock.install()
    sign_in(page, live_db, s)
    expect(page.locator("#sync-state")).to_have_text("All answers saved")
    clean(page)
    context.set_offline(True)
    option(page, 1)  # question 1
    expect(page.locator("#save-status")).to_contain_text("you are offline")
    page.get_by_role("button", name="Next", exact=True).click()
    expect(page.locator(".q-count")).to_have_text("Question 2 of 15")
    assert page.url.endswith("/exam/q/2")
    option(page, 2)
    page.get_by_label("Flag this question to review later").check()
    page.locator('.nav-q[data-position="5"]').click()  # the navigator, offline
    expect(page.locator(".q-count")).to_have_text("Question 5 of 15")
    option(page, 3)
    expect(page.locator("#sync-state")).to_have_text("Offline: 4 waiting to be sent")
    expect(page.locator("#network-status")).to_contain_text("You are offline")
    clean(page)
    shot(page, artifacts_dir, "1-offline-question")
    page.get_by_role("button", name="Review answers").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Review your answers")
    expect(page.locator("main")).to_contain_text(
        "You have answered 3 of 15 questions and flagged 1"
    )
    clean(page)
    shot(page, artifacts_dir, "2-offline-review")
    page.get_by_role("link", name="Question 3", exact=True).first.click()
    expect(page.locator(".q-count")).to_have_text("Question 3 of 15")
    option(page, 0)
    page.go_back()  # the browser's Back, offline: the review page again
    expect(page.get_by_role("heading", level=1)).to_have_text("Review your answers")
    page.get_by_role("link", name="Finish and submit").click()  # needs the network: says so
    expect(page.locator("#network-status")).to_contain_text("You can submit once the connection")
    _, lines, _ = stored(live_db, s.number)
    assert all(line.answer is None for line in lines)  # nothing reached the server
    live_db.clock.advance(minutes=1)
    page.clock.run_for(60_000)  # a minute offline: every retry the back-off allows in it
    expect(page.locator("#sync-state")).to_have_text("Offline: 5 waiting to be sent")
    # A minute of failed retries leaves the particular message be (each retry used to put the
    # general offline one back a second after the candidate was told why submit waits).
    expect(page.locator("#network-status")).to_contain_text("You can submit once the connection")
    context.set_offline(False)
    page.evaluate("window.dispatchEvent(new Event('online'))")
    expect(page.locator("#sync-state")).to_have_text("All answers saved", timeout=20_000)
    expect(page.locator("#network-status")).to_contain_text("All your answers are saved")
    shot(page, artifacts_dir, "3-back-online")
    _, lines, _ = stored(live_db, s.number)
    chosen = {line.position: line.option_order.index(line.answer) for line in lines if line.answer}
    assert chosen == {1: 1, 2: 2, 3: 0, 5: 3}
    assert [line.position for line in lines if line.flagged] == [2]


def test_the_page_never_ends_a_paper_the_server_still_times(
    live_db: LiveServer, context: BrowserContext, artifacts_dir: Path
) -> None:
    """A trial: time was added while the page could not hear the room (its connection down),
    its own copy of the clock reached zero, and it submitted the paper itself, five minutes
    early and as 'candidate'. At zero the page now asks the server, which times the paper."""
    s = seat(live_db, duration=2)
    page = context.new_page()
    page.route("**/api/v1/attempt/events", lambda route: route.abort())  # the room unheard
    page.clock.install()
    sign_in(page, live_db, s)
    option(page, 0)
    expect(page.locator("#sync-state")).to_have_text("All answers saved")
    change(live_db, s, "add 5 minutes")
    live_db.clock.advance(minutes=2, seconds=5)  # past the first end: 4:55 left on the server
    page.clock.run_for(125_000)  # the page's copy: past zero
    expect(page.locator("#tool-announcer")).to_contain_text("Your time is not up")
    expect(page.locator("#timer-value")).to_have_text(re.compile(r"^4:[45]\d$"))
    shot(page, artifacts_dir, "time-not-up")
    attempt, _, _ = stored(live_db, s.number)
    assert attempt.status == "in_progress" and attempt.submitted_by is None
    page.locator('.nav-q[data-position="2"]').click()
    option(page, 1)  # and the time is there to use
    expect(page.locator("#sync-state")).to_have_text("All answers saved")
    live_db.clock.advance(minutes=5)  # the true end: the server ends the paper itself
    page.clock.run_for(300_000)
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Your exam has been submitted", timeout=20_000
    )
    attempt, lines, _ = stored(live_db, s.number)
    assert attempt.submitted_by == "timeout"
    assert [line.position for line in lines if line.answer] == [1, 2]


def test_a_click_at_the_moment_of_a_pause_is_kept_and_stored_after_resume(
    live_db: LiveServer, context: BrowserContext, artifacts_dir: Path
) -> None:
    s = seat(live_db)
    page = context.new_page()
    sign_in(page, live_db, s)
    paused_first = {"done": False}

    def pause_then_send(route: Route) -> None:
        if not paused_first["done"]:
            paused_first["done"] = True
            change(live_db, s, "pause")  # the invigilator pauses as the click leaves
        route.continue_()

    page.route("**/api/v1/attempt/answers/*", pause_then_send)
    option(page, 2)
    # The server refused it (409, paused): the page keeps it, hides the paper, says why.
    expect(page.locator("#paused-banner")).to_be_visible(timeout=5_000)
    expect(page.locator("#exam-view")).to_be_hidden()
    expect(page.locator(".stem")).to_be_hidden()
    expect(page.locator("#sync-state")).to_have_text("1 waiting: sent when your exam resumes")
    clean(page)
    shot(page, artifacts_dir, "4-paused-click-kept")
    _, lines, _ = stored(live_db, s.number)
    assert lines[0].answer is None
    started = time.monotonic()
    change(live_db, s, "resume")
    expect(page.locator("#paused-banner")).to_be_hidden(timeout=5_000)
    took = time.monotonic() - started
    expect(page.locator("#sync-state")).to_have_text("All answers saved", timeout=10_000)
    expect(page.locator(".q-count")).to_have_text("Question 1 of 15")
    _, lines, _ = stored(live_db, s.number)
    assert lines[0].answer == lines[0].option_order[2]
    assert took < 3, f"the resume took {took:.1f} s to reach the page"
    # the keyboard is where it was when the paper was hidden, not at the top (WCAG 2.4.3)
    expect(page.locator("input[name=option]").nth(2)).to_be_focused()


def test_the_paper_is_hidden_while_paused_and_events_arrive_in_two_seconds(
    live_db: LiveServer, context: BrowserContext, artifacts_dir: Path
) -> None:
    s = seat(live_db)
    page = context.new_page()
    sign_in(page, live_db, s)
    expect(page.locator(".stem")).to_be_visible()
    page.wait_for_timeout(1500)  # the event stream is open
    started = time.monotonic()
    change(live_db, s, "pause")
    expect(page.locator("#paused-banner")).to_be_visible(timeout=5_000)
    took = time.monotonic() - started
    expect(page.locator(".stem")).to_be_hidden()
    expect(page.locator("input[name=option]")).to_have_count(15 * 0 + 4)  # in the page, hidden
    expect(page.locator("input[name=option]").first).to_be_hidden()
    clean(page)
    shot(page, artifacts_dir, "5-paused")
    assert took < 2.5, f"the pause took {took:.1f} s to reach the page"
    # A reload while paused: still hidden; and the server's own page (no script) holds no paper.
    page.reload()
    expect(page.locator("#paused-banner")).to_be_visible()
    expect(page.locator(".stem")).to_be_hidden()
    plain = page.request.get(live_db.url + "/exam/q/1").text()
    assert "Your exam is paused" in plain and 'class="stem"' not in plain
    change(live_db, s, "resume")
    expect(page.locator(".stem")).to_be_visible(timeout=5_000)


def test_the_clock_is_full_after_a_minute_on_the_instructions(
    live_db: LiveServer, context: BrowserContext, artifacts_dir: Path
) -> None:
    s = seat(live_db, duration=20, reading=5)
    page = context.new_page()
    sign_in(page, live_db, s, start=False)
    expect(page.get_by_role("button", name="Start the exam")).to_be_visible()
    expect(page.locator("main")).to_contain_text("Your time has not started yet")
    expect(page.locator("main")).to_contain_text(
        "You are told when 5 minutes and 1 minute are left"
    )
    clean(page)
    shot(page, artifacts_dir, "6-instructions")
    live_db.clock.advance(minutes=1)
    page.wait_for_timeout(1500)
    expect(page.locator("#timer-value")).to_have_text("20:00")
    page.get_by_role("button", name="Start the exam").click()
    expect(page.locator(".q-count")).to_have_text("Question 1 of 15")
    remaining = int(page.locator("#timer").get_attribute("data-remaining") or 0)
    assert remaining >= 20 * 60 - 2, remaining
    attempt, _, _ = stored(live_db, s.number)
    assert attempt.status == "in_progress" and attempt.reading_until is None


def test_the_reading_limit_starts_the_clock_by_itself(
    live_db: LiveServer, context: BrowserContext
) -> None:
    s = seat(live_db, duration=20, reading=2)
    page = context.new_page()
    sign_in(page, live_db, s, start=False)
    live_db.clock.advance(minutes=2, seconds=1)
    expect(page.locator(".q-count")).to_have_text("Question 1 of 15", timeout=10_000)
    attempt, _, _ = stored(live_db, s.number)
    assert attempt.status == "in_progress" and attempt.started_at is not None
    assert attempt.reading_until is None


def test_reload_and_reopen_lose_nothing(live_db: LiveServer, context: BrowserContext) -> None:
    """Offline answers and strike-outs live on this computer; a reload, or a closed tab
    opened again, brings the candidate back to the same question with all of them."""
    s = seat(live_db)
    page = context.new_page()
    sign_in(page, live_db, s)
    page.locator('.nav-q[data-position="4"]').click()
    context.set_offline(True)
    option(page, 1)
    page.locator("button.strike").nth(3).click()
    expect(page.locator("#tool-announcer")).to_contain_text("Struck out")
    page.locator('.nav-q[data-position="7"]').click()
    option(page, 2)
    page.close()  # the tab is closed while offline: two answers never left this computer
    context.set_offline(False)
    page = context.new_page()
    page.goto(live_db.url + "/exam")  # still signed in: the instructions, then back in place
    expect(page.locator(".q-count")).to_have_text("Question 7 of 15")
    expect(page.locator("input[name=option]").nth(2)).to_be_checked()
    expect(page.locator("#sync-state")).to_have_text("All answers saved", timeout=15_000)
    page.reload()
    expect(page.locator(".q-count")).to_have_text("Question 7 of 15")
    page.locator('.nav-q[data-position="4"]').click()
    expect(page.locator("input[name=option]").nth(1)).to_be_checked()
    expect(page.locator("button.strike").nth(3)).to_have_attribute("aria-pressed", "true")
    expect(page.locator(".option").nth(3)).to_have_class("option is-struck")
    _, lines, _ = stored(live_db, s.number)
    assert lines[3].answer == lines[3].option_order[1]
    assert lines[6].answer == lines[6].option_order[2]


def test_candidate_tools_strike_out_and_line_reader(
    live_db: LiveServer, context: BrowserContext, artifacts_dir: Path
) -> None:
    s = seat(live_db)
    page = context.new_page()
    sign_in(page, live_db, s)
    strike = page.get_by_role("button", name="Strike out option 2")
    strike.click()
    expect(strike).to_have_attribute("aria-pressed", "true")
    expect(page.locator("#tool-announcer")).to_contain_text("only a note for you")
    expect(page.locator(".option").nth(1).locator(".struck-note")).to_have_text(" (struck out)")
    page.get_by_role("button", name="Line reader").click()
    expect(page.get_by_role("button", name="Line reader")).to_have_attribute("aria-pressed", "true")
    page.mouse.move(200, 300)
    expect(page.locator(".reading-mask-top")).to_be_visible()
    clean(page)
    page.screenshot(path=str(artifacts_dir / "room-7-tools.png"))  # the viewport: the mask
    page.wait_for_timeout(500)
    _, lines, _ = stored(live_db, s.number)
    assert lines[0].answer is None  # a strike-out is never an answer


def test_a_rest_break_hides_the_paper_stops_the_clock_and_is_reported(
    live_db: LiveServer, context: BrowserContext, artifacts_dir: Path
) -> None:
    s = seat(live_db, rest_breaks=True)
    page = context.new_page()
    sign_in(page, live_db, s)
    option(page, 0)
    expect(page.locator("#sync-state")).to_have_text("All answers saved")
    page.get_by_role("button", name="Take a rest break").click()
    expect(page.locator("#paused-title")).to_have_text("You are on a rest break")
    expect(page.locator(".stem")).to_be_hidden()
    clean(page)
    shot(page, artifacts_dir, "8-rest-break")
    live_db.clock.advance(minutes=4)
    page.get_by_role("button", name="End my break and return to the exam").click()
    expect(page.locator(".stem")).to_be_visible()
    attempt, _, _ = stored(live_db, s.number)
    assert attempt.rest_break_seconds >= 240 and attempt.break_started_at is None
    remaining = int(page.locator("#timer").get_attribute("data-remaining") or 0)
    assert attempt.allowed_seconds - remaining < 60  # the break did not use exam time
    page.get_by_role("button", name="Review answers").click()
    page.get_by_role("link", name="Finish and submit").click()
    page.get_by_role("button", name="Yes, submit my exam").click()
    _, _, result = stored(live_db, s.number)
    assert result is not None and result.rest_break_seconds >= 240


def test_reflow_at_320_px_in_every_text_size_and_focus_contrast_in_every_scheme(
    live_db: LiveServer, browser: Browser, artifacts_dir: Path
) -> None:
    s = seat(live_db, rest_breaks=True)
    context = browser.new_context(bypass_csp=True, viewport={"width": 320, "height": 640})
    page = context.new_page()
    sign_in(page, live_db, s)
    for size, scheme in (
        ("100", "default"),
        ("125", "cream"),
        ("150", "yellow"),
        ("200", "contrast"),
        ("200", "default"),
    ):
        page.goto(live_db.url + "/exam/q/1")
        page.locator("summary").click()
        page.locator(f"#size-{size}").check()
        page.locator(f"#scheme-{scheme}").check()
        page.get_by_role("button", name="Apply display settings").click()
        expect(page.locator("html")).to_have_class(f"text-{size} scheme-{scheme}")
        for path in ("/exam/q/1", "/exam/review", "/exam/submit", "/exam/start"):
            page.goto(live_db.url + path)
            page.wait_for_timeout(200)
            width = page.evaluate("document.documentElement.scrollWidth")
            assert width <= 320, f"{path} at text {size}: {width} px wide"
        page.goto(live_db.url + "/exam/q/1")
        expect(page.locator(".stem")).to_be_visible()
        clean(page)
        shot(page, artifacts_dir, f"9-320px-text-{size}-{scheme}")
        # Focus an option by keyboard: its ring against the page is at least 3:1.
        page.locator("input[name=option]").first.focus()
        page.keyboard.press("ArrowDown")
        ring = page.evaluate(
            "(() => { const l = document.activeElement.nextElementSibling;"
            " const s = getComputedStyle(l); return [s.outlineColor, s.outlineStyle,"
            " getComputedStyle(document.body).backgroundColor]; })()"
        )
        assert ring[1] == "solid", ring
        ratio = contrast(ring[0], ring[2])
        assert ratio >= 3, f"focus ring {ring[0]} on {ring[2]} in {scheme}: {ratio:.2f}:1"
    context.close()


def _rgb(css: str) -> tuple[float, ...]:
    inside = css[css.index("(") + 1 : css.index(")")].replace("/", ",")
    return tuple(float(x) for x in inside.split(",")[:3])


def _luminance(rgb: tuple[float, ...]) -> float:
    def one(c: float) -> float:
        c /= 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (one(c) for c in rgb)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a: str, b: str) -> float:
    la, lb = sorted((_luminance(_rgb(a)), _luminance(_rgb(b))), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def test_contrast_formula() -> None:
    """The WCAG ratio, exactly: black on white is 21:1, the old yellow ring on white 1.35:1."""
    assert round(contrast("rgb(0, 0, 0)", "rgb(255, 255, 255)"), 2) == 21.0
    assert round(contrast("rgb(255, 221, 0)", "rgb(255, 255, 255)"), 2) == 1.35


_ = timedelta  # the clock is moved with LiveServer.clock.advance
