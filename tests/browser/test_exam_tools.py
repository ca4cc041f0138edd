"""What issue 11 left open, in Debian's chromium: the highlighter, the clock of a candidate
admitted by the invigilator, and words kept whole at 320 px in every text size and colour
scheme. Screenshots: test-artifacts/tools-*.png (and /tmp/shots-11b/ when it exists)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect
from sqlalchemy import select

from app.db import make_engine, make_sessionmaker, unit_of_work
from app.sittings import lifecycle
from app.sittings.models import Attempt, Sitting
from tests.browser.axe import violations
from tests.browser.conftest import LiveServer
from tests.browser.test_exam import Seat, live_db, seat, sign_in, stored
from tests.browser.test_exam_room import contrast

pytestmark = pytest.mark.browser
__all__ = ["live_db"]
SHOTS = Path("/tmp/shots-11b")
SCHEMES = ("default", "cream", "yellow", "contrast")
SIZES = ("100", "125", "150", "200")

# Every word on the page split across two lines although it would fit whole on a line of the
# page's column (main's content box): the layout must give it room. Only a word wider than the
# column itself may break (there is no other way at 320 px). A word is a run of letters; a
# space or a hyphen in the text is a break the language allows.
SPLIT_WORDS = (Path(__file__).parent / "split_words.js").read_text()


@pytest.fixture
def context(browser: Browser) -> Iterator[BrowserContext]:
    context = browser.new_context(bypass_csp=True)  # axe's injected script needs it
    yield context
    context.close()


def shot(page: Page, artifacts: Path, name: str, *, full: bool = True) -> None:
    page.screenshot(path=str(artifacts / f"tools-{name}.png"), full_page=full)
    if SHOTS.is_dir():
        page.screenshot(path=str(SHOTS / f"tools-{name}.png"), full_page=full)


def select_words(page: Page, words: str, part: tuple[int, int] | None = None) -> None:
    """Select these words in the stem (their last occurrence; only `part` of them, if given),
    as a drag of the pointer would."""
    start, end = part or (0, len(words))
    page.evaluate(
        """([words, start, end]) => {
          const stem = document.querySelector('#question-form .stem');
          const walker = document.createTreeWalker(stem, NodeFilter.SHOW_TEXT);
          let node, found = null;
          while ((node = walker.nextNode())) {
            const at = node.data.lastIndexOf(words);
            if (at >= 0) found = [node, at];
          }
          if (!found) throw new Error('not in the stem: ' + words);
          const range = document.createRange();
          range.setStart(found[0], found[1] + start);
          range.setEnd(found[0], found[1] + end);
          const selection = window.getSelection();
          selection.removeAllRanges();
          selection.addRange(range);
        }""",
        [words, start, end],
    )


def display(page: Page, size: str, scheme: str) -> None:
    settings = page.locator("details.display-settings")
    settings.locator("summary").click()
    # told apart from "the radio is not visible", a CI failure seen once (7 Dec) and not
    # reproduced since, alone or beside a national sitting's load: did the settings not open?
    expect(settings).to_have_js_property("open", True)
    page.locator(f"#size-{size}").check()
    page.locator(f"#scheme-{scheme}").check()
    # the page the form leads to, not the one it left: the class may already be the one asked
    # for (the first scheme), and the old page's highlights go with it (a CI flake under load)
    with page.expect_navigation():
        page.get_by_role("button", name="Apply display settings").click()
    expect(page.locator("html")).to_have_class(f"text-{size} scheme-{scheme}")


def colours(page: Page) -> dict[str, Any]:
    return dict(
        page.evaluate(
            """(() => { const m = document.querySelector('mark.hl'); const s = getComputedStyle(m);
              return { fill: s.backgroundColor, text: s.color, line: s.textDecorationLine,
                       lineColour: s.textDecorationColor,
                       page: getComputedStyle(document.body).backgroundColor }; })()"""
        )
    )


def test_the_highlighter_marks_words_by_keyboard_keeps_them_and_never_sends_them(
    live_db: LiveServer, context: BrowserContext, artifacts_dir: Path
) -> None:
    s = seat(live_db)
    page = context.new_page()
    sign_in(page, live_db, s)
    stem = page.locator(".stem").inner_text()
    words = " ".join(stem.split()[1:3])
    button = page.get_by_role("button", name="Highlight selection")
    expect(button).to_be_visible()
    expect(page.get_by_role("button", name="Remove highlights")).to_be_hidden()
    select_words(page, words)
    page.keyboard.press("Alt+Shift+H")  # the shortcut
    mark = page.locator(".stem mark.hl")
    expect(mark).to_have_count(1)
    expect(mark).to_have_text(words)
    expect(page.locator("#tool-announcer")).to_contain_text(f"Highlighted: {words}")
    expect(page.locator("#tool-announcer")).to_contain_text("not an answer")
    assert violations(page) == []
    shot(page, artifacts_dir, "1-highlighted")
    # Part of a word selected: the mark takes the whole word, never half of one.
    last = stem.split()[-2].strip("?.,")
    select_words(page, last, (1, 3))
    button.focus()  # the button, by keyboard
    page.keyboard.press("Enter")
    expect(page.locator(".stem mark.hl")).to_have_count(2)
    expect(page.locator(".stem mark.hl").nth(1)).to_have_text(last)
    # Kept with the question: away and back, and through a reload.
    page.get_by_role("button", name="Next").click()
    expect(page.locator(".q-count")).to_have_text("Question 2 of 15")
    expect(page.locator(".stem mark.hl")).to_have_count(0)
    page.get_by_role("button", name="Previous").click()
    expect(page.locator(".stem mark.hl")).to_have_count(2)
    page.reload()
    expect(page.locator(".stem mark.hl")).to_have_count(2)
    expect(page.locator(".stem")).to_have_text(stem)  # the words themselves unchanged
    # Removed: the same words again, then all of them.
    select_words(page, words)
    page.keyboard.press("Alt+Shift+H")
    expect(page.locator(".stem mark.hl")).to_have_count(1)
    expect(page.locator("#tool-announcer")).to_contain_text(f"Highlight removed: {words}")
    page.get_by_role("button", name="Remove highlights").click()
    expect(page.locator(".stem mark.hl")).to_have_count(0)
    expect(page.get_by_role("button", name="Remove highlights")).to_be_hidden()
    page.wait_for_timeout(500)
    _, lines, _ = stored(live_db, s.number)
    assert all(line.answer is None for line in lines)  # a highlight is never an answer


def test_highlights_are_seen_in_every_scheme_and_in_print(
    live_db: LiveServer, context: BrowserContext, artifacts_dir: Path
) -> None:
    """The mark is a fill of at least 3:1 against the page, the text on it at least 4.5:1,
    and an underline (a cue that is not colour), which print keeps."""
    s = seat(live_db)
    page = context.new_page()
    sign_in(page, live_db, s)
    words = " ".join(page.locator(".stem").inner_text().split()[:2])
    select_words(page, words)
    page.get_by_role("button", name="Highlight selection").click()
    for scheme in SCHEMES:
        display(page, "100", scheme)
        expect(page.locator(".stem mark.hl")).to_have_text(words)
        c = colours(page)
        assert "underline" in c["line"], c
        assert contrast(c["fill"], c["page"]) >= 3, (scheme, c)
        assert contrast(c["text"], c["fill"]) >= 4.5, (scheme, c)
        assert contrast(c["lineColour"], c["fill"]) >= 3, (scheme, c)
        assert violations(page) == []
        shot(page, artifacts_dir, f"2-highlight-{scheme}", full=False)
    page.emulate_media(media="print")
    c = colours(page)
    assert "underline" in c["line"], c
    outline = page.evaluate("getComputedStyle(document.querySelector('mark.hl')).outlineStyle")
    assert outline == "solid"
    page.emulate_media(media="screen")


def _approve(live: LiveServer, s: Seat) -> None:
    engine = make_engine(live.db_url)
    for db in unit_of_work(make_sessionmaker(engine), write=True):
        sitting = db.get(Sitting, s.session_id)
        assert sitting is not None
        sitting.approve_admission = True
    engine.dispose()


def _admit(live: LiveServer, s: Seat) -> None:
    """What the invigilator's Admit does, straight through the lifecycle."""
    engine = make_engine(live.db_url)
    for db in unit_of_work(make_sessionmaker(engine), write=True):
        attempt = db.scalar(select(Attempt).where(Attempt.sitting_id == s.session_id))
        assert attempt is not None
        lifecycle.admit(db, lifecycle.relock(db, attempt), live.clock.now(), actor="test")
    engine.dispose()


def test_an_admitted_candidates_clock_starts_at_start_not_at_admission(
    live_db: LiveServer, context: BrowserContext, artifacts_dir: Path
) -> None:
    s = seat(live_db, duration=20, reading=5)
    _approve(live_db, s)
    page = context.new_page()
    page.goto(live_db.url + "/exam")
    page.get_by_label("Candidate number").fill(s.number)
    page.get_by_label("Access code").fill(s.code)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your invigilator will admit you")
    assert violations(page) == []
    _admit(live_db, s)
    start = page.get_by_role("button", name="Start the exam")
    expect(start).to_be_visible(timeout=10_000)  # the waiting page opens by itself
    expect(page.locator("main")).to_contain_text("Your time has not started yet")
    live_db.clock.advance(minutes=1)  # a minute on the instructions
    page.wait_for_timeout(1500)
    expect(page.locator("#timer-value")).to_have_text("20:00")
    assert violations(page) == []
    shot(page, artifacts_dir, "3-admitted-instructions")
    start.click()
    expect(page.locator(".q-count")).to_have_text("Question 1 of 15")
    remaining = int(page.locator("#timer").get_attribute("data-remaining") or 0)
    assert remaining >= 20 * 60 - 2, remaining
    attempt, _, _ = stored(live_db, s.number)
    assert attempt.status == "in_progress" and attempt.admitted_at is not None
    assert attempt.started_at is not None and attempt.started_at > attempt.admitted_at


def test_no_ordinary_word_is_split_at_320_px_in_any_text_size_or_scheme(
    live_db: LiveServer, browser: Browser, artifacts_dir: Path
) -> None:
    s = seat(live_db, rest_breaks=True)
    context = browser.new_context(bypass_csp=True, viewport={"width": 320, "height": 640})
    page = context.new_page()
    sign_in(page, live_db, s)
    page.get_by_role("button", name="Strike out option 2").click()
    split: list[str] = []
    for scheme in SCHEMES:
        for size in SIZES:
            page.goto(live_db.url + "/exam/q/1")
            display(page, size, scheme)
            for path in ("/exam/q/1", "/exam/q/7", "/exam/review", "/exam/submit", "/exam/start"):
                page.goto(live_db.url + path)
                page.wait_for_timeout(150)
                width = page.evaluate("document.documentElement.scrollWidth")
                assert width <= 320, f"{path} at text {size}, {scheme}: {width} px wide"
                split += [f"{path} {size} {scheme}: {w}" for w in page.evaluate(SPLIT_WORDS)]
            if size == "200":
                page.goto(live_db.url + "/exam/q/1")
                expect(page.locator(".stem")).to_be_visible()
                assert violations(page) == []
                shot(page, artifacts_dir, f"4-320px-text-200-{scheme}")
    context.close()
    assert split == [], "\n".join(split[:40])
