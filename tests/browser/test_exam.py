"""A candidate sits whole exams in Debian's chromium: keyboard only, offline and back, reload,
and the clock running out. Screenshots of every candidate page land in test-artifacts/."""

from __future__ import annotations

import itertools
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, Route, expect
from sqlalchemy import select

from app.candidates import service as candidates
from app.centres import service as centres
from app.db import make_engine, make_sessionmaker, unit_of_work
from app.marking.models import Result
from app.sittings import scheduling
from app.sittings.models import Attempt, PaperItem
from app.sittings.status import SittingStatus
from tests.browser.axe import violations
from tests.browser.conftest import LiveServer
from tests.sittings.conftest import load_units

pytestmark = pytest.mark.browser
_numbers = itertools.count(1)


@dataclass
class Seat:
    number: str
    code: str
    session_id: int


@pytest.fixture(scope="module")
def live_db(
    live_server: LiveServer, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LiveServer]:
    engine = make_engine(live_server.db_url)
    for db in unit_of_work(make_sessionmaker(engine), write=True):
        load_units(db, live_server.clock, tmp_path_factory.mktemp("banks"), "F-503-0358.yaml")
        if centres.find_centre(db, "C0042") is None:
            centres.create_centre(db, "C0042", "Leeds", live_server.clock.now())
    engine.dispose()
    yield live_server


def seat(
    live: LiveServer,
    duration: int | None = None,
    extra: int = 0,
    *,
    rest_breaks: bool = False,
    reading: int | None = None,
    size: int = 1,
) -> Seat:
    """A fresh candidate in a fresh, open session."""
    number = f"B{next(_numbers):04d}"
    engine = make_engine(live.db_url)
    now = live.clock.now()
    for db in unit_of_work(make_sessionmaker(engine), write=True):
        candidates.create_candidate(
            db,
            now,
            candidate_number=number,
            centre="C0042",
            first_name="Bea",
            last_name="Browser",
            extra_time_percent=extra,
            rest_breaks=rest_breaks,
        )
        others = [f"{number}-{i}" for i in range(1, size)]  # a fuller room, when asked
        for other in others:
            candidates.create_candidate(
                db, now, candidate_number=other, centre="C0042", first_name="Ola", last_name=other
            )
        sitting = scheduling.schedule(
            db,
            now,
            centre="C0042",
            unit="F/503/0358",
            scheduled_start=now,
            candidate_numbers=[number, *others],
            duration_minutes=duration,
            reading_minutes=reading,
        )
        sitting.status = SittingStatus.OPEN
        db.flush()
        found = Seat(number, dict(scheduling.codes_of(db, sitting))[number], sitting.id)
    engine.dispose()
    return found


def stored(live: LiveServer, number: str) -> tuple[Attempt, list[PaperItem], Result | None]:
    engine = make_engine(live.db_url)
    for db in unit_of_work(make_sessionmaker(engine), write=False):
        from app.candidates.models import Candidate

        candidate = db.scalar(select(Candidate).where(Candidate.candidate_number == number))
        assert candidate is not None
        attempt = db.scalar(select(Attempt).where(Attempt.candidate_id == candidate.id))
        assert attempt is not None
        lines = list(
            db.scalars(
                select(PaperItem)
                .where(PaperItem.attempt_id == attempt.id)
                .order_by(PaperItem.position)
            )
        )
        result = db.scalar(select(Result).where(Result.attempt_id == attempt.id))
    engine.dispose()
    assert attempt is not None
    return attempt, lines, result


@pytest.fixture
def context(browser: Browser) -> Iterator[BrowserContext]:
    context = browser.new_context(bypass_csp=True)  # axe's injected script needs it
    yield context
    context.close()


def shot(page: Page, artifacts: Path, name: str) -> None:
    page.screenshot(path=str(artifacts / f"candidate-{name}.png"), full_page=True)


def sign_in(page: Page, live: LiveServer, s: Seat, *, start: bool = True) -> None:
    page.goto(live.url + "/exam")
    page.get_by_label("Candidate number").fill(s.number)
    page.get_by_label("Access code").fill(s.code)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(
        "Principles of personal and organisational"
    )
    if start and page.get_by_role("button", name="Start the exam").count():
        page.get_by_role("button", name="Start the exam").click()
        expect(page.locator(".q-count")).to_have_text("Question 1 of 15")


def test_a_wrong_code_puts_the_focus_on_what_went_wrong(
    live_db: LiveServer, context: BrowserContext
) -> None:
    """The error summary takes the focus, as GOV.UK's does: a screen-reader user hears the
    problem first (a new user's trial found the focus on the page's body)."""
    s = seat(live_db)
    page = context.new_page()
    page.goto(live_db.url + "/exam")
    page.get_by_label("Candidate number").fill(s.number)
    page.get_by_label("Access code").fill("WRONGCODE")
    page.get_by_role("button", name="Sign in").click()
    summary = page.locator("#error-summary")
    expect(summary).to_be_focused()
    expect(summary).to_contain_text("not recognised")
    assert violations(page) == []


def test_keyboard_only_whole_exam(
    live_db: LiveServer, context: BrowserContext, artifacts_dir: Path
) -> None:
    s = seat(live_db)
    page = context.new_page()
    page.goto(live_db.url + "/exam")
    assert violations(page) == []
    shot(page, artifacts_dir, "1-sign-in")
    page.keyboard.press("Tab")  # skip link
    page.keyboard.press("Tab")  # brand
    page.keyboard.press("Tab")
    expect(page.get_by_label("Candidate number")).to_be_focused()
    page.keyboard.type(s.number)
    page.keyboard.press("Tab")
    page.keyboard.type(s.code.lower())
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Principles of personal")
    assert violations(page) == []
    shot(page, artifacts_dir, "2-instructions")
    page.get_by_role("button", name="Start the exam").focus()
    page.keyboard.press("Enter")
    for position in range(1, 16):
        expect(page.locator(".q-count")).to_have_text(f"Question {position} of 15")
        first = page.locator("input[name=option]").first
        first.focus()
        page.keyboard.press("Space")
        page.keyboard.press("ArrowDown")  # arrow keys move the choice within the group
        expect(page.locator("#save-status")).to_contain_text("Saved")
        if position == 3:
            page.get_by_label("Flag this question to review later").focus()
            page.keyboard.press("Space")
            assert violations(page) == []
            shot(page, artifacts_dir, "3-question")
        if position in (2, 9):
            # Enter in the answer goes forward, as in any form: its default button is Next,
            # not the first visible one, Previous (a new user's trial went back a question)
            page.keyboard.press("Enter")
        elif position < 15:
            page.get_by_role("button", name="Next").focus()
            page.keyboard.press("Enter")
    page.get_by_role("button", name="Review answers").focus()
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Review your answers")
    expect(page.locator("main")).to_contain_text(
        "You have answered 15 of 15 questions and flagged 1"
    )
    assert violations(page) == []
    shot(page, artifacts_dir, "4-review")
    page.get_by_role("link", name="Finish and submit").focus()
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Are you sure you want to submit?")
    assert violations(page) == []
    shot(page, artifacts_dir, "5-confirm")
    page.get_by_role("button", name="Yes, submit my exam").focus()
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Your exam has been submitted")
    assert violations(page) == []
    shot(page, artifacts_dir, "6-done")
    attempt, lines, result = stored(live_db, s.number)
    assert attempt.status == "submitted" and attempt.submitted_by == "candidate"
    assert [line.option_order.index(line.answer or "") for line in lines] == [
        1
    ] * 15  # Space, ArrowDown
    assert [line.position for line in lines if line.flagged] == [3]
    assert result is not None and result.max_score == 15


def test_answers_survive_a_lost_network(
    live_db: LiveServer, context: BrowserContext, artifacts_dir: Path
) -> None:
    s = seat(live_db)
    page = context.new_page()
    sign_in(page, live_db, s)
    page.goto(live_db.url + "/exam/q/1")
    options = page.locator("input[name=option]")
    options.nth(0).check()
    expect(page.locator("#save-status")).to_contain_text("Saved")
    context.set_offline(True)
    options.nth(2).check()
    options.nth(3).check()
    expect(page.locator("#network-status")).to_contain_text("You are offline")
    expect(page.locator("#save-status")).to_contain_text("offline")
    shot(page, artifacts_dir, "7-offline")
    _, lines, _ = stored(live_db, s.number)
    assert lines[0].answer == lines[0].option_order[0]  # the server has only the first choice
    context.set_offline(False)
    page.evaluate("window.dispatchEvent(new Event('online'))")
    expect(page.locator("#network-status")).to_contain_text(
        "All your answers are saved", timeout=20_000
    )
    _, lines, _ = stored(live_db, s.number)
    assert lines[0].answer == lines[0].option_order[3]  # the last choice, sent when back online
    shot(page, artifacts_dir, "8-back-online")


def test_answers_and_flags_wait_out_a_busy_server(
    live_db: LiveServer, context: BrowserContext
) -> None:
    """A 503 (or any 5xx, or a 429) is a passing fault: the choice stays queued and is sent
    again, never dropped."""
    s = seat(live_db)
    page = context.new_page()
    sign_in(page, live_db, s)
    page.goto(live_db.url + "/exam/q/1")
    busy = {"left": 3}

    def overloaded(route: Route) -> None:
        if busy["left"] > 0:
            busy["left"] -= 1
            route.fulfill(
                status=503,
                headers={"Retry-After": "1", "Content-Type": "application/problem+json"},
                body='{"type":"about:blank","title":"Service unavailable","status":503}',
            )
        else:
            route.continue_()

    page.route("**/api/v1/attempt/answers/*", overloaded)
    page.route("**/api/v1/attempt/flags/*", overloaded)
    page.locator("input[name=option]").nth(2).check()
    expect(page.locator("#save-status")).to_contain_text("server is busy")
    page.get_by_label("Flag this question to review later").check()
    expect(page.locator("#save-status")).to_contain_text("Saved", timeout=20_000)
    expect(page.locator("#network-status")).to_contain_text("All your answers are saved")
    outbox = "Object.keys(localStorage).find(k => k.startsWith('examhall.outbox.'))"
    page.wait_for_function(f"!JSON.parse(localStorage.getItem({outbox}) || '[]').length")
    _, lines, _ = stored(live_db, s.number)
    assert busy["left"] == 0
    assert lines[0].answer == lines[0].option_order[2] and lines[0].flagged is True


def test_a_late_paper_redraws_the_question_without_moving_the_focus(
    live_db: LiveServer, browser: Browser
) -> None:
    """The question first comes as the server's page; the paper arrives after it and the page
    redraws the question from it. A keyboard user already on an option stays on that option
    (the paper's request is held here until the focus is there), and Space then answers.
    (Without the page's service worker: its requests would not pass through page.route.)"""
    s = seat(live_db)
    context = browser.new_context(service_workers="block")
    page = context.new_page()
    sign_in(page, live_db, s, start=False)
    held: list[Route] = []

    def hold(route: Route) -> None:
        if route.request.method == "GET":
            held.append(route)
        else:
            route.continue_()

    page.route("**/api/v1/attempt", hold)
    page.get_by_role("button", name="Start the exam").click()
    expect(page.locator(".q-count")).to_have_text("Question 1 of 15")
    expect(page.locator("button.strike")).to_have_count(0)  # the server's page: no paper yet
    deadline = time.monotonic() + 10
    while not held and time.monotonic() < deadline:
        page.wait_for_timeout(50)
    assert held, "the page never asked for its paper"
    third = page.locator("input[name=option]").nth(2)
    third.focus()
    held.pop().continue_()
    expect(page.locator("button.strike").first).to_be_attached()  # redrawn from the paper
    expect(page.locator("input[name=option]").nth(2)).to_be_focused()
    page.keyboard.press("Space")
    expect(page.locator("#save-status")).to_contain_text("Saved")
    _, lines, _ = stored(live_db, s.number)
    assert lines[0].answer == lines[0].option_order[2]
    context.close()


def test_signing_in_again_in_this_browser_loses_no_answer(
    live_db: LiveServer, context: BrowserContext
) -> None:
    """Signing in again in the same browser gives the session a new CSRF token; the open page's
    next save is refused 403, so it reloads for the new token and sends the answer again."""
    s = seat(live_db)
    first = context.new_page()
    sign_in(first, live_db, s)
    first.goto(live_db.url + "/exam/q/1")
    again = {"candidate_number": s.number, "access_code": s.code}
    assert context.request.post(live_db.url + "/api/v1/auth/candidate", data=again).ok
    first.locator("input[name=option]").nth(3).check()
    expect(first.locator("#save-status")).to_contain_text("Saved", timeout=20_000)
    _, lines, _ = stored(live_db, s.number)
    assert lines[0].answer == lines[0].option_order[3]


def test_one_tab_at_a_time(
    live_db: LiveServer, context: BrowserContext, artifacts_dir: Path
) -> None:
    """Two tabs of one exam each showed their own clicks, and the one reviewed could show an
    answer the server did not hold (a trial). The newest tab is answered in; the other hides
    the paper, says why, and can take over with every answer as it now stands."""
    s = seat(live_db)
    first = context.new_page()
    sign_in(first, live_db, s)
    first.goto(live_db.url + "/exam/q/1")
    first.locator("input[name=option]").nth(0).check()
    expect(first.locator("#save-status")).to_contain_text("Saved")
    second = context.new_page()
    second.goto(live_db.url + "/exam/q/1")
    notice = first.get_by_role("alert").filter(has_text="open in another tab")
    expect(notice).to_be_visible()
    expect(first.locator(".stem")).to_be_hidden()
    expect(first.locator("#other-tab")).to_be_focused()
    assert violations(first) == []
    first.screenshot(path=str(artifacts_dir / "exam-other-tab.png"), full_page=True)
    expect(second.locator("input[name=option]").nth(0)).to_be_checked()
    second.locator("input[name=option]").nth(2).check()
    expect(second.locator("#save-status")).to_contain_text("Saved")
    first.get_by_role("button", name="Use this tab instead").click()
    expect(first.locator("input[name=option]").nth(2)).to_be_checked()  # the answer now held
    expect(second.get_by_role("alert").filter(has_text="open in another tab")).to_be_visible()
    expect(second.locator(".stem")).to_be_hidden()
    _, lines, _ = stored(live_db, s.number)
    assert lines[0].answer == lines[0].option_order[2]


def test_a_reload_resumes_the_same_paper(live_db: LiveServer, context: BrowserContext) -> None:
    s = seat(live_db)
    page = context.new_page()
    sign_in(page, live_db, s)
    page.goto(live_db.url + "/exam/q/2")
    page.locator("input[name=option]").nth(1).check()
    expect(page.locator("#save-status")).to_contain_text("Saved")
    stem = page.locator(".stem").inner_text()
    before = page.locator("#timer").get_attribute("data-remaining")
    page.reload()
    expect(page.locator(".stem")).to_have_text(stem)
    expect(page.locator("input[name=option]").nth(1)).to_be_checked()
    assert int(page.locator("#timer").get_attribute("data-remaining") or 0) <= int(before or 0)
    # Another device, once the first has gone quiet (it crashed): the same paper and answer.
    # While the first page is still reporting, the invigilator re-admits (see test_invigilator).
    page.close()
    # Its stream is gone from the server before the clock moves: a presence round with the
    # moved clock would otherwise count the closed page as still there (CI met it twice).
    attempt, _, _ = stored(live_db, s.number)
    hub = live_db.app.state.room_events
    for _ in range(100):
        if attempt.id not in hub.subscribers:
            break
        time.sleep(0.1)
    assert attempt.id not in hub.subscribers, "the closed page's stream is still held"
    # and the room loop's round that may have read it just before (its presence write, by the
    # moved clock, made the page look open: CI met it a third time) has finished: two polls on
    # (a round runs its poll, then its presence, and the next waits for it to end), or the
    # loop has stopped, its last page gone.
    seen = hub.polls
    for _ in range(100):
        if hub.polls >= seen + 2 or hub.task is None or hub.task.done():
            break
        time.sleep(0.1)
    live_db.clock.advance(seconds=46)
    other = context.browser.new_context()  # type: ignore[union-attr]
    page2 = other.new_page()
    sign_in(page2, live_db, s)
    page2.goto(live_db.url + "/exam/q/2")
    expect(page2.locator(".stem")).to_have_text(stem)
    expect(page2.locator("input[name=option]").nth(1)).to_be_checked()
    other.close()


def test_the_clock_warns_then_submits_at_zero(
    live_db: LiveServer, context: BrowserContext, artifacts_dir: Path
) -> None:
    """A 6-minute paper is not told "5 minutes left" a minute and a half in: its warnings suit
    its length (only the last minute); the clock follows the server's without a request."""
    s = seat(live_db, duration=6)
    page = context.new_page()
    sign_in(page, live_db, s)
    page.goto(live_db.url + "/exam/q/1")
    expect(page.locator("#timer")).to_have_attribute("data-warnings", "1")
    page.locator("input[name=option]").nth(0).check()
    expect(page.locator("#save-status")).to_contain_text("Saved")
    live_db.clock.advance(minutes=1, seconds=30)  # 4:30 left
    expect(page.locator("#timer-value")).to_have_text(re.compile(r"^4:\d\d$"), timeout=30_000)
    expect(page.locator("#announcer")).to_have_text("")
    live_db.clock.advance(minutes=3, seconds=40)  # 0:50 left
    expect(page.locator("#announcer")).to_have_text("1 minute left.", timeout=20_000)
    shot(page, artifacts_dir, "9-one-minute")
    live_db.clock.advance(minutes=1)  # past zero
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Your exam has been submitted", timeout=20_000
    )
    expect(page.locator("main")).to_contain_text("Time ran out")
    attempt, _, result = stored(live_db, s.number)
    assert attempt.submitted_by == "timeout" and result is not None
    assert result.submitted_at - (attempt.started_at or result.submitted_at) == timedelta(minutes=6)


def test_a_page_opened_late_is_told_the_true_time_left(
    live_db: LiveServer, context: BrowserContext
) -> None:
    """Opened with 2:59 left on a 40-minute paper, the page says "3 minutes left", not 5."""
    s = seat(live_db, duration=40)
    page = context.new_page()
    sign_in(page, live_db, s)
    expect(page.locator("#timer")).to_have_attribute("data-warnings", "10,5,1")
    page.close()
    live_db.clock.advance(minutes=37, seconds=1)
    page = context.new_page()
    page.goto(live_db.url + "/exam/q/1")
    expect(page.locator("#announcer")).to_have_text("3 minutes left.", timeout=10_000)


def test_display_settings_and_accessibility_in_every_scheme(
    live_db: LiveServer, context: BrowserContext, artifacts_dir: Path
) -> None:
    s = seat(live_db)
    page = context.new_page()
    sign_in(page, live_db, s)
    page.goto(live_db.url + "/exam/q/1")
    for size, scheme in (("200", "contrast"), ("150", "cream"), ("125", "yellow")):
        page.locator("summary").click()
        page.locator(f"#size-{size}").check()
        page.locator(f"#scheme-{scheme}").check()
        page.get_by_role("button", name="Apply display settings").click()
        expect(page.locator("html")).to_have_class(f"text-{size} scheme-{scheme}")
        assert violations(page) == []
        shot(page, artifacts_dir, f"10-scheme-{scheme}")
    page.get_by_role("button", name="Hide time").click()
    expect(page.locator("#timer-value")).to_have_class("visually-hidden")
    expect(page.get_by_role("button", name="Show time")).to_be_visible()
